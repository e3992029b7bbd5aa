'use strict';
// picochain-mongo-config + picochain-mongo-ts in the real Node-RED runtime against a real FerretDB
// 1.24 (SQLite): fallback mode, documents read back with the driver, batching, duplicates, retention
// purge, FerretDB killed and restarted mid-stream, start with the database down, buffer policies,
// close within 15 s, credentials never in flows/logs/errors; native time-series when MONGODB_URI
// names a MongoDB >= 5.
const assert = require('assert');
const helper = require('node-red-node-test-helper');
const { MongoClient } = require('mongodb');
const configNode = require('../../dist/nodes/picochain-mongo-config/picochain-mongo-config.js');
const writerNode = require('../../dist/nodes/picochain-mongo-ts/picochain-mongo-ts.js');
const { startFerretDB, freePort } = require('../../scripts/lib/services');
const { sleep, untilWith } = require('../support/wait');
const { collect, lastStatus: lastStatusOr } = require('../support/node-red');

const until = untilWith({ ms: 10000, every: 25 });

helper.init(require.resolve('node-red'));

const T0 = Date.now() - 3600 * 1000;
let dbCounter = 0;

function reading(i, over = {}) {
    const time = new Date(T0 + i * 1000);
    return {
        device: 'fridge-1', site: 'foodbank', sensor: 'temperature', unit: '°C', time, deviceTime: time,
        receivedAt: new Date(time.getTime() + 120), window: 60, count: 6, min: 3.9, max: 4.4, mean: 4 + i / 1000,
        std: 0.18, slope: 0.05, last: 4.2, seq: i % 65536, state: 0, source: 'json-v1', ...over,
    };
}

const lastStatus = (node) => lastStatusOr(node, {});

/** Records a node's log/warn/error/status calls into `into` (they outlive helper.unload's spies). */
function record(node, into) {
    for (const m of ['log', 'warn', 'error', 'status']) {
        const orig = node[m];
        node[m] = function (...args) {
            into.push({ m, text: JSON.stringify(args.map((a) => (a instanceof Error ? a.message : a))) });
            return orig.apply(this, args);
        };
    }
}

describe('picochain-mongo-ts node against FerretDB (Node-RED runtime)', function () {
    this.timeout(60000);
    let ferret;
    let client;

    before(async function () {
        ferret = await startFerretDB();
        client = new MongoClient(ferret.uri, { serverSelectionTimeoutMS: 5000 });
        await client.connect();
    });
    after(async function () {
        if (client) await client.close();
        if (ferret) await ferret.cleanup();
    });
    afterEach(async function () {
        await helper.unload();
        delete process.env.PICO_TEST_URI;
    });

    function flow(writer = {}, config = {}, uri = ferret.uri) {
        const db = `t${process.pid}_${++dbCounter}`;
        return {
            db,
            nodes: [
                { id: 'f1', type: 'tab', label: 'mongo' },
                { id: 'cfg', type: 'picochain-mongo-config', uri, database: db, connectTimeout: 1000, tls: false, ...config },
                { id: 'w', type: 'picochain-mongo-ts', z: 'f1', mongo: 'cfg', collection: 'readings', timeField: 'time', metaField: 'meta',
                    granularity: 'minutes', retention: 0, retentionUnit: 'd', batchSize: 100, batchDelay: 200, bufferSize: 10000,
                    overflow: 'drop-oldest', outputs: 1, version: 1, wires: [['out']], ...writer },
                { id: 'out', type: 'helper', z: 'f1' },
                { id: 'c1', type: 'catch', z: 'f1', scope: ['w'], uncaught: false, wires: [['caught']] },
                { id: 'caught', type: 'helper', z: 'f1' },
                { id: 'k1', type: 'complete', z: 'f1', scope: ['w'], uncaught: false, wires: [['completed']] },
                { id: 'completed', type: 'helper', z: 'f1' },
            ],
        };
    }

    async function load(f, credentials) {
        await helper.load([configNode, writerNode], f.nodes, credentials || {});
        const out = collect({ written: 'out', caught: 'caught', completed: 'completed' });
        return { w: helper.getNode('w'), cfg: helper.getNode('cfg'), out, coll: client.db(f.db).collection('readings') };
    }

    it('chooses fallback on FerretDB, says so in status and log, and creates the {meta.device, meta.sensor, time} index', async function () {
        const f = flow();
        const { w, coll } = await load(f);
        await until(() => w.stats().mode !== null, 'mode decided');
        assert.strictEqual(w.stats().mode, 'fallback');
        w.receive({ payload: reading(0) });
        await until(() => /^fallback 1$/.test(lastStatus(w).text || ''), `status "fallback 1", got ${JSON.stringify(lastStatus(w))}`);
        assert.strictEqual(lastStatus(w).fill, 'green');
        const modeLine = w.log.getCalls().map((c) => String(c.args[0])).find((l) => /^mode: fallback/.test(l));
        assert.ok(modeLine, 'the log says which mode');
        assert.match(modeLine, /refused a time-series collection/);
        const indexes = await coll.indexes();
        assert.ok(indexes.some((i) => JSON.stringify(i.key) === JSON.stringify({ 'meta.device': 1, 'meta.sensor': 1, time: 1 })), JSON.stringify(indexes));
        const info = await client.db(f.db).listCollections({ name: 'readings' }).toArray();
        assert.strictEqual(info[0].type, 'collection');
    });

    it('stores BSON dates and numbers, from Date objects and from JSON-serialised readings alike', async function () {
        const { w, out, coll } = await load(flow());
        w.receive({ payload: reading(1) });
        w.receive({ payload: JSON.parse(JSON.stringify([reading(2), reading(3, { sensor: 'probe1', mean: -18.25 })])) });
        await until(() => out.written.length === 2, 'two output messages');
        assert.deepStrictEqual(out.written.map((m) => [m.written, m.duplicates]), [[1, 0], [2, 0]]);
        const docs = await coll.find({}).sort({ time: 1, 'meta.sensor': 1 }).toArray();
        assert.strictEqual(docs.length, 3);
        for (const d of docs) {
            for (const f of ['time', 'deviceTime', 'receivedAt']) assert.ok(d[f] instanceof Date, `${f} is a BSON date, got ${typeof d[f]}`);
            for (const f of ['window', 'count', 'min', 'max', 'mean', 'std', 'slope', 'last', 'seq', 'state']) assert.strictEqual(typeof d[f], 'number', f);
            assert.strictEqual(d._id, `${d.meta.device}|${d.meta.sensor}|${d.time.getTime()}`);
        }
        assert.strictEqual(docs[2].mean, -18.25);
        assert.strictEqual(docs[0].time.getTime(), T0 + 1000);
        // the $type query proves the server holds dates, not strings
        assert.strictEqual(await coll.countDocuments({ time: { $type: 'date' } }), 3);
    });

    it('batches: 250 messages with batch 100 -> 3 insertMany calls', async function () {
        const { w, coll } = await load(flow({ batchSize: 100, batchDelay: 300 }));
        await until(() => w.stats().online, 'online');
        for (let i = 0; i < 250; i++) w.receive({ payload: reading(i) });
        await until(async () => (await coll.countDocuments()) === 250, '250 documents');
        assert.strictEqual(w.stats().batches, 3);
        assert.strictEqual(w.stats().written, 250);
    });

    it('stores a reading delivered twice once (same message, later message, after a restart of the node)', async function () {
        const f = flow();
        let { w, out, coll } = await load(f);
        w.receive({ payload: [reading(5), reading(5), reading(6)] });
        await until(() => out.written.length === 1, 'first write');
        w.receive({ payload: reading(5) });
        await until(() => out.written.length === 2, 'second write');
        assert.deepStrictEqual(out.written.map((m) => [m.written, m.duplicates]), [[2, 1], [0, 1]]);
        await helper.unload();
        ({ w, out } = await load(f));
        w.receive({ payload: [reading(6), reading(7)] });
        await until(() => out.written.length === 1, 'write after restart');
        assert.deepStrictEqual([out.written[0].written, out.written[0].duplicates], [1, 1]);
        assert.strictEqual(await coll.countDocuments(), 3);
    });

    it('refuses bad readings with done(err) and a counter, and still stores the good ones of the same array', async function () {
        const { w, out, coll } = await load(flow());
        w.receive({ payload: [reading(1), { device: 'x', sensor: 'y', time: 'garbage' }, reading(2, { mean: NaN }), { ...reading(3), $where: '1' }] });
        w.receive({ payload: 'not a reading' });
        await until(() => out.caught.length === 2, 'two errors at the catch node');
        assert.match(out.caught[0].error.message, /3 of 4 readings refused, not stored: reading 1: time is not a valid date/);
        assert.match(out.caught[1].error.message, /reading 0: not a reading object/);
        await until(async () => (await coll.countDocuments()) === 1, 'the good reading');
        await until(() => /fallback 1, 4 bad/.test(lastStatus(w).text || ''), `status counts bad readings, got ${lastStatus(w).text}`);
        assert.strictEqual(await coll.countDocuments({ $or: [{ $where: { $exists: true } }, { 'meta.device': 'x' }] }).catch(() => 0), 0);
    });

    it('retention purge (fallback) removes documents older than the retention', async function () {
        const f = flow({ retention: 1, retentionUnit: 'h' });
        const coll = client.db(f.db).collection('readings');
        const old = new Date(Date.now() - 3 * 3600 * 1000);
        await coll.insertMany([{ _id: 'old', time: old, meta: { device: 'd', sensor: 's' } }, { _id: 'new', time: new Date(), meta: { device: 'd', sensor: 's' } }]);
        const { w } = await load(f);
        await until(async () => (await coll.countDocuments({ _id: 'old' })) === 0, 'old document purged');
        assert.strictEqual(await coll.countDocuments({ _id: 'new' }), 1);
        assert.strictEqual(w.stats().purged, 1);
        assert.ok(w.log.getCalls().some((c) => /existing regular collection/.test(String(c.args[0]))), 'existing collection used as it is');
    });

    it('migrates a v0 config (no version, retention in seconds) and purges by it', async function () {
        const f = flow();
        const w0 = f.nodes[2];
        for (const k of ['version', 'retentionUnit', 'outputs']) delete w0[k];
        w0.retention = 3600; // v0: expireAfterSeconds
        const coll = client.db(f.db).collection('readings');
        const now = Date.now();
        await coll.insertMany([{ _id: 'old', time: new Date(now - 3 * 3600 * 1000) }, { _id: 'recent', time: new Date(now - 1800 * 1000) }]);
        const { w } = await load(f);
        await until(async () => (await coll.countDocuments({ _id: 'old' })) === 0, 'the 3 h old document purged (retention 3600 s)');
        assert.strictEqual(await coll.countDocuments({ _id: 'recent' }), 1);
        assert.strictEqual(w.stats().purged, 1);
    });

    it('FerretDB killed mid-stream and restarted on the same port: every reading present exactly once', async function () {
        this.timeout(90000);
        const own = await startFerretDB();
        try {
            const f = flow({ batchSize: 20, batchDelay: 100 }, {}, own.uri);
            const { w, out } = await load(f);
            await until(() => w.stats().online, 'online');
            const N = 300;
            const statuses = [];
            for (let i = 0; i < N; i++) {
                w.receive({ payload: reading(i) });
                if (i === 100) await own.stop({ kill: true });
                if (i === 200) {
                    await until(() => /buffering/.test(lastStatus(w).text || ''), `buffering status, got ${JSON.stringify(w.status.getCalls().slice(-5).map((c) => c.args[0]))} ${JSON.stringify(w.stats())}`, 15000);
                    statuses.push(lastStatus(w));
                    await own.restart();
                }
                await sleep(5);
            }
            const c = new MongoClient(own.uri, { serverSelectionTimeoutMS: 5000 });
            try {
                await c.connect();
                const coll = c.db(f.db).collection('readings');
                await until(async () => (await coll.countDocuments()) >= N && w.stats().pending === 0, `${N} documents`, 40000);
                const docs = await coll.find({}, { projection: { seq: 1 } }).toArray();
                assert.strictEqual(docs.length, N, 'exactly once');
                assert.deepStrictEqual(docs.map((d) => d.seq).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
                assert.strictEqual(statuses[0].fill, 'yellow');
                assert.strictEqual(out.caught.length, 0);
                await until(() => out.written.length === N, 'every message sent on after its write');
                assert.deepStrictEqual(out.written.map((m) => m.payload.seq), Array.from({ length: N }, (_, i) => i), 'written in arrival order across the outage');
                assert.strictEqual(out.written.reduce((a, m) => a + m.written + m.duplicates, 0), N);
            } finally {
                await c.close();
            }
        } finally {
            await helper.unload();
            await own.cleanup();
        }
    });

    it('starts with the database down: buffers (status, done) and writes in order once it is up', async function () {
        const port = await freePort();
        const f = flow({ batchSize: 10, batchDelay: 100 }, {}, `mongodb://127.0.0.1:${port}/`);
        const { w, out } = await load(f);
        for (let i = 0; i < 25; i++) w.receive({ payload: reading(i) });
        await until(() => lastStatus(w).text === 'buffering 25', `"buffering 25", got ${JSON.stringify(lastStatus(w))}`);
        assert.deepStrictEqual([lastStatus(w).fill, lastStatus(w).shape], ['yellow', 'ring']);
        await until(() => out.completed.length === 25, 'done() for every message: safely buffered');
        assert.strictEqual(out.written.length, 0);
        const own = await startFerretDB({ port });
        try {
            await until(() => out.written.length === 25, 'written after the database came up', 30000);
            assert.deepStrictEqual(out.written.map((m) => m.payload.seq), Array.from({ length: 25 }, (_, i) => i), 'in order');
            const c = new MongoClient(own.uri);
            await c.connect();
            const docs = await c.db(f.db).collection('readings').find({}).toArray();
            await c.close();
            assert.strictEqual(docs.length, 25);
            assert.deepStrictEqual(docs.map((d) => d.seq), Array.from({ length: 25 }, (_, i) => i), 'stored in arrival order');
        } finally {
            await helper.unload();
            await own.cleanup();
        }
    });

    for (const policy of ['reject', 'drop-oldest', 'drop-newest']) {
        it(`buffer bound (10) while the database is down, policy ${policy}: counted, logged, status`, async function () {
            const port = await freePort();
            const { w, out } = await load(flow({ batchSize: 5, bufferSize: 10, overflow: policy }, {}, `mongodb://127.0.0.1:${port}/`));
            for (let i = 0; i < 15; i++) w.receive({ payload: reading(i) });
            await until(() => out.completed.length + out.caught.length === 15, 'every message completed or failed');
            const s = w.stats();
            assert.strictEqual(s.pending, 10);
            const warns = w.warn.getCalls().map((c) => String(c.args[0])).filter((l) => /buffer full/.test(l));
            assert.strictEqual(warns.length, 1, 'logged once, then rate-limited');
            if (policy === 'reject') {
                assert.strictEqual(s.rejected, 5);
                assert.strictEqual(out.caught.length, 5);
                assert.match(out.caught[0].error.message, /buffer full \(10 readings\)/);
                await until(() => lastStatus(w).text === 'buffering 10', 'status');
            } else {
                assert.strictEqual(s.dropped, 5);
                assert.strictEqual(out.caught.length, 0);
                await until(() => lastStatus(w).text === 'buf 10 lost 5', `status, got ${lastStatus(w).text}`);
                assert.strictEqual(lastStatus(w).fill, 'red');
            }
        });
    }

    it('close flushes what it holds within 15 s (batch delay 60 s)', async function () {
        const f = flow({ batchSize: 1000, batchDelay: 60000, bufferSize: 10000 });
        const { w, cfg, coll } = await load(f);
        await until(() => w.stats().online, 'online');
        const conn = cfg.connection;
        assert.strictEqual(conn.userCount, 1);
        assert.ok(cfg.isConnected());
        for (let i = 0; i < 500; i++) w.receive({ payload: reading(i) });
        await sleep(50);
        assert.strictEqual(await coll.countDocuments(), 0, 'still waiting for the delay');
        const t0 = Date.now();
        await helper.unload();
        const took = Date.now() - t0;
        assert.ok(took < 15000, `closed in ${took} ms`);
        assert.strictEqual(await coll.countDocuments(), 500);
        // the config node closed its client after its user had flushed
        assert.strictEqual(conn.userCount, 0);
        assert.strictEqual(conn.currentState, 'disconnected');
        await assert.rejects(conn.getDb(), /closed/);
    });

    it('a close that comes before the collection is prepared still writes what it holds (Ctrl-C right after start)', async function () {
        const f = flow({ batchDelay: 5000 });
        const { w, coll } = await load(f);
        assert.strictEqual(w.stats().mode, null, 'not prepared yet');
        for (let i = 0; i < 5; i++) w.receive({ payload: reading(i) });
        await helper.unload();
        assert.strictEqual(await coll.countDocuments(), 5);
    });

    it('close with the database away ends within 15 s and logs what was lost', async function () {
        const port = await freePort();
        const { w } = await load(flow({}, {}, `mongodb://127.0.0.1:${port}/`));
        const seen = [];
        record(w, seen);
        for (let i = 0; i < 7; i++) w.receive({ payload: reading(i) });
        const t0 = Date.now();
        await helper.unload();
        const took = Date.now() - t0;
        assert.ok(took < 15000, `closed in ${took} ms`);
        assert.ok(seen.some((c) => c.m === 'error' && /closed with 7 of 7 buffered readings not written/.test(c.text)), JSON.stringify(seen));
    });

    it('credentials: declared as such, never in the flow, the logs, the status or error text', async function () {
        const pw = 'Tr0ub4dor&3-sekret';
        const port = await freePort();
        // the same password also typed into the connection string, the worst case
        const f = flow({}, { uri: `mongodb://alice:${encodeURIComponent(pw)}@127.0.0.1:${port}/` }, undefined);
        const seen = [];
        const logSpy = helper.log();
        const { w, cfg } = await load(f, { cfg: { user: 'alice', password: pw } });
        record(w, seen);
        record(cfg, seen);
        assert.strictEqual(cfg.credentials.password, pw, 'the runtime hands the credential to the node');
        for (let i = 0; i < 3; i++) w.receive({ payload: reading(i) });
        w.receive({ payload: { device: 'x' } });
        await sleep(2500);
        const runtimeLines = (helper.log() || logSpy).getCalls().map((c) => JSON.stringify(c.args[0]));
        await helper.unload();
        const texts = seen.map((c) => c.text).concat(runtimeLines);
        assert.ok(texts.length > 3, 'something was logged');
        assert.ok(texts.some((t) => /cannot reach MongoDB/.test(t)), 'the connection failure was logged');
        for (const t of texts) {
            assert.ok(!t.includes(pw) && !t.includes(encodeURIComponent(pw)), `password leaked: ${t}`);
        }
    });

    it('credentials are registered as credentials of the config type and kept out of the flow config', async function () {
        const pw = 'flow-file-must-not-hold-this';
        await helper.load([configNode, writerNode], flow().nodes, { cfg: { user: 'u', password: pw } });
        const RED = helper._RED;
        assert.deepStrictEqual(RED.nodes.getCredentialDefinition('picochain-mongo-config'), { user: { type: 'text' }, password: { type: 'password' } });
        // what the runtime saves as flows.json: no credential in it; the credential store has it apart
        const flows = JSON.stringify(RED.nodes.getFlows());
        assert.ok(flows.includes('picochain-mongo-config'));
        assert.ok(!flows.includes(pw) && !flows.includes('"user"') && !flows.includes('"password"'), flows);
        assert.strictEqual(RED.nodes.getCredentials('cfg').password, pw);
    });

    it('${VAR} environment variables work in the connection string and the database', async function () {
        process.env.PICO_TEST_URI = ferret.uri;
        const f = flow({}, { uri: '${PICO_TEST_URI}' });
        const host = new URL(ferret.uri).host;
        process.env.PICO_TEST_HOST = host;
        f.nodes[1].uri = 'mongodb://${PICO_TEST_HOST}/';
        const { w, coll } = await load(f);
        w.receive({ payload: reading(1) });
        await until(async () => (await coll.countDocuments()) === 1, 'written through env-var settings');
        await helper.unload();
        const g = flow({}, { uri: '${PICO_TEST_URI}' });
        const r = await load(g);
        r.w.receive({ payload: reading(2) });
        await until(async () => (await r.coll.countDocuments()) === 1, 'written with the whole field from the env');
    });

    it('native time-series on a real MongoDB >= 5 (MONGODB_URI), with the dedupe query', async function () {
        const uri = process.env.MONGODB_URI;
        if (!uri) {
            console.log('      skipped: MONGODB_URI is not set (native time-series needs a real MongoDB >= 5)');
            this.skip();
        }
        const c = new MongoClient(uri, { serverSelectionTimeoutMS: 3000 });
        let version;
        try {
            await c.connect();
            version = (await c.db('admin').command({ buildInfo: 1 })).version;
        } catch (err) {
            await c.close().catch(() => undefined);
            console.log(`      skipped: MONGODB_URI is not reachable (${err.message})`);
            this.skip();
        }
        const probeDb = c.db(`pc_probe_${process.pid}`);
        let native = false;
        try {
            await probeDb.createCollection('probe', { timeseries: { timeField: 't' } });
            native = (await probeDb.listCollections({ name: 'probe' }).toArray())[0].type === 'timeseries';
        } catch { /* not supported */ }
        await probeDb.dropDatabase().catch(() => undefined);
        if (!native) {
            await c.close();
            console.log(`      skipped: the server at MONGODB_URI (reports ${version}) has no time-series collections`);
            this.skip();
        }
        try {
            const f = flow({ retention: 30, retentionUnit: 'd' }, {}, uri);
            const { w, out } = await load(f);
            await until(() => w.stats().mode !== null, 'mode decided');
            assert.strictEqual(w.stats().mode, 'native');
            w.receive({ payload: [reading(1), reading(2)] });
            await until(() => out.written.length === 1, 'written');
            await helper.unload();
            const again = await load(f);
            again.w.receive({ payload: [reading(2), reading(3)] });
            await until(() => again.out.written.length === 1, 'written after restart');
            assert.deepStrictEqual([again.out.written[0].written, again.out.written[0].duplicates], [1, 1]);
            const info = (await c.db(f.db).listCollections({ name: 'readings' }).toArray())[0];
            assert.strictEqual(info.type, 'timeseries');
            assert.strictEqual(info.options.expireAfterSeconds, 30 * 86400);
            assert.strictEqual(await c.db(f.db).collection('readings').countDocuments(), 3);
            await c.db(f.db).dropDatabase();
        } finally {
            await c.close();
        }
    });
});
