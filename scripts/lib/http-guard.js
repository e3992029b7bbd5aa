// One authentication guard in front of the embedded Node-RED's HTTP server. It sees every request
// and every websocket upgrade before express, Node-RED or a dashboard does, so the editor, the
// admin API, both dashboards and their socket.io endpoints are behind the same check, whatever
// the letter case or encoding of the path (express routes case-insensitively).
//
// Users (HTTP Basic, bcrypt hashes): `admin` may use everything; `viewer` only the dashboards
// (/ui, /dashboard and beneath), and the flows refuse its alert acknowledgements (read-only).
// The editor needs no second login: for an admin the guard hands Node-RED a token through the
// header of adminAuth.tokens (tokenHeader), which it strips from every incoming request first.
// userOf(req) tells the dashboards' socket code who opened a socket (dashboard-user.js).
'use strict';
const crypto = require('crypto');

const TOKEN_HEADER = 'x-picochain-user';
const MAX_FAILS = 10; // failed logins per client address ...
const FAIL_WINDOW_MS = 10 * 60 * 1000; // ... per 10 minutes, then 429 until the window ends
const users = new WeakMap(); // request -> { username, role }

class GuardError extends Error {}

/**
 * The request path as the server will understand it: percent-decoded, lower case. Throws for
 * what no browser sends and a router could read two ways (dot segments, encoded or back slashes,
 * bad encodings), so a viewer's such request is refused outright instead of classified.
 */
function canonicalPath(url) {
    const raw = String(url || '/').split('?')[0].split('#')[0];
    let p;
    try { p = decodeURIComponent(raw); } catch { throw new GuardError('bad encoding'); }
    if (/%2f|%5c/i.test(raw) || p.includes('\\') || p.includes('\0')) throw new GuardError('encoded separator');
    if (p.split('/').some((s) => s === '.' || s === '..')) throw new GuardError('dot segment');
    return p.replace(/\/{2,}/g, '/').toLowerCase();
}

function isDashboardPath(p, prefixes) {
    return prefixes.some((x) => p === x || p.startsWith(`${x}/`));
}

/**
 * Installs the guard on `server` (an http/https server, before Node-RED's listeners).
 * users: [{ username, hash (bcrypt), role: 'admin' | 'viewer' }]; with none, nothing is asked
 * (loopback without password) but the token header is still stripped.
 * dashboards: path prefixes the viewer may use (default /ui, /dashboard).
 * Returns { tokens(value), tokenHeader, userOf(req) } for Node-RED's adminAuth.
 */
function installGuard(server, { users: list = [], dashboards = ['/ui', '/dashboard'], log = () => {} } = {}) {
    const bcrypt = require('bcryptjs');
    const nonce = crypto.randomBytes(16).toString('hex');
    const byName = new Map(list.map((u) => [u.username, u]));
    const verified = new Map(); // Authorization header -> user, so bcrypt runs once per client
    const fails = new Map(); // remote address -> { n, since }
    const on = byName.size > 0;
    const prefixes = dashboards.map((d) => `/${d.replace(/^\/+|\/+$/g, '')}`.toLowerCase());

    function login(req) {
        const h = req.headers.authorization || '';
        if (verified.has(h)) return verified.get(h);
        const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(h);
        if (!m) return null;
        const text = Buffer.from(m[1], 'base64').toString('utf8');
        const i = text.indexOf(':');
        const u = i > 0 ? byName.get(text.slice(0, i)) : null;
        // compare against a hash even for an unknown name, so timing does not tell names apart
        const ok = bcrypt.compareSync(i > 0 ? text.slice(i + 1) : '', u ? u.hash : list[0].hash);
        if (!u || !ok) return false;
        if (verified.size > 1000) verified.clear();
        const user = { username: u.username, role: u.role };
        verified.set(h, user);
        return user;
    }

    /** null = let it through; else [status, reason] to answer with. */
    function decide(req) {
        delete req.headers[TOKEN_HEADER];
        if (!on) return null;
        const origin = req.headers.origin;
        // a page elsewhere must not drive the editor or a dashboard with the browser's credentials
        if (origin && origin !== 'null') {
            let host;
            try { host = new URL(origin).host; } catch { host = null; }
            // behind a reverse proxy the page's host may be in X-Forwarded-Host; a page elsewhere
            // cannot set that header (the browser would ask the server first, which says no)
            if (host !== req.headers.host && host !== req.headers['x-forwarded-host']) return [403, 'cross-origin request'];
        }
        const addr = (req.socket && req.socket.remoteAddress) || '?';
        const f = fails.get(addr);
        if (f && f.n >= MAX_FAILS && Date.now() - f.since < FAIL_WINDOW_MS) return [429, 'too many failed logins'];
        const user = login(req);
        if (!user) {
            if (user === false) {
                const g = f && Date.now() - f.since < FAIL_WINDOW_MS ? f : { n: 0, since: Date.now() };
                g.n++;
                fails.set(addr, g);
                if (g.n === MAX_FAILS) log(`picochain: ${MAX_FAILS} failed logins from ${addr}; refusing it for ${FAIL_WINDOW_MS / 60000} min`);
            }
            return [401, 'authentication required'];
        }
        if (f) fails.delete(addr);
        if (user.role !== 'admin') {
            // only a viewer's path needs reading: it decides between a dashboard and the rest
            let p;
            try { p = canonicalPath(req.url); } catch (e) { return [400, e.message]; }
            if (!isDashboardPath(p, prefixes)) return [403, `the ${user.role} role has no access here`];
        }
        users.set(req, user);
        if (user.role === 'admin') req.headers[TOKEN_HEADER] = `${nonce}:${user.username}`;
        return null;
    }

    const emit = server.emit;
    server.emit = function (event, req, resOrSocket) {
        if (event !== 'request' && event !== 'upgrade') return emit.apply(this, arguments);
        const refused = decide(req);
        if (!refused) return emit.apply(this, arguments);
        const [status, reason] = refused;
        const headers = status === 401 ? { 'WWW-Authenticate': 'Basic realm="picochain", charset="UTF-8"' } : {};
        if (event === 'upgrade') {
            const head = Object.entries({ ...headers, Connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
            resOrSocket.end(`HTTP/1.1 ${status} ${reason}\r\n${head}\r\n`);
        } else {
            resOrSocket.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
            resOrSocket.end(`${reason}\n`);
        }
        return true;
    };

    return {
        tokenHeader: TOKEN_HEADER,
        /** adminAuth.tokens: the user for a header value the guard set, else null. */
        async tokens(value) {
            const s = String(value || '');
            const i = s.indexOf(':');
            const a = Buffer.from(s.slice(0, i < 0 ? 0 : i));
            const b = Buffer.from(nonce);
            if (i < 0 || a.length !== b.length || !crypto.timingSafeEqual(a, b)) return null;
            const u = byName.get(s.slice(i + 1));
            return u && u.role === 'admin' ? { username: u.username, permissions: '*' } : null;
        },
        userOf,
    };
}

/** The user the guard let in with this request (a socket's handshake request), or null. */
function userOf(req) {
    return (req && users.get(req)) || null;
}

module.exports = { installGuard, canonicalPath, isDashboardPath, userOf, TOKEN_HEADER };
