'use strict';
// Alert state shared by instances that split one stream (issue 14): each device's state is a
// numbered revision in MongoDB and exactly one instance writes each revision (a unique _id). Two
// engines on one FerretDB 1.24 stand for two Node-RED instances; then two picochain-alert nodes in
// the real runtime. A threshold crossing fires once, resolves once, also after the instance that
// raised it is gone.
const assert = require('assert');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { MongoClient } = require('mongodb');
const { startFerretDB } = require('../../scripts/lib/services');
const { until } = require('../support/wait');
const { collect } = require('../support/node-red');

const dist = (n) => path.join(__dirname, '..', '..', 'dist', 'nodes', n, `${n}.js`);
const { AlertEngine } = require('../../dist/nodes/picochain-alert/core');
const { SharedState } = require('../../dist/nodes/picochain-alert/shared');
const { MongoSharedStore } = require('../../dist/nodes/picochain-alert/mongo-state');
const configNode = require(dist('picochain-mongo-config'));
const alertNode = require(dist('picochain-alert'));

helper.init(require.resolve('node-red'));

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const RULES = [{ profile: '*', sensors: ['probe1'], unit: '°C', kind: 'high', value: 'mean', warning: null, critical: { fire: 8, clear: 7, forS: 300 }, states: [] }];
/** Reading i of a device (one a minute); `mean` its temperature. */
const reading = (device, i, mean) => {
    const time = new Date(T0 + i * 60000);
    return { device, site: 'test', sensor: 'probe1', unit: '°C', time, deviceTime: time, receivedAt: time, window: 60, count: 6, min: mean, max: mean, mean, std: 0, slope: 0, last: mean, seq: i, state: 0, source: 'json-v1' };
};
/** 0..9 at 4 °C, 10..29 at 9 °C (critical after 5 minutes above 8), 30..39 back at 4 °C. */
const profile = (i) => (i >= 10 && i < 30 ? 9 : 4);

describe('alert state shared between instances (MongoDB revisions)', function () {
    this.timeout(120000);
    let fdb;
    let client;
    let db;
    before(async function () {
        fdb = await startFerretDB();
        client = await MongoClient.connect(fdb.uri);
        db = client.db('shared');
    });
    after(async function () {
        if (client) await client.close();
        if (fdb) await fdb.cleanup();
    });

    let n = 0;
    /** An instance: its own engine, the shared store of group `group` in a fresh collection per test. */
    function instance(name, collection, group = 'g1', o = {}, shared = {}, wrap = (store) => store) {
        const engine = new AlertEngine({ rules: RULES, silentS: 0, skipLate: true, ...o });
        const { store, calls } = counted(wrap(new MongoSharedStore(async () => db.collection(collection), group)));
        return { name, engine, calls, state: new SharedState(engine, store, { by: name, retryMs: 100, ...shared }) };
    }
    /** The store with each call counted by method (a call is one round trip to the database). */
    function counted(store) {
        const calls = {};
        const proxy = new Proxy(store, {
            get(target, key) {
                const v = target[key];
                if (typeof v !== 'function') return v;
                return (...args) => { calls[key] = (calls[key] || 0) + 1; return v.apply(target, args); };
            },
        });
        return { store: proxy, calls };
    }
    /** The store of a collection whose writes land, then give what `answer(result)` gives. */
    function afterWrite(coll, answer) {
        return new Proxy(new MongoSharedStore(async () => db.collection(coll), 'g1'), {
            get(target, key) {
                const v = target[key];
                if (key !== 'commitMany') return typeof v === 'function' ? v.bind(target) : v;
                return async (list) => answer(await target.commitMany(list));
            },
        });
    }
    const total = (calls) => Object.values(calls).reduce((a, b) => a + b, 0);
    /** Runs readings `from`..`to` of a device on an instance, one after the other; resolves their events. */
    async function feed(inst, device, from, to) {
        const out = [];
        for (let i = from; i <= to; i++) out.push(...await inst.state.run(device, (e) => e.ingest(reading(device, i, profile(i)), Date.now())));
        return out;
    }

    it('two instances judging one device\'s readings alternately, all at once: one "fired", one "resolved"', async function () {
        const coll = `s${++n}`;
        // both read the 20 devices (none stored yet) before either writes: each then writes
        // revision 1 of every device and, device by device, one of the two is refused (read again,
        // run again), whichever the machine's timing favours. Batches of 10 devices (two calls in
        // flight each): refusals come per device inside a batch
        let read = 0;
        let open;
        const bothRead = new Promise((r) => { open = r; });
        const readTogether = (store) => new Proxy(store, {
            get(target, key) {
                const v = target[key];
                if (key !== 'loadLatest') return typeof v === 'function' ? v.bind(target) : v;
                return async (devices) => {
                    const r = await target.loadLatest(devices);
                    if ((read += devices.length) >= 40) open();
                    await bothRead;
                    return r;
                };
            },
        });
        const a = instance('a', coll, 'g1', {}, { batchSize: 10 }, readTogether);
        const b = instance('b', coll, 'g1', {}, { batchSize: 10 }, readTogether);
        await Promise.all([a.state.start(), b.state.start()]);
        const events = [];
        // every reading of 20 devices goes to a or b in turn, none waiting for the previous one
        const runs = [];
        for (let i = 0; i < 40; i++) {
            for (let d = 0; d < 20; d++) {
                const inst = (i + d) % 2 ? a : b;
                const r = reading(`dev-${d}`, i, profile(i));
                runs.push(inst.state.run(r.device, (e) => e.ingest(r, Date.now())).then((ev) => events.push(...ev.map((e) => ({ ...e, by: inst.name })))));
            }
        }
        await Promise.all(runs);
        const fired = events.filter((e) => e.event === 'fired');
        const resolved = events.filter((e) => e.event === 'resolved');
        console.log(`      shared state: ${events.length} events (${fired.length} fired, ${resolved.length} resolved) for 20 devices; `
            + `commits a ${a.state.counters.commits} b ${b.state.counters.commits}, refused writes a ${a.state.counters.conflicts} b ${b.state.counters.conflicts}`);
        for (let d = 0; d < 20; d++) {
            assert.strictEqual(fired.filter((e) => e.device === `dev-${d}`).length, 1, `dev-${d} fired once`);
            assert.strictEqual(resolved.filter((e) => e.device === `dev-${d}`).length, 1, `dev-${d} resolved once`);
        }
        assert.strictEqual(a.state.counters.conflicts + b.state.counters.conflicts, 20, 'the two instances competed for each device\'s first revision');
        // which instance announces a crossing depends on which wrote that revision first: under load
        // one may win them all, but both must have written revisions
        assert.ok(a.state.counters.commits > 0 && b.state.counters.commits > 0, 'both instances wrote revisions');
    });

    it('1 000 devices handled at once cost a few store calls, not one per device', async function () {
        const coll = `s${++n}`;
        const a = instance('a', coll);
        await a.state.start();
        const devices = Array.from({ length: 1000 }, (_, d) => `r-${d}`);
        const before = total(a.calls);
        // a reading each: first seen (read), then a new revision each (written)
        const first = await Promise.all(devices.map((d) => a.state.run(d, (e) => e.ingest(reading(d, 0, 4), Date.now()))));
        const writeCalls = total(a.calls) - before;
        assert.deepStrictEqual(first.flat(), []);
        assert.strictEqual(await db.collection(coll).countDocuments({ rev: 1 }), 1000, 'one revision 1 per device');
        // an operation that changes nothing (an ack matching no alert): checks that no newer revision exists
        const mark = { ...a.calls };
        const none = await Promise.all(devices.map((d) => a.state.run(d, (e) => e.ack({ id: `${d}:none`, by: 'x' }, Date.now()))));
        const checkCalls = Object.fromEntries(Object.entries(a.calls).map(([k, v]) => [k, v - (mark[k] || 0)]).filter(([, v]) => v));
        console.log(`      1 000 devices: new readings ${writeCalls} store calls (${JSON.stringify(a.calls)} in all), then no-change operations ${JSON.stringify(checkCalls)}`);
        assert.deepStrictEqual(none.flat(), []);
        assert.strictEqual(a.state.counters.commits, 1000);
        assert.strictEqual(a.state.counters.noChange, 1000);
        assert.ok(writeCalls <= 6, `new readings of 1 000 devices: ${writeCalls} store calls (reads and writes, 500 devices a call)`);
        assert.deepStrictEqual(Object.keys(checkCalls), ['existing'], 'no change: checks only, nothing read or written');
        assert.ok(checkCalls.existing <= 3, `no-change operations of 1 000 devices: ${checkCalls.existing} checks`);
    });

    it('refused writes inside one batch: those devices are read again and run again, the others written', async function () {
        const coll = `s${++n}`;
        const a = instance('a', coll);
        const b = instance('b', coll);
        await Promise.all([a.state.start(), b.state.start()]);
        const devices = Array.from({ length: 100 }, (_, d) => `c-${d}`);
        const events = [];
        const runAll = (inst, list, from, to) => Promise.all(list.map(async (d) => {
            for (const ev of await feed(inst, d, from, to)) events.push({ ...ev, by: inst.name });
        }));
        await runAll(a, devices, 0, 9); // a's copies: revision 10 of every device, all at 4 °C
        // b takes the warm readings of half the devices first (a's copies of those are now stale)
        await runAll(b, devices.slice(0, 50), 10, 19);
        const mark = { ...a.calls };
        const conflictsBefore = a.state.counters.conflicts;
        // a gets the same warm readings of every device, all at once: one batch of 100 writes, 50 refused
        await Promise.all(devices.map((d) => Promise.all(Array.from({ length: 10 }, (_, k) => a.state.run(d, (e) => e.ingest(reading(d, 10 + k, profile(10 + k)), Date.now()))))
            .then((r) => { for (const ev of r.flat()) events.push({ ...ev, by: 'a' }); })));
        const calls = Object.fromEntries(Object.entries(a.calls).map(([k, v]) => [k, v - (mark[k] || 0)]));
        console.log(`      100 devices, 50 written first by the other instance: store calls ${JSON.stringify(calls)}, refused ${a.state.counters.conflicts - conflictsBefore}`);
        assert.strictEqual(a.state.counters.conflicts - conflictsBefore, 50, 'exactly the 50 devices b wrote were refused');
        for (const [i, d] of devices.entries()) {
            const fired = events.filter((e) => e.device === d && e.event === 'fired');
            assert.deepStrictEqual(fired.map((e) => e.by), [i < 50 ? 'b' : 'a'], `${d} fired once, by the instance that judged it first`);
        }
        assert.ok(calls.commitMany <= 3 && (calls.follow || 0) <= 2, `one batch: ${JSON.stringify(calls)}`);
        assert.strictEqual(calls.loadLatest || 0, 0, 'the refused devices are read by key from the revision that refused them, not searched');
        // one history per device: revisions 1..n, each once
        const docs = await db.collection(coll).find({}, { projection: { d: 1, rev: 1 } }).toArray();
        for (const d of devices) {
            const revs = docs.filter((x) => x.d === d).map((x) => x.rev).sort((x, y) => x - y);
            assert.deepStrictEqual(revs, Array.from({ length: revs.length }, (_, k) => k + 1), d);
        }
    });

    it('a write whose answer is lost (the store failed after writing it): sent again as it was, counted written, its "fired" sent once', async function () {
        const coll = `s${++n}`;
        let lose = 0;
        // the connection drops after the database wrote the revisions, before the answer came back
        const store = afterWrite(coll, (r) => {
            if (lose > 0) { lose--; throw Object.assign(new Error('connection reset'), { name: 'MongoNetworkError' }); }
            return r;
        });
        const engine = new AlertEngine({ rules: RULES, silentS: 0, skipLate: true });
        const state = new SharedState(engine, store, { by: 'a', retryMs: 50 });
        await state.start();
        const events = [];
        for (let i = 0; i < 15; i++) events.push(...await state.run('f6', (e) => e.ingest(reading('f6', i, profile(i)), Date.now())));
        assert.deepStrictEqual(events, [], 'nothing yet: 5 minutes above 8 °C are reached at reading 15');
        lose = 1;
        const crossing = await state.run('f6', (e) => e.ingest(reading('f6', 15, profile(15)), Date.now()));
        assert.deepStrictEqual(crossing.map((e) => e.event), ['fired'], 'the crossing announced once, by the write that landed');
        assert.strictEqual(state.counters.storeErrors, 1);
        assert.strictEqual(state.counters.conflicts, 0, 'its own revision is not taken for another instance\'s');
        const docs = await db.collection(coll).find({ d: 'f6' }, { projection: { rev: 1, events: 1 } }).toArray();
        assert.deepStrictEqual(docs.map((d) => d.rev).sort((x, y) => x - y), Array.from({ length: 16 }, (_, k) => k + 1), 'one revision per reading, none twice');
        assert.deepStrictEqual(docs.filter((d) => d.events.length).map((d) => [d.rev, d.events.map((e) => e.event)]), [[16, ['fired']]]);
        assert.strictEqual(engine.counts().firing, 1);
        state.close();
    });

    it('a store call that never answers (the driver waits without limit) fails after callTimeoutMs: the device is not held, the write sent again counts once', async function () {
        const coll = `s${++n}`;
        let hang = 0;
        // the database writes the revisions, and its answer never comes back
        const store = afterWrite(coll, (r) => {
            if (hang > 0) { hang--; return new Promise(() => {}); }
            return r;
        });
        const engine = new AlertEngine({ rules: RULES, silentS: 0, skipLate: true });
        const errors = [];
        const state = new SharedState(engine, store, { by: 'a', retryMs: 50, callTimeoutMs: 300, onStoreError: (e) => errors.push(e) });
        await state.start();
        const events = [];
        for (let i = 0; i < 15; i++) events.push(...await state.run('f7', (e) => e.ingest(reading('f7', i, profile(i)), Date.now())));
        hang = 1;
        const crossing = state.run('f7', (e) => e.ingest(reading('f7', 15, profile(15)), Date.now()));
        const next = state.run('f7', (e) => e.ingest(reading('f7', 16, profile(16)), Date.now()));
        const settled = await Promise.race([Promise.all([crossing, next]), new Promise((r) => setTimeout(() => r('held'), 5000))]);
        assert.notStrictEqual(settled, 'held', 'a call without an answer held the device');
        assert.deepStrictEqual(settled.flat().map((e) => e.event), ['fired'], 'the crossing announced once');
        assert.strictEqual(state.counters.storeErrors, 1);
        assert.strictEqual(errors[0] && errors[0].name, 'StoreTimeoutError');
        assert.match(errors[0].message, /did not answer a write within/);
        assert.strictEqual(state.counters.conflicts, 0, 'its own revision is not taken for another instance\'s');
        const docs = await db.collection(coll).find({ d: 'f7' }, { projection: { rev: 1, events: 1 } }).toArray();
        // readings 15 and 16 waited together: one revision
        assert.deepStrictEqual(docs.map((d) => d.rev).sort((x, y) => x - y), Array.from({ length: 16 }, (_, k) => k + 1), 'no revision written twice');
        state.close();
    });

    it('a revision that waited behind slow writes carries the time it left for the store: refresh() looking back a few seconds finds it', async function () {
        const coll = `s${++n}`;
        let now = Date.now();
        const t0 = now;
        const real = new MongoSharedStore(async () => db.collection(coll), 'g1');
        let hold = null;
        let release;
        let sent = 0;
        // the database answers the first two writes only when released (two calls in flight at most)
        const store = new Proxy(real, {
            get(target, key) {
                const v = target[key];
                if (key !== 'commitMany') return typeof v === 'function' ? v.bind(target) : v;
                return async (list) => { sent++; if (hold) await hold; return target.commitMany(list); };
            },
        });
        hold = new Promise((r) => { release = r; });
        const a = new SharedState(new AlertEngine({ rules: RULES, silentS: 0, skipLate: true }), store, { by: 'a', clock: () => now });
        const b = instance('b', coll);
        await Promise.all([a.start(), b.state.start()]);
        const runs = [];
        let judged = 0;
        for (const [k, d] of ['q1', 'q2', 'q3'].entries()) {
            runs.push(a.run(d, (e) => { judged++; return e.ingest(reading(d, 0, 4), now); }));
            // q1 and q2 in the two calls the database holds; q3 judged, waiting for a free call
            await until(() => judged > k && sent >= Math.min(k + 1, 2), `${d} judged and sent`, 30000);
        }
        now += 60000; // q3 judged at t0, still waiting behind q1 and q2 a minute later
        hold = null;
        release();
        await Promise.all(runs);
        const docs = await db.collection(coll).find({}, { projection: { d: 1, at: 1 } }).toArray();
        assert.deepStrictEqual(docs.map((d) => [d.d, d.at.getTime() - t0]).sort(), [['q1', 0], ['q2', 0], ['q3', 60000]]);
        const seen = await b.state.refresh(now - 5000);
        assert.deepStrictEqual(seen.devices, ['q3'], 'the late one is in the window of a refresh after it was written');
        a.close();
    });

    it('the instance that raised an alert stops: the other resolves it, once, and a late backlog is not judged again', async function () {
        const coll = `s${++n}`;
        const a = instance('a', coll);
        await a.state.start();
        const events = [];
        for (let i = 0; i < 20; i++) events.push(...await a.state.run('f1', (e) => e.ingest(reading('f1', i, profile(i)), Date.now())));
        assert.deepStrictEqual(events.map((e) => e.event), ['fired']);
        a.state.close(); // a dies
        const b = instance('b', coll);
        await b.state.start();
        assert.strictEqual(b.engine.counts().firing, 1, 'b restored the firing alert from the database, without announcing it');
        const later = [];
        for (let i = 20; i < 40; i++) later.push(...await b.state.run('f1', (e) => e.ingest(reading('f1', i, profile(i)), Date.now())));
        assert.deepStrictEqual(later.map((e) => e.event), ['resolved']);
        // a comes back with readings it took before dying (older than what b judged): skipped
        const a2 = instance('a', coll);
        await a2.state.start();
        const backlog = [];
        for (let i = 12; i < 20; i++) backlog.push(...await a2.state.run('f1', (e) => e.ingest(reading('f1', i, 9), Date.now())));
        assert.deepStrictEqual(backlog, []);
        assert.strictEqual(a2.engine.counts().firing, 0);
    });

    it('an acknowledgement on one instance of an alert the other raised; revisions of another group are not mixed in', async function () {
        const coll = `s${++n}`;
        const a = instance('a', coll);
        const b = instance('b', coll);
        const other = instance('x', coll, 'g2');
        await Promise.all([a.state.start(), b.state.start(), other.state.start()]);
        for (let i = 0; i < 20; i++) await a.state.run('f2', (e) => e.ingest(reading('f2', i, profile(i)), Date.now()));
        const id = a.engine.active()[0].id;
        // b has not seen f2 at all: the ack finds the alert in the latest revision
        const acked = await b.state.run('f2', (e) => e.ack({ id, by: 'alice' }, Date.now()));
        assert.deepStrictEqual(acked.map((e) => [e.event, e.by]), [['acknowledged', 'alice']]);
        const again = await a.state.run('f2', (e) => e.ack({ id, by: 'bob' }, Date.now()));
        assert.deepStrictEqual(again, [], 'already acknowledged: a reads the latest revision and announces nothing');
        // a sees b's revision by refresh(), with its event (for pages)
        const seen = await other.state.refresh(0);
        assert.deepStrictEqual(seen.devices, [], 'group g2 sees nothing of g1');
        const fresh = instance('c', coll);
        await fresh.state.start();
        assert.strictEqual(fresh.engine.active()[0].acknowledged, true);
    });

    it('refresh() brings other instances\' changes and their events; prune() keeps the latest revision', async function () {
        const coll = `s${++n}`;
        const a = instance('a', coll, 'g1', {}, { pruneAgeMs: 1 });
        const b = instance('b', coll);
        await Promise.all([a.state.start(), b.state.start()]);
        const t = Date.now();
        for (let i = 0; i < 20; i++) await a.state.run('f3', (e) => e.ingest(reading('f3', i, profile(i)), Date.now()));
        const r = await b.state.refresh(t - 1000);
        assert.deepStrictEqual(r.devices, ['f3']);
        assert.deepStrictEqual(r.events.map((e) => e.event), ['fired']);
        assert.strictEqual(b.engine.counts().firing, 1);
        assert.deepStrictEqual((await b.state.refresh(t - 1000)).events, [], 'each revision once');
        await new Promise((r) => setTimeout(r, 5));
        await a.state.prune(); // everything superseded and older than 1 ms
        const docs = await db.collection(coll).find({ d: 'f3' }).toArray();
        assert.deepStrictEqual(docs.map((d) => d.rev), [20]);
    });

    it('refreshDue(): one at a time, each looking back from where the last one that ran began', async function () {
        const coll = `s${++n}`;
        let now = Date.now();
        const a = instance('a', coll, 'g1', {}, { clock: () => now });
        const b = instance('b', coll, 'g1', {}, { clock: () => now });
        await Promise.all([a.state.start(), b.state.start()]);
        await a.state.run('r1', (e) => e.ingest(reading('r1', 0, 4), now));
        const [first, second] = await Promise.all([b.state.refreshDue(1000), b.state.refreshDue(1000)]);
        assert.deepStrictEqual(first.devices, ['r1']);
        assert.strictEqual(second, null, 'called while one runs: nothing asked of the database');
        now += 10000;
        await a.state.run('r2', (e) => e.ingest(reading('r2', 0, 4), now));
        now += 50000; // no refresh for a minute (a slow database): the next one still looks back to the last
        const later = await b.state.refreshDue(1000);
        assert.deepStrictEqual(later.devices, ['r2']);
        assert.deepStrictEqual((await b.state.refreshDue(1000)).devices, [], 'each change once');
    });

    it('prune() removes superseded revisions once old enough, also at a later prune with no new revision', async function () {
        const coll = `s${++n}`;
        let now = Date.now();
        const a = instance('a', coll, 'g1', {}, { pruneAgeMs: 60000, clock: () => now });
        await a.state.start();
        await feed(a, 'f5', 0, 12);
        const revs = async () => (await db.collection(coll).find({ d: 'f5' }).toArray()).map((d) => d.rev).sort((x, y) => x - y);
        const all = await revs();
        assert.ok(all.length > 1, 'several revisions written');
        now += 30000;
        await a.state.prune();
        assert.deepStrictEqual(await revs(), all, 'younger than the prune age: kept');
        now += 40000;
        await a.state.prune();
        assert.deepStrictEqual(await revs(), [all.at(-1)], 'old enough at the next prune: only the latest left');
    });

    it('a copy not confirmed for half the prune age is read again before use: no revision number is written twice', async function () {
        // without it: a's copy (pending) is older than the revisions b pruned, so a could write a
        // pruned number again, fork the history and announce "fired" a second time
        const coll = `s${++n}`;
        let now = Date.now();
        const clock = () => now;
        const a = instance('a', coll, 'g1', {}, { pruneAgeMs: 60000, clock });
        const b = instance('b', coll, 'g1', {}, { pruneAgeMs: 60000, clock });
        await Promise.all([a.state.start(), b.state.start()]);
        const events = [...await feed(a, 'f4', 0, 9), ...await feed(b, 'f4', 10, 36)];
        now += 120000;
        await b.state.prune();
        const left = (await db.collection(coll).find({ d: 'f4' }).toArray()).map((d) => d.rev);
        assert.strictEqual(left.length, 1, 'b pruned every superseded revision');
        events.push(...await feed(a, 'f4', 37, 44));
        assert.deepStrictEqual(events.map((e) => e.event), ['fired', 'resolved']);
        const revs = (await db.collection(coll).find({ d: 'f4' }).toArray()).map((d) => d.rev).sort((x, y) => x - y);
        assert.deepStrictEqual(revs, Array.from({ length: 9 }, (_, i) => left[0] + i), 'one history, continued from the latest');
    });
});

describe('picochain-alert nodes sharing their state (runtime, FerretDB)', function () {
    this.timeout(120000);
    let fdb;
    let client;
    before(async function () {
        fdb = await startFerretDB();
        client = await MongoClient.connect(fdb.uri);
    });
    after(async function () {
        await helper.unload();
        if (client) await client.close();
        if (fdb) await fdb.cleanup();
    });

    const cfg = () => ({ id: 'cfg', type: 'picochain-mongo-config', name: 'db', uri: fdb.uri, database: 'shared' });
    const rule = { profile: '*', sensors: 'probe1', unit: '°C', kind: 'high', value: 'mean', warning: '', warningClear: '', warningFor: '', critical: '8', criticalClear: '7', criticalFor: '300', states: '', severity: 'warning' };
    const alertDef = (id, wires, group = '${TEST_SHARE_GROUP}') => ({ id, type: 'picochain-alert', rules: [rule], silent: '0', group, mongo: 'cfg', stateCollection: 'alert_state', version: 2, wires });

    it('two nodes of one group (${VAR} expanded) split a fleet\'s readings: each crossing fires once, remote events marked', async function () {
        process.env.TEST_SHARE_GROUP = 'picochain-test';
        await new Promise((resolve) => helper.load([configNode, alertNode], [cfg(),
            alertDef('a', [['ev-a'], [], ['st-a']]), alertDef('b', [['ev-b'], [], ['st-b']]),
            { id: 'ev-a', type: 'helper' }, { id: 'ev-b', type: 'helper' }, { id: 'st-a', type: 'helper' }, { id: 'st-b', type: 'helper' },
        ], { cfg: { user: '', password: '' } }, resolve));
        const out = collect({ a: 'ev-a', b: 'ev-b', sa: 'st-a', sb: 'st-b' });
        const nodes = [helper.getNode('a'), helper.getNode('b')];
        for (let i = 0; i < 40; i++) for (let d = 0; d < 10; d++) nodes[(i + d) % 2].receive({ payload: reading(`n-${d}`, i, profile(i)) });
        const own = () => [...out.a, ...out.b].map((m) => m.payload).filter((e) => !e.remote);
        await until(() => own().filter((e) => e.event === 'resolved').length >= 10, 'ten resolutions', 60000);
        await new Promise((r) => setTimeout(r, 3000)); // one refresh more: late duplicates would show
        const mine = own();
        for (let d = 0; d < 10; d++) {
            assert.deepStrictEqual(mine.filter((e) => e.device === `n-${d}`).map((e) => e.event), ['fired', 'resolved'], `n-${d}`);
        }
        // what the other instance announced reaches this one's pages, marked remote
        const remote = [...out.a, ...out.b].map((m) => m.payload).filter((e) => e.remote);
        assert.ok(remote.some((e) => e.event === 'fired'), 'remote events are passed on for pages');
        const docs = await client.db('shared').collection('alert_state').countDocuments({ g: 'picochain-test' });
        assert.ok(docs > 0, 'the state is in the collection');
        delete process.env.TEST_SHARE_GROUP;
    });

    it('a backlog bigger than 1 000 messages arriving while the shared state loads (a restart) is held and judged, none refused', async function () {
        await helper.unload();
        process.env.TEST_SHARE_GROUP = 'picochain-backlog';
        await new Promise((resolve) => helper.load([configNode, alertNode], [cfg(), alertDef('a', [['ev-a'], [], []]), { id: 'ev-a', type: 'helper' }],
            { cfg: { user: '', password: '' } }, resolve));
        const out = collect({ a: 'ev-a' });
        const a = helper.getNode('a');
        // what the broker kept for this instance while it was away: 40 readings of 60 devices, handed
        // over at once, before the node has read its state from the database
        for (let i = 0; i < 40; i++) for (let d = 0; d < 60; d++) a.receive({ payload: reading(`b-${d}`, i, profile(i)) });
        const events = () => out.a.map((m) => m.payload);
        await until(() => events().filter((e) => e.event === 'resolved').length >= 60 || a.error.called, 'sixty resolutions', 90000);
        assert.strictEqual(a.error.called, false, `no message refused: ${a.error.called ? a.error.firstCall.args[0] : ''}`);
        for (let d = 0; d < 60; d++) assert.deepStrictEqual(events().filter((e) => e.device === `b-${d}`).map((e) => e.event), ['fired', 'resolved'], `b-${d}`);
        delete process.env.TEST_SHARE_GROUP;
    });

    it('a group without a database is refused with a clear error', async function () {
        await helper.unload();
        await new Promise((resolve) => helper.load([configNode, alertNode], [
            { id: 'a', type: 'picochain-alert', rules: [rule], group: 'g', mongo: '', version: 2, wires: [[], [], []] },
        ], resolve));
        const a = helper.getNode('a');
        await until(() => a.error.called, 'an error at start', 5000);
        assert.match(String(a.error.firstCall.args[0]), /database/);
    });
});
