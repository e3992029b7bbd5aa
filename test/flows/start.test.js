'use strict';
// scripts/start.js (npm start): safe defaults, one-line failures, Ctrl-C stops and flushes,
// a second start reuses the data. Runs the real command in child processes.
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const services = require('../../scripts/lib/services');
const { resolveOptions, hashPassword, StartError } = require('../../scripts/lib/chain');
const { provision } = require('../../scripts/lib/provision');
const { sleep } = require('../support/wait');

const START = path.join(__dirname, '..', '..', 'scripts', 'start.js');

/** Runs `node scripts/start.js args`; resolves {code, out, err} on exit, or the child when `until` matches stdout. */
function run(args, { env = {}, until = null, timeoutMs = 60000 } = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [START, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timeout; out:\n${out}\nerr:\n${err}`)); }, timeoutMs);
        child.stdout.on('data', (d) => {
            out += d;
            if (until && until.test(out)) { clearTimeout(timer); resolve({ child, out: () => out, err: () => err }); }
        });
        child.stderr.on('data', (d) => { err += d; });
        child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
    });
}

function waitExit(child, ms = 30000) {
    return new Promise((resolve, reject) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        const t = setTimeout(() => reject(new Error('did not exit')), ms);
        child.once('exit', (code) => { clearTimeout(t); resolve(code); });
    });
}

function portOpen(port) {
    return new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
    });
}

describe('npm start (scripts/start.js)', function () {
    this.timeout(90000);
    const noEnv = { HOST: '', PORT: '', MQTT_URL: '', MONGODB_URI: '', NODE_RED_PASSWORD: '', NODE_RED_PASSWORD_HASH: '', MQTT_USERNAME: '', MQTT_PASSWORD: '' };

    it('--help explains the flags', async function () {
        const r = await run(['--help'], { env: noEnv });
        assert.strictEqual(r.code, 0);
        for (const f of ['--port', '--mqtt-port', '--devices', '--speed', '--no-sim', '--mqtt-url', '--mongodb-uri', '--host']) assert.ok(r.out.includes(f), f);
    });

    it('refuses a non-loopback address without an editor password, or with an external broker without credentials, in one line', async function () {
        const r = await run(['--host', '0.0.0.0'], { env: noEnv });
        assert.strictEqual(r.code, 1);
        const lines = r.err.trim().split('\n');
        assert.strictEqual(lines.length, 1, r.err);
        assert.match(lines[0], /refusing to listen on 0\.0\.0\.0 without NODE_RED_PASSWORD \(or NODE_RED_PASSWORD_HASH\): set them/);
        const ext = await run(['--host', '0.0.0.0', '--mqtt-url', 'mqtt://broker.lan:1883'], { env: { ...noEnv, NODE_RED_PASSWORD: 'editor pass' } });
        assert.strictEqual(ext.code, 1);
        assert.strictEqual(ext.err.trim().split('\n').length, 1, ext.err);
        assert.match(ext.err, /refusing to listen on 0\.0\.0\.0 without credentials for the external broker \(MQTT_USERNAME and MQTT_PASSWORD, or in MQTT_URL\)/);
    });

    it('accepts a non-loopback address with an editor password (the embedded broker always asks for identities), with a bcrypt hash for the editor', function () {
        const o = resolveOptions({ host: '0.0.0.0' }, { NODE_RED_PASSWORD: 'correct horse' });
        assert.strictEqual(o.host, '0.0.0.0');
        assert.ok(resolveOptions({ host: '0.0.0.0', mqttUrl: 'mqtts://u:p@broker.lan:8883' }, { NODE_RED_PASSWORD: 'x' }), 'credentials in the URL count');
        assert.ok(resolveOptions({ host: '0.0.0.0', mqttUrl: 'mqtts://broker.lan:8883' }, { NODE_RED_PASSWORD: 'x', MQTT_USERNAME: 'u', MQTT_PASSWORD: 'p' }));
        assert.throws(() => resolveOptions({ host: '192.168.1.10', mqttUrl: 'mqtts://broker.lan:8883' }, { NODE_RED_PASSWORD: 'x', MQTT_USERNAME: 'u' }), StartError);
        assert.throws(() => resolveOptions({ host: '192.168.1.10' }, { MQTT_USERNAME: 'a', MQTT_PASSWORD: 'b' }), StartError);
        assert.throws(() => resolveOptions({}, { PICOCHAIN_VIEWER_PASSWORD: 'v' }), /a viewer password .* needs an editor password too/);
        const hash = hashPassword('correct horse');
        assert.match(hash, /^\$2[aby]\$10\$/);
        assert.ok(require('bcryptjs').compareSync('correct horse', hash));
        assert.strictEqual(resolveOptions({}, {}).host, '127.0.0.1', 'loopback by default');
    });

    it('a busy port gives one line saying what to do', async function () {
        const srv = net.createServer().listen(0, '127.0.0.1');
        await new Promise((r) => srv.once('listening', r));
        const port = srv.address().port;
        try {
            const r = await run(['--port', String(port), '--no-sim'], { env: noEnv });
            assert.strictEqual(r.code, 1);
            assert.strictEqual(r.err.trim().split('\n').length, 1, r.err);
            assert.match(r.err, new RegExp(`port ${port} \\(Node-RED\\) is busy on 127\\.0\\.0\\.1: stop what uses it or pass --port`));
        } finally {
            srv.close();
        }
    });

    it('a missing database gives one line saying what to do', async function () {
        const r = await run(['--port', '0', '--mqtt-port', '0', '--no-sim'], {
            env: { ...noEnv, PICOCHAIN_CACHE: services.tmpDir('nocache'), PATH: path.dirname(process.execPath), PICOCHAIN_NO_MONGOD: '1' },
        });
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.err.trim().split('\n').length, 1, r.err);
        assert.match(r.err, /no database: set MONGODB_URI, install mongod, or build FerretDB/);
    });

    it('starts within 60 s, stops everything on Ctrl-C (flushing), and a second start reuses the data', async function () {
        if (!services.ferretdbPath()) this.skip();
        const dataDir = services.tmpDir('start');
        // the embedded broker admits only identities: this test publishes as a provisioned board
        const board = provision({ dataDir, site: 'test', device: 'fridge-9', brokerHost: '127.0.0.1' });
        const [port, mqttPort, dbPort] = [await services.freePort(), await services.freePort(), await services.freePort()];
        const args = ['--port', String(port), '--mqtt-port', String(mqttPort), '--db-port', String(dbPort), '--data', dataDir, '--no-sim'];
        const t0 = Date.now();
        const first = await run(args, { env: noEnv, until: /Ctrl-C stops everything/ });
        const startupS = (Date.now() - t0) / 1000;
        console.log(`      ready in ${startupS.toFixed(1)} s (process start to URLs printed)`);
        assert.ok(startupS < 60);
        assert.match(first.out(), new RegExp(`editor +http://127\\.0\\.0\\.1:${port}/`));
        assert.match(first.out(), /dashboard +http:\/\/127\.0\.0\.1:\d+\/ui\//);
        assert.match(first.out(), /dashboard 2 +http:\/\/127\.0\.0\.1:\d+\/dashboard\//);
        assert.match(first.out(), /flows +the shipped flows/);

        // frames through the embedded broker into the database; the flow's MQTT client subscribes
        // a moment after the URLs are printed, so publish until the first one is stored
        const mqtt = require('mqtt');
        const { MongoClient } = require('mongodb');
        const count = async () => {
            const c = await MongoClient.connect(`mongodb://127.0.0.1:${dbPort}/`, { serverSelectionTimeoutMS: 5000 });
            try { return await c.db('picochain').collection('readings').countDocuments({ 'meta.device': 'fridge-9' }); } finally { await c.close(); }
        };
        assert.ok(await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 }).then((c) => c.end(true) && false, () => true), 'an anonymous client is refused');
        const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: board.username, password: board.password });
        const ts0 = Math.floor(Date.now() / 1000) - 3600;
        let seq = 0;
        let stored = 0;
        for (const deadline = Date.now() + 30000; stored === 0 && Date.now() < deadline;) {
            seq += 1;
            await client.publishAsync('picochain/test/fridge-9/stats', JSON.stringify({ v: 1, device: 'fridge-9', site: 'test', seq, ts: ts0 + seq * 60, window: 60, sensors: [{ sensor: 'probe1', unit: '°C', count: 6, min: 3, max: 5, mean: 4, std: 0.5, slope: 0, last: 4, state: 0 }] }), { qos: 1 });
            await sleep(1000);
            stored = await count();
        }
        await client.endAsync();
        assert.ok(stored >= 1, 'a frame went through broker, flow and writer');

        // Ctrl-C: the writer flushes what it holds before the database stops
        first.child.kill('SIGINT');
        assert.strictEqual(await waitExit(first.child), 0, first.err());
        assert.match(first.out(), /stopped in/);
        for (const p of [port, mqttPort, dbPort]) assert.strictEqual(await portOpen(p), false, `port ${p} closed after Ctrl-C`);

        const second = await run(args, { env: noEnv, until: /Ctrl-C stops everything/ });
        try {
            assert.match(second.out(), /flows +your flows/);
            assert.ok(await count() >= stored, 'the readings stored before the restart are still there');
            assert.ok(fs.existsSync(path.join(dataDir, 'ferretdb')));
        } finally {
            second.child.kill('SIGINT');
            await waitExit(second.child);
            fs.rmSync(dataDir, { recursive: true, force: true });
        }
    });
});

describe('npm start with broker credentials', function () {
    this.timeout(200000);
    it('the embedded broker admits only identities: the shipped flow as MQTT_USERNAME, each simulated board as itself, a provisioned board; an editor password protects editor and dashboards', async function () {
        if (!services.ferretdbPath()) this.skip();
        const { startChainProcess } = require('../browser/support/chain');
        const dataDir = services.tmpDir('auth');
        const board = provision({ dataDir, site: 'auth', device: 'fridge-7', brokerHost: '127.0.0.1' });
        const env = { MQTT_USERNAME: 'pico', MQTT_PASSWORD: 's3cret pass', NODE_RED_PASSWORD: 'editor pass' };
        const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
        Object.assign(process.env, env); // inherited by the chain's process
        let chain;
        try {
            chain = await startChainProcess({ port: 0, mqttPort: 0, dbPort: 0, dataDir, devices: 1, scenario: null, logLevel: 'warn' });
        } finally {
            for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
        }
        try {
            const mqtt = require('mqtt');
            const refused = await mqtt.connectAsync(chain.info.mqttUrl, { reconnectPeriod: 0, connectTimeout: 3000 }).then((c) => { c.end(true); return false; }, () => true);
            assert.ok(refused, 'anonymous client refused');
            const c = await mqtt.connectAsync(chain.info.mqttUrl, { username: board.username, password: board.password, reconnectPeriod: 0 });
            // the board's frame reaches the database through the flow (whose broker node logged in
            // as "pico" with Node-RED credentials), and so do the simulated board's
            const { MongoClient } = require('mongodb');
            const db = await MongoClient.connect(chain.info.mongodbUri);
            try {
                const col = db.db(chain.info.database).collection('readings');
                let mine = 0;
                for (let seq = 1, deadline = Date.now() + 60000; mine === 0 && Date.now() < deadline; seq++) {
                    await c.publishAsync('picochain/auth/fridge-7/stats', JSON.stringify({ v: 1, device: 'fridge-7', seq, ts: Math.floor(Date.now() / 1000) - 600 + seq, window: 60, sensors: [{ sensor: 'probe1', count: 6, min: 3, max: 5, mean: 4, std: 0.5, slope: 0, last: 4 }] }), { qos: 1 });
                    await sleep(1000);
                    mine = await col.countDocuments({ 'meta.device': 'fridge-7' });
                }
                assert.ok(mine > 0, `stored through the flow: ${mine}\n${chain.log().slice(-2000)}`);
                const sim = chain.info.devices[0].id;
                let n = 0;
                for (const deadline = Date.now() + 45000; n === 0 && Date.now() < deadline;) {
                    n = await col.countDocuments({ 'meta.device': sim });
                    if (n === 0) await sleep(1000);
                }
                assert.ok(n > 0, `${sim}'s readings stored: ${n}\n${chain.log().slice(-2000)}`);
            } finally {
                await c.endAsync();
                await db.close();
            }
            // the editor API needs the password (the guard, then adminAuth), the dashboards too
            const http = require('http');
            const get = (url, headers = {}) => new Promise((resolve, reject) => http.get(url, { headers }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject));
            assert.strictEqual(await get(`${chain.info.editorUrl}flows`), 401);
            assert.strictEqual(await get(chain.info.dashboardUrl), 401);
            assert.strictEqual(await get(`${chain.info.dashboard2Url}socket.io/?EIO=4&transport=polling`), 401);
            assert.strictEqual(await get(chain.info.dashboardUrl, { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` }), 401);
            const admin = { authorization: `Basic ${Buffer.from('admin:editor pass').toString('base64')}` };
            assert.strictEqual(await get(chain.info.dashboardUrl, admin), 200);
            // Node-RED's own login still works behind the guard, for API clients
            const token = await new Promise((resolve, reject) => {
                const body = 'client_id=node-red-admin&grant_type=password&scope=*&username=admin&password=editor%20pass';
                const req = http.request(`${chain.info.editorUrl}auth/token`, { method: 'POST', headers: { ...admin, 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } }, (res) => {
                    let t = '';
                    res.on('data', (d) => { t += d; });
                    res.on('end', () => resolve({ status: res.statusCode, body: t }));
                });
                req.on('error', reject);
                req.end(body);
            });
            assert.strictEqual(token.status, 200, token.body);
            assert.strictEqual(await get(`${chain.info.editorUrl}flows`, admin), 200);
            const flows = JSON.parse(fs.readFileSync(path.join(dataDir, 'node-red', 'flows.json'), 'utf8').toString() || '[]');
            assert.ok(!JSON.stringify(flows).includes('s3cret'), 'the password is not in flows.json');
        } finally {
            await chain.stop();
            fs.rmSync(dataDir, { recursive: true, force: true });
        }
    });
});

describe('npm start with an external broker and database', function () {
    this.timeout(60000);
    it('uses MQTT_URL (Mosquitto) and MONGODB_URI as given, starting neither', async function () {
        if (!services.ferretdbPath()) this.skip();
        let mosq;
        try { mosq = await services.startMosquitto(); } catch (e) { console.log(`      skipped: ${e.message}`); this.skip(); }
        const fdb = await services.startFerretDB();
        const { startChainProcess } = require('../browser/support/chain');
        let chain;
        try {
            // credentials in the URL (this Mosquitto takes anyone): used, but never shown
            const withCreds = mosq.url.replace('mqtt://', 'mqtt://ext-user:ext%20pass@');
            chain = await startChainProcess({ port: 0, dataDir: services.tmpDir('ext'), sim: false, mqttUrl: withCreds, mongodbUri: fdb.uri, database: 'extdb', logLevel: 'warn' });
            assert.strictEqual(chain.info.mqttUrl, mosq.url.replace('mqtt://', 'mqtt://ext-user:***@'), 'the URL the banner shows');
            assert.ok(!/ext%20pass|ext pass/.test(chain.log()));
            assert.strictEqual(chain.info.mongodbUri, fdb.uri);
            assert.strictEqual(chain.info.dbKind, 'external');
            const mqtt = require('mqtt');
            const { MongoClient } = require('mongodb');
            const client = await mqtt.connectAsync(mosq.url);
            const db = await MongoClient.connect(fdb.uri);
            try {
                let n = 0;
                for (let seq = 1, deadline = Date.now() + 30000; n === 0 && Date.now() < deadline; seq++) {
                    await client.publishAsync('picochain/ext/fridge-8/stats', JSON.stringify({ v: 1, device: 'fridge-8', seq, ts: Math.floor(Date.now() / 1000) - 600 + seq, window: 60, sensors: [{ sensor: 'probe1', count: 6, min: 3, max: 5, mean: 4, std: 0.5, slope: 0, last: 4 }] }), { qos: 1 });
                    await sleep(1000);
                    n = await db.db('extdb').collection('readings').countDocuments({ 'meta.device': 'fridge-8' });
                }
                assert.ok(n > 0, `stored through Mosquitto into the external database:\n${chain.log().slice(-1500)}`);
            } finally {
                await client.endAsync();
                await db.close();
            }
        } finally {
            if (chain) { await chain.stop(); fs.rmSync(chain.info.dataDir, { recursive: true, force: true }); }
            await fdb.cleanup();
            await mosq.cleanup();
        }
    });
});
