/**
 * Alert state shared by several Node-RED instances that split one stream (MQTT shared
 * subscriptions send a device's readings to any of them). Each device's state is a numbered
 * revision in a store every instance reads (MongoDB: mongo-state.ts); an instance changes a device
 * only by writing the next revision, which exactly one writer can do (a unique key): a
 * compare-and-set per device. Pure: the store is injected.
 *
 * How a change goes: the operations waiting for a device (readings, a status, an ack, a tick) run
 * on this instance's copy of it; if the state changed, revision n+1 is written. Written: their
 * events are this instance's to send, and nobody else's. Refused (another instance wrote n+1
 * first): the copy is replaced by the latest revision and the same operations run again on it,
 * so a threshold crossing fires once whichever instance sees it, and a firing alert resolves once
 * whichever instance sees the value come back, also after the instance that raised it died.
 *
 * Round trips: the devices being handled at once (up to `concurrency`) share them. Their checks
 * (no change: is revision n+1 absent?), reads and writes are each collected and sent as one store
 * call per `batchSize` devices (Batcher); every device keeps its own outcome (one refused write
 * in a batch reruns that device only). A device's operations that wait while it is being written
 * go together into its next revision, judged in arrival order.
 *
 * Superseded revisions are deleted once older than `pruneAgeMs` (prune()). A deleted number could
 * be written again by an instance whose copy is older still, forking the history; so a copy not
 * confirmed as the latest for half that time is read again before it is used (`confirmed`): with
 * clocks within a quarter of `pruneAgeMs` of each other, the revision after it cannot be gone.
 */
import type { AlertEngine } from './core';
import type { AlertEvent } from './types';
import type { DeviceSnapshot } from './persist';

/** One revision of a device's state as the store holds it. */
export interface StoredState {
    device: string;
    rev: number;
    snap: DeviceSnapshot | null;
    /** What the change announced (sent by the instance that wrote it). */
    events: AlertEvent[];
    /** Who wrote it (an instance's name, for people reading the collection). */
    by: string;
    /** When, ms on the writer's clock. */
    at: number;
}

export interface SharedStore {
    /** The latest revision of every device (events left out). */
    loadAll(): Promise<StoredState[]>;
    /**
     * The latest revision of each device (events left out), null for one with none: a search by
     * device, for copies not known to be recent.
     */
    loadLatest(devices: string[]): Promise<(StoredState | null)[]>;
    /**
     * The latest revision of each device counting up from revision `rev`, known to exist (lookups
     * by key, cheaper than loadLatest); null for one whose revision `rev` is gone.
     */
    follow(keys: { device: string; rev: number }[]): Promise<(StoredState | null)[]>;
    /** Whether each revision exists: lookups by key. */
    existing(keys: { device: string; rev: number }[]): Promise<boolean[]>;
    /**
     * Writes each revision `s.rev`, one round trip: true written (also when that very revision,
     * same `by` and `at`, was written before: a retry after a lost answer), false when another
     * revision of that number exists (another instance wrote it first), an Error when that one
     * failed otherwise (the others are written). Throws when the store cannot be reached.
     */
    commitMany(list: StoredState[]): Promise<(boolean | Error)[]>;
    /** Revisions written at or after `since` (ms), any device, any order. */
    changedSince(since: number): Promise<StoredState[]>;
    /** Removes revisions of `device` below `below` written before `before` (ms). */
    prune(list: { device: string; below: number }[], before: number): Promise<void>;
}

/** A store call that gave no answer in time (it may still land: a write is then sent again as it was). */
export class StoreTimeoutError extends Error {
    constructor(what: string, ms: number) { super(`the shared state store did not answer ${what} within ${Math.round(ms / 1000)} s`); this.name = 'StoreTimeoutError'; }
}

/**
 * `p`, or a StoreTimeoutError after `ms`: the driver waits for an answer without limit, and a
 * call that never answers must not hold a device (or the refresh) for good.
 */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    if (!(ms > 0) || !Number.isFinite(ms)) return p;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new StoreTimeoutError(what, ms)), ms); });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Store calls asked for meanwhile, answered together: what waits is sent at the next turn of the
 * event loop, `max` at a time, at most `parallel` calls at once; what is asked while they run
 * goes with the next one. So devices being written at once cost a round trip per `max` of them.
 */
class Batcher<I, R> {
    private waiting: { item: I; resolve: (r: R) => void; reject: (err: unknown) => void }[] = [];
    private active = 0;
    private scheduled = false;
    /** Store calls made. */
    calls = 0;

    constructor(private readonly call: (items: I[]) => Promise<(R | Error)[]>, private readonly max: number, private readonly parallel: number,
        private readonly timeoutMs: number, private readonly what: string) {}

    ask(item: I): Promise<R> {
        return new Promise((resolve, reject) => {
            this.waiting.push({ item, resolve, reject });
            this.schedule();
        });
    }

    private schedule(): void {
        if (this.scheduled || this.active >= this.parallel || !this.waiting.length) return;
        this.scheduled = true;
        setImmediate(() => { this.scheduled = false; this.send(); });
    }

    private send(): void {
        while (this.active < this.parallel && this.waiting.length) {
            const part = this.waiting.splice(0, this.max);
            this.active++;
            this.calls++;
            // a call without an answer in time fails its items and frees its place (it may still land)
            within(Promise.resolve().then(() => this.call(part.map((w) => w.item))), this.timeoutMs, this.what).then((results) => {
                part.forEach((w, i) => {
                    const r = results[i];
                    if (r instanceof Error) w.reject(r);
                    else if (r === undefined) w.reject(new Error('the store gave no answer for this item'));
                    else w.resolve(r);
                });
            }, (err) => { for (const w of part) w.reject(err); }).finally(() => {
                this.active--;
                this.schedule();
            });
        }
    }
}

export type Op = (engine: AlertEngine) => AlertEvent[];

type Outcome = { events: AlertEvent[]; err?: undefined } | { err: unknown; events?: undefined };

interface Waiting {
    op: Op;
    resolve: (events: AlertEvent[]) => void;
    reject: (err: unknown) => void;
}

export interface SharedOptions {
    /** This instance's name, written in each revision. */
    by: string;
    /** Devices being written at once, at most. */
    concurrency?: number;
    /** Devices per store call (their checks, reads or writes), at most. */
    batchSize?: number;
    /** Operations waiting at once, at most; more are refused (SharedBusyError). */
    maxWaiting?: number;
    /** Refused writes in a row before the operations fail (another instance keeps winning). */
    maxConflicts?: number;
    /** Wait before trying again while the store is unreachable, ms. */
    retryMs?: number;
    /** A store call without an answer after this long fails (and is tried again), ms. */
    callTimeoutMs?: number;
    /** Superseded revisions older than this are deleted by prune(), ms; copies older than half are read again. */
    pruneAgeMs?: number;
    clock?: () => number;
    /** Told when the store fails (err) and when it answers again (null). */
    onStoreError?: (err: unknown | null) => void;
}

export class SharedBusyError extends Error {
    constructor(n: number) { super(`${n} alert operations already wait for the shared state store`); this.name = 'SharedBusyError'; }
}

export class SharedConflictError extends Error {
    constructor(device: string, n: number) { super(`device ${device}: ${n} writes of its alert state in a row were refused (another instance kept writing first)`); this.name = 'SharedConflictError'; }
}

const same = (a: DeviceSnapshot | null, b: DeviceSnapshot | null): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Runs alert operations device by device against a shared store (see the file comment). */
export class SharedState {
    /** Revision of this instance's copy of each device (absent: none stored). */
    private readonly revs = new Map<string, number>();
    /** Newest revision of each device whose events this instance has passed on or written. */
    private readonly seen = new Map<string, number>();
    private readonly queues = new Map<string, Waiting[]>();
    private readonly running = new Set<string>();
    /** Devices with operations waiting for a free slot, in arrival order. */
    private readonly ready: string[] = [];
    private waitingOps = 0;
    /** When this instance last knew its copy of each device to be the latest revision (its clock, ms). */
    private readonly confirmed = new Map<string, number>();
    /**
     * Devices this instance wrote whose superseded revisions may not all be pruned yet: the last
     * revision written here, and when (its clock, ms).
     */
    private readonly written = new Map<string, { rev: number; last: number }>();
    private closed = false;
    private storeDown = false;
    private refreshing = false;
    private pruning = false;
    /** When the last refreshDue() that ran began (its clock, ms): the next looks back from there. */
    private lookedFrom = 0;
    private readonly o: Required<Omit<SharedOptions, 'onStoreError'>> & Pick<SharedOptions, 'onStoreError'>;
    readonly counters = { commits: 0, conflicts: 0, noChange: 0, storeErrors: 0, remote: 0 };
    private readonly loads: Batcher<string, StoredState | null>;
    private readonly follows: Batcher<{ device: string; rev: number }, StoredState | null>;
    private readonly checks: Batcher<{ device: string; rev: number }, boolean>;
    private readonly writes: Batcher<StoredState, boolean>;

    constructor(private readonly engine: AlertEngine, private readonly store: SharedStore, options: SharedOptions) {
        this.o = { concurrency: 1000, batchSize: 500, maxWaiting: 50000, maxConflicts: 50, retryMs: 2000, callTimeoutMs: 120_000, pruneAgeMs: 600_000, clock: Date.now, ...options };
        const b = this.o.batchSize;
        const t = this.o.callTimeoutMs;
        this.loads = new Batcher((devices) => store.loadLatest(devices), b, 2, t, 'a read');
        this.follows = new Batcher((keys) => store.follow(keys), b, 2, t, 'a read');
        this.checks = new Batcher((keys) => store.existing(keys), b, 2, t, 'a check');
        // `at` is when a revision leaves for the store, not when it was judged: refresh() looks back
        // a few seconds by `at`, and a revision that waited behind others must still fall in that
        // window. Sent again after a lost answer, it keeps its first `at` (it identifies the write)
        const stamped = new WeakSet<StoredState>();
        this.writes = new Batcher((list) => {
            const now = this.o.clock();
            for (const st of list) if (!stamped.has(st)) { stamped.add(st); st.at = now; }
            return store.commitMany(list);
        }, b, 2, t, 'a write');
    }

    /** Store calls made for operations (reads, checks, writes; refresh and prune aside). */
    get storeCalls(): { loads: number; follows: number; checks: number; writes: number } {
        return { loads: this.loads.calls, follows: this.follows.calls, checks: this.checks.calls, writes: this.writes.calls };
    }

    /** Operations waiting or being written. */
    get pending(): number { return this.waitingOps; }

    get isStoreDown(): boolean { return this.storeDown; }

    /** Reads every device's latest revision into the engine (a restore: nothing is announced). */
    async start(): Promise<void> {
        const now = this.o.clock();
        this.lookedFrom = now;
        const all = await within(this.store.loadAll(), this.o.callTimeoutMs, 'the first read');
        const snaps: DeviceSnapshot[] = [];
        for (const s of all) {
            this.revs.set(s.device, s.rev);
            this.seen.set(s.device, s.rev);
            this.confirmed.set(s.device, now);
            if (s.snap) snaps.push(s.snap);
        }
        this.engine.restore(snaps, this.o.clock());
    }

    /** Runs `op` on device `device`'s latest state; resolves the events it caused once written. */
    run(device: string, op: Op): Promise<AlertEvent[]> {
        if (this.closed) return Promise.reject(new Error('closed'));
        if (this.waitingOps >= this.o.maxWaiting) return Promise.reject(new SharedBusyError(this.waitingOps));
        return new Promise((resolve, reject) => {
            let q = this.queues.get(device);
            if (!q) this.queues.set(device, (q = []));
            q.push({ op, resolve, reject });
            this.waitingOps++;
            if (!this.running.has(device) && q.length === 1) this.ready.push(device);
            this.pump();
        });
    }

    /** Whether a device has operations waiting or being written. */
    busy(device: string): boolean {
        return this.running.has(device) || (this.queues.get(device)?.length ?? 0) > 0;
    }

    /**
     * Takes the revisions other instances wrote since `since` (ms): idle devices are replaced by
     * them. Returns those revisions' events (theirs to send; pages may show them) and the devices
     * whose state changed here.
     */
    async refresh(since: number): Promise<{ events: AlertEvent[]; devices: string[] }> {
        const asked = this.o.clock();
        const changed = (await within(this.store.changedSince(since), this.o.callTimeoutMs, 'a refresh')).sort((x, y) => x.rev - y.rev);
        const latest = new Map<string, StoredState>();
        const events: { rev: number; e: AlertEvent }[] = [];
        for (const s of changed) {
            // events: each revision once, also one whose state this copy already took (a refused write)
            if (s.rev > (this.seen.get(s.device) ?? 0)) {
                this.seen.set(s.device, s.rev);
                if (s.by !== this.o.by) for (const e of s.events) events.push({ rev: s.rev, e });
            }
            if (this.busy(s.device)) continue;
            // (sorted by revision: the last one seen of a device is its latest when asked)
            if (s.rev <= (this.revs.get(s.device) ?? 0)) { this.confirm(s.device, asked); continue; }
            const l = latest.get(s.device);
            if (!l || s.rev > l.rev) latest.set(s.device, s);
        }
        for (const s of latest.values()) {
            this.engine.replaceDevice(s.device, s.snap);
            this.revs.set(s.device, s.rev);
            this.confirm(s.device, asked);
            this.counters.remote++;
        }
        events.sort((a, b) => a.e.at.getTime() - b.e.at.getTime() || a.rev - b.rev);
        return { events: events.map((x) => x.e), devices: [...latest.keys()] };
    }

    /**
     * refresh() as a timer calls it: one at a time (a call while one runs resolves null: on a slow
     * database, stacked look-backs would only slow it further), each looking back from where the
     * last one that ran began, minus `marginMs` (clocks and writes still on their way).
     */
    async refreshDue(marginMs: number): Promise<{ events: AlertEvent[]; devices: string[] } | null> {
        if (this.refreshing) return null;
        this.refreshing = true;
        const asked = this.o.clock();
        try {
            const r = await this.refresh(this.lookedFrom - marginMs);
            this.lookedFrom = asked;
            return r;
        } finally {
            this.refreshing = false;
        }
    }

    /** Removes the revisions this instance superseded once older than `pruneAgeMs` (one prune at a time). */
    async prune(): Promise<void> {
        if (this.pruning) return;
        this.pruning = true;
        try { await this.pruneNow(); } finally { this.pruning = false; }
    }

    private async pruneNow(): Promise<void> {
        if (!this.written.size) return;
        const before = this.o.clock() - this.o.pruneAgeMs;
        await within(this.store.prune([...this.written].map(([device, w]) => ({ device, below: w.rev })), before), this.o.callTimeoutMs * 4, 'a prune');
        // what was younger than `before` goes at a later prune, also with no new revision here; once
        // the last revision written here is older, nothing it superseded is left
        for (const [device, w] of this.written) if (w.last < before) this.written.delete(device);
    }

    private confirm(device: string, at: number): void {
        if (at > (this.confirmed.get(device) ?? 0)) this.confirmed.set(device, at);
    }

    /** Refuses new operations; those waiting fail. */
    close(): void {
        this.closed = true;
        for (const [device, q] of this.queues) {
            for (const w of q) w.reject(new Error('closed'));
            this.waitingOps -= q.length;
            this.queues.delete(device);
        }
    }

    private pump(): void {
        while (this.running.size < this.o.concurrency && this.ready.length) {
            const device = this.ready.shift() as string;
            if (this.running.has(device)) continue;
            this.running.add(device);
            this.flush(device).finally(() => {
                this.running.delete(device);
                if ((this.queues.get(device)?.length ?? 0) > 0) this.ready.push(device);
                this.pump();
            });
        }
    }

    /** Writes one device's waiting operations (all of them, as one revision). */
    private async flush(device: string): Promise<void> {
        let conflicts = 0;
        /**
         * A revision whose write failed without an answer: it may be stored. It is sent again as it
         * is (same `by` and `at`), so a write that did land counts as written and its events are
         * sent, instead of being refused as another instance's and its events lost.
         */
        let inDoubt: { doc: StoredState; before: DeviceSnapshot | null; results: Outcome[] } | null = null;
        for (;;) {
            if (this.closed) return;
            const batch = this.queues.get(device) ?? [];
            if (!batch.length) return;
            let before: DeviceSnapshot | null;
            let results: Outcome[];
            let doc: StoredState | null;
            const resent = inDoubt !== null;
            if (inDoubt) {
                ({ doc, before, results } = inDoubt);
            } else {
                if (this.o.clock() - (this.confirmed.get(device) ?? -Infinity) > this.o.pruneAgeMs / 2) {
                    // not known to be the latest for a while: read it (see the file comment)
                    try {
                        const asked = this.o.clock();
                        this.adopt(device, await this.loads.ask(device), asked);
                    } catch (err) {
                        this.storeFailed(err);
                        await new Promise((r) => setTimeout(r, this.o.retryMs));
                        continue;
                    }
                }
                const rev = this.revs.get(device) ?? 0;
                before = this.engine.snapshot(device);
                results = batch.map((w) => {
                    try { return { events: w.op(this.engine) }; } catch (err) { return { err }; }
                });
                const after = this.engine.snapshot(device);
                const events = results.flatMap((r) => r.events ?? []);
                doc = same(before, after) && !events.length ? null : { device, rev: rev + 1, snap: after, events, by: this.o.by, at: this.o.clock() };
            }
            const rev = doc ? doc.rev - 1 : this.revs.get(device) ?? 0;
            let written: boolean;
            let sending = false;
            try {
                if (!doc) {
                    // nothing to write, judged on this copy: true only if it is the latest, i.e. no
                    // revision n+1 (numbers follow each other; a copy this fresh cannot miss a pruned
                    // one: see the file comment). An ack for an alert another instance raised a
                    // moment ago finds it in the latest revision, taken here
                    const asked = this.o.clock();
                    written = !(await this.checks.ask({ device, rev: rev + 1 }));
                    if (!written) this.adopt(device, await this.latestFrom(device, rev + 1), asked);
                    else { this.counters.noChange++; this.confirm(device, asked); }
                } else {
                    sending = true;
                    written = await this.writes.ask(doc);
                    sending = false;
                    inDoubt = null;
                    if (written) {
                        if (resent) this.engine.replaceDevice(device, doc.snap);
                        this.revs.set(device, doc.rev);
                        const w = this.written.get(device);
                        if (w) [w.rev, w.last] = [doc.rev, doc.at];
                        else this.written.set(device, { rev: doc.rev, last: doc.at });
                        this.confirm(device, doc.at);
                        this.counters.commits++;
                    } else {
                        // another instance wrote this revision first: its state, and the same operations again
                        this.counters.conflicts++;
                        const again = this.o.clock();
                        this.adopt(device, await this.latestFrom(device, doc.rev), again);
                        if (++conflicts >= this.o.maxConflicts) {
                            const failed = batch.splice(0, results.length);
                            this.waitingOps -= failed.length;
                            for (const w of failed) w.reject(new SharedConflictError(device, conflicts));
                            return;
                        }
                    }
                }
                if (this.storeDown) { this.storeDown = false; this.o.onStoreError?.(null); }
            } catch (err) {
                // the copy goes back, and the same operations wait; a write without an answer is sent again
                this.engine.replaceDevice(device, before);
                if (sending && doc) inDoubt = { doc, before, results };
                this.storeFailed(err);
                await new Promise((r) => setTimeout(r, this.o.retryMs));
                continue;
            }
            this.engine.markSaved(device);
            if (!written) continue;
            // operations that came in meanwhile stay for the next round
            const done = batch.splice(0, results.length);
            this.waitingOps -= done.length;
            done.forEach((w, i) => {
                const r = results[i];
                if ('err' in r) w.reject(r.err); else w.resolve(r.events);
            });
            return;
        }
    }

    /** The latest revision of a device whose revision `rev` exists (written by another instance). */
    private async latestFrom(device: string, rev: number): Promise<StoredState | null> {
        // counted up by key from a revision this recent (it cannot be pruned yet: see the file
        // comment); searched by device only if it is gone all the same
        return (await this.follows.ask({ device, rev })) ?? await this.loads.ask(device);
    }

    /** This instance's copy of a device becomes the store's latest revision (read at `asked`). */
    private adopt(device: string, latest: StoredState | null, asked: number): void {
        this.engine.replaceDevice(device, latest ? latest.snap : null);
        if (latest) this.revs.set(device, latest.rev); else this.revs.delete(device);
        this.confirm(device, asked);
    }

    private storeFailed(err: unknown): void {
        this.counters.storeErrors++;
        if (!this.storeDown) { this.storeDown = true; this.o.onStoreError?.(err); }
    }
}
