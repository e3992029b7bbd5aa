'use strict';
// picochain-mongo-ts store + writer core against a real FerretDB, without Node-RED: collection
// preparation (mode detection by capability, indexes, existing collections), existing() and the
// conflicts collection, and the native-mode dedupe query run on a real server (forced: FerretDB has
// no time-series collections) through a writer on a real spool.
const assert = require('assert');
const { MongoClient } = require('mongodb');
const { startFerretDB } = require('../../scripts/lib/services');
const { prepareStore, MongoStore } = require('../../dist/nodes/picochain-mongo-ts/store');
const { WriterCore } = require('../../dist/nodes/picochain-mongo-ts/core');
const { Spool } = require('../../dist/nodes/picochain-mongo-ts/spool');
const { toDocument } = require('../../dist/nodes/picochain-mongo-ts/document');
const { tmpDir } = require('../../scripts/lib/services');
const fs = require('fs');
const path = require('path');

const FIELDS = { timeField: 'time', metaField: 'meta' };
const SETTINGS = { collection: 'readings', ...FIELDS, granularity: 'minutes', retentionS: 0 };
const T0 = Date.parse('2026-02-01T00:00:00Z');
const mapped = (i, device = 'fridge-1', mean = i) => toDocument({ device, sensor: 'temperature', time: new Date(T0 + i * 60000), mean, count: 1 }, FIELDS, new Date());

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

    it('prepareStore: FerretDB refuses timeseries -> fallback, regular collection; no secondary index where FerretDB would scan anyway', async function () {
        const d = db();
        const { store, decision } = await prepareStore(d, { ...SETTINGS, retentionS: 3600 });
        assert.strictEqual(store.mode, 'fallback');
        assert.strictEqual(decision.existing, false);
        assert.match(decision.reason, /238|not implemented|refused/i);
        // what the decision rests on: FerretDB 1.24 (SQLite) answers the history query and the purge's
        // by reading the whole collection, with or without an index on their fields
        const coll = d.collection('readings');
        const history = { 'meta.device': 'fridge-1', 'meta.sensor': 'temperature', time: { $gte: new Date(T0), $lt: new Date(T0 + 3600000) } };
        await coll.createIndex({ 'meta.device': 1, 'meta.sensor': 1, time: 1 }, { name: 'probe_only' });
        const explained = await coll.find(history).sort({ time: 1 }).explain();
        assert.deepStrictEqual([explained.filterPushdown, explained.sortPushdown], [false, false], JSON.stringify(explained));
        assert.match(JSON.stringify(explained.queryPlanner), /SCAN/);
        await coll.dropIndex('probe_only');
        assert.deepStrictEqual(decision.indexes, []);
        assert.deepStrictEqual((await coll.indexes()).map((i) => i.name), ['_id_']);
        // a second start finds it and uses it as it is
        const again = await prepareStore(d, SETTINGS);
        assert.deepStrictEqual([again.decision.mode, again.decision.existing], ['fallback', true]);
        // the collection answers the history query all the same
        await store.insert([mapped(0).doc, mapped(1).doc, mapped(2, 'fridge-2').doc]);
        assert.deepStrictEqual((await coll.find(history).sort({ time: 1 }).toArray()).map((x) => x._id), [mapped(0).key, mapped(1).key]);
    });

    it('prepareStore: the indexes an earlier version created on FerretDB are dropped (they only slowed inserts); other indexes stay', async function () {
        const d = db();
        await d.createCollection('readings');
        const coll = d.collection('readings');
        await coll.createIndex({ 'meta.device': 1, 'meta.sensor': 1, time: 1 }, { name: 'picochain_meta_time' });
        await coll.createIndex({ time: 1 }, { name: 'picochain_time' });
        await coll.createIndex({ 'meta.site': 1 }, { name: 'theirs' });
        const { decision } = await prepareStore(d, { ...SETTINGS, retentionS: 3600 });
        assert.deepStrictEqual([decision.mode, decision.existing, decision.indexes], ['fallback', true, []]);
        assert.deepStrictEqual((await coll.indexes()).map((i) => i.name).sort(), ['_id_', 'theirs']);
    });

    it('prepareStore: where the explain does not rule an index out, the fallback indexes are created (a server whose explain fails too)', async function () {
        const d = db();
        const coll = d.collection('readings');
        // a server without pushdown flags in its explain (MongoDB's), and one whose explain fails
        for (const explain of [async () => ({ queryPlanner: { winningPlan: { stage: 'COLLSCAN' } }, ok: 1 }), async () => { throw Object.assign(new Error('explain not allowed'), { code: 13 }); }]) {
            const find = coll.constructor.prototype.find;
            coll.constructor.prototype.find = function (...args) { const c = find.apply(this, args); c.explain = explain; return c; };
            try {
                const { decision } = await prepareStore(d, { ...SETTINGS, retentionS: 3600 });
                assert.deepStrictEqual(decision.indexes, ['picochain_meta_time', 'picochain_time']);
            } finally {
                coll.constructor.prototype.find = find;
            }
            assert.deepStrictEqual((await coll.indexes()).map((i) => i.name).sort(), ['_id_', 'picochain_meta_time', 'picochain_time']);
        }
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

    it('existing() returns the stored values of the keys asked, within the time range; keepConflicts() stores each value once', async function () {
        const d = db();
        const { store } = await prepareStore(d, SETTINGS);
        await store.insert([mapped(0).doc, mapped(1).doc, mapped(2).doc]);
        const found = await store.existing([mapped(0).key, mapped(2).key, mapped(5).key], new Date(T0), new Date(T0 + 60000));
        assert.deepStrictEqual([...found.keys()], [mapped(0).key], 'reading 2 is outside the range, 5 is not stored');
        assert.strictEqual(found.get(mapped(0).key).mean, 0);
        const other = mapped(0, 'fridge-1', 7.5).doc;
        await store.keepConflicts([other]);
        await store.keepConflicts([other, mapped(0, 'fridge-1', 8).doc]);
        const apart = await d.collection('readings_conflicts').find({}).sort({ mean: 1 }).toArray();
        assert.deepStrictEqual(apart.map((x) => [x.conflictOf, x.mean]), [[mapped(0).key, 7.5], [mapped(0).key, 8]]);
        assert.ok(apart.every((x) => x.time instanceof Date && x._id.startsWith(`${mapped(0).key}|`)));
        assert.strictEqual(await d.collection('readings').countDocuments(), 3, 'the collection itself is untouched');
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
        const dir = tmpDir('store-spool');
        const opts = { batchSize: 10, batchDelayMs: 0, inFlight: 1, whenFull: 'reject', retentionS: 0 };
        try {
            const reports = [];
            const writer = (sub) => {
                const w = new WriterCore(opts, new Spool({ dir: path.join(dir, sub) }), { onBatch: (r) => reports.push(r) });
                w.open();
                w.setStore(store);
                return w;
            };
            const core = writer('a');
            core.accept([mapped(0), mapped(1), mapped(2), mapped(2), mapped(1, 'fridge-2'), mapped(3, 'fridge-1', 99)], () => undefined);
            await core.close(5000);
            assert.deepStrictEqual([reports[0].written, reports[0].duplicates, reports[0].conflicts.length], [4, 2, 0]);
            assert.deepStrictEqual(inserts, [[mapped(0).key, mapped(2).key, mapped(1, 'fridge-2').key, mapped(3).key]], 'only the new ones reached insertMany');
            // a fresh writer (restart: empty recent-keys memory) still finds them with the query, and sees a conflict
            const core2 = writer('b');
            core2.accept([mapped(0), mapped(2), mapped(4), mapped(3)], () => undefined);
            await core2.close(5000);
            assert.deepStrictEqual([reports[1].written, reports[1].duplicates, reports[1].conflicts.length], [1, 2, 1]);
            assert.deepStrictEqual([reports[1].conflicts[0].stored.mean, reports[1].conflicts[0].received.mean], [99, 3]);
            assert.strictEqual(await coll.countDocuments(), 6);
            assert.strictEqual(await d.collection('readings_conflicts').countDocuments(), 1);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
