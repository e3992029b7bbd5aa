'use strict';
// scripts/lib/http-guard.js in front of a real HTTP server: every request and websocket upgrade,
// whatever the case or encoding of its path; admin and viewer roles; the token Node-RED's
// adminAuth reads; cross-origin requests; repeated failed logins.
const assert = require('assert');
const http = require('http');
const net = require('net');
const { installGuard, canonicalPath, TOKEN_HEADER } = require('../../scripts/lib/http-guard');
const { hashPassword } = require('../../scripts/lib/chain');

const basic = (u, p) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

/** A server answering 200 with the token header it got; upgrades answered 101 then closed. */
async function serve(options) {
    const server = http.createServer((req, res) => { res.end(JSON.stringify({ token: req.headers[TOKEN_HEADER] || null })); });
    const guard = installGuard(server, options);
    server.on('upgrade', (req, socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    /** A raw request (the path exactly as given, no client-side normalising): { status, body }. */
    const request = (pathname, headers = {}, upgrade = false) => new Promise((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        let data = '';
        const extra = upgrade ? { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } : { Connection: 'close' };
        const h = { Host: `127.0.0.1:${port}`, ...extra, ...headers };
        s.on('data', (d) => { data += d; });
        s.on('end', () => {
            const status = Number((/^HTTP\/1\.1 (\d+)/.exec(data) || [])[1]);
            resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
        });
        s.on('error', reject);
        s.write(`GET ${pathname} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    });
    return { guard, request, port, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

describe('the HTTP guard (scripts/lib/http-guard.js)', function () {
    this.timeout(30000);
    const users = [
        { username: 'admin', hash: hashPassword('admin pass'), role: 'admin' },
        { username: 'viewer', hash: hashPassword('viewer pass'), role: 'viewer' },
    ];
    const ADMIN = basic('admin', 'admin pass');
    const VIEWER = basic('viewer', 'viewer pass');

    it('reads a path as the server would: decoded, lower case; refuses ambiguous ones', function () {
        assert.strictEqual(canonicalPath('/UI/'), '/ui/');
        assert.strictEqual(canonicalPath('/%75i/index.html?x=1'), '/ui/index.html');
        assert.strictEqual(canonicalPath('//Dashboard///_setup'), '/dashboard/_setup');
        for (const bad of ['/ui/../flows', '/ui/%2e%2e/flows', '/ui%2f..%2fflows', '/ui\\..\\flows', '/%E0%A4%A', '/ui/./x']) {
            assert.throws(() => canonicalPath(bad), Error, bad);
        }
    });

    it('with no user configured (loopback, no password) lets everything through but strips a forged token header', async function () {
        const s = await serve({ users: [] });
        try {
            const r = await s.request('/flows', { [TOKEN_HEADER]: 'forged:admin' });
            assert.strictEqual(r.status, 200);
            assert.deepStrictEqual(JSON.parse(r.body), { token: null });
        } finally { await s.close(); }
    });

    it('asks for a login on every path and socket, in any letter case or encoding', async function () {
        const s = await serve({ users });
        try {
            const paths = ['/', '/flows', '/red/main.min.js', '/ui/', '/UI/', '/Ui/index.html', '/dashboard/', '/Dashboard/', '/Dashboard/_setup',
                '/DASHBOARD/socket.io/?EIO=4&transport=polling', '//ui/', '/%75i/', '/%55I/'];
            for (const p of paths) {
                const r = await s.request(p);
                assert.strictEqual(r.status, 401, `${p}: ${r.status}`);
            }
            for (const p of ['/comms', '/ui/socket.io/?EIO=4&transport=websocket', '/Dashboard/socket.io/?EIO=4&transport=websocket']) {
                assert.strictEqual((await s.request(p, {}, true)).status, 401, `upgrade ${p}`);
                assert.strictEqual((await s.request(p, { Authorization: basic('admin', 'wrong') }, true)).status, 401, `upgrade ${p}, wrong password`);
            }
            for (const p of ['/ui/../flows', '/ui/%2e%2e/settings', '/ui%2f..%2fflows']) assert.strictEqual((await s.request(p, { Authorization: VIEWER })).status, 400, `viewer ${p}`);
            assert.strictEqual((await s.request('/ui/', { Authorization: basic('admin', 'Admin pass') })).status, 401, 'passwords are case-sensitive');
            assert.strictEqual((await s.request('/ui/', { Authorization: basic('Admin', 'admin pass') })).status, 401, 'user names too');
        } finally { await s.close(); }
    });

    it('admin: everything, and a token for Node-RED\'s adminAuth; viewer: the dashboards and their sockets only', async function () {
        const s = await serve({ users });
        try {
            for (const p of ['/', '/flows', '/ui/', '/Dashboard/_setup']) {
                const r = await s.request(p, { Authorization: ADMIN });
                assert.strictEqual(r.status, 200, p);
                const { token } = JSON.parse(r.body);
                assert.deepStrictEqual(await s.guard.tokens(token), { username: 'admin', permissions: '*' });
            }
            assert.strictEqual((await s.request('/comms', { Authorization: ADMIN }, true)).status, 101);
            for (const p of ['/ui/', '/UI/#!/1', '/dashboard/', '/Dashboard/_setup', '/ui/socket.io/?EIO=4&transport=polling']) {
                const r = await s.request(p, { Authorization: VIEWER });
                assert.strictEqual(r.status, 200, p);
                assert.deepStrictEqual(JSON.parse(r.body), { token: null }, 'no editor token for a viewer');
            }
            assert.strictEqual((await s.request('/dashboard/socket.io/?EIO=4&transport=websocket', { Authorization: VIEWER }, true)).status, 101);
            for (const p of ['/', '/flows', '/settings', '/red/main.min.js', '/uix', '/dashboardx/']) assert.strictEqual((await s.request(p, { Authorization: VIEWER })).status, 403, p);
            assert.strictEqual((await s.request('/comms', { Authorization: VIEWER }, true)).status, 403);
            for (const forged of ['', 'admin', 'x:admin', `${'0'.repeat(32)}:admin`]) assert.strictEqual(await s.guard.tokens(forged), null, forged);
        } finally { await s.close(); }
    });

    it('refuses a request or a socket that another site\'s page makes with the browser\'s credentials', async function () {
        const s = await serve({ users });
        try {
            assert.strictEqual((await s.request('/flows', { Authorization: ADMIN, Origin: 'http://evil.example' })).status, 403);
            assert.strictEqual((await s.request('/comms', { Authorization: ADMIN, Origin: 'http://evil.example' }, true)).status, 403);
            assert.strictEqual((await s.request('/flows', { Authorization: ADMIN, Origin: `http://127.0.0.1:${s.port}` })).status, 200);
            // behind a reverse proxy that passes the page's host on
            assert.strictEqual((await s.request('/flows', { Authorization: ADMIN, Origin: 'https://foodbank.example', 'X-Forwarded-Host': 'foodbank.example' })).status, 200);
        } finally { await s.close(); }
    });

    it('after 10 failed logins from an address, refuses it (429) even with the right password, and says so once', async function () {
        const lines = [];
        const s = await serve({ users, log: (l) => lines.push(l) });
        try {
            for (let i = 0; i < 10; i++) assert.strictEqual((await s.request('/ui/', { Authorization: basic('admin', `guess ${i}`) })).status, 401);
            assert.strictEqual((await s.request('/ui/', { Authorization: ADMIN })).status, 429);
            assert.strictEqual(lines.length, 1);
            assert.match(lines[0], /10 failed logins from 127\.0\.0\.1; refusing it for 10 min/);
            assert.ok(!lines[0].includes('guess'));
        } finally { await s.close(); }
    });
});
