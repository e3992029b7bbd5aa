'use strict';
// picochain-mongo-config + picochain-mongo-ts in the real Node-RED runtime against a real FerretDB
// 1.24 (SQLite), each test with its own Node-RED user directory (writer-flow.js): fallback mode,
// documents read back with the driver, per-batch output, duplicates and conflicts, retention purge,
// FerretDB killed and restarted mid-stream, close within 15 s, credentials never in
// flows/logs/errors; native time-series when MONGODB_URI names a MongoDB >= 5. The spool's
// guarantees in the runtime: node-spool.test.js.
const assert = require('assert');
const helper = require('node-red-node-test-helper');
const { MongoClient } = require('mongodb');
const { startFerretDB, freePort } = require('../../scripts/lib/services');
const { sleep } = require('../support/wait');
const { T0, reading, lastStatus, total, record, until, writerFlows, configNode, writerNode } = require('./writer-flow');

describe('picochain-mongo-ts node against FerretDB (Node-RED runtime)', function () {
    this.timeout(60000);
    const t = writerFlows();
    const { flow, load } = t;

    it('chooses fallback on FerretDB, says so in status and log, and keeps no index FerretDB would not use', async function () {
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
        assert.match(modeLine, /with no secondary index \(the server's explain reports no filter or sort pushdown/);
        const indexes = await coll.indexes();
        assert.deepStrictEqual(indexes.map((i) => i.name), ['_id_'], JSON.stringify(indexes));
        const info = await t.client.db(f.db).listCollections({ name: 'readings' }).toArray();
        assert.strictEqual(info[0].type, 'collection');
    });

    it('stores BSON dates and numbers, from Date objects and from JSON-serialised readings alike', async function () {
        const { w, out, coll } = await load(flow());
        w.receive({ payload: reading(1) });
        w.receive({ payload: JSON.parse(JSON.stringify([reading(2), reading(3, { sensor: 'probe1', mean: -18.25 })])) });
        await until(() => total(out.written, 'written') === 3, 'three readings reported written');
        for (const m of out.written) {
            assert.strictEqual(m.topic, 'stored');
            assert.deepStrictEqual(Object.keys(m.payload).sort(), ['conflicts', 'devices', 'duplicates', 'failed', 'queued', 'written']);
        }
        assert.strictEqual(out.written.at(-1).payload.queued, 0);
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
        assert.deepStrictEqual(out.written.map((m) => [m.payload.written, m.payload.duplicates, m.payload.conflicts.length]), [[2, 1, 0], [0, 1, 0]]);
        await helper.unload();
        ({ w, out } = await load(f));
        w.receive({ payload: [reading(6), reading(7)] });
        await until(() => out.written.length === 1, 'write after restart');
        assert.deepStrictEqual([out.written[0].payload.written, out.written[0].payload.duplicates], [1, 1]);
        assert.strictEqual(await coll.countDocuments(), 3);
    });

    it('a reading stored with other values is a conflict: reported in the output, kept in <collection>_conflicts, warned', async function () {
        const f = flow();
        const { w, out, coll } = await load(f);
        w.receive({ payload: reading(1) });
        await until(() => out.written.length === 1, 'first write');
        w.receive({ payload: reading(1, { mean: 9.75 }) });
        await until(() => out.written.length === 2, 'second write');
        const p = out.written[1].payload;
        assert.deepStrictEqual([p.written, p.duplicates, p.conflicts.length], [0, 0, 1]);
        assert.deepStrictEqual([p.conflicts[0].stored.mean, p.conflicts[0].received.mean], [reading(1).mean, 9.75]);
        assert.strictEqual((await coll.findOne({ _id: p.conflicts[0].key })).mean, reading(1).mean, 'the first value is kept');
        const apart = await t.client.db(f.db).collection('readings_conflicts').find({}).toArray();
        assert.deepStrictEqual(apart.map((d) => [d.conflictOf, d.mean]), [[p.conflicts[0].key, 9.75]]);
        assert.ok(apart[0].time instanceof Date);
        assert.ok(w.warn.getCalls().some((c) => /conflicting reading .*1 conflicts so far/.test(String(c.args[0]))));
        assert.strictEqual(w.stats().conflicts, 1);
    });

    it('refuses bad readings with done(err) and a counter, and still stores the good ones of the same array', async function () {
        const { w, out, coll } = await load(flow());
        w.receive({ payload: [reading(1), { device: 'x', sensor: 'y', time: 'garbage' }, reading(2, { mean: NaN }), { ...reading(3), $where: '1' }] });
        w.receive({ payload: 'not a reading' });
        await until(() => out.caught.length === 2, 'two errors at the catch node');
        const errors = out.caught.map((m) => m.error.message).sort();
        assert.match(errors[0], /^Error: 1 of 1 readings refused, not stored: reading 0: not a reading object/);
        assert.match(errors[1], /^Error: 3 of 4 readings refused, not stored: reading 1: time is not a valid date/);
        await until(async () => (await coll.countDocuments()) === 1, 'the good reading');
        await until(() => /fallback 1, 4 bad/.test(lastStatus(w).text || ''), `status counts bad readings, got ${lastStatus(w).text}`);
        assert.strictEqual(await coll.countDocuments({ $or: [{ $where: { $exists: true } }, { 'meta.device': 'x' }] }).catch(() => 0), 0);
    });

    it('retention purge (fallback) removes documents older than the retention', async function () {
        const f = flow({ retention: 1, retentionUnit: 'h' });
        const coll = t.client.db(f.db).collection('readings');
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
        const coll = t.client.db(f.db).collection('readings');
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
                    await until(() => /^spooled \d+$/.test(lastStatus(w).text || ''), `spooled status, got ${JSON.stringify(w.status.getCalls().slice(-5).map((c) => c.args[0]))} ${JSON.stringify(w.stats())}`, 15000);
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
                await until(() => out.completed.length === N, 'every message done');
                const reported = total(out.written, 'written') + total(out.written, 'duplicates');
                assert.ok(reported >= N, `every reading reported by a batch (${reported})`);
                assert.strictEqual(total(out.written, 'conflicts') + total(out.written, 'failed'), 0);
            } finally {
                await c.close();
            }
        } finally {
            await helper.unload();
            await own.cleanup();
        }
    });

    it('close drains what the spool holds within 15 s (batch delay 60 s)', async function () {
        const f = flow({ batchSize: 1000, batchDelay: 60000 });
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
        // the config node closed its client after its user had drained
        assert.strictEqual(conn.userCount, 0);
        assert.strictEqual(conn.currentState, 'disconnected');
        await assert.rejects(conn.getDb(), /closed/);
    });

    it('a close before the collection is prepared (Ctrl-C right after start) keeps the readings for the next start', async function () {
        const f = flow({ batchDelay: 5000 });
        let { w, coll } = await load(f);
        assert.strictEqual(w.stats().mode, null, 'not prepared yet');
        for (let i = 0; i < 5; i++) w.receive({ payload: reading(i) });
        await helper.unload();
        ({ w, coll } = await load(f));
        await until(async () => (await coll.countDocuments()) === 5, 'the 5 readings, written from the spool or at close');
        await sleep(300);
        assert.strictEqual(await coll.countDocuments(), 5);
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
        helper.settings({ userDir: t.userDir });
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
        process.env.PICO_TEST_URI = t.ferret.uri;
        const f = flow({}, { uri: '${PICO_TEST_URI}' });
        const host = new URL(t.ferret.uri).host;
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
            assert.deepStrictEqual([again.out.written[0].payload.written, again.out.written[0].payload.duplicates], [1, 1]);
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
