/**
 * The writer's engine, apart from Node-RED and the driver: readings go into a disk spool
 * (spool.ts) first and are written from it to the database in batches, several in flight, with
 * duplicate and conflict detection, retry with backoff while the database is away, the fallback
 * retention purge, and a bounded drain on close. Time is injected.
 *
 * Message completion ("done") contract, also in the node's help:
 * - a message is released once each of its readings is *durable*: in the spool and synced to
 *   disk (fdatasync). From then on it survives a Node-RED crash or a power cut and is written to
 *   the database, in spool order, when the database is reachable (at the latest at the next start);
 * - when the spool is full the `whenFull` policy decides: `block` (default) keeps the message
 *   waiting, unreleased, until there is room, so a picochain-mqtt-in upstream withholds the
 *   broker's acknowledgement and the broker keeps the message; `drop-newest` drops the reading
 *   (counted, logged) and releases; `reject` fails the message with done(err).
 */
import { DUPLICATE_KEY, Mode } from './mode';
import { MappedReading, ReadingDoc } from './document';
import { decodeRecord, encodeRecord, fingerprint, parseFingerprint, valuesOf } from './record';
import { Spool, SpoolRecord } from './spool';
import { Backoff } from '../shared/backoff';
import type { LogLevel } from '../shared/node-log';

export type { LogLevel } from '../shared/node-log';

export type FullPolicy = 'block' | 'drop-newest' | 'reject';
export const FULL_POLICIES: readonly FullPolicy[] = ['block', 'drop-newest', 'reject'];

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_BATCH_DELAY_MS = 200;
export const DEFAULT_IN_FLIGHT = 4;
export const DEFAULT_RECENT_KEYS = 50000;
/** Readings that may wait for room in a full spool (policy block) before new ones are refused. */
export const DEFAULT_MAX_WAITING = 20000;
export const RETRY_MIN_MS = 250;
export const RETRY_MAX_MS = 10000;
/** Same-kind log lines (drops, write failures) at most once per this many ms; "spool full" repeats at this pace. */
export const LOG_INTERVAL_MS = 10000;

export interface WriterOptions {
    batchSize: number;
    batchDelayMs: number;
    /** Batches written at the same time. */
    inFlight: number;
    whenFull: FullPolicy;
    /** Retention in seconds, 0 = keep forever. In fallback mode the writer purges itself. */
    retentionS: number;
    /** How often the fallback purge runs; default retention/10 clamped to 1 min..1 h. */
    purgeIntervalMs?: number;
    recentKeys?: number;
    maxWaiting?: number;
    retryMinMs?: number;
    retryMaxMs?: number;
}

/** Result of one insertMany: indexes are positions in the docs array given to insert(). */
export interface InsertOutcome {
    inserted: number;
    duplicateIndexes: number[];
    failed: { index: number; message: string }[];
}

/** What the engine needs from the database (store.ts implements it with the driver). */
export interface Store {
    readonly mode: Mode;
    readonly timeField: string;
    insert(docs: ReadingDoc[]): Promise<InsertOutcome>;
    /** Of `ids`, the stored documents with a time in [from, to] (their values, for the conflict check). */
    existing(ids: string[], from: Date, to: Date): Promise<Map<string, Record<string, unknown>>>;
    /** Keeps the second document of a conflicting reading (idempotent per key and values). */
    keepConflicts(docs: ReadingDoc[]): Promise<void>;
    /** Deletes documents older than cutoff; returns how many. */
    purgeOlderThan(cutoff: Date): Promise<number>;
}

export interface Clock {
    now(): number;
    setTimeout(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface TicketResult {
    /** Readings durable in the spool. */
    durable: number;
    dropped: number;
    /** Why readings of this message will not be stored (refused at a full spool, writer closed). */
    failures: string[];
}

/** Tracks one message's readings into the spool; `onSettled` runs once, when each is durable or refused. */
export class Ticket {
    private remaining: number;
    readonly result: TicketResult = { durable: 0, dropped: 0, failures: [] };
    private finished = false;

    constructor(count: number, private readonly onSettled: (r: TicketResult) => void) {
        this.remaining = count;
        if (count === 0) this.finish();
    }

    settle(kind: 'durable' | 'dropped' | 'failed', reason?: string): void {
        if (this.finished) return;
        if (kind === 'durable') this.result.durable++;
        else if (kind === 'dropped') this.result.dropped++;
        else this.result.failures.push(reason || 'not stored');
        if (--this.remaining <= 0) this.finish();
    }

    get isFinished(): boolean { return this.finished; }

    private finish(): void {
        this.finished = true;
        this.onSettled(this.result);
    }
}

/** Insertion-ordered map with a size bound: the oldest key leaves first. Values: fingerprints. */
export class RecentKeys {
    private readonly keys = new Map<string, string>();
    constructor(private readonly capacity: number) {}
    get(key: string): string | undefined { return this.keys.get(key); }
    has(key: string): boolean { return this.keys.has(key); }
    add(key: string, fp = ''): void {
        if (this.capacity <= 0) return;
        this.keys.delete(key);
        this.keys.set(key, fp);
        while (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value as string);
    }
    get size(): number { return this.keys.size; }
}

/** Prints the first message of a kind, then at most one per interval with how many were held back. */
export class RateLimitedLog {
    private readonly last = new Map<string, { at: number; held: number }>();
    constructor(private readonly sink: (level: LogLevel, text: string) => void, private readonly clock: Clock, private readonly intervalMs = LOG_INTERVAL_MS) {}
    log(kind: string, level: LogLevel, text: string): void {
        const now = this.clock.now();
        const s = this.last.get(kind);
        if (s && now - s.at < this.intervalMs) { s.held++; return; }
        const held = s ? s.held : 0;
        this.last.set(kind, { at: now, held: 0 });
        this.sink(level, held > 0 ? `${text} (+${held} similar in the last ${Math.round((now - (s as { at: number }).at) / 1000)} s)` : text);
    }
}

export interface WriterCounters {
    written: number;
    duplicates: number;
    conflicts: number;
    invalid: number;
    dropped: number;
    rejected: number;
    failed: number;
    batches: number;
    purged: number;
    /** Readings found in the spool at start (written before the node stopped, not yet stored). */
    replayed: number;
}

export interface WriterStatus {
    fill: 'green' | 'yellow' | 'red' | 'blue' | 'grey';
    shape: 'dot' | 'ring';
    /** Key under the node's `status` catalog, with its parameters. */
    key: string;
    params: Record<string, string | number>;
}

/** A conflicting reading: the same (device, sensor, time) stored with other values. */
export interface Conflict {
    key: string;
    device: string;
    sensor: string;
    time: Date;
    stored: Record<string, unknown>;
    received: Record<string, unknown>;
}

/** What one written batch did (the node's output message). */
export interface BatchReport {
    written: number;
    duplicates: number;
    conflicts: Conflict[];
    failed: { key: string; reason: string }[];
    /** Readings still waiting in the spool after this batch. */
    queued: number;
}

export interface WriterHooks {
    clock?: Clock;
    log?: (level: LogLevel, text: string) => void;
    onStatus?: (status: WriterStatus) => void;
    onBatch?: (report: BatchReport) => void;
}

/** A reading on its way to the database. */
interface Entry {
    n: number;
    key: string;
    doc: ReadingDoc;
    time: Date;
}

/** What the spool keeps in memory with a record (the decoded document, to skip a re-parse). */
interface Held {
    key: string;
    doc: ReadingDoc;
    time: Date;
}

/** A reading that waits for room in a full spool (policy block). */
interface Waiting {
    m: MappedReading;
    ticket: Ticket;
}

type Verdict = { kind: 'written' | 'duplicate' | 'failed'; reason?: string; conflict?: Conflict };

export class WriterCore {
    readonly opts: Required<WriterOptions>;
    readonly counters: WriterCounters = { written: 0, duplicates: 0, conflicts: 0, invalid: 0, dropped: 0, rejected: 0, failed: 0, batches: 0, purged: 0, replayed: 0 };
    private readonly clock: Clock;
    private readonly log: RateLimitedLog;
    private readonly rawLog: (level: LogLevel, text: string) => void;
    private readonly onStatus: (s: WriterStatus) => void;
    private readonly onBatch: (r: BatchReport) => void;
    private readonly recent: RecentKeys;
    private readonly backoff: Backoff;
    private store: Store | null = null;
    private online = false;
    private failing = false;
    /** Entries taken from the spool whose write failed: written again first. */
    private retry: Entry[] = [];
    private writing = 0;
    private inFlightReadings = 0;
    private waiting: Waiting[] = [];
    private firstUntakenAt: number | null = null;
    private batchTimer: unknown = null;
    private retryTimer: unknown = null;
    private purgeTimer: unknown = null;
    private fullTimer: unknown = null;
    private draining = false;
    private closing = false;
    /** After close(): nothing is accepted any more. */
    private closed = false;
    private idleWaiters: (() => void)[] = [];

    constructor(opts: WriterOptions, private readonly spool: Spool<Held>, hooks: WriterHooks = {}) {
        const retentionMs = opts.retentionS * 1000;
        this.opts = {
            purgeIntervalMs: opts.purgeIntervalMs ?? Math.min(3600000, Math.max(60000, retentionMs / 10)),
            recentKeys: opts.recentKeys ?? DEFAULT_RECENT_KEYS,
            maxWaiting: opts.maxWaiting ?? DEFAULT_MAX_WAITING,
            retryMinMs: opts.retryMinMs ?? RETRY_MIN_MS,
            retryMaxMs: opts.retryMaxMs ?? RETRY_MAX_MS,
            ...opts,
        } as Required<WriterOptions>;
        this.clock = hooks.clock || systemClock;
        this.rawLog = hooks.log || (() => undefined);
        this.log = new RateLimitedLog(this.rawLog, this.clock);
        this.onStatus = hooks.onStatus || (() => undefined);
        this.onBatch = hooks.onBatch || (() => undefined);
        this.recent = new RecentKeys(this.opts.recentKeys);
        this.backoff = new Backoff(this.opts.retryMinMs, this.opts.retryMaxMs);
    }

    /** Opens the spool; what it holds from before is written once the store is ready. */
    open(): number {
        const n = this.spool.open();
        this.counters.replayed = n;
        if (n > 0) this.firstUntakenAt = this.clock.now() - this.opts.batchDelayMs;
        return n;
    }

    /** Readings not yet in the database: in the spool, in flight, or waiting for room. */
    get pending(): number { return this.spool.unconfirmed + this.waiting.length; }
    get spooled(): number { return this.spool.unconfirmed; }
    get spoolBytes(): number { return this.spool.usedBytes; }
    get mode(): Mode | null { return this.store ? this.store.mode : null; }
    get isOnline(): boolean { return this.online && this.store !== null; }

    /** The store is ready (collection prepared): start writing what waits. */
    setStore(store: Store): void {
        this.store = store;
        this.online = true;
        this.backoff.reset();
        this.emitStatus();
        this.pump();
        if (store.mode === 'fallback' && this.opts.retentionS > 0) void this.purge();
    }

    /** The connection came back or went away (config node state events). */
    connectionChanged(connected: boolean): void {
        if (this.closed) return;
        if (connected) {
            this.clearRetry();
            this.backoff.reset();
            this.online = this.store !== null;
            this.pump();
        } else {
            this.online = false;
        }
        this.emitStatus();
    }

    /** Counts readings refused before they reached the spool (shown in the status). */
    countInvalid(n: number): void {
        if (n <= 0) return;
        this.counters.invalid += n;
        this.emitStatus();
    }

    /**
     * Takes one message's valid readings into the spool. `onSettled` runs once each reading is
     * durable (synced) or refused; with policy block at a full spool that waits for room.
     */
    accept(mapped: MappedReading[], onSettled: (r: TicketResult) => void): Ticket {
        const ticket = new Ticket(mapped.length, onSettled);
        let appended = 0;
        for (const m of mapped) {
            if (this.closed || this.closing) { ticket.settle('failed', 'the writer is closing'); continue; }
            if (this.spool.failure) { ticket.settle('failed', `spool: ${this.spool.failure.message}`); continue; }
            if (this.waiting.length > 0 || !this.append(m)) {
                this.whenFull(m, ticket);
                continue;
            }
            appended++;
        }
        if (appended > 0) this.syncThen(ticket, appended);
        this.emitStatus();
        this.pump();
        return ticket;
    }

    /** Appends one reading; false when the spool has no room. */
    private append(m: MappedReading): boolean {
        const n = this.spool.append(encodeRecord(m.key, m.doc, this.timeFieldOf(m)), { key: m.key, doc: m.doc, time: m.time });
        if (n < 0) return false;
        if (this.firstUntakenAt === null) this.firstUntakenAt = this.clock.now();
        return true;
    }

    private timeFieldOf(m: MappedReading): string {
        for (const k of Object.keys(m.doc)) if (m.doc[k] === m.time) return k;
        return 'time';
    }

    /** Settles `count` readings of a ticket as durable once the spool has synced them. */
    private syncThen(ticket: Ticket, count: number): void {
        this.spool.sync().then(() => {
            for (let i = 0; i < count; i++) ticket.settle('durable');
            this.pump();
        }, (err) => {
            this.log.log('spool', 'error', `spool write failed, readings not made durable: ${errorText(err)}`);
            for (let i = 0; i < count; i++) ticket.settle('failed', `spool: ${errorText(err)}`);
            this.emitStatus();
        });
    }

    /** The spool is full (or others wait before this one): apply the policy. */
    private whenFull(m: MappedReading, ticket: Ticket): void {
        const policy = this.opts.whenFull;
        const bound = `spool full (${Math.round(this.spool.maxBytes / 1048576)} MB)`;
        if (policy === 'block' && this.waiting.length < this.opts.maxWaiting) {
            this.waiting.push({ m, ticket });
            this.startFullReports();
            return;
        }
        if (policy === 'reject' || policy === 'block') {
            this.counters.rejected++;
            const why = policy === 'block' ? `${bound} and ${this.opts.maxWaiting} readings already waiting` : bound;
            this.log.log('reject', 'warn', `${why}: reading ${m.key} refused; ${this.counters.rejected} refused so far`);
            ticket.settle('failed', `${why}: reading ${m.key} not stored`);
        } else {
            this.counters.dropped++;
            this.log.log('drop', 'warn', `${bound}: dropped the newest reading (${m.key}); ${this.counters.dropped} dropped so far`);
            ticket.settle('dropped');
        }
        this.startFullReports();
    }

    /** While readings wait or are dropped, say so every LOG_INTERVAL_MS with the running counts. */
    private startFullReports(): void {
        if (this.fullTimer !== null || this.closed) return;
        const report = (): void => {
            this.fullTimer = null;
            if (this.waiting.length === 0 && !this.spool.wouldOverflow(0)) {
                return;
            }
            this.rawLog('warn', `spool full (${Math.round(this.spool.usedBytes / 1048576)} of ${Math.round(this.spool.maxBytes / 1048576)} MB, ${this.spool.unconfirmed} readings not yet in the database): ${this.waiting.length} readings waiting for room, ${this.counters.dropped} dropped and ${this.counters.rejected} refused so far`);
            if (!this.closed) this.fullTimer = this.clock.setTimeout(report, LOG_INTERVAL_MS);
        };
        report();
    }

    /** Moves waiting readings into the spool as room appears. */
    private admitWaiting(): void {
        if (this.waiting.length === 0) return;
        const byTicket = new Map<Ticket, number>();
        while (this.waiting.length > 0) {
            const w = this.waiting[0];
            if (!this.append(w.m)) break;
            this.waiting.shift();
            byTicket.set(w.ticket, (byTicket.get(w.ticket) || 0) + 1);
        }
        for (const [t, n] of byTicket) this.syncThen(t, n);
    }

    /** Starts batches while there is room in flight and something to write. */
    private pump(): void {
        if (this.closed || !this.store || !this.online || this.retryTimer !== null) return;
        if (this.closing && !this.draining) return;
        while (this.writing < this.opts.inFlight) {
            const untaken = this.retry.length + this.spool.untaken;
            if (untaken === 0) { this.firstUntakenAt = null; break; }
            const due = this.firstUntakenAt === null || this.clock.now() - this.firstUntakenAt >= this.opts.batchDelayMs;
            if (untaken < this.opts.batchSize && !due && !this.draining) {
                this.armBatchTimer();
                break;
            }
            const batch = this.takeBatch();
            if (batch.length === 0) break; // records not yet synced: the sync's settle calls pump again
            this.firstUntakenAt = this.retry.length + this.spool.untaken > 0 ? this.clock.now() : null;
            void this.writeBatch(batch);
        }
        if (this.writing === 0) this.notifyIdle();
    }

    private armBatchTimer(): void {
        if (this.batchTimer !== null || this.firstUntakenAt === null) return;
        const wait = Math.max(0, this.firstUntakenAt + this.opts.batchDelayMs - this.clock.now());
        this.batchTimer = this.clock.setTimeout(() => { this.batchTimer = null; this.pump(); }, wait);
    }

    private takeBatch(): Entry[] {
        const batch = this.retry.splice(0, this.opts.batchSize);
        if (batch.length < this.opts.batchSize) {
            for (const r of this.spool.take(this.opts.batchSize - batch.length)) {
                const e = this.toEntry(r);
                if (e) batch.push(e);
            }
        }
        return batch;
    }

    private toEntry(r: SpoolRecord<Held>): Entry | null {
        if (r.value) return { n: r.n, key: r.value.key, doc: r.value.doc, time: r.value.time };
        try {
            const d = decodeRecord(r.payload);
            return { n: r.n, key: d.key, doc: d.doc, time: d.time };
        } catch (err) {
            this.counters.failed++;
            this.log.log('corrupt', 'error', `a spool record could not be read and is skipped: ${errorText(err)}`);
            this.spool.confirm([r.n]);
            return null;
        }
    }

    private async writeBatch(batch: Entry[]): Promise<void> {
        const store = this.store as Store;
        if (this.batchTimer !== null) { this.clock.clearTimeout(this.batchTimer); this.batchTimer = null; }
        this.writing++;
        this.inFlightReadings += batch.length;
        let verdict: Verdict[];
        try {
            verdict = await this.writeEntries(store, batch);
        } catch (err) {
            this.writing--;
            this.inFlightReadings -= batch.length;
            this.retry.unshift(...batch);
            this.retry.sort((a, b) => a.n - b.n);
            const transient = isTransient(err);
            this.failing = !transient;
            this.online = false;
            const delay = this.backoff.next();
            this.log.log('write', transient ? 'warn' : 'error',
                `write of ${batch.length} readings failed (${this.spool.unconfirmed} in the spool, retry in ${delay} ms): ${errorText(err)}`);
            if (!this.closed && !this.closing) {
                this.clearRetry();
                this.retryTimer = this.clock.setTimeout(() => {
                    this.retryTimer = null;
                    this.online = this.store !== null;
                    this.pump();
                }, delay);
            }
            this.emitStatus();
            if (this.writing === 0) this.notifyIdle();
            return;
        }
        this.writing--;
        this.inFlightReadings -= batch.length;
        this.counters.batches++;
        this.online = true;
        this.failing = false;
        this.backoff.reset();
        const report: BatchReport = { written: 0, duplicates: 0, conflicts: [], failed: [], queued: 0 };
        batch.forEach((e, i) => {
            const v = verdict[i];
            if (v.kind === 'written') { this.counters.written++; report.written++; this.recent.add(e.key, fingerprint(e.doc)); }
            else if (v.kind === 'duplicate') {
                this.counters.duplicates++;
                report.duplicates++;
                if (v.conflict) { this.counters.conflicts++; report.conflicts.push(v.conflict); }
                // remember what the database holds for this key (the first value is the one kept)
                this.recent.add(e.key, fingerprint(v.conflict ? v.conflict.stored : e.doc));
            } else {
                this.counters.failed++;
                report.failed.push({ key: e.key, reason: v.reason || 'refused' });
                this.log.log('refused', 'error', `the server refused reading ${e.key}, it is not stored: ${v.reason}`);
            }
        });
        for (const c of report.conflicts) {
            this.log.log('conflict', 'warn', `conflicting reading ${c.key}: already stored with other values (stored mean ${String(c.stored.mean)}, received mean ${String(c.received.mean)}); the first is kept, the second saved apart; ${this.counters.conflicts} conflicts so far`);
        }
        this.spool.confirm(batch.map((e) => e.n));
        this.admitWaiting();
        report.queued = this.pending;
        try {
            this.onBatch(report);
        } catch (cbErr) {
            this.log.log('callback', 'error', `after writing a batch: ${errorText(cbErr)}`);
        }
        this.emitStatus();
        this.pump();
    }

    /** Dedupe (recent keys, within the batch, then the store), detect conflicts, insert. */
    private async writeEntries(store: Store, batch: Entry[]): Promise<Verdict[]> {
        const verdict: Verdict[] = batch.map(() => ({ kind: 'written' }));
        const seen = new Map<string, number>();
        let fresh: number[] = [];
        batch.forEach((e, i) => {
            const fp = fingerprint(e.doc);
            const recentFp = this.recent.get(e.key);
            const first = seen.get(e.key);
            if (recentFp !== undefined) verdict[i] = { kind: 'duplicate', conflict: recentFp !== fp ? this.conflict(e, null, recentFp) : undefined };
            else if (first !== undefined) verdict[i] = { kind: 'duplicate', conflict: fingerprint(batch[first].doc) !== fp ? this.conflict(e, batch[first].doc) : undefined };
            else { seen.set(e.key, i); fresh.push(i); }
        });
        if (store.mode === 'native' && fresh.length > 0) {
            // time-series collections enforce no unique index: ask which of these are already there
            const found = await this.lookup(store, batch, fresh);
            fresh = fresh.filter((i) => {
                const stored = found.get(batch[i].key);
                if (!stored) return true;
                verdict[i] = this.duplicateOf(batch[i], stored);
                return false;
            });
        }
        if (fresh.length > 0) {
            const outcome = await store.insert(fresh.map((i) => batch[i].doc));
            const dupes = outcome.duplicateIndexes.map((d) => fresh[d]);
            for (const f of outcome.failed) verdict[fresh[f.index]] = { kind: 'failed', reason: f.message };
            if (dupes.length > 0) {
                // already stored (a replay after a restart, a redelivery): same values, or a conflict?
                const found = await this.lookup(store, batch, dupes);
                for (const i of dupes) {
                    const stored = found.get(batch[i].key);
                    verdict[i] = stored ? this.duplicateOf(batch[i], stored) : { kind: 'duplicate' };
                }
            }
        }
        const conflicting = verdict.map((v, i) => (v.conflict ? batch[i] : null)).filter((e): e is Entry => e !== null);
        if (conflicting.length > 0) await store.keepConflicts(conflicting.map((e) => e.doc));
        return verdict;
    }

    private async lookup(store: Store, batch: Entry[], idx: number[]): Promise<Map<string, Record<string, unknown>>> {
        let from = batch[idx[0]].time.getTime();
        let to = from;
        for (const i of idx) { const t = batch[i].time.getTime(); if (t < from) from = t; if (t > to) to = t; }
        return store.existing(idx.map((i) => batch[i].key), new Date(from), new Date(to));
    }

    private duplicateOf(e: Entry, stored: Record<string, unknown>): Verdict {
        return { kind: 'duplicate', conflict: fingerprint(stored) !== fingerprint(e.doc) ? this.conflict(e, stored) : undefined };
    }

    private conflict(e: Entry, stored: Record<string, unknown> | null, storedFp?: string): Conflict {
        // the key is device|sensor|time (ids never contain "|")
        const [device, sensor] = e.key.split('|');
        const storedValues = stored ? valuesOf(stored) : parseFingerprint(storedFp || '');
        return { key: e.key, device, sensor, time: e.time, stored: storedValues, received: valuesOf(e.doc) };
    }

    /** Runs the fallback retention purge once (no-op in native mode or with retention 0). */
    async purge(): Promise<number> {
        if (this.purgeTimer !== null) { this.clock.clearTimeout(this.purgeTimer); this.purgeTimer = null; }
        const store = this.store;
        if (!store || store.mode !== 'fallback' || this.opts.retentionS <= 0 || this.closing) return 0;
        let n = 0;
        try {
            n = await store.purgeOlderThan(new Date(this.clock.now() - this.opts.retentionS * 1000));
            this.counters.purged += n;
            if (n > 0) this.rawLog('info', `retention: purged ${n} readings older than ${this.opts.retentionS} s`);
        } catch (err) {
            this.log.log('purge', 'warn', `retention purge failed, will retry: ${errorText(err)}`);
        }
        if (!this.closing) this.purgeTimer = this.clock.setTimeout(() => { this.purgeTimer = null; void this.purge(); }, this.opts.purgeIntervalMs);
        return n;
    }

    /**
     * Stops accepting, makes everything accepted durable, then (database reachable) keeps writing
     * from the spool for at most `drainMs`, and closes the spool. What is not yet in the database
     * stays in the spool for the next start. Readings still waiting for room are refused.
     */
    async close(drainMs: number): Promise<{ written: number; spooled: number; refused: number }> {
        this.closing = true;
        const before = this.counters.written + this.counters.duplicates;
        for (const t of [this.batchTimer, this.purgeTimer, this.fullTimer]) if (t !== null) this.clock.clearTimeout(t);
        this.batchTimer = this.purgeTimer = this.fullTimer = null;
        const refused = this.waiting.length;
        for (const w of this.waiting.splice(0)) w.ticket.settle('failed', 'the writer closed while the spool was full');
        try { await this.spool.sync(); } catch { /* reported by syncThen */ }
        if (this.isOnline && drainMs > 0) {
            this.draining = true;
            this.clearRetry();
            const deadline = this.clock.now() + drainMs;
            this.pump();
            while (this.clock.now() < deadline && (this.writing > 0 || (this.isOnline && this.retry.length + this.spool.untaken > 0))) {
                await Promise.race([this.idle(), this.sleep(Math.max(0, deadline - this.clock.now()))]);
                if (this.writing === 0 && this.isOnline) this.pump();
                if (this.writing === 0 && !this.isOnline) break;
            }
            this.draining = false;
        } else if (this.writing > 0) {
            // let batches already sent finish (their confirmation shortens the next replay)
            await Promise.race([this.idle(), this.sleep(Math.min(2000, Math.max(0, drainMs)))]);
        }
        this.clearRetry();
        this.closed = true;
        await this.spool.close();
        return { written: this.counters.written + this.counters.duplicates - before, spooled: this.spool.unconfirmed, refused };
    }

    private sleep(ms: number): Promise<void> {
        return new Promise<void>((r) => { this.clock.setTimeout(r, ms); });
    }

    private idle(): Promise<void> {
        if (this.writing === 0) return Promise.resolve();
        return new Promise<void>((r) => this.idleWaiters.push(r));
    }

    private notifyIdle(): void {
        for (const w of this.idleWaiters.splice(0)) w();
    }

    private clearRetry(): void {
        if (this.retryTimer !== null) {
            this.clock.clearTimeout(this.retryTimer);
            this.retryTimer = null;
        }
    }

    /** Status for the node: connecting / spooled N / spool full / mode and counts / failing. */
    status(): WriterStatus {
        const c = this.counters;
        const bad = c.invalid + c.rejected + c.failed;
        const lost = c.dropped;
        const queued = this.spool.unconfirmed;
        if (this.spool.failure) return { fill: 'red', shape: 'ring', key: 'spool-error', params: {} };
        if (this.waiting.length > 0) return { fill: 'red', shape: 'ring', key: 'full', params: { n: this.waiting.length } };
        if (!this.isOnline) {
            if (queued === 0 && lost === 0 && !this.failing) {
                return { fill: 'yellow', shape: 'ring', key: this.store ? 'disconnected' : 'connecting', params: {} };
            }
            if (lost > 0) return { fill: 'red', shape: 'ring', key: 'spooled-lost', params: { n: queued, lost } };
            return { fill: this.failing ? 'red' : 'yellow', shape: 'ring', key: 'spooled', params: { n: queued } };
        }
        const mode = this.mode as Mode;
        if (this.failing) return { fill: 'red', shape: 'ring', key: 'failing', params: { n: queued } };
        if (lost > 0) return { fill: 'yellow', shape: 'dot', key: 'ok-lost', params: { mode, n: c.written, lost } };
        if (bad > 0) return { fill: 'yellow', shape: 'dot', key: 'ok-bad', params: { mode, n: c.written, bad } };
        if (queued > this.opts.batchSize * this.opts.inFlight) return { fill: 'blue', shape: 'dot', key: 'ok-queued', params: { mode, n: c.written, q: queued } };
        return { fill: 'green', shape: 'dot', key: 'ok', params: { mode, n: c.written } };
    }

    private emitStatus(): void {
        this.onStatus(this.status());
    }
}

/** Transient = retry later (the store tags its errors; anything without a verdict counts as transient). */
function isTransient(err: unknown): boolean {
    const e = err as { transient?: boolean } | null;
    return !(e && e.transient === false);
}

/** One line for a log: the error's message, never its stack. */
export function errorText(err: unknown): string {
    if (err && typeof err === 'object' && 'message' in err) return String((err as Error).message);
    return String(err);
}

export { DUPLICATE_KEY };
