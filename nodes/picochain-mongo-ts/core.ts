/**
 * The writer's engine, apart from Node-RED and the driver: readings go into a disk spool
 * (spool.ts) first and are written from it to the database in batches, several in flight, with
 * duplicate and conflict detection (dedupe.ts), retry with backoff while the database is away, the
 * fallback retention purge, and a bounded drain on close. Time is injected.
 *
 * Message completion ("done") contract, also in the node's help:
 * - a message is released once each of its readings is *durable*: in the spool and synced to
 *   disk (fdatasync). From then on it survives a Node-RED crash or a power cut and is written to
 *   the database when the database is reachable (at the latest after the next start);
 * - when the spool is full the `whenFull` policy decides: `block` (default) keeps the message
 *   waiting, unreleased, until there is room, so a picochain-mqtt-in upstream withholds the
 *   broker's acknowledgement and the broker keeps the message; `drop-newest` drops the reading
 *   (counted, logged) and releases; `reject` fails the message with done(err);
 * - readings the writer cannot take at all (it has stopped, its spool failed) fail the message
 *   and are reported `untaken`: not settled, so the broker keeps them.
 */
import { MappedReading } from './document';
import { decodeRecord, encodeMapped, SpooledDoc } from './record';
import { OpenReport, Spool, SpoolRecord, MAX_RECORD_BYTES } from './spool';
import { Entry, reportBatch, Verdict, writeEntries } from './dedupe';
import { Backoff } from '../shared/backoff';
import {
    BatchReport, Clock, DEFAULT_MAX_WAITING, DEFAULT_RECENT_KEYS, errorText, isTransient, LogLevel,
    RateLimitedLog, RecentKeys, RETRY_MAX_MS, RETRY_MIN_MS, Store, systemClock, Ticket, TicketResult, WriterCounters,
    WriterHooks, WriterOptions, WriterStatus, writerStatus,
} from './writer-api';
import { Mode } from './mode';
import { FullSpool } from './full';

export * from './writer-api';
export { DUPLICATE_KEY } from './mode';

/** What the spool keeps in memory with a record (the document itself, to skip a re-parse). */
export type Held = SpooledDoc;

/** A reading that waits for room in a full spool (policy block). */
interface Waiting {
    m: MappedReading;
    ticket: Ticket;
}

type Resolved = Required<Omit<WriterOptions, 'timeField'>> & { timeField?: string };

export class WriterCore {
    readonly opts: Resolved;
    readonly counters: WriterCounters = { written: 0, duplicates: 0, conflicts: 0, invalid: 0, dropped: 0, rejected: 0, failed: 0, corrupt: 0, batches: 0, purged: 0, replayed: 0 };
    private readonly clock: Clock;
    private readonly log: RateLimitedLog;
    private readonly rawLog: (level: LogLevel, text: string) => void;
    private readonly onStatus: (s: WriterStatus) => void;
    private readonly onBatch: (r: BatchReport) => void;
    private readonly recent: RecentKeys;
    private readonly backoff: Backoff;
    private store: Store | null = null;
    private online = false;
    /**
     * After a failed write, a retry is a probe: one batch, and the status keeps saying the readings
     * are spooled until a write lands (a retry against a database that is down can wait for its
     * server selection for a long time, and the status said "written" meanwhile).
     */
    private probing = false;
    private failing = false;
    /** Entries taken from the spool whose write failed: written again first. */
    private retry: Entry[] = [];
    private writing = 0;
    /** Keys of the batches in flight → that batch's end: a later batch with the same key waits for it. */
    private readonly inFlightKeys = new Map<string, Promise<void>>();
    private waiting: Waiting[] = [];
    private firstUntakenAt: number | null = null;
    /** Records found in the spool at open and not yet taken: written without waiting for the batch delay. */
    private replayLeft = 0;
    private batchTimer: unknown = null;
    private retryTimer: unknown = null;
    private purgeTimer: unknown = null;
    private readonly full: FullSpool;
    /** Payload size of the last record the spool had no room for. */
    private lastRefused = 0;
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
        } as Resolved;
        this.clock = hooks.clock || systemClock;
        this.rawLog = hooks.log || (() => undefined);
        this.log = new RateLimitedLog(this.rawLog, this.clock);
        this.onStatus = hooks.onStatus || (() => undefined);
        this.onBatch = hooks.onBatch || (() => undefined);
        this.recent = new RecentKeys(this.opts.recentKeys);
        this.backoff = new Backoff(this.opts.retryMinMs, this.opts.retryMaxMs);
        this.full = new FullSpool(this.clock, this.rawLog, () => ({
            usedBytes: this.spool.usedBytes, maxBytes: this.spool.maxBytes, unconfirmed: this.spool.unconfirmed,
            waiting: this.waiting.length, dropped: this.counters.dropped, rejected: this.counters.rejected,
        }));
    }

    /** Opens the spool; what it holds from before is written first once the store is ready. */
    open(): OpenReport {
        const report = this.spool.open();
        this.counters.replayed = report.records;
        this.replayLeft = report.records;
        return report;
    }

    /** Readings not yet in the database: in the spool, in flight, or waiting for room. */
    get pending(): number { return this.spool.unconfirmed + this.waiting.length; }
    get spooled(): number { return this.spool.unconfirmed; }
    get spoolBytes(): number { return this.spool.usedBytes; }
    get waitingForRoom(): number { return this.waiting.length; }
    get isFull(): boolean { return this.full.active || this.waiting.length > 0; }
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
            this.probing = false;
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
     * durable (synced), dropped, refused or untaken; with policy block at a full spool that waits for room.
     */
    accept(mapped: MappedReading[], onSettled: (r: TicketResult) => void): Ticket {
        const ticket = new Ticket(mapped.length, onSettled);
        let appended = 0;
        for (const m of mapped) {
            if (this.waiting.length === 0 || this.closed || this.spool.failure) {
                const r = this.append(m);
                if (r === 'ok') { appended++; continue; }
                if (r !== 'full') { this.notTaken(ticket, r); continue; }
            }
            this.whenFull(m, ticket);
        }
        if (appended > 0) this.syncThen(ticket, appended);
        this.emitStatus();
        this.pump();
        return ticket;
    }

    /** Appends one reading to the spool. */
    private append(m: MappedReading): 'ok' | 'full' | 'too-large' | 'stopped' | 'spool-failed' {
        if (this.closed) return 'stopped';
        if (this.spool.failure) return 'spool-failed';
        const payload = encodeMapped(m, this.opts.timeField);
        if (payload.length > MAX_RECORD_BYTES) return 'too-large';
        const n = this.spool.append(payload, { key: m.key, doc: m.doc, time: m.time });
        if (n < 0) {
            if (this.spool.failure) return 'spool-failed';
            if (this.spool.isClosed) return 'stopped';
            this.lastRefused = payload.length;
            return 'full';
        }
        if (this.firstUntakenAt === null) this.firstUntakenAt = this.clock.now();
        if (this.waiting.length === 0 && this.full.end()) this.emitStatus();
        return 'ok';
    }

    private notTaken(ticket: Ticket, why: 'too-large' | 'stopped' | 'spool-failed'): void {
        if (why === 'too-large') {
            this.counters.rejected++;
            ticket.settle('failed', `a reading larger than ${MAX_RECORD_BYTES} bytes cannot be spooled`);
        } else if (why === 'stopped') {
            ticket.settle('untaken', 'the writer has stopped');
        } else {
            ticket.settle('untaken', `spool: ${errorText(this.spool.failure)}`);
        }
    }

    /** Settles `count` readings of a ticket as durable once the spool has synced them. */
    private syncThen(ticket: Ticket, count: number): void {
        this.spool.sync().then(() => {
            ticket.settle('durable', undefined, count);
            this.pump();
        }, (err) => {
            this.log.log('spool', 'error', `spool write failed, ${count} readings not made durable (their messages fail and are not acknowledged): ${errorText(err)}`);
            ticket.settle('untaken', `spool: ${errorText(err)}`, count);
            this.emitStatus();
        });
    }

    /** The spool has no room for `m`: apply the policy. */
    private whenFull(m: MappedReading, ticket: Ticket): void {
        const policy = this.opts.whenFull;
        if (policy === 'block' && !this.closing && this.waiting.length < this.opts.maxWaiting) {
            this.waiting.push({ m, ticket });
        } else if (policy === 'block' && this.closing) {
            ticket.settle('untaken', 'the writer stopped while the spool was full');
        } else if (policy === 'drop-newest') {
            this.counters.dropped++;
            ticket.settle('dropped');
        } else {
            this.counters.rejected++;
            const why = policy === 'block' ? `spool full and ${this.opts.maxWaiting} readings already waiting for room` : 'spool full';
            ticket.settle('failed', `${why}: reading ${m.key} not stored`);
        }
        if (!this.closed) this.full.refused(this.lastRefused);
    }

    /** Moves waiting readings into the spool as room appears. */
    private admitWaiting(): void {
        if (this.waiting.length > 0) {
            const byTicket = new Map<Ticket, number>();
            while (this.waiting.length > 0) {
                const w = this.waiting[0];
                const r = this.append(w.m);
                if (r === 'full') break;
                this.waiting.shift();
                if (r === 'ok') byTicket.set(w.ticket, (byTicket.get(w.ticket) || 0) + 1);
                else this.notTaken(w.ticket, r);
            }
            for (const [t, n] of byTicket) this.syncThen(t, n);
        }
        if (this.full.active && this.waiting.length === 0 && !this.spool.wouldOverflow(this.full.refusedSize) && this.full.end()) this.emitStatus();
    }

    /** Starts batches while there is room in flight and something to write. */
    private pump(): void {
        if (this.closed || !this.store || (!this.online && !this.probing) || this.retryTimer !== null) return;
        if (this.closing && !this.draining) return;
        while (this.writing < (this.online ? this.opts.inFlight : 1)) {
            const untaken = this.retry.length + this.spool.untaken;
            if (untaken === 0) { this.firstUntakenAt = null; break; }
            const due = this.firstUntakenAt === null || this.replayLeft > 0 || this.clock.now() - this.firstUntakenAt >= this.opts.batchDelayMs;
            if (untaken < this.opts.batchSize && !due && !this.draining) {
                this.armBatchTimer();
                break;
            }
            const batch = this.takeBatch();
            if (batch.length === 0) {
                // every record taken was unreadable (go on), or the next is not synced yet (its sync calls pump)
                if (this.retry.length + this.spool.untaken < untaken) continue;
                break;
            }
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
            const unreadable: number[] = [];
            const records = this.spool.take(this.opts.batchSize - batch.length);
            this.replayLeft = Math.max(0, this.replayLeft - records.length);
            for (const r of records) {
                const e = this.toEntry(r);
                if (e) batch.push(e);
                else unreadable.push(r.n);
            }
            if (unreadable.length > 0) this.spool.confirm(unreadable);
        }
        return batch;
    }

    private toEntry(r: SpoolRecord<Held>): Entry | null {
        if (r.value) return { n: r.n, key: r.value.key, doc: r.value.doc, time: r.value.time };
        let why = 'its checksum or length is wrong';
        if (!r.corrupt) {
            try {
                const d = decodeRecord(r.payload);
                return { n: r.n, key: d.key, doc: d.doc, time: d.time };
            } catch (err) {
                why = errorText(err);
            }
        }
        this.counters.corrupt++;
        this.log.log('corrupt', 'error', `a spool record could not be read back (${why}): that reading is lost; ${this.counters.corrupt} so far`);
        return null;
    }

    private async writeBatch(batch: Entry[]): Promise<void> {
        const store = this.store as Store;
        if (this.batchTimer !== null) { this.clock.clearTimeout(this.batchTimer); this.batchTimer = null; }
        this.writing++;
        // a key already in flight in an earlier batch: wait for it, so the recent keys (or the
        // store) know whether it landed before this batch decides (native mode has no unique index)
        let release: () => void = () => undefined;
        const ended = new Promise<void>((r) => { release = r; });
        const earlier = new Set<Promise<void>>();
        for (const e of batch) {
            const p = this.inFlightKeys.get(e.key);
            if (p && p !== ended) earlier.add(p);
            this.inFlightKeys.set(e.key, ended);
        }
        let verdict: Verdict[] | null = null;
        let error: unknown = null;
        try {
            if (earlier.size > 0) await Promise.all(earlier);
            verdict = await writeEntries(store, batch, this.recent);
        } catch (err) {
            error = err;
        }
        this.writing--;
        try {
            if (!this.closed) {
                if (verdict) this.batchWritten(batch, verdict);
                else this.batchFailed(batch, error);
            }
        } finally {
            for (const e of batch) if (this.inFlightKeys.get(e.key) === ended) this.inFlightKeys.delete(e.key);
            release();
            if (this.writing === 0) this.notifyIdle();
        }
    }

    private batchFailed(batch: Entry[], err: unknown): void {
        this.retry.push(...batch);
        this.retry.sort((a, b) => a.n - b.n);
        const transient = isTransient(err);
        this.failing = !transient;
        this.online = false;
        this.probing = false;
        let retryText = '';
        if (!this.closing && this.retryTimer === null) {
            // one backoff step per outage, not one per batch that was in flight when it began
            const delay = this.backoff.next();
            retryText = `, retry in ${delay} ms`;
            this.retryTimer = this.clock.setTimeout(() => {
                this.retryTimer = null;
                this.probing = this.store !== null;
                this.pump();
            }, delay);
        }
        this.log.log('write', transient ? 'warn' : 'error',
            `write of ${batch.length} readings failed (${this.spool.unconfirmed} in the spool${retryText}): ${errorText(err)}`);
        this.emitStatus();
    }

    private batchWritten(batch: Entry[], verdict: Verdict[]): void {
        this.counters.batches++;
        this.online = true;
        this.probing = false;
        this.failing = false;
        this.backoff.reset();
        const report = reportBatch(batch, verdict, this.recent);
        for (const f of report.failed) this.log.log('refused', 'error', `the server refused reading ${f.key}, it is not stored: ${f.reason}`);
        this.counters.written += report.written;
        this.counters.duplicates += report.duplicates;
        this.counters.conflicts += report.conflicts.length;
        this.counters.failed += report.failed.length;
        for (const c of report.conflicts) {
            this.log.log('conflict', 'warn', `conflicting reading ${c.key}: already stored with other values (stored mean ${String(c.stored.mean)}, received mean ${String(c.received.mean)}); the first is kept, the second saved apart in the conflicts collection; ${this.counters.conflicts} conflicts so far`);
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
     * Makes everything accepted durable, then (database reachable) keeps writing from the spool
     * for at most `drainMs`, and closes the spool. What is not yet in the database stays in the
     * spool for the next start. Readings accepted meanwhile join the spool; readings still waiting
     * for room are untaken (not stored, not settled).
     */
    async close(drainMs: number): Promise<{ written: number; spooled: number; refused: number }> {
        this.closing = true;
        const c = this.counters;
        const before = c.written + c.duplicates + c.conflicts;
        for (const t of [this.batchTimer, this.purgeTimer]) if (t !== null) this.clock.clearTimeout(t);
        this.batchTimer = this.purgeTimer = null;
        this.full.stop();
        const refused = this.waiting.length;
        for (const w of this.waiting.splice(0)) w.ticket.settle('untaken', 'the writer stopped while the spool was full');
        try { await this.spool.sync(); } catch { /* reported by syncThen */ }
        if (this.isOnline && drainMs > 0) {
            this.draining = true;
            this.clearRetry();
            const deadline = this.clock.now() + drainMs;
            while (this.clock.now() < deadline) {
                if (this.writing === 0) {
                    if (!this.isOnline || this.retry.length + this.spool.untaken === 0) break;
                    try { await this.spool.sync(); } catch { break; }
                    this.pump();
                    if (this.writing === 0) break;
                }
                await this.idleOrDeadline(deadline);
            }
            this.draining = false;
        } else if (this.writing > 0 && drainMs > 0) {
            // let batches already sent finish (their confirmation shortens the next replay)
            await this.idleOrDeadline(this.clock.now() + Math.min(2000, drainMs));
        }
        this.clearRetry();
        this.closed = true;
        await this.spool.close();
        return { written: c.written + c.duplicates + c.conflicts - before, spooled: this.spool.unconfirmed, refused };
    }

    /** Resolves when no batch is in flight, or at the deadline. */
    private idleOrDeadline(deadline: number): Promise<void> {
        return new Promise<void>((resolve) => {
            let timer: unknown = null;
            const finish = (): void => {
                if (timer !== null) this.clock.clearTimeout(timer);
                timer = null;
                resolve();
            };
            if (this.writing === 0) return finish();
            timer = this.clock.setTimeout(finish, Math.max(0, deadline - this.clock.now()));
            this.idleWaiters.push(finish);
        });
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

    /** Status for the node (writer-api.ts writerStatus). */
    status(): WriterStatus {
        return writerStatus({
            counters: this.counters, queued: this.spool.unconfirmed, waiting: this.waiting.length, full: this.full.active,
            whenFull: this.opts.whenFull, spoolFailed: this.spool.failure !== null, online: this.isOnline, hasStore: this.store !== null,
            failing: this.failing, mode: this.mode, busy: this.opts.batchSize * this.opts.inFlight,
        });
    }

    private emitStatus(): void {
        this.onStatus(this.status());
    }
}
