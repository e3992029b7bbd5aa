/**
 * The writer's engine, apart from Node-RED and the driver: a bounded in-order buffer, batches
 * flushed by size and by delay, duplicate suppression, retry with backoff while the database is
 * away, the fallback retention purge, and a bounded flush on close. Time is injected.
 *
 * Message completion ("done") contract, also in the node's help:
 * - a message is released when each of its readings is either acknowledged by the server
 *   (inserted, or recognised as already stored) or *safely buffered*;
 * - *safely buffered* = accepted into this writer's bounded in-memory buffer while the database
 *   is unreachable (not connected yet, or the last write failed with a transient error). Such a
 *   reading is written, in order, after the connection returns; it is lost only if the overflow
 *   policy drops it (counted, logged) or if Node-RED stops before the database returns (the count
 *   is logged on close). It does not survive a crash of the Node-RED process.
 */
import { DUPLICATE_KEY, Mode } from './mode';
import { MappedReading, ReadingDoc } from './document';

export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'reject';
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['drop-oldest', 'drop-newest', 'reject'];

export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_BATCH_DELAY_MS = 1000;
export const DEFAULT_BUFFER_SIZE = 10000;
export const DEFAULT_RECENT_KEYS = 50000;
export const RETRY_MIN_MS = 250;
export const RETRY_MAX_MS = 10000;
/** Same-kind log lines (drops, write failures) are printed at most once per this many ms. */
export const LOG_INTERVAL_MS = 10000;

export interface WriterOptions {
    batchSize: number;
    batchDelayMs: number;
    bufferSize: number;
    overflow: OverflowPolicy;
    /** Retention in seconds, 0 = keep forever. In fallback mode the writer purges itself. */
    retentionS: number;
    /** How often the fallback purge runs; default retention/10 clamped to 1 min..1 h. */
    purgeIntervalMs?: number;
    recentKeys?: number;
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
    insert(docs: ReadingDoc[]): Promise<InsertOutcome>;
    /** Of `ids`, those already stored with a time in [from, to] (used in native mode). */
    existingIds(ids: string[], from: Date, to: Date): Promise<Set<string>>;
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

export type { LogLevel } from '../shared/node-log';
import type { LogLevel } from '../shared/node-log';

export interface TicketResult {
    written: number;
    duplicates: number;
    dropped: number;
    /** Why readings of this message were not stored (rejected at the bound, refused by the server). */
    failures: string[];
    /** True when the message was already released as safely buffered before this result. */
    released: boolean;
}

/** How the engine reports back about one message. */
export interface TicketCallbacks {
    /** The message's readings are all safely buffered: done() may be called. Called at most once. */
    onRelease(): void;
    /** Every reading of the message reached a final state. Called exactly once. */
    onFinish(result: TicketResult): void;
}

/** Tracks one message's readings through the buffer. */
export class Ticket {
    private remaining: number;
    readonly result: TicketResult = { written: 0, duplicates: 0, dropped: 0, failures: [], released: false };
    private finished = false;

    constructor(count: number, private readonly cb: TicketCallbacks) {
        this.remaining = count;
        if (count === 0) this.finish();
    }

    settle(kind: 'written' | 'duplicate' | 'dropped' | 'failed', reason?: string): void {
        if (this.finished) return;
        if (kind === 'written') this.result.written++;
        else if (kind === 'duplicate') this.result.duplicates++;
        else if (kind === 'dropped') this.result.dropped++;
        else this.result.failures.push(reason || 'not stored');
        if (--this.remaining <= 0) this.finish();
    }

    release(): void {
        if (this.finished || this.result.released) return;
        this.result.released = true;
        this.cb.onRelease();
    }

    get isFinished(): boolean { return this.finished; }

    private finish(): void {
        this.finished = true;
        this.cb.onFinish(this.result);
    }
}

interface Entry {
    doc: ReadingDoc;
    key: string;
    time: Date;
    ticket: Ticket;
    queuedAt: number;
}

/** Insertion-ordered set with a size bound: the oldest key leaves first. */
export class RecentKeys {
    private readonly keys = new Map<string, true>();
    constructor(private readonly capacity: number) {}
    has(key: string): boolean { return this.keys.has(key); }
    add(key: string): void {
        if (this.capacity <= 0) return;
        this.keys.delete(key);
        this.keys.set(key, true);
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
    invalid: number;
    dropped: number;
    rejected: number;
    failed: number;
    batches: number;
    purged: number;
}

export interface WriterStatus {
    fill: 'green' | 'yellow' | 'red' | 'blue' | 'grey';
    shape: 'dot' | 'ring';
    /** Key under the node's `status` catalog, with its parameters. */
    key: string;
    params: Record<string, string | number>;
}

export interface WriterHooks {
    clock?: Clock;
    log?: (level: LogLevel, text: string) => void;
    onStatus?: (status: WriterStatus) => void;
}

function retryDelay(attempt: number, min: number, max: number): number {
    return Math.min(max, min * Math.pow(2, Math.min(attempt, 16)));
}

/**
 * The buffer + batcher. Readings enter with accept(), leave through the Store in the order they
 * came, one batch in flight at a time; while the store is missing or failing they wait (bounded).
 */
export class WriterCore {
    readonly opts: Required<WriterOptions>;
    readonly counters: WriterCounters = { written: 0, duplicates: 0, invalid: 0, dropped: 0, rejected: 0, failed: 0, batches: 0, purged: 0 };
    private readonly clock: Clock;
    private readonly log: RateLimitedLog;
    private readonly rawLog: (level: LogLevel, text: string) => void;
    private readonly onStatus: (s: WriterStatus) => void;
    private readonly recent: RecentKeys;
    private queue: Entry[] = [];
    private inFlight: Entry[] | null = null;
    private flushing: Promise<void> | null = null;
    private store: Store | null = null;
    private online = false;
    private failing = false;
    private attempt = 0;
    private batchTimer: unknown = null;
    private retryTimer: unknown = null;
    private purgeTimer: unknown = null;
    private closing = false;
    /** After close(): nothing is accepted any more (during close, readings still join the final flush). */
    private closed = false;

    constructor(opts: WriterOptions, hooks: WriterHooks = {}) {
        const retentionMs = opts.retentionS * 1000;
        this.opts = {
            purgeIntervalMs: opts.purgeIntervalMs ?? Math.min(3600000, Math.max(60000, retentionMs / 10)),
            recentKeys: opts.recentKeys ?? DEFAULT_RECENT_KEYS,
            retryMinMs: opts.retryMinMs ?? RETRY_MIN_MS,
            retryMaxMs: opts.retryMaxMs ?? RETRY_MAX_MS,
            ...opts,
        } as Required<WriterOptions>;
        if (this.opts.bufferSize < this.opts.batchSize) this.opts.bufferSize = this.opts.batchSize;
        this.clock = hooks.clock || systemClock;
        this.rawLog = hooks.log || (() => undefined);
        this.log = new RateLimitedLog(this.rawLog, this.clock);
        this.onStatus = hooks.onStatus || (() => undefined);
        this.recent = new RecentKeys(this.opts.recentKeys);
    }

    /** Readings held and not yet acknowledged (queued + in flight). */
    get pending(): number { return this.queue.length + (this.inFlight ? this.inFlight.length : 0); }
    get mode(): Mode | null { return this.store ? this.store.mode : null; }
    get isOnline(): boolean { return this.online && this.store !== null; }

    /** The store is ready (collection prepared): start writing what waits. */
    setStore(store: Store): void {
        this.store = store;
        this.online = true;
        this.attempt = 0;
        this.emitStatus();
        this.schedule();
        if (store.mode === 'fallback' && this.opts.retentionS > 0) void this.purge();
    }

    /** The connection came back or went away (config node state events). */
    connectionChanged(connected: boolean): void {
        if (this.closing) return;
        if (connected) {
            if (this.retryTimer !== null) {
                this.clock.clearTimeout(this.retryTimer);
                this.retryTimer = null;
            }
            this.attempt = 0;
            this.schedule();
        } else {
            this.goOffline();
        }
        this.emitStatus();
    }

    /** Counts readings refused before they reached the buffer (shown in the status). */
    countInvalid(n: number): void {
        if (n <= 0) return;
        this.counters.invalid += n;
        this.emitStatus();
    }

    /**
     * Takes one message's valid readings. Returns the ticket that reports their fate. Readings over
     * the buffer bound are handled by the overflow policy before this returns.
     */
    accept(mapped: MappedReading[], cb: TicketCallbacks): Ticket {
        const ticket = new Ticket(mapped.length, cb);
        const now = this.clock.now();
        for (const m of mapped) {
            if (this.closed) {
                ticket.settle('failed', 'the writer is closed');
                continue;
            }
            if (this.pending >= this.opts.bufferSize) {
                const policy = this.opts.overflow;
                if (policy === 'drop-oldest' && this.queue.length > 0) {
                    const old = this.queue.shift() as Entry;
                    this.counters.dropped++;
                    this.log.log('drop', 'warn', `buffer full (${this.opts.bufferSize} readings): dropped the oldest reading (${old.key}); ${this.counters.dropped} dropped so far`);
                    old.ticket.settle('dropped');
                } else if (policy === 'reject') {
                    this.counters.rejected++;
                    this.log.log('reject', 'warn', `buffer full (${this.opts.bufferSize} readings): rejected a new reading (${m.key}); ${this.counters.rejected} rejected so far`);
                    ticket.settle('failed', `buffer full (${this.opts.bufferSize} readings): reading ${m.key} not stored`);
                    continue;
                } else {
                    this.counters.dropped++;
                    this.log.log('drop', 'warn', `buffer full (${this.opts.bufferSize} readings): dropped the newest reading (${m.key}); ${this.counters.dropped} dropped so far`);
                    ticket.settle('dropped');
                    continue;
                }
            }
            this.queue.push({ doc: m.doc, key: m.key, time: m.time, ticket, queuedAt: now });
        }
        if (!this.isOnline) ticket.release();
        this.emitStatus();
        this.schedule();
        return ticket;
    }

    /** Writes what is queued now, ignoring the delay (one batch; the rest follows). */
    flushNow(): Promise<void> {
        if (this.flushing) return this.flushing;
        if (!this.store || this.queue.length === 0) return Promise.resolve();
        this.flushing = this.writeOneBatch().finally(() => {
            this.flushing = null;
            this.schedule();
        });
        return this.flushing;
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
     * Stops accepting, writes what it holds until `timeoutMs` has passed, then gives up.
     * Returns how many readings were written during the close and how many are lost.
     */
    async close(timeoutMs: number): Promise<{ written: number; lost: number }> {
        this.closing = true;
        const before = this.counters.written + this.counters.duplicates;
        for (const t of [this.batchTimer, this.purgeTimer]) if (t !== null) this.clock.clearTimeout(t);
        this.batchTimer = this.purgeTimer = null;
        const deadline = this.clock.now() + timeoutMs;
        const sleep = (ms: number) => new Promise<void>((r) => { this.clock.setTimeout(r, Math.max(0, ms)); });
        while (this.pending > 0 && this.clock.now() < deadline) {
            const left = deadline - this.clock.now();
            if (this.retryTimer !== null) { this.clock.clearTimeout(this.retryTimer); this.retryTimer = null; }
            if (!this.store) { await sleep(Math.min(100, left)); continue; }
            const failedBefore = this.attempt;
            await Promise.race([this.flushNow(), sleep(left)]);
            if (this.attempt > failedBefore) await sleep(Math.min(200, deadline - this.clock.now()));
        }
        if (this.retryTimer !== null) { this.clock.clearTimeout(this.retryTimer); this.retryTimer = null; }
        this.closed = true;
        const lost = this.pending;
        return { written: this.counters.written + this.counters.duplicates - before, lost };
    }

    /** Status for the node: connecting / buffering N / mode and counts / failing. */
    status(): WriterStatus {
        const c = this.counters;
        const bad = c.invalid + c.rejected + c.failed;
        const lost = c.dropped;
        if (!this.isOnline) {
            if (this.pending === 0 && lost === 0 && !this.failing) {
                return { fill: 'yellow', shape: 'ring', key: this.store ? 'disconnected' : 'connecting', params: {} };
            }
            if (lost > 0) return { fill: 'red', shape: 'ring', key: 'buffering-lost', params: { n: this.pending, lost } };
            return { fill: this.failing ? 'red' : 'yellow', shape: 'ring', key: 'buffering', params: { n: this.pending } };
        }
        const mode = this.mode as Mode;
        if (this.failing) return { fill: 'red', shape: 'ring', key: 'failing', params: { n: this.pending } };
        if (lost > 0) return { fill: 'yellow', shape: 'dot', key: 'ok-lost', params: { mode, n: c.written, lost } };
        if (bad > 0) return { fill: 'yellow', shape: 'dot', key: 'ok-bad', params: { mode, n: c.written, bad } };
        return { fill: 'green', shape: 'dot', key: 'ok', params: { mode, n: c.written } };
    }

    private emitStatus(): void {
        this.onStatus(this.status());
    }

    private goOffline(): void {
        this.online = false;
        // everything held now waits for the connection: it is safely buffered
        for (const e of this.queue) e.ticket.release();
        if (this.inFlight) for (const e of this.inFlight) e.ticket.release();
    }

    private schedule(): void {
        if (this.closing || !this.store || this.flushing || this.retryTimer !== null || this.queue.length === 0) return;
        if (this.queue.length >= this.opts.batchSize || this.opts.batchDelayMs <= 0) {
            if (this.batchTimer !== null) { this.clock.clearTimeout(this.batchTimer); this.batchTimer = null; }
            void this.flushNow();
            return;
        }
        if (this.batchTimer === null) {
            const wait = Math.max(0, this.queue[0].queuedAt + this.opts.batchDelayMs - this.clock.now());
            this.batchTimer = this.clock.setTimeout(() => {
                this.batchTimer = null;
                void this.flushNow();
            }, wait);
        }
    }

    private async writeOneBatch(): Promise<void> {
        const store = this.store as Store;
        if (this.batchTimer !== null) { this.clock.clearTimeout(this.batchTimer); this.batchTimer = null; }
        const batch = this.queue.splice(0, this.opts.batchSize);
        this.inFlight = batch;
        let verdict: { kind: 'written' | 'duplicate' | 'failed'; reason?: string }[];
        try {
            verdict = await this.writeEntries(store, batch);
        } catch (err) {
            this.inFlight = null;
            this.queue.unshift(...batch);
            const transient = isTransient(err);
            this.failing = !transient;
            this.goOffline();
            const delay = retryDelay(this.attempt++, this.opts.retryMinMs, this.opts.retryMaxMs);
            this.log.log('write', transient ? 'warn' : 'error',
                `write of ${batch.length} readings failed (${this.pending} buffered, retry in ${delay} ms): ${errorText(err)}`);
            if (!this.closing) {
                this.retryTimer = this.clock.setTimeout(() => { this.retryTimer = null; this.schedule(); }, delay);
            }
            this.emitStatus();
            return;
        }
        this.inFlight = null;
        this.counters.batches++;
        this.online = true;
        this.failing = false;
        this.attempt = 0;
        batch.forEach((e, i) => {
            const v = verdict[i];
            if (v.kind === 'written') { this.counters.written++; this.recent.add(e.key); }
            else if (v.kind === 'duplicate') { this.counters.duplicates++; this.recent.add(e.key); }
            else {
                this.counters.failed++;
                this.log.log('refused', 'error', `the server refused reading ${e.key}: ${v.reason}`);
            }
            // the batch is stored whatever a message callback does: its errors are only logged
            try {
                e.ticket.settle(v.kind, v.reason);
            } catch (cbErr) {
                this.log.log('callback', 'error', `after writing ${e.key}: ${errorText(cbErr)}`);
            }
        });
        this.emitStatus();
    }

    /** Dedupe (recent keys, within the batch, and in native mode a query), then insert. */
    private async writeEntries(store: Store, batch: Entry[]): Promise<{ kind: 'written' | 'duplicate' | 'failed'; reason?: string }[]> {
        const verdict: { kind: 'written' | 'duplicate' | 'failed'; reason?: string }[] = batch.map(() => ({ kind: 'written' }));
        const seen = new Set<string>();
        let fresh: number[] = [];
        batch.forEach((e, i) => {
            if (this.recent.has(e.key) || seen.has(e.key)) verdict[i] = { kind: 'duplicate' };
            else { seen.add(e.key); fresh.push(i); }
        });
        if (store.mode === 'native' && fresh.length > 0) {
            // time-series collections enforce no unique index: ask which of these are already there
            let from = batch[fresh[0]].time.getTime();
            let to = from;
            for (const i of fresh) { const t = batch[i].time.getTime(); if (t < from) from = t; if (t > to) to = t; }
            const existing = await store.existingIds(fresh.map((i) => batch[i].key), new Date(from), new Date(to));
            fresh = fresh.filter((i) => {
                if (!existing.has(batch[i].key)) return true;
                verdict[i] = { kind: 'duplicate' };
                return false;
            });
        }
        if (fresh.length === 0) return verdict;
        const outcome = await store.insert(fresh.map((i) => batch[i].doc));
        for (const d of outcome.duplicateIndexes) verdict[fresh[d]] = { kind: 'duplicate' };
        for (const f of outcome.failed) verdict[fresh[f.index]] = { kind: 'failed', reason: f.message };
        return verdict;
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
