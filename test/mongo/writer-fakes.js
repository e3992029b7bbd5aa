'use strict';
// What the writer-core tests give the engine instead of a server and the wall clock: a manual
// clock, an in-memory Store with the Store interface's semantics (unique _id in fallback mode like
// MongoDB's 11000, none in native mode), and a writer on a real spool in a temporary directory.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { WriterCore } = require('../../dist/nodes/picochain-mongo-ts/core');
const { Spool } = require('../../dist/nodes/picochain-mongo-ts/spool');
const { toDocument } = require('../../dist/nodes/picochain-mongo-ts/document');

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

async function ticks(n = 5) { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)); }

/** A manual clock: timers run only when the test advances time; `settle` lets real I/O (the spool's fdatasync) finish between steps. */
class FakeClock {
    constructor() { this.t = 0; this.timers = []; this.seq = 0; this.settle = ticks; }
    now() { return this.t; }
    setTimeout(fn, ms) { const h = { at: this.t + Math.max(0, ms), fn, id: this.seq++ }; this.timers.push(h); return h; }
    clearTimeout(h) { this.timers = this.timers.filter((x) => x !== h); }
    async advance(ms) {
        const end = this.t + ms;
        for (;;) {
            await this.settle();
            this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
            const next = this.timers[0];
            if (!next || next.at > end) break;
            this.timers.shift();
            this.t = next.at;
            next.fn();
        }
        this.t = end;
        await this.settle();
    }
}

/** An in-memory Store. `fail` makes every call throw; `hold()` keeps inserts pending until released. */
class FakeStore {
    constructor(mode = 'fallback') {
        this.mode = mode; this.timeField = 'time';
        this.docs = []; this.conflicts = []; this.calls = []; this.queries = 0; this.purges = [];
        this.fail = null; this.refuse = new Set(); this.gate = null; this.active = 0; this.maxActive = 0;
    }
    hold() { let open; this.gate = new Promise((r) => { open = r; }); return () => { this.gate = null; open(); }; }
    async insert(docs) {
        this.calls.push(docs.map((d) => d._id));
        this.active++;
        this.maxActive = Math.max(this.maxActive, this.active);
        try {
            if (this.gate) await this.gate;
            if (this.fail) throw this.fail;
            const duplicateIndexes = [];
            const failed = [];
            docs.forEach((d, i) => {
                if (this.refuse.has(d._id)) failed.push({ index: i, message: 'Document failed validation (code 121)' });
                else if (this.mode === 'fallback' && this.docs.some((x) => x._id === d._id)) duplicateIndexes.push(i);
                else this.docs.push(d);
            });
            return { inserted: docs.length - duplicateIndexes.length - failed.length, duplicateIndexes, failed };
        } finally {
            this.active--;
        }
    }
    async existing(ids, from, to) {
        this.queries++;
        if (this.fail) throw this.fail;
        return new Map(this.docs.filter((d) => ids.includes(d._id) && d.time >= from && d.time <= to).map((d) => [d._id, d]));
    }
    async keepConflicts(docs) {
        if (this.fail) throw this.fail;
        for (const d of docs) if (!this.conflicts.some((c) => c._id === d._id && c.mean === d.mean)) this.conflicts.push(d);
    }
    async purgeOlderThan(cutoff) {
        this.purges.push(cutoff);
        const before = this.docs.length;
        this.docs = this.docs.filter((d) => d.time >= cutoff);
        return before - this.docs.length;
    }
}
const netError = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoNetworkError' });

const tempDirs = [];
function tempDir() {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-writer-'));
    tempDirs.push(d);
    return path.join(d, 'spool');
}
function removeTempDirs() {
    for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

const writers = [];
/**
 * A WriterCore on a real spool (in `dir`, a new temp dir by default), opened, with its logs,
 * statuses and batch reports recorded. `clock` defaults to a FakeClock that settles the spool.
 */
function makeWriter(opts = {}, { clock = new FakeClock(), dir = tempDir(), spool: spoolOpts = {} } = {}) {
    const logs = [];
    const statuses = [];
    const batches = [];
    const spool = new Spool({ dir, checkpointIntervalMs: 0, ...spoolOpts });
    if (clock instanceof FakeClock) {
        clock.settle = async () => {
            for (let i = 0; i < 3; i++) {
                await spool.sync().catch(() => undefined);
                await ticks();
            }
        };
    }
    const core = new WriterCore({ batchSize: 3, batchDelayMs: 1000, inFlight: 4, whenFull: 'block', retentionS: 0, ...opts }, spool,
        { clock, log: (level, text) => logs.push({ level, text }), onStatus: (s) => statuses.push(s), onBatch: (r) => batches.push(r) });
    const report = core.open();
    const w = { core, clock, logs, statuses, batches, spool, dir, report };
    writers.push(w);
    return w;
}
/** Closes every writer a test left open (database away: nothing to drain). */
async function closeWriters() {
    for (const w of writers.splice(0)) await w.core.close(0).catch(() => undefined);
}

/** Feeds one message of readings; the returned record gets the ticket's result once it settles. */
function send(core, items, probe) {
    const rec = { settled: null };
    core.accept(items, (r) => { rec.settled = r; if (probe) rec.probe = probe(); });
    return rec;
}

module.exports = { FIELDS, NOW, T0, reading, mapped, ticks, FakeClock, FakeStore, netError, tempDir, removeTempDirs, makeWriter, closeWriters, send };
