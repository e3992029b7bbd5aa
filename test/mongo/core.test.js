'use strict';
// picochain-mongo-ts and picochain-mongo-config cores alone (no Node-RED, no server): document
// mapping and validation, mode detection with fake capability answers, the buffered batch writer
// on a fake clock and a fake store, settings, redaction.
const assert = require('assert');
const { toDocument, mapPayload, checkFieldNames, reviveDate, findUnsafeKey, ReadingError } = require('../../dist/nodes/picochain-mongo-ts/document');
const { detectMode, isTransientError, isUnsupportedError, majorVersion } = require('../../dist/nodes/picochain-mongo-ts/mode');
const { WriterCore, RecentKeys, RateLimitedLog } = require('../../dist/nodes/picochain-mongo-ts/core');
const { parseWriterSettings } = require('../../dist/nodes/picochain-mongo-ts/settings');
const { redact, expandEnv, checkSettings, clientOptions, MongoConnection } = require('../../dist/nodes/picochain-mongo-config/core');
const { freePort } = require('../../scripts/lib/services');
const { sleep } = require('../support/wait');

const FIELDS = { timeField: 'time', metaField: 'meta' };
const NOW = new Date('2026-03-01T12:00:00Z');
const T0 = Date.parse('2026-03-01T10:00:00Z');

function reading(i = 0, over = {}) {
    return {
        device: 'fridge-1', site: 'foodbank', sensor: 'temperature', unit: '°C',
        time: new Date(T0 + i * 60000), deviceTime: new Date(T0 + i * 60000), receivedAt: new Date(T0 + i * 60000 + 150),
        window: 60, count: 6, min: 3.9, max: 4.4, mean: 4.1, std: 0.18, slope: 0.05, last: 4.2, seq: i, state: 0, source: 'json-v1',
        ...over,
    };
}
const mapped = (i, over) => toDocument(reading(i, over), FIELDS, NOW);

/** A manual clock: timers run only when the test advances time. */
class FakeClock {
    constructor() { this.t = 0; this.timers = []; this.seq = 0; }
    now() { return this.t; }
    setTimeout(fn, ms) { const h = { at: this.t + Math.max(0, ms), fn, id: this.seq++ }; this.timers.push(h); return h; }
    clearTimeout(h) { this.timers = this.timers.filter((x) => x !== h); }
    async advance(ms) {
        const end = this.t + ms;
        for (;;) {
            await settle();
            this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
            const next = this.timers[0];
            if (!next || next.at > end) break;
            this.timers.shift();
            this.t = next.at;
            next.fn();
        }
        this.t = end;
        await settle();
    }
}
async function settle() { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); }

/** An in-memory Store: unique _id in fallback mode (11000 like MongoDB), none in native mode. */
class FakeStore {
    constructor(mode = 'fallback') { this.mode = mode; this.docs = []; this.calls = []; this.queries = 0; this.fail = null; this.purges = []; }
    async insert(docs) {
        this.calls.push(docs.map((d) => d._id));
        if (this.fail) throw this.fail;
        const duplicateIndexes = [];
        docs.forEach((d, i) => {
            if (this.mode === 'fallback' && this.docs.some((x) => x._id === d._id)) duplicateIndexes.push(i);
            else this.docs.push(d);
        });
        return { inserted: docs.length - duplicateIndexes.length, duplicateIndexes, failed: [] };
    }
    async existingIds(ids, from, to) {
        this.queries++;
        if (this.fail) throw this.fail;
        return new Set(this.docs.filter((d) => ids.includes(d._id) && d.time >= from && d.time <= to).map((d) => d._id));
    }
    async purgeOlderThan(cutoff) {
        this.purges.push(cutoff);
        const before = this.docs.length;
        this.docs = this.docs.filter((d) => d.time >= cutoff);
        return before - this.docs.length;
    }
}
const netError = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoNetworkError' });

function makeWriter(opts = {}, clock = new FakeClock()) {
    const logs = [];
    const statuses = [];
    const core = new WriterCore({ batchSize: 3, batchDelayMs: 1000, bufferSize: 10, overflow: 'drop-oldest', retentionS: 0, ...opts },
        { clock, log: (level, text) => logs.push({ level, text }), onStatus: (s) => statuses.push(s) });
    return { core, clock, logs, statuses };
}

/** Feeds one message of readings and records what the ticket reports. */
function send(core, items) {
    const rec = { released: false, finished: null };
    core.accept(items, { onRelease: () => { rec.released = true; }, onFinish: (r) => { rec.finished = r; } });
    return rec;
}

describe('picochain-mongo-ts document mapping', function () {
    it('maps a reading to the contract document: Dates stay Dates, numbers numbers, _id = device|sensor|ms', function () {
        const { doc, key } = mapped(0);
        assert.strictEqual(doc._id, `fridge-1|temperature|${T0}`);
        assert.strictEqual(key, doc._id);
        assert.ok(doc.time instanceof Date && doc.time.getTime() === T0);
        assert.ok(doc.deviceTime instanceof Date && doc.receivedAt instanceof Date);
        assert.deepStrictEqual(doc.meta, { device: 'fridge-1', sensor: 'temperature', site: 'foodbank', unit: '°C', source: 'json-v1' });
        for (const f of ['window', 'count', 'min', 'max', 'mean', 'std', 'slope', 'last', 'seq', 'state']) assert.strictEqual(typeof doc[f], 'number', f);
        assert.ok(!('fault' in doc));
        assert.deepStrictEqual(Object.keys(doc).sort(), ['_id', 'count', 'deviceTime', 'last', 'max', 'mean', 'meta', 'min', 'receivedAt', 'seq', 'slope', 'state', 'std', 'time', 'window'].sort());
    });

    it('revives ISO strings of a reading that crossed JSON into Dates', function () {
        const viaJson = JSON.parse(JSON.stringify(reading(1)));
        assert.strictEqual(typeof viaJson.time, 'string');
        const { doc } = toDocument(viaJson, FIELDS, NOW);
        assert.ok(doc.time instanceof Date && doc.time.getTime() === T0 + 60000);
        assert.ok(doc.receivedAt instanceof Date && doc.deviceTime instanceof Date);
        assert.strictEqual(reviveDate('not a date'), null);
        assert.strictEqual(reviveDate('2026-13-45T99:00:00Z'), null);
        assert.strictEqual(reviveDate(T0).getTime(), T0);
    });

    it('uses the configured time and meta field names; optional fields default to null, receivedAt to now', function () {
        const { doc } = toDocument({ device: 'd1', sensor: 's1', time: new Date(T0) }, { timeField: 'ts', metaField: 'm' }, NOW);
        assert.ok(doc.ts instanceof Date && !('time' in doc));
        assert.deepStrictEqual(doc.m, { device: 'd1', sensor: 's1', site: null, unit: null, source: null });
        assert.strictEqual(doc.receivedAt.getTime(), NOW.getTime());
        assert.strictEqual(doc.mean, null);
        assert.strictEqual(doc.window, 0);
    });

    const bad = [
        ['not an object', 'hello', /not a reading object/],
        ['null', null, /not a reading object/],
        ['missing device', reading(0, { device: undefined }), /missing device/],
        ['device of the wrong type', reading(0, { device: 42 }), /device must be a string/],
        ['device with a $', reading(0, { device: '$where' }), /device/],
        ['missing time', reading(0, { time: undefined }), /missing time/],
        ['unparsable time', reading(0, { time: 'yesterday' }), /time is not a valid date/],
        ['a string count', reading(0, { count: '6' }), /count must be a number/],
        ['NaN mean', reading(0, { mean: NaN }), /mean must be finite/],
        ['Infinity max', reading(0, { max: Infinity }), /max must be finite/],
        ['a $ key', { ...reading(0), $set: { x: 1 } }, /key "\$set"/],
        ['a nested dotted key', { ...reading(0), extra: { 'a.b': 1 } }, /key "extra.a.b"/],
        ['state 7', reading(0, { state: 7 }), /state must be 0, 1 or 2/],
        ['unknown source', reading(0, { source: 'carrier-pigeon' }), /source must be one of/],
    ];
    for (const [what, input, re] of bad) {
        it(`refuses ${what} with a message naming the field`, function () {
            assert.throws(() => toDocument(input, FIELDS, NOW, 2), (err) => err instanceof ReadingError && re.test(err.message) && /^reading 2:/.test(err.message));
        });
    }

    it('keeps the good readings of an array and lists the bad ones by index', function () {
        const { mapped: ok, errors } = mapPayload([reading(0), { device: 'x' }, reading(1, { mean: NaN }), reading(2)], FIELDS, NOW);
        assert.deepStrictEqual(ok.map((m) => m.doc.seq), [0, 2]);
        assert.deepStrictEqual(errors.map((e) => e.index), [1, 2]);
        assert.strictEqual(mapPayload([], FIELDS, NOW).errors.length, 1);
    });

    it('checks time and meta field names', function () {
        assert.strictEqual(checkFieldNames(FIELDS), null);
        assert.match(checkFieldNames({ timeField: '$t', metaField: 'meta' }), /plain name/);
        assert.match(checkFieldNames({ timeField: 'a.b', metaField: 'meta' }), /plain name/);
        assert.match(checkFieldNames({ timeField: 'count', metaField: 'meta' }), /collides/);
        assert.match(checkFieldNames({ timeField: 'x', metaField: 'x' }), /differ/);
        assert.strictEqual(findUnsafeKey({ a: { b: [{ $c: 1 }] } }), 'a.b.0.$c');
    });
});

describe('picochain-mongo-ts mode detection (fake capability answers)', function () {
    function probe({ info = null, version = '7.0.0', create = null, after = { type: 'timeseries' } } = {}) {
        const p = { created: [], infoCalls: 0 };
        p.collectionInfo = async () => (p.infoCalls++ === 0 ? info : (p.created.length ? after : info));
        p.serverVersion = async () => version;
        p.createTimeseries = async () => { p.created.push('ts'); if (create) { p.created.pop(); throw create; } };
        p.createRegular = async () => { p.created.push('regular'); };
        return p;
    }
    const ferretRefusal = Object.assign(new Error('create: support for field "timeseries" is not implemented yet'), { name: 'MongoServerError', code: 238 });

    it('FerretDB-like: reports 7.0.42 but refuses timeseries (238) -> fallback with a regular collection', async function () {
        const p = probe({ version: '7.0.42', create: ferretRefusal });
        const d = await detectMode(p, FIELDS);
        assert.strictEqual(d.mode, 'fallback');
        assert.deepStrictEqual(p.created, ['regular']);
        assert.match(d.reason, /refused a time-series collection.*not implemented/);
        assert.strictEqual(d.existing, false);
    });

    it('MongoDB >= 5 that creates it and lists it as timeseries -> native', async function () {
        const p = probe({ version: '7.0.12' });
        const d = await detectMode(p, FIELDS);
        assert.strictEqual(d.mode, 'native');
        assert.deepStrictEqual(p.created, ['ts']);
    });

    it('a server that accepts the option but lists a regular collection -> fallback (capability, not version)', async function () {
        const d = await detectMode(probe({ version: '6.0.0', after: { type: 'collection' } }), FIELDS);
        assert.strictEqual(d.mode, 'fallback');
    });

    it('MongoDB 4.4 -> fallback without trying', async function () {
        const p = probe({ version: '4.4.18' });
        const d = await detectMode(p, FIELDS);
        assert.strictEqual(d.mode, 'fallback');
        assert.deepStrictEqual(p.created, ['regular']);
        assert.match(d.reason, /4\.4\.18/);
    });

    it('uses an existing collection as it is: time-series with its own fields, regular as fallback, view refused', async function () {
        const ts = await detectMode(probe({ info: { type: 'timeseries', options: { timeseries: { timeField: 'ts', metaField: 'tags' } } } }), FIELDS);
        assert.deepStrictEqual([ts.mode, ts.existing, ts.timeField, ts.metaField], ['native', true, 'ts', 'tags']);
        const p = probe({ info: { type: 'collection' } });
        const reg = await detectMode(p, FIELDS);
        assert.deepStrictEqual([reg.mode, reg.existing, p.created.length], ['fallback', true, 0]);
        await assert.rejects(detectMode(probe({ info: { type: 'view' } }), FIELDS), /view/);
    });

    it('throws transient errors (to retry) instead of falling back', async function () {
        await assert.rejects(detectMode(probe({ create: netError() }), FIELDS), /ECONNREFUSED/);
    });

    it('classifies errors', function () {
        assert.ok(isTransientError(netError()));
        assert.ok(isTransientError({ name: 'MongoServerSelectionError', message: 'x' }));
        assert.ok(isTransientError({ name: 'MongoServerError', code: 11600 }));
        assert.ok(!isTransientError(ferretRefusal));
        assert.ok(isUnsupportedError(ferretRefusal));
        assert.ok(!isUnsupportedError({ name: 'MongoServerError', code: 13, message: 'not authorized' }));
        assert.ok(!isUnsupportedError(netError()));
        assert.strictEqual(majorVersion('7.0.42'), 7);
        assert.ok(Number.isNaN(majorVersion(null)));
    });
});

describe('picochain-mongo-ts writer core (fake clock, fake store)', function () {
    it('flushes by size: 7 readings with batch 3 -> two batches at once, the rest after the delay', async function () {
        const { core, clock } = makeWriter();
        const store = new FakeStore();
        core.setStore(store);
        for (let i = 0; i < 7; i++) send(core, [mapped(i)]);
        await clock.advance(0);
        assert.deepStrictEqual(store.calls.map((c) => c.length), [3, 3]);
        await clock.advance(999);
        assert.strictEqual(store.calls.length, 2);
        await clock.advance(1);
        assert.deepStrictEqual(store.calls.map((c) => c.length), [3, 3, 1]);
        assert.deepStrictEqual(store.docs.map((d) => d.seq), [0, 1, 2, 3, 4, 5, 6]);
    });

    it('flushes by delay: 2 readings wait batchDelay ms, then one insert', async function () {
        const { core, clock } = makeWriter({ batchSize: 100, batchDelayMs: 500 });
        const store = new FakeStore();
        core.setStore(store);
        const a = send(core, [mapped(0)]);
        await clock.advance(200);
        const b = send(core, [mapped(1)]);
        await clock.advance(299);
        assert.strictEqual(store.calls.length, 0);
        assert.ok(!a.released && !a.finished, 'not done before it is written (the database is up)');
        await clock.advance(1);
        assert.deepStrictEqual(store.calls, [[mapped(0).key, mapped(1).key]]);
        assert.deepStrictEqual([a.finished.written, b.finished.written], [1, 1]);
    });

    it('before the store is ready, readings are safely buffered (released at once) and written in order later', async function () {
        const { core, clock, statuses } = makeWriter({ bufferSize: 100 });
        const recs = [];
        for (let i = 0; i < 5; i++) recs.push(send(core, [mapped(i)]));
        assert.ok(recs.every((r) => r.released && !r.finished));
        assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'yellow', shape: 'ring', key: 'buffering', params: { n: 5 } });
        const store = new FakeStore();
        core.setStore(store);
        await clock.advance(1000);
        assert.deepStrictEqual(store.docs.map((d) => d.seq), [0, 1, 2, 3, 4]);
        assert.ok(recs.every((r) => r.finished && r.finished.written === 1));
        assert.strictEqual(statuses[statuses.length - 1].key, 'ok');
    });

    it('a transient write failure keeps the batch, releases its messages, retries with backoff, writes in order', async function () {
        const { core, clock, logs } = makeWriter({ bufferSize: 100 });
        const store = new FakeStore();
        core.setStore(store);
        store.fail = netError();
        const recs = [];
        for (let i = 0; i < 6; i++) recs.push(send(core, [mapped(i)]));
        await clock.advance(0);
        assert.strictEqual(store.calls.length, 1);
        assert.ok(recs.every((r) => r.released), 'safely buffered once the database is known to be away');
        assert.strictEqual(core.pending, 6);
        assert.strictEqual(core.status().key, 'buffering');
        await clock.advance(250); // retry 1 fails (250 ms), next in 500 ms
        assert.strictEqual(store.calls.length, 2);
        store.fail = null;
        await clock.advance(500);
        assert.deepStrictEqual(store.docs.map((d) => d.seq), [0, 1, 2, 3, 4, 5]);
        assert.strictEqual(core.pending, 0);
        assert.ok(logs.some((l) => l.level === 'warn' && /write of 3 readings failed/.test(l.text)));
        assert.strictEqual(logs.filter((l) => /failed/.test(l.text)).length, 1, 'the retry failure is rate-limited');
    });

    it('the connection coming back retries at once instead of waiting for the backoff', async function () {
        const { core, clock } = makeWriter({ retryMinMs: 5000 });
        const store = new FakeStore();
        core.setStore(store);
        store.fail = netError();
        send(core, [mapped(0), mapped(1), mapped(2)]);
        await clock.advance(0);
        store.fail = null;
        core.connectionChanged(true);
        await clock.advance(0);
        assert.strictEqual(store.docs.length, 3);
    });

    for (const [policy, expectSeqs, expectDropped, expectRejected] of [
        ['drop-oldest', [2, 3, 4, 5, 6, 7], 2, 0],
        ['drop-newest', [0, 1, 2, 3, 4, 5], 2, 0],
        ['reject', [0, 1, 2, 3, 4, 5], 0, 2],
    ]) {
        it(`buffer bound 6, policy ${policy}: counted, logged, never silent`, async function () {
            const { core, clock, logs } = makeWriter({ bufferSize: 6, overflow: policy });
            const recs = [];
            for (let i = 0; i < 8; i++) recs.push(send(core, [mapped(i)]));
            assert.strictEqual(core.pending, 6);
            assert.strictEqual(core.counters.dropped, expectDropped);
            assert.strictEqual(core.counters.rejected, expectRejected);
            assert.strictEqual(logs.length, 1, 'one log line, the rest rate-limited');
            assert.match(logs[0].text, /buffer full \(6 readings\)/);
            if (policy === 'reject') {
                assert.match(recs[7].finished.failures[0], /buffer full/);
                assert.strictEqual(core.status().key, 'buffering');
            } else {
                const lostRec = policy === 'drop-oldest' ? recs[0] : recs[7];
                assert.strictEqual(lostRec.finished.dropped, 1);
                assert.deepStrictEqual(core.status().key, 'buffering-lost');
            }
            const store = new FakeStore();
            core.setStore(store);
            await clock.advance(2000);
            assert.deepStrictEqual(store.docs.map((d) => d.seq), expectSeqs);
        });
    }

    it('fallback: a duplicate key (11000) is success, counted as duplicate; recent keys skip the round trip', async function () {
        const { core, clock } = makeWriter({ batchSize: 2 });
        const store = new FakeStore('fallback');
        store.docs.push({ ...mapped(0).doc });
        core.setStore(store);
        const a = send(core, [mapped(0), mapped(1)]);
        await clock.advance(0);
        assert.deepStrictEqual([a.finished.written, a.finished.duplicates], [1, 1]);
        const b = send(core, [mapped(1), mapped(1)]);
        await clock.advance(0);
        assert.deepStrictEqual([b.finished.written, b.finished.duplicates], [0, 2]);
        assert.strictEqual(store.calls.length, 1, 'second message needed no insert');
        assert.strictEqual(store.docs.length, 2);
    });

    it('native: queries existing keys in the batch time range, so a redelivery after restart is stored once', async function () {
        const { core, clock } = makeWriter({ batchSize: 3 });
        const store = new FakeStore('native');
        store.docs.push({ ...mapped(1).doc }); // written by an earlier run
        core.setStore(store);
        const a = send(core, [mapped(0), mapped(1), mapped(2)]);
        await clock.advance(0);
        assert.strictEqual(store.queries, 1);
        assert.deepStrictEqual([a.finished.written, a.finished.duplicates], [2, 1]);
        assert.strictEqual(store.docs.length, 3);
        const b = send(core, [mapped(2), mapped(2), mapped(3)]);
        await clock.advance(0);
        assert.deepStrictEqual([b.finished.written, b.finished.duplicates], [1, 2]);
        assert.strictEqual(store.docs.length, 4);
    });

    it('close flushes what it holds within the bound; with the database away it reports the lost count', async function () {
        const { core } = makeWriter({ batchSize: 100, bufferSize: 1000, batchDelayMs: 60000 }, require('../../dist/nodes/picochain-mongo-ts/core').systemClock);
        const store = new FakeStore();
        core.setStore(store);
        for (let i = 0; i < 250; i++) send(core, [mapped(i)]);
        const r = await core.close(2000);
        assert.deepStrictEqual(r, { written: 250, lost: 0 });
        assert.strictEqual(store.docs.length, 250);

        const w2 = makeWriter({ bufferSize: 1000, retryMinMs: 50 }, require('../../dist/nodes/picochain-mongo-ts/core').systemClock);
        const dead = new FakeStore();
        dead.fail = netError();
        w2.core.setStore(dead);
        for (let i = 0; i < 10; i++) send(w2.core, [mapped(i)]);
        const t0 = Date.now();
        const r2 = await w2.core.close(300);
        assert.ok(Date.now() - t0 < 1000, 'bounded');
        assert.deepStrictEqual(r2, { written: 0, lost: 10 });
    });

    it('readings arriving during the close flush join it; after close they are refused', async function () {
        const { core } = makeWriter({ batchSize: 5, bufferSize: 100, batchDelayMs: 60000 }, require('../../dist/nodes/picochain-mongo-ts/core').systemClock);
        const store = new FakeStore();
        const slowInsert = store.insert.bind(store);
        store.insert = async (docs) => { await sleep(30); return slowInsert(docs); };
        core.setStore(store);
        for (let i = 0; i < 3; i++) send(core, [mapped(i)]);
        const closing = core.close(2000);
        await sleep(10);
        const late = send(core, [mapped(3)]);
        const r = await closing;
        assert.deepStrictEqual(r, { written: 4, lost: 0 });
        assert.strictEqual(late.finished.written, 1);
        const after = send(core, [mapped(4)]);
        assert.match(after.finished.failures[0], /closed/);
    });

    it('fallback retention: purges at start and on its interval; native mode never purges', async function () {
        const { core, clock } = makeWriter({ retentionS: 3600, purgeIntervalMs: 60000 });
        clock.t = T0 + 2 * 3600 * 1000;
        const store = new FakeStore('fallback');
        store.docs.push(mapped(0).doc, mapped(90).doc); // 2 h old and 30 min old
        core.setStore(store);
        await clock.advance(0);
        assert.deepStrictEqual(store.docs.map((d) => d.seq), [90]);
        await clock.advance(60000);
        assert.strictEqual(store.purges.length, 2);
        assert.strictEqual(core.counters.purged, 1);

        const n = makeWriter({ retentionS: 3600 });
        const nat = new FakeStore('native');
        n.core.setStore(nat);
        await n.clock.advance(3600000);
        assert.strictEqual(nat.purges.length, 0);
    });

    it('a message callback that throws does not make a stored batch look failed (no rewrite, logged)', async function () {
        const { core, clock, logs } = makeWriter({ batchSize: 2 });
        const store = new FakeStore();
        core.setStore(store);
        core.accept([mapped(0), mapped(1)], { onRelease() {}, onFinish() { throw new Error('downstream blew up'); } });
        await clock.advance(2000);
        assert.strictEqual(store.calls.length, 1);
        assert.strictEqual(core.counters.written, 2);
        assert.ok(logs.some((l) => /downstream blew up/.test(l.text)));
    });

    it('counts bad readings in the status', async function () {
        const { core } = makeWriter();
        core.setStore(new FakeStore());
        core.countInvalid(2);
        assert.deepStrictEqual(core.status(), { fill: 'yellow', shape: 'dot', key: 'ok-bad', params: { mode: 'fallback', n: 0, bad: 2 } });
    });

    it('RecentKeys forgets the oldest beyond its bound; RateLimitedLog holds back repeats', function () {
        const k = new RecentKeys(2);
        k.add('a'); k.add('b'); k.add('c');
        assert.deepStrictEqual([k.has('a'), k.has('b'), k.has('c'), k.size], [false, true, true, 2]);
        const clock = new FakeClock();
        const out = [];
        const log = new RateLimitedLog((l, t) => out.push(t), clock, 1000);
        log.log('x', 'warn', 'one'); log.log('x', 'warn', 'two'); log.log('x', 'warn', 'three');
        clock.t = 1500;
        log.log('x', 'warn', 'four');
        assert.deepStrictEqual(out, ['one', 'four (+2 similar in the last 2 s)']);
    });
});

describe('picochain-mongo-ts MongoStore.insert error handling (fake collection)', function () {
    const { MongoStore } = require('../../dist/nodes/picochain-mongo-ts/store');
    const bulk = (writeErrors, message = 'E11000 duplicate key') => Object.assign(new Error(message), { name: 'MongoBulkWriteError', code: writeErrors.length ? writeErrors[0].code : undefined, writeErrors, insertedCount: 1 });
    const storeThrowing = (err) => new MongoStore('fallback', { insertMany: async () => { throw err; } }, FIELDS);
    const docs = [mapped(0).doc, mapped(1).doc, mapped(2).doc];

    it('duplicate-key write errors (11000) are duplicates, other write errors are per-document failures', async function () {
        const r = await storeThrowing(bulk([{ index: 0, code: 11000 }, { index: 2, code: 121, errmsg: 'Document failed validation' }])).insert(docs);
        assert.deepStrictEqual(r.duplicateIndexes, [0]);
        assert.deepStrictEqual(r.failed, [{ index: 2, message: 'Document failed validation (code 121)' }]);
    });

    it('a bulk error without write errors (server unreachable) is thrown as transient, never taken as success', async function () {
        const err = bulk([], 'connect ECONNREFUSED 127.0.0.1:27017');
        await assert.rejects(storeThrowing(err).insert(docs), (e) => e === err && e.transient === true);
        const closed = bulk([], 'connection 1 to 127.0.0.1:27017 closed');
        await assert.rejects(storeThrowing(closed).insert(docs), (e) => e.transient === true);
    });

    it('a transient per-document error (shutdown) retries the whole batch', async function () {
        await assert.rejects(storeThrowing(bulk([{ index: 1, code: 11600, errmsg: 'interrupted at shutdown' }])).insert(docs));
    });

    it('renames time and meta fields for an existing time-series collection with other names', async function () {
        let got = null;
        const s = new MongoStore('native', { insertMany: async (d) => { got = d; return { insertedCount: d.length }; } }, FIELDS, { timeField: 'ts', metaField: 'tags' });
        await s.insert([mapped(0).doc]);
        assert.ok(got[0].ts instanceof Date && got[0].tags.device === 'fridge-1' && !('time' in got[0]) && !('meta' in got[0]));
    });
});

describe('picochain-mongo-ts settings', function () {
    it('defaults: readings, time/meta, minutes, keep, 100 / 1000 ms / 10000 / drop-oldest', function () {
        const { settings } = parseWriterSettings({});
        assert.deepStrictEqual(settings, { collection: 'readings', timeField: 'time', metaField: 'meta', granularity: 'minutes', retentionS: 0, batchSize: 100, batchDelayMs: 1000, bufferSize: 10000, overflow: 'drop-oldest' });
        assert.strictEqual(parseWriterSettings({ retention: 30, retentionUnit: 'd' }).settings.retentionS, 30 * 86400);
    });
    for (const [what, props, re] of [
        ['batch size 0', { batchSize: 0 }, /batch size/],
        ['buffer below the batch', { batchSize: 500, bufferSize: 100 }, /buffer size/],
        ['negative retention', { retention: -1 }, /retention/],
        ['granularity days', { granularity: 'days' }, /granularity/],
        ['policy unknown', { overflow: 'panic' }, /policy/],
        ['a $ collection', { collection: 'a$b' }, /collection/],
        ['timeField with a dot', { timeField: 'a.b' }, /timeField/],
    ]) {
        it(`refuses ${what}`, function () {
            assert.match(parseWriterSettings(props).error, re);
        });
    }
});

describe('picochain-mongo-ts config migrations', function () {
    const { migrate, CONFIG_VERSION } = require('../../dist/nodes/picochain-mongo-ts/migrations');
    it('v0 (no version): retention was expireAfterSeconds -> unit "s"; an output port by default', function () {
        const old = { id: 'w', type: 'picochain-mongo-ts', mongo: 'cfg', collection: 'readings', retention: 604800 };
        const m = migrate(old);
        assert.deepStrictEqual([m.version, m.retentionUnit, m.outputs, m.retention], [CONFIG_VERSION, 's', 1, 604800]);
        assert.strictEqual(parseWriterSettings(m).settings.retentionS, 604800);
        assert.strictEqual(migrate({ id: 'w' }).retentionUnit, 'd');
        assert.ok(!('version' in old), 'the original config is not modified');
    });
    it('v1 configs pass unchanged', function () {
        const v1 = { version: 1, retention: 30, retentionUnit: 'd', outputs: 0 };
        assert.deepStrictEqual(migrate(v1), v1);
    });
});

describe('picochain-mongo-config core', function () {
    it('redact() removes the password, its URL-encoded form and any URI password', function () {
        const pw = 's3cr:t/p@ss';
        const text = `auth failed for mongodb://bob:${encodeURIComponent(pw)}@db:27017/x (password ${pw}) and mongodb+srv://al:other@c.net/`;
        const out = redact(text, [pw]);
        assert.ok(!out.includes(pw) && !out.includes(encodeURIComponent(pw)) && !out.includes('other'), out);
        assert.match(out, /mongodb:\/\/bob:\*\*\*@db:27017/);
        assert.strictEqual(redact(new Error(`bad ${pw}`), [pw]), 'bad ***');
        assert.strictEqual(redact('nothing secret', [undefined, '']), 'nothing secret');
    });

    it('expandEnv() replaces ${VAR} anywhere in a field', function () {
        const env = { HOST: 'db.local', PORT: '27018' };
        assert.strictEqual(expandEnv('mongodb://${HOST}:${PORT}/', (n) => env[n]), 'mongodb://db.local:27018/');
        assert.strictEqual(expandEnv('${MISSING}x', () => undefined), 'x');
    });

    it('checkSettings() refuses bad strings, names and timeouts; clientOptions() keeps credentials out of the URI', function () {
        const ok = { uri: 'mongodb://h:1/', database: 'picochain', tls: false, connectTimeoutMs: 1000 };
        assert.strictEqual(checkSettings(ok), null);
        assert.match(checkSettings({ ...ok, uri: 'http://h' }), /mongodb:\/\//);
        assert.match(checkSettings({ ...ok, database: 'a.b' }), /database name/);
        assert.match(checkSettings({ ...ok, connectTimeoutMs: 5 }), /timeout/);
        assert.match(checkSettings({ ...ok, tls: true, tlsCAFile: '/nonexistent/ca.pem' }), /CA file .* does not exist/);
        assert.match(checkSettings({ ...ok, password: 'x' }), /needs a username/);
        const o = clientOptions({ ...ok, user: 'bob', password: 'pw', tls: true, tlsCAFile: '/ca.pem', tlsAllowInvalidCertificates: true });
        assert.deepStrictEqual(o.auth, { username: 'bob', password: 'pw' });
        assert.deepStrictEqual([o.tls, o.tlsCAFile, o.tlsAllowInvalidCertificates], [true, '/ca.pem', true]);
        assert.ok(!('tls' in clientOptions(ok)), 'TLS left to the connection string when not forced');
    });

    it('MongoConnection: waits while the server is unreachable, logs redacted, getDb rejects on close', async function () {
        this.timeout(10000);
        const port = await freePort();
        const logs = [];
        const states = [];
        const pw = 'hunter2-very-secret';
        const conn = new MongoConnection(
            { uri: `mongodb://bob:${pw}@127.0.0.1:${port}/`, database: 'x', user: 'bob', password: pw, tls: false, connectTimeoutMs: 300 },
            { log: (l, t) => logs.push(t) });
        conn.on('state', (s) => states.push(s));
        const user = {};
        conn.register(user);
        const db = conn.getDb();
        let settled = false;
        db.then(() => { settled = true; }, () => { settled = true; });
        await sleep(900);
        assert.ok(!settled, 'getDb waits while unreachable');
        assert.ok(!conn.isConnected());
        assert.deepStrictEqual(states.slice(0, 2), ['connecting', 'disconnected']);
        assert.ok(logs.length >= 1);
        for (const l of logs.concat([conn.error])) assert.ok(!l.includes(pw), `leak: ${l}`);
        conn.deregister(user);
        await conn.close(100);
        await assert.rejects(db, /closed/);
        assert.strictEqual(settled, true);
    });
});
