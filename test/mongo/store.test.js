'use strict';
// picochain-mongo-ts store + writer core against a real FerretDB, without Node-RED: collection
// preparation (mode detection by capability, indexes, existing collections), and the native-mode
// dedupe query run on a real server (forced: FerretDB has no time-series collections).
const assert = require('assert');
const { MongoClient } = require('mongodb');
const { startFerretDB } = require('../../scripts/lib/services');
const { prepareStore, MongoStore } = require('../../dist/nodes/picochain-mongo-ts/store');
const { WriterCore } = require('../../dist/nodes/picochain-mongo-ts/core');
const { toDocument } = require('../../dist/nodes/picochain-mongo-ts/document');

const FIELDS = { timeField: 'time', metaField: 'meta' };
const SETTINGS = { collection: 'readings', ...FIELDS, granularity: 'minutes', retentionS: 0 };
const T0 = Date.parse('2026-02-01T00:00:00Z');
const mapped = (i, device = 'fridge-1') => toDocument({ device, sensor: 'temperature', time: new Date(T0 + i * 60000), mean: i, count: 1 }, FIELDS, new Date());

describe('picochain-mongo-ts store against FerretDB (no Node-RED)', function () {
    this.timeout(30000);
    let ferret;
    let client;
    let n = 0;
    const db = () => client.db(`store_${process.pid}_${++n}`);

    before(async function () {
        ferret = await startFerretDB();
        client = new MongoClient(ferret.uri);
        await client.connect();
    });
    after(async function () {
        if (client) await client.close();
        if (ferret) await ferret.cleanup();
    });

    it('prepareStore: FerretDB refuses timeseries -> fallback, regular collection, meta/time index (+ time index with retention)', async function () {
        const d = db();
        const { store, decision } = await prepareStore(d, { ...SETTINGS, retentionS: 3600 });
        assert.strictEqual(store.mode, 'fallback');
        assert.strictEqual(decision.existing, false);
        assert.match(decision.reason, /238|not implemented|refused/i);
        const names = (await d.collection('readings').indexes()).map((i) => i.name).sort();
        assert.deepStrictEqual(names, ['_id_', 'picochain_meta_time', 'picochain_time']);
        // a second start finds it and uses it as it is
        const again = await prepareStore(d, SETTINGS);
        assert.deepStrictEqual([again.decision.mode, again.decision.existing], ['fallback', true]);
    });

    it('prepareStore: an existing collection already indexed on the same keys under another name is accepted', async function () {
        const d = db();
        await d.createCollection('readings');
        await d.collection('readings').createIndex({ 'meta.device': 1, 'meta.sensor': 1, time: 1 }, { name: 'theirs' });
        const { decision } = await prepareStore(d, SETTINGS);
        assert.deepStrictEqual([decision.mode, decision.existing], ['fallback', true]);
    });

    it('fallback store: unordered insert with a duplicate _id counts a duplicate and stores the rest', async function () {
        const d = db();
        const { store } = await prepareStore(d, SETTINGS);
        await store.insert([mapped(0).doc]);
        const r = await store.insert([mapped(1).doc, mapped(0).doc, mapped(2).doc]);
        assert.deepStrictEqual(r.duplicateIndexes, [1]);
        assert.deepStrictEqual(r.failed, []);
        assert.strictEqual(await d.collection('readings').countDocuments(), 3);
        const purged = await store.purgeOlderThan(new Date(T0 + 90000));
        assert.strictEqual(purged, 2);
    });

    it('native-mode dedupe on a real server: the existing-keys query removes what is stored before the insert', async function () {
        const d = db();
        await d.createCollection('readings');
        const coll = d.collection('readings');
        await coll.insertOne(mapped(1).doc); // stored by an earlier run
        const store = new MongoStore('native', coll, FIELDS);
        const inserts = [];
        const realInsert = store.insert.bind(store);
        store.insert = async (docs) => { inserts.push(docs.map((x) => x._id)); return realInsert(docs); };
        const core = new WriterCore({ batchSize: 10, batchDelayMs: 0, bufferSize: 100, overflow: 'reject', retentionS: 0 });
        core.setStore(store);
        const results = [];
        const feed = (items) => new Promise((resolve) => core.accept(items, { onRelease() {}, onFinish: (r) => { results.push(r); resolve(); } }));
        await feed([mapped(0), mapped(1), mapped(2), mapped(2), mapped(1, 'fridge-2')]);
        assert.deepStrictEqual([results[0].written, results[0].duplicates], [3, 2]);
        assert.deepStrictEqual(inserts, [[mapped(0).key, mapped(2).key, mapped(1, 'fridge-2').key]], 'only the new ones reached insertMany');
        // a fresh writer (restart: empty recent-keys memory) still finds them with the query
        const core2 = new WriterCore({ batchSize: 10, batchDelayMs: 0, bufferSize: 100, overflow: 'reject', retentionS: 0 });
        core2.setStore(store);
        await new Promise((resolve) => core2.accept([mapped(0), mapped(2), mapped(3)], { onRelease() {}, onFinish: (r) => { results.push(r); resolve(); } }));
        assert.deepStrictEqual([results[1].written, results[1].duplicates], [1, 2]);
        assert.strictEqual(await coll.countDocuments(), 5);
    });
});
