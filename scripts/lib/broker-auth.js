// Who may connect to the MQTT broker and what each identity may publish and read. One set of
// files serves both brokers: a Mosquitto password file (`user:$7$...`, PBKDF2-SHA512 as
// mosquitto_passwd writes it) and a Mosquitto ACL file (docs/mosquitto.acl). Mosquitto reads them
// with `password_file` / `acl_file`; the embedded aedes broker of `npm start` reads the same files
// through installBrokerAuth(), so the rules are written, reviewed and tested once.
//
// Identities: a board is `<site>/<device>`, limited by the `pattern` lines of docs/mosquitto.acl to its
// own topics; the server (Node-RED) reads picochain/# and TOUCAN and publishes only desired configurations. Each
// identity is one session: its client id is its username (Mosquitto: use_username_as_clientid),
// so a stolen board's password cannot take over another board's session.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

/** PBKDF2 rounds for hashes we write. Passwords we generate carry 144 random bits, so the count
 *  only matters for hand-chosen ones; mosquitto_passwd's default is 101. ~5 ms per CONNECT. */
const ITERATIONS = 10000;
const ID = /^[A-Za-z0-9_-]{1,32}$/; // firmware/config.py's device and site ids
const DOCS_ACL = path.join(__dirname, '..', '..', 'docs', 'mosquitto.acl');

/** A fresh password: 18 random bytes, 24 URL-safe characters. */
function generatePassword() {
    return crypto.randomBytes(18).toString('base64url');
}

/** Mosquitto 2 `$7$` hash (PBKDF2-SHA512, 12-byte salt, 64-byte key, base64). */
function hashPassword(password, iterations = ITERATIONS) {
    const salt = crypto.randomBytes(12);
    const key = crypto.pbkdf2Sync(String(password), salt, iterations, 64, 'sha512');
    return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Resolves true when `password` matches a `$7$` (PBKDF2) or `$6$` (salted SHA-512) hash. */
async function verifyPassword(password, hash) {
    const p = typeof hash === 'string' ? hash.split('$') : [];
    const pw = Buffer.isBuffer(password) ? password : Buffer.from(String(password ?? ''), 'utf8');
    let expected;
    let actual;
    if (p.length === 5 && p[1] === '7' && /^\d+$/.test(p[2])) {
        expected = Buffer.from(p[4], 'base64');
        if (expected.length === 0) return false;
        actual = await new Promise((resolve, reject) => crypto.pbkdf2(pw, Buffer.from(p[3], 'base64'), Number(p[2]), expected.length, 'sha512', (e, k) => (e ? reject(e) : resolve(k))));
    } else if (p.length === 4 && p[1] === '6') {
        expected = Buffer.from(p[3], 'base64');
        actual = crypto.createHash('sha512').update(pw).update(Buffer.from(p[2], 'base64')).digest();
    } else {
        return false;
    }
    return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}

/** Password file text -> Map(username -> hash). Blank lines and # comments are skipped. */
function parsePasswd(text) {
    const users = new Map();
    for (const line of String(text).split(/\r?\n/)) {
        if (!line.trim() || line.startsWith('#')) continue;
        const i = line.lastIndexOf(':');
        if (i > 0) users.set(line.slice(0, i), line.slice(i + 1).trim());
    }
    return users;
}

function formatPasswd(users) {
    return [...users].map(([u, h]) => `${u}:${h}\n`).join('');
}

/**
 * Mosquitto ACL text -> { users: Map(name -> rules), patterns: rules }, rule = { access, topic }
 * with access 'read' | 'write' | 'readwrite' | 'deny'. Topic lines before any `user` line are for
 * anonymous clients, which our brokers refuse, so they are kept under the user `null`.
 */
function parseAcl(text) {
    const acl = { users: new Map(), patterns: [] };
    let user = null;
    for (const raw of String(text).split(/\r?\n/)) {
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const m = /^(user|topic|pattern)\s+(.*)$/.exec(line);
        if (!m) throw new Error(`ACL: cannot read "${line}"`);
        if (m[1] === 'user') { user = m[2].trim(); continue; }
        const am = /^(read|write|readwrite|deny)\s+(.+)$/.exec(m[2].trim());
        const rule = am ? { access: am[1], topic: am[2].trim() } : { access: 'readwrite', topic: m[2].trim() };
        if (m[1] === 'pattern') acl.patterns.push(rule);
        else {
            if (!acl.users.has(user)) acl.users.set(user, []);
            acl.users.get(user).push(rule);
        }
    }
    return acl;
}

/** MQTT topic matching: does filter (with + and #) match topic? */
function matches(filter, topic) {
    const f = filter.split('/');
    const t = topic.split('/');
    if (t[0].startsWith('$') && (f[0] === '+' || f[0] === '#')) return false; // [MQTT-4.7.2-1]
    for (let i = 0; i < f.length; i++) {
        if (f[i] === '#') return true;
        if (i >= t.length) return false;
        if (f[i] !== '+' && f[i] !== t[i]) return false;
    }
    return f.length === t.length;
}

/** Does the ACL topic `rule` cover every topic the subscription `filter` can match? */
function covers(rule, filter) {
    const r = rule.split('/');
    const f = filter.split('/');
    for (let i = 0; i < r.length; i++) {
        if (r[i] === '#') return true;
        if (i >= f.length) return false;
        if (f[i] === '#') return false;
        if (r[i] !== '+' && (f[i] === '+' || r[i] !== f[i])) return false;
    }
    return r.length === f.length;
}

/** The rules that apply to one client: its user block, then the patterns with %u and %c filled in. */
function rulesFor(acl, { username, clientId }) {
    const own = acl.users.get(username ?? null) || [];
    const pats = [];
    for (const p of acl.patterns) {
        // Mosquitto skips patterns for ids holding a wildcard, and %u for anonymous clients
        if ((p.topic.includes('%u') && (!username || /[+#]/.test(username)))
            || (p.topic.includes('%c') && (!clientId || /[+#]/.test(clientId)))) continue;
        pats.push({ access: p.access, topic: p.topic.split('/').map((l) => (l === '%u' ? username : l === '%c' ? clientId : l)).join('/') });
    }
    return own.concat(pats);
}

const grants = (access, want) => access === 'readwrite' || access === want;

/** May this client `want` ('read' | 'write') `topic`? A matching deny wins; then any grant. */
function allowed(acl, who, want, topic) {
    const rules = rulesFor(acl, who);
    if (rules.some((r) => r.access === 'deny' && matches(r.topic, topic))) return false;
    return rules.some((r) => grants(r.access, want) && matches(r.topic, topic));
}

/**
 * May this client subscribe to `filter`? Only when a read grant covers all of it and no deny
 * covers it; messages a partly denied filter would match are dropped at delivery (allowed()).
 * Stricter than Mosquitto, which accepts any subscription and filters only at delivery.
 */
function subscribeAllowed(acl, who, filter) {
    const rules = rulesFor(acl, who);
    if (rules.some((r) => r.access === 'deny' && covers(r.topic, filter))) return false;
    return rules.some((r) => grants(r.access, 'read') && covers(r.topic, filter));
}

/** Where the broker identities live in a data directory. */
function brokerFiles(dataDir) {
    const dir = path.join(dataDir, 'mqtt');
    return { dir, passwd: path.join(dir, 'passwd'), acl: path.join(dir, 'acl') };
}

/**
 * Writes `text` to `file` through a temporary file and a rename: mode 0600 for a new file; an
 * existing one keeps its owner (e.g. mosquitto, which must read it after dropping root) and its
 * mode without the bits for others.
 */
function writeSecretFile(file, text) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    let old = null;
    try { old = fs.statSync(file); } catch { /* new file */ }
    const tmp = `${file}.${process.pid}.tmp`;
    const mode = old ? old.mode & 0o770 : 0o600;
    fs.writeFileSync(tmp, text, { mode });
    fs.chmodSync(tmp, mode);
    if (old && process.getuid && process.getuid() === 0) fs.chownSync(tmp, old.uid, old.gid);
    fs.renameSync(tmp, file);
}

/** Creates the data directory's ACL from docs/mosquitto.acl when it has none; returns its path. */
function ensureAcl(dataDir) {
    const f = brokerFiles(dataDir);
    if (!fs.existsSync(f.acl)) writeSecretFile(f.acl, fs.readFileSync(DOCS_ACL, 'utf8'));
    return f.acl;
}

/** ACL text giving a server identity read access to every board topic; it publishes only desired configurations. */
function serverAcl(username) {
    return `user ${username}\ntopic read picochain/#\ntopic read TOUCAN\ntopic write picochain/+/+/config\ntopic deny picochain/${username}/#\n`;
}

/**
 * The identities of one broker: the password and ACL files (re-read when they change, so a board
 * provisioned or revoked while the broker runs counts at its next CONNECT) plus identities held
 * only in memory (`extra`: { username: { password, acl } }) for the server and simulated boards.
 */
class BrokerIdentities {
    /** passwd, acl: the files (brokerFiles(dataDir) gives a data directory's). */
    constructor({ passwd, acl, extra = {} }) {
        this.passwdFile = passwd;
        this.aclFile = acl;
        this.extraHashes = new Map();
        this.extraAcl = '';
        for (const [u, v] of Object.entries(extra)) this.add(u, v.password, v.acl);
        this.stamp = null;
        this.reload();
    }

    add(username, password, aclText = '') {
        this.extraHashes.set(username, hashPassword(password, 1000)); // in memory only, random passwords
        this.extraAcl += aclText;
        this.stamp = null;
        this.reload();
    }

    _mtimes() {
        const m = (f) => { try { const s = fs.statSync(f); return `${s.ino}:${s.mtimeMs}:${s.size}`; } catch { return '-'; } };
        return `${m(this.passwdFile)}|${m(this.aclFile)}`;
    }

    /**
     * Re-reads the files if they changed; returns true when anything was re-read. Without `force`
     * the files are looked at once a second at most: publish and delivery checks ask per message.
     */
    reload(force = false) {
        const now = Date.now();
        if (!force && this.stamp !== null && now - this.lookedAt < 1000) return false;
        this.lookedAt = now;
        const stamp = this._mtimes();
        if (stamp === this.stamp) return false;
        this.stamp = stamp;
        this.generation = (this.generation || 0) + 1;
        const read = (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } };
        this.hashes = new Map([...parsePasswd(read(this.passwdFile)), ...this.extraHashes]);
        this.acl = parseAcl(`${read(this.aclFile)}\n${this.extraAcl}`);
        return true;
    }

    has(username) { this.reload(); return this.hashes.has(username); }

    async check(username, password) {
        this.reload(true); // a board provisioned or revoked a moment ago counts at its CONNECT
        const hash = typeof username === 'string' ? this.hashes.get(username) : undefined;
        // the same work for an unknown user as for a wrong password, so timing does not tell which
        const ok = await verifyPassword(password ?? '', hash || '$7$1000$AAAAAAAAAAAAAAAA$AA==');
        return !!hash && ok;
    }

    allowed(who, want, topic) { this.reload(); return allowed(this.acl, who, want, topic); }

    subscribeAllowed(who, filter) { this.reload(); return subscribeAllowed(this.acl, who, filter); }
}

/**
 * Makes an aedes broker ask `ids` (a BrokerIdentities) who may connect, publish, subscribe and
 * receive. `log(line)` gets one warning line per refusal (at most one per identity and reason
 * a minute), never a password. Returns stop() for the revocation watcher.
 */
function installBrokerAuth(aedes, ids, { log = () => {}, watchMs = 2000 } = {}) {
    const said = new Map();
    const warn = (key, line) => {
        const now = Date.now();
        if (now - (said.get(key) || 0) < 60000) return;
        if (said.size > 1000) said.clear();
        said.set(key, now);
        log(line);
    };
    const who = (client) => ({ username: client._picochainUser, clientId: client.id });
    aedes.authenticate = (client, username, password, cb) => {
        const peer = client.conn && client.conn.remoteAddress ? ` from ${client.conn.remoteAddress}` : '';
        const refuse = (code, why) => {
            warn(`${username}:${code}`, `MQTT: refused ${username ? `"${username}"` : 'a client without user name'}${peer}: ${why}`);
            const err = new Error(why);
            err.returnCode = code;
            cb(err, false);
        };
        ids.check(username, password).then((ok) => {
            if (!ok) return refuse(4, 'bad user name or password');
            // one identity, one session (Mosquitto: use_username_as_clientid)
            client.id = username;
            client._picochainUser = username;
            const will = client._will;
            if (will && !ids.allowed(who(client), 'write', will.topic)) return refuse(5, `last will on ${will.topic} is not allowed`);
            cb(null, true);
        }, (e) => refuse(3, `identity check failed: ${e.message}`));
    };
    aedes.authorizePublish = (client, packet, cb) => {
        // a will kept from before a restart has no client: it was checked at its CONNECT
        if (!client) return cb(null);
        if (packet.topic.startsWith('$SYS')) return cb(new Error('$SYS is reserved'));
        if (ids.allowed(who(client), 'write', packet.topic)) return cb(null);
        warn(`${client._picochainUser}:pub`, `MQTT: "${client._picochainUser}" may not publish to ${packet.topic}; disconnected`);
        cb(new Error(`not allowed to publish to ${packet.topic}`));
    };
    aedes.authorizeSubscribe = (client, sub, cb) => {
        if (ids.subscribeAllowed(who(client), sub.topic)) return cb(null, sub);
        warn(`${client._picochainUser}:sub`, `MQTT: "${client._picochainUser}" may not subscribe to ${sub.topic}`);
        cb(null, null); // SUBACK 0x80 for this filter
    };
    aedes.authorizeForward = (client, packet) => (ids.allowed(who(client), 'read', packet.topic) ? packet : null);
    // a board revoked while connected is disconnected at the next look at the files
    let seen = ids.generation;
    const timer = setInterval(() => {
        ids.reload(true);
        if (ids.generation === seen) return;
        seen = ids.generation;
        for (const c of Object.values(aedes.clients)) {
            if (c._picochainUser && !ids.has(c._picochainUser)) {
                warn(`${c._picochainUser}:revoked`, `MQTT: "${c._picochainUser}" is no longer in the password file; disconnected`);
                c.close();
            }
        }
    }, watchMs);
    timer.unref();
    return { stop() { clearInterval(timer); } };
}

module.exports = {
    ID, ITERATIONS, DOCS_ACL, generatePassword, hashPassword, verifyPassword, parsePasswd, formatPasswd, parseAcl,
    matches, covers, allowed, subscribeAllowed, brokerFiles, writeSecretFile, ensureAcl, serverAcl,
    BrokerIdentities, installBrokerAuth,
};
