/**
 * The writer engine's vocabulary (core.ts uses it, store.ts implements Store): options and
 * defaults, the Store and Clock it is given, per-message tickets, counters, status, batch reports,
 * and two small helpers (recent keys, rate-limited log). Pure: no Node-RED, no driver.
 */
import { Mode } from './mode';
import { ReadingDoc } from './document';
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
/** Same-kind log lines at most once per this many ms; "spool full" repeats at this pace while it lasts. */
export const LOG_INTERVAL_MS = 10000;

export interface WriterOptions {
    batchSize: number;
    batchDelayMs: number;
    /** Batches written at the same time. */
    inFlight: number;
    whenFull: FullPolicy;
    /** Retention in seconds, 0 = keep forever. In fallback mode the writer purges itself. */
    retentionS: number;
    /** The documents' time field (spool records name it); default: the field holding the reading's time. */
    timeField?: string;
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
    /** Readings dropped at a full spool (policy drop-newest). */
    dropped: number;
    /** Readings refused for good (policy reject, too many waiting, refused record): their reasons. */
    failures: string[];
    /**
     * Readings the writer could not take (it stopped, or its spool failed): not stored and not
     * settled, so whoever delivered them (a broker) keeps them. Their reasons.
     */
    untaken: string[];
}

/** Tracks one message's readings into the spool; `onSettled` runs once, when each is durable or refused. */
export class Ticket {
    private remaining: number;
    readonly result: TicketResult = { durable: 0, dropped: 0, failures: [], untaken: [] };
    private finished = false;

    constructor(count: number, private readonly onSettled: (r: TicketResult) => void) {
        this.remaining = count;
        if (count === 0) this.finish();
    }

    settle(kind: 'durable' | 'dropped' | 'failed' | 'untaken', reason?: string, count = 1): void {
        if (this.finished || count <= 0) return;
        if (kind === 'durable') this.result.durable += count;
        else if (kind === 'dropped') this.result.dropped += count;
        else for (let i = 0; i < count; i++) (kind === 'failed' ? this.result.failures : this.result.untaken).push(reason || 'not stored');
        this.remaining -= count;
        if (this.remaining <= 0) this.finish();
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
    /** Already stored with the same values (redelivery, replay): not written again. */
    duplicates: number;
    /** Already stored with other values: the first kept, the second saved apart. */
    conflicts: number;
    /** Refused before the spool (not a reading). */
    invalid: number;
    /** Dropped at a full spool (policy drop-newest). */
    dropped: number;
    /** Refused at a full spool (policy reject, or too many waiting with block). */
    rejected: number;
    /** Refused by the database server (per document). */
    failed: number;
    /** Spool records that could not be read back (checksum, length, content): lost. */
    corrupt: number;
    batches: number;
    purged: number;
    /** Readings found in the spool at start (accepted before the node stopped, not yet stored). */
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

/** What one written batch did (the node's output message). written + duplicates + conflicts + failed = batch size. */
export interface BatchReport {
    written: number;
    duplicates: number;
    conflicts: Conflict[];
    failed: { key: string; reason: string }[];
    /** Per device: readings newly stored and conflicts in this batch (what a Fleet page counts). */
    devices: Record<string, { written: number; conflicts: number }>;
    /** Readings still waiting in the spool after this batch. */
    queued: number;
}

export interface WriterHooks {
    clock?: Clock;
    log?: (level: LogLevel, text: string) => void;
    onStatus?: (status: WriterStatus) => void;
    onBatch?: (report: BatchReport) => void;
}

/** What the status is made of. */
export interface StatusInput {
    counters: WriterCounters;
    /** Readings in the spool, not yet in the database. */
    queued: number;
    /** Readings waiting for room (policy block). */
    waiting: number;
    /** The spool refused a reading for room and has had none since. */
    full: boolean;
    whenFull: FullPolicy;
    spoolFailed: boolean;
    online: boolean;
    hasStore: boolean;
    /** The last write failed for a reason retrying does not fix by itself (e.g. not authorized). */
    failing: boolean;
    mode: Mode | null;
    /** Readings the batches in flight hold at most: more queued than this shows as a backlog. */
    busy: number;
}

/** Status for the node: spool error / spool full / connecting / spooled N / mode and counts. */
export function writerStatus(s: StatusInput): WriterStatus {
    const c = s.counters;
    const bad = c.invalid + c.failed;
    const lost = c.dropped + c.rejected + c.corrupt;
    if (s.spoolFailed) return { fill: 'red', shape: 'ring', key: 'spool-error', params: {} };
    if (s.waiting > 0) return { fill: 'red', shape: 'ring', key: 'full', params: { n: s.waiting } };
    if (s.full) {
        return s.whenFull === 'drop-newest'
            ? { fill: 'red', shape: 'ring', key: 'full-dropped', params: { n: c.dropped } }
            : { fill: 'red', shape: 'ring', key: 'full-refused', params: { n: c.rejected } };
    }
    if (!s.online) {
        if (s.queued === 0 && lost === 0 && !s.failing) {
            return { fill: 'yellow', shape: 'ring', key: s.hasStore ? 'disconnected' : 'connecting', params: {} };
        }
        // readings were lost (dropped, refused, unreadable): red; the counts are in the log
        return { fill: s.failing || lost > 0 ? 'red' : 'yellow', shape: 'ring', key: 'spooled', params: { n: s.queued } };
    }
    const mode = s.mode as Mode;
    if (s.failing) return { fill: 'red', shape: 'ring', key: 'failing', params: { n: s.queued } };
    if (lost > 0) return { fill: 'yellow', shape: 'dot', key: 'ok-lost', params: { mode, n: c.written, lost } };
    if (bad > 0) return { fill: 'yellow', shape: 'dot', key: 'ok-bad', params: { mode, n: c.written, bad } };
    if (s.queued > s.busy) return { fill: 'blue', shape: 'dot', key: 'ok-queued', params: { mode, n: c.written, q: s.queued } };
    return { fill: 'green', shape: 'dot', key: 'ok', params: { mode, n: c.written } };
}

/** Transient = retry later (the store tags its errors; anything without a verdict counts as transient). */
export function isTransient(err: unknown): boolean {
    const e = err as { transient?: boolean } | null;
    return !(e && e.transient === false);
}

/** One line for a log: the error's message, never its stack. */
export function errorText(err: unknown): string {
    if (err && typeof err === 'object' && 'message' in err) return String((err as Error).message);
    return String(err);
}
