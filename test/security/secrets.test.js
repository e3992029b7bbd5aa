'use strict';
// Secrets at rest and in the open. The credential secret (scripts/lib/secrets.js); then npm start
// itself (scripts/start.js, a child process) with a password everywhere: editor, viewer, the
// server's broker identity, Node-RED's credential secret, a database with authentication, a
// provisioned board. None of them may appear in the banner, any log line (debug level), any node
// status or error the editor receives, the exported flows, or any file of the data directory
// except the board's own config.json.
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');
const mqtt = require('mqtt');
const WebSocket = require('ws');
const services = require('../../scripts/lib/services');
const secrets = require('../../scripts/lib/secrets');
const { provision } = require('../../scripts/lib/provision');
const { until } = require('../support/wait');

const START = path.join(__dirname, '..', '..', 'scripts', 'start.js');

describe('the credential secret (scripts/lib/secrets.js)', function () {
    it('is generated once into the data directory (0600), kept, and taken from NODE_RED_CREDENTIAL_SECRET when set', function () {
        const dir = services.tmpDir('secret');
        try {
            const a = secrets.credentialSecret(dir, {});
            assert.strictEqual(a.created, true);
            assert.match(a.secret, /^[0-9a-f]{64}$/);
            const file = path.join(dir, 'credential-secret');
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
            fs.chmodSync(file, 0o644); // a careless copy
            const b = secrets.credentialSecret(dir, {});
            assert.deepStrictEqual([b.secret, b.created], [a.secret, false]);
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600, 'narrowed again');
            assert.deepStrictEqual(secrets.credentialSecret(dir, { NODE_RED_CREDENTIAL_SECRET: 'from env' }), { secret: 'from env', source: 'environment', created: false });
            fs.writeFileSync(file, 'short\n');
            assert.throws(() => secrets.credentialSecret(dir, {}), /holds no usable key/);
            assert.notStrictEqual(secrets.deriveSecret(a.secret, 'mqtt-server'), secrets.deriveSecret(b.secret + 'x', 'mqtt-server'));
        } finally { fs.rmSync(dir, { recursive: true, force: true }); }
    });

    it('re-encrypts a flows_cred.json written under the old fixed key, so its credentials survive', function () {
        const dir = services.tmpDir('rekey');
        try {
            const file = path.join(dir, 'flows_cred.json');
            const creds = { broker1: { user: 'u', password: 'kept password' } };
            fs.writeFileSync(file, JSON.stringify(secrets.encryptCredentials(secrets.OLD_DEFAULT_SECRET, creds)));
            assert.strictEqual(secrets.rekeyOldCredentials(file, 'new secret'), true);
            const data = JSON.parse(fs.readFileSync(file, 'utf8'));
            assert.deepStrictEqual(secrets.decryptCredentials('new secret', data), creds);
            assert.throws(() => secrets.decryptCredentials(secrets.OLD_DEFAULT_SECRET, data));
            assert.strictEqual(secrets.rekeyOldCredentials(file, 'new secret'), false, 'already under the new key');
        } finally { fs.rmSync(dir, { recursive: true, force: true }); }
    });
});

/** GET/POST with optional headers; resolves { status, text }. */
function request(url, { method = 'GET', headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method, headers }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, text }));
        });
        req.on('error', reject);
        req.end(body);
    });
}

describe('npm start with a password everywhere', function () {
    this.timeout(240000);
    const S = {
        editor: 'Editor pw #1 (ä)',
        viewer: 'Viewer pw #2',
        mqtt: 'Mqtt server pw #3',
        credential: 'Credential secret #4, long enough to be a key',
        db: 'Db pw #5 /@:?',
    };
    const basic = (u, p) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    let dataDir;
    let ferret;
    let child;
    let out = '';
    const comms = [];
    let board;
    let port;
    let ws;
    let exported;
    let outAtBanner = '';

    before(async function () {
        if (!services.ferretdbPath()) this.skip();
        dataDir = services.tmpDir('everywhere');
        ferret = await services.startFerretDB({ auth: { user: 'pcwriter', password: S.db, database: 'picochain' } });
        board = provision({ dataDir, site: 'demo', device: 'fridge-9', brokerHost: '127.0.0.1' });
        S.board = board.password;
        [port] = [await services.freePort()];
        const mqttPort = await services.freePort();
        const env = {
            ...process.env, HOST: '', MQTT_URL: '',
            NODE_RED_PASSWORD: S.editor, PICOCHAIN_VIEWER_PASSWORD: S.viewer, MQTT_USERNAME: 'nodered', MQTT_PASSWORD: S.mqtt,
            NODE_RED_CREDENTIAL_SECRET: S.credential, NODE_RED_LOG_LEVEL: 'debug',
        };
        const uri = `mongodb://pcwriter:${encodeURIComponent(S.db)}@127.0.0.1:${ferret.port}/picochain`;
        child = spawn(process.execPath, [START, '--port', String(port), '--mqtt-port', String(mqttPort), '--data', dataDir, '--devices', '2',
            '--scenario', path.join(__dirname, '..', '..', 'sim', 'scenarios', 'default.json'), '--mongodb-uri', uri], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (d) => { out += d; });
        child.stderr.on('data', (d) => { out += d; });
        await until(() => /Ctrl-C stops everything/.test(out), () => `the banner:\n${out}`, 90000, { every: 100 });
        outAtBanner = out;
        // what the editor receives: every node status, debug message and notification
        ws = new WebSocket(`ws://127.0.0.1:${port}/comms`, { headers: { Authorization: basic('admin', S.editor) } });
        ws.on('message', (d) => comms.push(String(d)));
        await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
        for (const t of ['status/#', 'debug', 'notification/#']) ws.send(JSON.stringify({ subscribe: t }));
    });

    after(async function () {
        if (child && child.exitCode === null) { child.kill('SIGKILL'); await new Promise((r) => child.once('exit', r)); }
        if (ferret) await ferret.cleanup();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('runs: simulated boards (their own identities) and a provisioned board are stored in the authenticated database', async function () {
        const { MongoClient } = require('mongodb');
        const db = await MongoClient.connect(`${ferret.uri}picochain`, { auth: { username: 'pcwriter', password: S.db } });
        const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${new URL(/^ +MQTT +(\S+)/m.exec(out)[1]).port}`, { username: board.username, password: board.password });
        try {
            const col = db.db('picochain').collection('readings');
            const ts = Math.floor(Date.now() / 1000) - 600;
            // a good frame, and a bad one (an error for the Catch node and the debug sidebar)
            for (let seq = 1; seq < 60 && await col.countDocuments({ 'meta.device': 'fridge-9' }) === 0; seq++) {
                await c.publishAsync('picochain/demo/fridge-9/stats', JSON.stringify({ v: 1, device: 'fridge-9', seq, ts: ts + seq, window: 60, sensors: [{ sensor: 'probe1', count: 6, min: 3, max: 5, mean: 4, std: 0.5, slope: 0, last: 4 }] }), { qos: 1 });
                await new Promise((r) => setTimeout(r, 1000));
            }
            await c.publishAsync('picochain/demo/fridge-9/stats', '{"v":1,"device":"fridge-9","seq":"x"}', { qos: 1 });
            await until(async () => (await col.distinct('meta.device')).length >= 3, async () => `readings of the 2 boards and fridge-9: ${await col.distinct('meta.device')}\n${out.slice(-3000)}`, 60000, { every: 500 });
            await until(() => comms.some((m) => /"topic":"debug"/.test(m)), 'the bad frame in the debug sidebar', 20000, { every: 100 });
            assert.ok(comms.some((m) => /"topic":"status\//.test(m)), 'node statuses reached the editor');
        } finally {
            await c.endAsync();
            await db.close();
        }
    });

    it('the first start: Node-RED logs in to the broker with its identity from its first connection (no refused login)', function () {
        assert.doesNotMatch(outAtBanner, /MQTT: refused|broker refused the connection/, outAtBanner);
    });

    it('one guard: pages and sockets need a login in any letter case; the viewer sees the dashboards only; the editor needs no second login', async function () {
        const base = `http://127.0.0.1:${port}`;
        for (const p of ['/', '/flows', '/ui/', '/UI/', '/Dashboard/', '/Dashboard/_setup', '/dashboard/socket.io/?EIO=4&transport=polling']) {
            assert.strictEqual((await request(`${base}${p}`)).status, 401, p);
        }
        const viewer = { Authorization: basic('viewer', S.viewer) };
        assert.strictEqual((await request(`${base}/ui/`, { headers: viewer })).status, 200);
        assert.strictEqual((await request(`${base}/dashboard/_setup`, { headers: viewer })).status, 200);
        assert.strictEqual((await request(`${base}/flows`, { headers: viewer })).status, 403);
        const admin = { Authorization: basic('admin', S.editor) };
        const flows = await request(`${base}/flows`, { headers: admin });
        assert.strictEqual(flows.status, 200, 'the guard\'s login carries into Node-RED\'s adminAuth');
        exported = flows.text;
        // wrong passwords (each one another secret) at the pages and at the broker, for the logs
        for (const p of [S.viewer, S.mqtt]) assert.strictEqual((await request(`${base}/ui/`, { headers: { Authorization: basic('admin', p) } })).status, 401);
        const mqttPort = new URL(/^ +MQTT +(\S+)/m.exec(out)[1]).port;
        for (const [u, p] of [['nodered', S.editor], [board.username, S.credential], ['nodered', S.db]]) {
            const refused = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: u, password: p, reconnectPeriod: 0 }).then((c) => { c.end(true); return false; }, () => true);
            assert.ok(refused, `${u} with a wrong password`);
        }
        await until(() => /MQTT: refused "nodered"/.test(out), 'a warning line for the refused login', 10000, { every: 100 });
    });

    it('no password, key or secret in the banner, any log line, status, error, exported flow or data file', async function () {
        const base = `http://127.0.0.1:${port}`;
        const admin = { Authorization: basic('admin', S.editor) };
        const list = JSON.parse(exported);
        const mongo = list.find((n) => n.type === 'picochain-mongo-config');
        const texts = {
            'exported flows': exported,
            settings: (await request(`${base}/settings`, { headers: admin })).text,
            'mongo credentials (editor API)': (await request(`${base}/credentials/picochain-mongo-config/${mongo.id}`, { headers: admin })).text,
            'broker credentials (editor API)': (await request(`${base}/credentials/picochain-broker/${list.find((n) => n.type === 'picochain-broker').id}`, { headers: admin })).text,
        };
        ws.close();
        child.kill('SIGINT');
        await new Promise((r) => child.once('exit', r));
        assert.strictEqual(child.exitCode, 0, out.slice(-2000));
        texts['banner and every log line (debug level)'] = out;
        texts['statuses, debug messages and notifications sent to the editor'] = comms.join('\n');
        // the data directory, file by file (the board's config.json holds its own password, by design)
        const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
        const files = walk(dataDir);
        assert.ok(files.some((f) => f.endsWith('flows_cred.json')), 'Node-RED stored (encrypted) credentials');
        for (const f of files) {
            if (f === board.configFile) continue;
            texts[path.relative(dataDir, f)] = fs.readFileSync(f).toString('latin1') + fs.readFileSync(f).toString('utf8');
        }
        const forms = (s) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64'), JSON.stringify(s).slice(1, -1)];
        const leaks = [];
        for (const [where, text] of Object.entries(texts)) {
            for (const [name, s] of Object.entries(S)) if (forms(s).some((f) => text.includes(f))) leaks.push(`${name} in ${where}`);
        }
        assert.deepStrictEqual(leaks, []);
        // and what should be there is there, so the search looked at real text
        assert.match(texts['banner and every log line (debug level)'], /database +external, mongodb:\/\/\*\*\*@127\.0\.0\.1/);
        assert.ok(texts['statuses, debug messages and notifications sent to the editor'].length > 1000);
    });
});
