'use strict';
// picochain-mongo-ts writer core (core.ts, dedupe.ts) on a real spool in a temporary directory,
// a fake clock and an in-memory store (writer-fakes.js): batching, batches in flight, completion
// only once durable, retries, duplicates and conflicts, replay, the full-spool policies and their
// repeated reports, close with the database up and down, statuses.
const assert = require('assert');
const fs = require('fs');
const { spawnSync } = require('child_process');
const { RecentKeys, RateLimitedLog, systemClock } = require('../../dist/nodes/picochain-mongo-ts/core');
const { Spool } = require('../../dist/nodes/picochain-mongo-ts/spool');
const { encodeRecord } = require('../../dist/nodes/picochain-mongo-ts/record');
const { T0, mapped, ticks, FakeClock, FakeStore, netError, tempDir, removeTempDirs, makeWriter, closeWriters, send } = require('./writer-fakes');
const { sleep } = require('../support/wait');

const keys = (n, from = 0) => Array.from({ length: n }, (_, i) => mapped(from + i).key);
const seqs = (store) => store.docs.map((d) => d.seq);

describe('picochain-mongo-ts writer core (real spool, fake clock, fake store)', function () {
    afterEach(closeWriters);
    after(removeTempDirs);

    it('batches by size: 7 readings with batch 3 -> two batches at once, the rest after the delay', async function () {
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
        assert.deepStrictEqual(seqs(store), [0, 1, 2, 3, 4, 5, 6]);
    });

    it('batches by delay: 2 readings wait batchDelay ms from the first, then one insert', async function () {
        const { core, clock } = makeWriter({ batchSize: 100, batchDelayMs: 500 });
        const store = new FakeStore();
        core.setStore(store);
        send(core, [mapped(0)]);
        await clock.advance(200);
        send(core, [mapped(1)]);
        await clock.advance(299);
        assert.strictEqual(store.calls.length, 0);
        await clock.advance(1);
        assert.deepStrictEqual(store.calls, [keys(2)]);
    });

    it('writes up to inFlight batches at the same time, and no more', async function () {
        const { core, clock, batches } = makeWriter({ batchSize: 2, inFlight: 3 });
        const store = new FakeStore();
        const release = store.hold();
        core.setStore(store);
        for (let i = 0; i < 10; i++) send(core, [mapped(i)]);
        await clock.advance(0);
        assert.strictEqual(store.calls.length, 3, 'three batches in flight');
        assert.strictEqual(store.active, 3);
        release();
        await clock.advance(1000);
        assert.strictEqual(store.maxActive, 3);
        assert.deepStrictEqual(store.calls.map((c) => c.length), [2, 2, 2, 2, 2]);
        assert.strictEqual(store.docs.length, 10);
        assert.strictEqual(batches.reduce((a, b) => a + b.written, 0), 10);
    });

    it('releases a message only once its readings are synced to disk, database up or not', async function () {
        const { core, clock, spool } = makeWriter({ batchSize: 100 });
        const m = send(core, [mapped(0), mapped(1)], () => spool.durableN);
        assert.strictEqual(m.settled, null, 'not released synchronously');
        await clock.advance(0);
        assert.deepStrictEqual(m.settled, { durable: 2, dropped: 0, failures: [], untaken: [] });
        assert.ok(m.probe >= 1, `released with record ${m.probe} durable`);
        // the database is not there yet: the readings are in the spool, the message is done
        assert.strictEqual(core.spooled, 2);
        const store = new FakeStore();
        core.setStore(store);
        await clock.advance(1000);
        assert.deepStrictEqual(seqs(store), [0, 1]);
        assert.strictEqual(core.spooled, 0);
    });

    it('a transient failure keeps the readings in the spool and retries with a growing pause, then writes them', async function () {
        const { core, clock, logs, statuses } = makeWriter({ batchSize: 5, batchDelayMs: 100, retryMinMs: 250, retryMaxMs: 2000 });
        const store = new FakeStore();
        store.fail = netError();
        const at = [];
        const insert = store.insert.bind(store);
        store.insert = (docs) => { at.push(clock.now()); return insert(docs); };
        core.setStore(store);
        const msgs = [];
        for (let i = 0; i < 5; i++) msgs.push(send(core, [mapped(i)]));
        await clock.advance(0);
        await clock.advance(250 + 500 + 1000 + 2000 + 2000);
        assert.deepStrictEqual(at.map((t, i) => (i ? t - at[i - 1] : t)), [0, 250, 500, 1000, 2000, 2000], 'pauses double up to the cap');
        assert.ok(msgs.every((m) => m.settled && m.settled.durable === 1), 'released: durable in the spool');
        assert.strictEqual(core.spooled, 5);
        assert.strictEqual(store.docs.length, 0);
        assert.deepStrictEqual(statuses.at(-1), { fill: 'yellow', shape: 'ring', key: 'spooled', params: { n: 5 } });
        assert.ok(logs.some((l) => l.level === 'warn' && /write of 5 readings failed \(5 in the spool, retry in 250 ms\): connect ECONNREFUSED/.test(l.text)), JSON.stringify(logs));
        assert.ok(logs.length <= 3, `rate-limited: ${logs.length} lines`);
        store.fail = null;
        await clock.advance(2000);
        assert.deepStrictEqual(seqs(store), [0, 1, 2, 3, 4]);
        assert.strictEqual(core.spooled, 0);
        assert.strictEqual(statuses.at(-1).key, 'ok');
    });

    it('after a failed write a retry is one batch, and the status says "spooled" until a write lands', async function () {
        const { core, clock, statuses } = makeWriter({ batchSize: 2, inFlight: 3, batchDelayMs: 0, retryMinMs: 250 });
        const store = new FakeStore();
        store.fail = netError();
        core.setStore(store);
        for (let i = 0; i < 8; i++) send(core, [mapped(i)]);
        await clock.advance(0);
        assert.strictEqual(core.status().key, 'spooled');
        // the database is still away: the retry waits for it (the driver's server selection)
        const release = store.hold();
        const before = store.calls.length;
        await clock.advance(250);
        assert.strictEqual(store.calls.length - before, 1, 'one batch tries the database');
        assert.strictEqual(store.active, 1);
        assert.deepStrictEqual(core.status(), { fill: 'yellow', shape: 'ring', key: 'spooled', params: { n: 8 } });
        const since = statuses.slice(statuses.findIndex((st) => st.key === 'spooled')).map((st) => st.key);
        assert.ok(since.every((k) => k === 'spooled'), `statuses since the failure: ${since}`);
        // it is back: the probe lands, the other batches follow
        store.fail = null;
        release();
        await clock.advance(100);
        assert.deepStrictEqual(seqs(store).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert.strictEqual(core.status().key, 'ok');
    });

    it('writes at once when the connection comes back (no waiting for the backoff)', async function () {
        const { core, clock } = makeWriter({ batchSize: 2, batchDelayMs: 0, retryMinMs: 8000 });
        const store = new FakeStore();
        store.fail = netError();
        core.setStore(store);
        send(core, [mapped(0), mapped(1)]);
        await clock.advance(10);
        core.connectionChanged(false);
        assert.strictEqual(core.isOnline, false);
        store.fail = null;
        core.connectionChanged(true);
        await clock.advance(10);
        assert.deepStrictEqual(seqs(store), [0, 1]);
    });

    it('fallback: a reading already stored with the same values (11000) is a duplicate; recent keys skip the round trip', async function () {
        const { core, clock, batches } = makeWriter({ batchSize: 2, batchDelayMs: 0 });
        const store = new FakeStore('fallback');
        store.docs.push({ ...mapped(0).doc });
        core.setStore(store);
        send(core, [mapped(0), mapped(1)]);
        await clock.advance(0);
        assert.deepStrictEqual(batches.map((b) => [b.written, b.duplicates, b.conflicts.length, b.failed.length]), [[1, 1, 0, 0]]);
        send(core, [mapped(1), mapped(1)]);
        await clock.advance(0);
        assert.deepStrictEqual(batches[1], { written: 0, duplicates: 2, conflicts: [], failed: [], devices: {}, queued: 0 });
        assert.strictEqual(store.calls.length, 1, 'the second batch needed no insert');
        assert.strictEqual(store.docs.length, 2);
        assert.deepStrictEqual([core.counters.written, core.counters.duplicates, core.counters.conflicts], [1, 3, 0]);
    });

    it('native: asks the store which keys it holds (batch time range) before inserting, so a replay is stored once', async function () {
        const { core, clock, batches } = makeWriter({ batchSize: 3, batchDelayMs: 0 });
        const store = new FakeStore('native');
        store.docs.push({ ...mapped(1).doc });
        core.setStore(store);
        send(core, [mapped(0), mapped(1), mapped(2)]);
        await clock.advance(0);
        assert.strictEqual(store.queries, 1);
        assert.deepStrictEqual(store.calls, [[mapped(0).key, mapped(2).key]]);
        assert.deepStrictEqual([batches[0].written, batches[0].duplicates], [2, 1]);
        assert.strictEqual(store.docs.length, 3);
    });

    it('native: the same reading in two batches in flight at once is stored once (the later batch waits for the earlier)', async function () {
        const { core, clock, batches } = makeWriter({ batchSize: 1, batchDelayMs: 0, inFlight: 2 });
        const store = new FakeStore('native');
        const release = store.hold();
        core.setStore(store);
        send(core, [mapped(0)]);
        send(core, [mapped(0)]);
        await clock.advance(0);
        release();
        await clock.advance(0);
        assert.strictEqual(store.docs.length, 1);
        assert.deepStrictEqual(batches.map((b) => [b.written, b.duplicates]), [[1, 0], [0, 1]]);
    });

    for (const mode of ['fallback', 'native']) {
        it(`${mode}: the same device, sensor and time with other values is a conflict: reported, kept apart, counted, logged`, async function () {
            const { core, clock, batches, logs } = makeWriter({ batchSize: 3, batchDelayMs: 0 });
            const store = new FakeStore(mode);
            store.docs.push({ ...mapped(0).doc });
            core.setStore(store);
            send(core, [mapped(0, { mean: 9.5 }), mapped(1), mapped(1, { mean: 7 })]);
            await clock.advance(0);
            const b = batches[0];
            assert.deepStrictEqual([b.written, b.duplicates, b.conflicts.length, b.failed.length], [1, 0, 2, 0]);
            const c = b.conflicts[0];
            assert.deepStrictEqual([c.key, c.device, c.sensor, c.time.getTime()], [mapped(0).key, 'fridge-1', 'temperature', T0]);
            assert.deepStrictEqual([c.stored.mean, c.received.mean], [4.1, 9.5]);
            assert.deepStrictEqual([b.conflicts[1].stored.mean, b.conflicts[1].received.mean], [4.1, 7], 'within the batch: the first copy is kept');
            assert.strictEqual(store.docs.find((d) => d._id === mapped(0).key).mean, 4.1, 'the stored value is kept');
            assert.deepStrictEqual(store.conflicts.map((d) => d.mean).sort(), [7, 9.5], 'the other values are saved apart');
            assert.strictEqual(core.counters.conflicts, 2);
            assert.ok(logs.some((l) => l.level === 'warn' && /conflicting reading fridge-1\|temperature\|\d+: .*stored mean 4\.1, received mean 9\.5.*2 conflicts so far/.test(l.text)), JSON.stringify(logs));
            // the conflicting value sent again: still a conflict (from the recent keys), not a duplicate
            send(core, [mapped(0, { mean: 9.5 })]);
            await clock.advance(1000);
            assert.strictEqual(batches[1].conflicts.length, 1);
            assert.strictEqual(batches[1].conflicts[0].stored.mean, 4.1);
            assert.strictEqual(store.conflicts.length, 2, 'kept once per value');
        });
    }

    it('a document the server refuses is reported as failed, counted, logged and not retried; the rest is stored', async function () {
        const { core, clock, batches, logs } = makeWriter({ batchSize: 3, batchDelayMs: 0 });
        const store = new FakeStore();
        store.refuse.add(mapped(1).key);
        core.setStore(store);
        const m = send(core, [mapped(0), mapped(1), mapped(2)]);
        await clock.advance(5000);
        assert.deepStrictEqual(batches[0].failed, [{ key: mapped(1).key, reason: 'Document failed validation (code 121)' }]);
        assert.strictEqual(store.calls.length, 1);
        assert.deepStrictEqual(seqs(store), [0, 2]);
        assert.strictEqual(core.counters.failed, 1);
        assert.strictEqual(core.spooled, 0);
        assert.strictEqual(m.settled.durable, 3, 'the message was released when durable, before the server saw it');
        assert.ok(logs.some((l) => l.level === 'error' && /refused reading .* not stored: Document failed validation/.test(l.text)));
        assert.strictEqual(core.status().key, 'ok-bad');
    });

    it('replays at open what an earlier writer left in its spool (closed with the database away), in order', async function () {
        const dir = tempDir();
        const first = makeWriter({ batchSize: 10 }, { dir });
        for (let i = 0; i < 25; i++) send(first.core, [mapped(i)]);
        await first.clock.advance(0);
        const r = await first.core.close(0);
        assert.deepStrictEqual(r, { written: 0, spooled: 25, refused: 0 });
        const second = makeWriter({ batchSize: 10, batchDelayMs: 60000 }, { dir });
        assert.strictEqual(second.report.records, 25);
        assert.strictEqual(second.core.counters.replayed, 25);
        const store = new FakeStore();
        second.core.setStore(store);
        await second.clock.advance(0);
        assert.deepStrictEqual(seqs(store), [...Array(25).keys()], 'written at once, without waiting for the batch delay');
    });

    it('replays after the process that accepted the readings was killed (SIGKILL), nothing lost', async function () {
        const dir = tempDir();
        const core = require.resolve('../../dist/nodes/picochain-mongo-ts/core');
        const spool = require.resolve('../../dist/nodes/picochain-mongo-ts/spool');
        const doc = require.resolve('../../dist/nodes/picochain-mongo-ts/document');
        const src = `
            const { WriterCore } = require(${JSON.stringify(core)});
            const { Spool } = require(${JSON.stringify(spool)});
            const { toDocument } = require(${JSON.stringify(doc)});
            const w = new WriterCore({ batchSize: 50, batchDelayMs: 200, inFlight: 4, whenFull: 'block', retentionS: 0 }, new Spool({ dir: ${JSON.stringify(dir)} }));
            w.open();
            let released = 0;
            for (let i = 0; i < 300; i++) {
                const r = { device: 'fridge-1', sensor: 'temperature', time: new Date(${T0} + i * 60000), mean: i };
                w.accept([toDocument(r, { timeField: 'time', metaField: 'meta' }, new Date())], (t) => {
                    released += t.durable;
                    if (released === 300) { process.stdout.write('released'); process.kill(process.pid, 'SIGKILL'); }
                });
            }`;
        const run = spawnSync(process.execPath, ['-e', src], { encoding: 'utf8', timeout: 20000 });
        assert.strictEqual(run.signal, 'SIGKILL', run.stderr);
        assert.strictEqual(run.stdout, 'released');
        const { core: w, clock } = makeWriter({ batchSize: 100 }, { dir });
        const store = new FakeStore();
        w.setStore(store);
        await clock.advance(0);
        assert.strictEqual(store.docs.length, 300);
        assert.deepStrictEqual(store.docs.map((d) => d.mean), [...Array(300).keys()]);
    });

    it('a spool record that cannot be read back is counted as corrupt and skipped; the others are stored', async function () {
        const dir = tempDir();
        const s = new Spool({ dir });
        s.open();
        s.append(encodeRecord(mapped(0).key, mapped(0).doc, 'time'), null);
        s.append(Buffer.from('{"not":"a record"}'), null);
        s.append(encodeRecord(mapped(2).key, mapped(2).doc, 'time'), null);
        await s.close();
        const { core, clock, logs } = makeWriter({ batchSize: 10 }, { dir });
        const store = new FakeStore();
        core.setStore(store);
        await clock.advance(0);
        assert.deepStrictEqual(seqs(store), [0, 2]);
        assert.strictEqual(core.counters.corrupt, 1);
        assert.strictEqual(core.spooled, 0);
        assert.ok(logs.some((l) => l.level === 'error' && /could not be read back \(not a spool record\)/.test(l.text)));
        assert.deepStrictEqual(core.status(), { fill: 'yellow', shape: 'dot', key: 'ok-lost', params: { mode: 'fallback', n: 2, lost: 1 } });
    });

    /** A writer whose spool holds about `fit` readings, with the database away. */
    function fullWriter(policy, extra = {}) {
        const w = makeWriter({ batchSize: 5, whenFull: policy, ...extra }, { spool: { maxBytes: 4096 } });
        const sent = [];
        let i = 0;
        while (!w.core.isFull) sent.push(send(w.core, [mapped(i++)]));
        return { ...w, sent, fit: i - 1 };
    }

    it('block: at a full spool messages stay unreleased until there is room; said every 10 s with counts while it lasts', async function () {
        const { core, clock, logs, sent, fit, statuses } = fullWriter('block');
        assert.ok(fit > 5 && fit < 20, `${fit} readings fit`);
        for (let k = 0; k < 3; k++) sent.push(send(core, [mapped(fit + 1 + k)]));
        await clock.advance(0);
        assert.ok(sent.slice(0, fit).every((m) => m.settled && m.settled.durable === 1));
        assert.ok(sent.slice(fit).every((m) => m.settled === null), 'the 4 that found the spool full are not released');
        assert.strictEqual(core.waitingForRoom, 4);
        assert.deepStrictEqual(statuses.at(-1), { fill: 'red', shape: 'ring', key: 'full', params: { n: 4 } });
        const fullLines = () => logs.filter((l) => /^spool full/.test(l.text));
        assert.strictEqual(fullLines().length, 1, 'said at once');
        assert.match(fullLines()[0].text, /^spool full \(0 of 0 MB, \d+ readings not yet in the database\) for 0 s: 1 readings waiting for room, 0 dropped and 0 refused so far$/);
        await clock.advance(10000);
        await clock.advance(10000);
        assert.strictEqual(fullLines().length, 3, 'repeated every 10 s');
        assert.match(fullLines()[2].text, /for 20 s: 4 readings waiting for room/);
        assert.strictEqual(fullLines()[2].level, 'warn');
        const store = new FakeStore();
        core.setStore(store);
        await clock.advance(5000);
        assert.ok(sent.every((m) => m.settled && m.settled.durable === 1), 'released once they had room');
        assert.deepStrictEqual(seqs(store), [...Array(fit + 4).keys()], 'nothing lost, in order');
        assert.ok(logs.some((l) => l.level === 'info' && /^spool has room again after 20 s/.test(l.text)));
        await clock.advance(30000);
        assert.strictEqual(fullLines().length, 3, 'not repeated once over');
        assert.strictEqual(core.status().key, 'ok');
    });

    it('block: beyond maxWaiting readings waiting for room, new ones are refused with an error', async function () {
        const { core, clock, sent, fit } = fullWriter('block', { maxWaiting: 3 });
        for (let k = 0; k < 3; k++) sent.push(send(core, [mapped(fit + 1 + k)]));
        await clock.advance(0);
        assert.strictEqual(core.waitingForRoom, 3);
        assert.deepStrictEqual(sent.slice(fit).map((m) => m.settled), [null, null, null, { durable: 0, dropped: 0, failures: [`spool full and 3 readings already waiting for room: reading ${mapped(fit + 3).key} not stored`], untaken: [] }]);
        assert.strictEqual(core.counters.rejected, 1);
    });

    it('drop-newest: a full spool drops the new reading, counted, status and repeated log line with the count', async function () {
        const { core, clock, logs, sent, fit } = fullWriter('drop-newest');
        for (let k = 0; k < 4; k++) sent.push(send(core, [mapped(fit + 1 + k)]));
        await clock.advance(0);
        assert.ok(sent.slice(fit).every((m) => m.settled.dropped === 1));
        assert.strictEqual(core.counters.dropped, 5);
        assert.deepStrictEqual(core.status(), { fill: 'red', shape: 'ring', key: 'full-dropped', params: { n: 5 } });
        await clock.advance(10000);
        const lines = logs.filter((l) => /^spool full/.test(l.text));
        assert.strictEqual(lines.length, 2);
        assert.match(lines[1].text, /0 readings waiting for room, 5 dropped and 0 refused so far/);
        assert.strictEqual(lines[1].level, 'error', 'readings are being lost');
        const store = new FakeStore();
        core.setStore(store);
        await clock.advance(1000);
        assert.deepStrictEqual(seqs(store), [...Array(fit).keys()]);
        assert.deepStrictEqual(core.status(), { fill: 'yellow', shape: 'dot', key: 'ok-lost', params: { mode: 'fallback', n: fit, lost: 5 } });
    });

    it('reject: a full spool fails the new reading\'s message with an error', async function () {
        const { core, clock, sent, fit } = fullWriter('reject');
        await clock.advance(0);
        assert.match(sent[fit].settled.failures[0], /^spool full: reading fridge-1\|temperature\|\d+ not stored$/);
        assert.strictEqual(core.counters.rejected, 1);
        assert.deepStrictEqual(core.status(), { fill: 'red', shape: 'ring', key: 'full-refused', params: { n: 1 } });
    });

    it('close with the database up drains the spool within the bound (batch delay 60 s)', async function () {
        const { core, spool } = makeWriter({ batchSize: 100, batchDelayMs: 60000 }, { clock: systemClock });
        const store = new FakeStore();
        core.setStore(store);
        const msgs = [];
        for (let i = 0; i < 250; i++) msgs.push(send(core, [mapped(i)]));
        await sleep(20);
        assert.strictEqual(store.docs.length, 200, 'two full batches went at once, the rest waits for the delay');
        const r = await core.close(2000);
        assert.deepStrictEqual(r, { written: 50, spooled: 0, refused: 0 });
        assert.strictEqual(store.docs.length, 250);
        assert.ok(msgs.every((m) => m.settled.durable === 1));
        assert.ok(spool.isClosed);
    });

    it('close with the database away ends at once and keeps everything in the spool for the next start', async function () {
        const dir = tempDir();
        const { core } = makeWriter({ retryMinMs: 50 }, { clock: systemClock, dir });
        const dead = new FakeStore();
        dead.fail = netError();
        core.setStore(dead);
        for (let i = 0; i < 10; i++) send(core, [mapped(i)]);
        await sleep(20);
        core.connectionChanged(false);
        const t0 = Date.now();
        const r = await core.close(0);
        assert.ok(Date.now() - t0 < 500, `closed in ${Date.now() - t0} ms`);
        assert.deepStrictEqual(r, { written: 0, spooled: 10, refused: 0 });
        const next = makeWriter({}, { dir });
        assert.strictEqual(next.report.records, 10);
    });

    it('readings arriving while it closes join the spool; after close they are refused and left untaken', async function () {
        const { core } = makeWriter({ batchSize: 5, batchDelayMs: 60000 }, { clock: systemClock });
        const store = new FakeStore();
        const slowInsert = store.insert.bind(store);
        store.insert = async (docs) => { await sleep(30); return slowInsert(docs); };
        core.setStore(store);
        for (let i = 0; i < 3; i++) send(core, [mapped(i)]);
        const closing = core.close(2000);
        await ticks(1);
        const late = send(core, [mapped(3)]);
        const r = await closing;
        assert.deepStrictEqual(r, { written: 4, spooled: 0, refused: 0 });
        assert.strictEqual(late.settled.durable, 1);
        const after = send(core, [mapped(4)]);
        assert.deepStrictEqual(after.settled, { durable: 0, dropped: 0, failures: [], untaken: ['the writer has stopped'] });
    });

    it('close refuses readings still waiting for room (untaken: not stored, not acknowledged)', async function () {
        const { core, sent, fit } = fullWriter('block');
        const r = await core.close(0);
        assert.strictEqual(r.refused, 1);
        assert.deepStrictEqual(sent[fit].settled.untaken, ['the writer stopped while the spool was full']);
    });

    it('a spool that cannot write (disk error) fails the messages without acknowledging them, status in red', async function () {
        const { core, clock, logs } = makeWriter();
        // a disk error cannot be produced on this machine: a thin shim makes the next fdatasync fail
        const real = fs.fdatasync;
        fs.fdatasync = (fd, cb) => { fs.fdatasync = real; cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })); };
        const m = send(core, [mapped(0), mapped(1)]);
        await clock.advance(0);
        fs.fdatasync = real;
        assert.deepStrictEqual(m.settled.untaken, ['spool: EIO: i/o error, fdatasync', 'spool: EIO: i/o error, fdatasync']);
        assert.strictEqual(m.settled.durable, 0);
        const later = send(core, [mapped(2)]);
        assert.deepStrictEqual(later.settled.untaken, ['spool: EIO: i/o error, fdatasync']);
        assert.deepStrictEqual(core.status(), { fill: 'red', shape: 'ring', key: 'spool-error', params: {} });
        assert.ok(logs.some((l) => l.level === 'error' && /spool write failed, 2 readings not made durable/.test(l.text)));
    });

    it('statuses: connecting, spooled, ok with counts, queued, failing, bad', async function () {
        const { core, clock, statuses } = makeWriter({ batchSize: 2, inFlight: 1, batchDelayMs: 0 });
        assert.deepStrictEqual(core.status(), { fill: 'yellow', shape: 'ring', key: 'connecting', params: {} });
        send(core, [mapped(0)]);
        await clock.advance(0);
        assert.deepStrictEqual(statuses.at(-1), { fill: 'yellow', shape: 'ring', key: 'spooled', params: { n: 1 } });
        const store = new FakeStore();
        const release = store.hold();
        core.setStore(store);
        for (let i = 1; i < 8; i++) send(core, [mapped(i)]);
        await clock.advance(0);
        assert.deepStrictEqual(core.status(), { fill: 'blue', shape: 'dot', key: 'ok-queued', params: { mode: 'fallback', n: 0, q: 8 } });
        release();
        await clock.advance(100);
        assert.deepStrictEqual(core.status(), { fill: 'green', shape: 'dot', key: 'ok', params: { mode: 'fallback', n: 8 } });
        core.countInvalid(2);
        assert.deepStrictEqual(statuses.at(-1), { fill: 'yellow', shape: 'dot', key: 'ok-bad', params: { mode: 'fallback', n: 8, bad: 2 } });
        store.fail = Object.assign(new Error('not authorized on picochain to execute command'), { code: 13, transient: false });
        send(core, [mapped(9), mapped(10)]);
        await clock.advance(0);
        assert.deepStrictEqual(core.status(), { fill: 'red', shape: 'ring', key: 'spooled', params: { n: 2 } });
        core.connectionChanged(false);
        core.connectionChanged(true);
        await clock.advance(0);
        assert.strictEqual(core.status().key, 'spooled');
    });

    it('fallback retention: purges at start and on its interval; native mode never purges', async function () {
        const { core, clock } = makeWriter({ retentionS: 3600, purgeIntervalMs: 60000 });
        clock.t = T0 + 2 * 3600 * 1000;
        const store = new FakeStore('fallback');
        store.docs.push(mapped(0).doc, mapped(90).doc); // 2 h old and 30 min old
        core.setStore(store);
        await clock.advance(0);
        assert.deepStrictEqual(seqs(store), [90]);
        await clock.advance(60000);
        assert.strictEqual(store.purges.length, 2);
        assert.strictEqual(core.counters.purged, 1);

        const n = makeWriter({ retentionS: 3600 });
        const nat = new FakeStore('native');
        n.core.setStore(nat);
        await n.clock.advance(3600000);
        assert.strictEqual(nat.purges.length, 0);
    });

    it('a batch report callback that throws does not make a stored batch look failed (no rewrite, logged)', async function () {
        const w = makeWriter({ batchSize: 2 });
        const store = new FakeStore();
        w.core.setStore(store);
        w.batches.push = () => { throw new Error('downstream blew up'); };
        send(w.core, [mapped(0), mapped(1)]);
        await w.clock.advance(2000);
        assert.strictEqual(store.calls.length, 1);
        assert.strictEqual(w.core.counters.written, 2);
        assert.strictEqual(w.core.spooled, 0);
        assert.ok(w.logs.some((l) => /downstream blew up/.test(l.text)));
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
