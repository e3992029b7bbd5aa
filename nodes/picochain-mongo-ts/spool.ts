/**
 * The writer's disk spool: an append-only log of records in segment files (format in segment.ts),
 * made durable in groups (one fdatasync for every record appended while the previous sync ran),
 * bounded in bytes, read back in order, and replayed from the last checkpoint when it is opened
 * again after a stop or a crash. Pure Node.js (fs), no Node-RED, no driver.
 *
 * Layout of `dir` (created 0700, files 0600):
 *   000000000001.seg …  segments; a new one is started at each open and past `segmentBytes`
 *   checkpoint.json     {"segment": N, "offset": B}: every record before byte B of segment N is
 *                        confirmed (stored); written with rename, not synced (a stale or lost
 *                        checkpoint only means more records are replayed, and the writer's
 *                        duplicate check absorbs them)
 *
 * At open every segment from the checkpoint's on is read and checked (length, CRC-32): a torn or
 * corrupt record and everything after it in its segment is cut off. A torn record is one that was
 * never synced, so nobody was told it was safe.
 *
 * Records are numbered in append order (`n`, from 0 at each open). The consumer takes them in order
 * (`take`) and confirms them (`confirm`) in any order; a segment file is deleted once every record in
 * it is confirmed. The newest records (at most `memoryRecords`) are also kept in memory with the
 * value given to `append`; when more wait, the older half of that memory is dropped and the consumer
 * reads those back from disk (payload only), so memory stays flat however long the consumer is away.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
    fdatasync, frameRecord, headerState, MAGIC, MAX_RECORD_BYTES, readRecords, RECORD_HEADER, scanSegment,
    SEGMENT_PATTERN, segmentName, syncDirectory, walkRecords, writeAll,
} from './segment';

export { MAX_RECORD_BYTES };

const CHECKPOINT_FILE = 'checkpoint.json';
const EMPTY = Buffer.alloc(0);

export const DEFAULT_SPOOL_MAX_BYTES = 512 * 1024 * 1024;
export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MEMORY_RECORDS = 20000;

export interface SpoolOptions {
    dir: string;
    /** Bound on the segment files' total size; append refuses beyond it. */
    maxBytes?: number;
    /** A segment is closed and a new one started past this size (at most a quarter of maxBytes). */
    segmentBytes?: number;
    /** Newest records kept in memory for the consumer; older ones are read back from disk. */
    memoryRecords?: number;
    /** Minimum interval between two checkpoint writes (ms). */
    checkpointIntervalMs?: number;
}

/** One record handed to the consumer. */
export interface SpoolRecord<T> {
    n: number;
    /** The payload; empty when `corrupt`. */
    payload: Buffer;
    /** The appended value, when the record was still in memory. */
    value?: T;
    /** Read back from disk (replayed after a restart, or older than what memory keeps). */
    fromDisk: boolean;
    /** Read back with a wrong checksum or length: its content is lost. */
    corrupt: boolean;
}

/** What open() found. */
export interface OpenReport {
    /** Records to replay (appended before, never confirmed). */
    records: number;
    /** Bytes cut off segment ends: torn (never synced) or corrupt records. */
    cutBytes: number;
    /** Segment files whose header is not a spool's, renamed to `*.corrupt` and left alone. */
    setAside: string[];
}

interface Segment {
    id: number;
    file: string;
    /** Bytes of the file holding synced records (the next sync writes from here). */
    size: number;
    /** n of its first unconfirmed-at-open or appended record, at byte `start`; `count` records from there. */
    firstN: number;
    start: number;
    count: number;
}

interface Held<T> {
    n: number;
    payload: Buffer;
    value: T;
}

/** Directories opened by a Spool in this process (two writers on one spool would corrupt it). */
const OPEN_KEY = Symbol.for('picochain.spool.open');
function openDirs(): Set<string> {
    const g = globalThis as unknown as Record<symbol, Set<string> | undefined>;
    let s = g[OPEN_KEY];
    if (!s) {
        s = new Set();
        g[OPEN_KEY] = s;
    }
    return s;
}

export class Spool<T> {
    readonly dir: string;
    readonly maxBytes: number;
    readonly segmentBytes: number;
    readonly memoryRecords: number;
    private readonly checkpointIntervalMs: number;
    private segments: Segment[] = [];
    private fd: number | null = null;
    private nextN = 0;
    /** Framed records appended but not yet handed to a sync. */
    private pending: Buffer[] = [];
    private pendingBytes = 0;
    private pendingWaiters: (() => void)[] = [];
    private syncing: Promise<void> | null = null;
    /** Total bytes of all segment files including what waits to be written. */
    private bytes = 0;
    /** The newest untaken records, n = nextN - memory.length … nextN - 1. */
    private memory: Held<T>[] = [];
    /** Next record to take; records before `memStart` are read from disk. */
    private takeN = 0;
    /** Where record takeN is on disk, when known. */
    private diskPos: { segId: number; offset: number } | null = null;
    /** Records below this n are in a segment whose rest cannot be read: handed out as corrupt. */
    private brokenUntil = 0;
    private syncedN = -1;
    /** Confirmed prefix (every record < confirmedBelow is confirmed) and confirmations beyond it. */
    private confirmedBelow = 0;
    private confirmedAhead = new Set<number>();
    /** Where the last checkpoint pointed (to walk on from there). */
    private checkpointAt: { segId: number; n: number; offset: number } | null = null;
    private checkpointDirty = false;
    private lastCheckpointAt = 0;
    private opened = false;
    private closed = false;
    private key = '';
    /** Set when a write or sync failed: the spool refuses appends from then on. */
    failure: Error | null = null;

    constructor(opts: SpoolOptions) {
        this.dir = path.resolve(opts.dir);
        this.maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
        // a quarter at most, so that deleting confirmed segments always frees room before the bound
        this.segmentBytes = Math.max(MAGIC.length + RECORD_HEADER + 1, Math.min(opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES, Math.floor(this.maxBytes / 4)));
        this.memoryRecords = Math.max(0, opts.memoryRecords ?? DEFAULT_MEMORY_RECORDS);
        this.checkpointIntervalMs = opts.checkpointIntervalMs ?? 1000;
    }

    /**
     * Opens the directory (creating it 0700): sets aside what is not a segment, cuts torn tails,
     * skips the checkpointed prefix and queues every other record for the consumer (read from disk).
     * Throws when the directory cannot be used or another Spool of this process has it open.
     */
    open(): OpenReport {
        if (this.opened) throw new Error('spool already opened');
        fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        const key = fs.realpathSync(this.dir);
        if (openDirs().has(key)) throw new Error(`spool folder ${this.dir} is already used by another writer`);
        openDirs().add(key);
        this.key = key;
        this.opened = true;
        try {
            return this.load();
        } catch (err) {
            this.release();
            throw err;
        }
    }

    private load(): OpenReport {
        const report: OpenReport = { records: 0, cutBytes: 0, setAside: [] };
        const ids = fs.readdirSync(this.dir)
            .map((f) => SEGMENT_PATTERN.exec(f))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => Number(m[1]))
            .sort((a, b) => a - b);
        let checkpoint = { segment: 0, offset: 0 };
        try {
            const c = JSON.parse(fs.readFileSync(path.join(this.dir, CHECKPOINT_FILE), 'utf8'));
            if (Number.isInteger(c.segment) && Number.isInteger(c.offset)) checkpoint = c;
        } catch { /* none yet, or unreadable: replay everything */ }
        let n = 0;
        for (const id of ids) {
            const file = path.join(this.dir, segmentName(id));
            if (id < checkpoint.segment) { fs.rmSync(file, { force: true }); continue; }
            const head = headerState(file);
            if (head === 'foreign') {
                fs.renameSync(file, `${file}.corrupt`);
                report.setAside.push(`${file}.corrupt`);
                continue;
            }
            const scan = head === 'ok' ? scanSegment(file) : { offsets: [], end: 0, size: fs.statSync(file).size };
            report.cutBytes += scan.size - scan.end;
            let offsets = scan.offsets;
            if (id === checkpoint.segment) {
                // skip the confirmed prefix, if the checkpoint falls on a record boundary (else replay all)
                const i = offsets.findIndex((o) => o >= checkpoint.offset);
                const skip = i < 0 ? (checkpoint.offset === scan.end ? offsets.length : 0) : offsets[i] === checkpoint.offset ? i : 0;
                offsets = offsets.slice(skip);
            }
            if (offsets.length === 0) { fs.rmSync(file, { force: true }); continue; }
            if (scan.end < scan.size) fs.truncateSync(file, scan.end);
            this.segments.push({ id, file, size: scan.end, firstN: n, start: offsets[0], count: offsets.length });
            this.bytes += scan.end;
            n += offsets.length;
        }
        this.nextN = n;
        this.syncedN = n - 1;
        report.records = n;
        if (this.segments.length > 0) this.diskPos = { segId: this.segments[0].id, offset: this.segments[0].start };
        this.startSegment(ids.length ? ids[ids.length - 1] + 1 : 1);
        return report;
    }

    /** Records appended and not yet confirmed. */
    get unconfirmed(): number { return this.nextN - this.confirmedBelow - this.confirmedAhead.size; }
    /** Records not yet taken by the consumer. */
    get untaken(): number { return this.nextN - this.takeN; }
    /** Records whose value is held in memory. */
    get inMemory(): number { return this.memory.length; }
    get usedBytes(): number { return this.bytes; }
    /** Highest record number known durable. */
    get durableN(): number { return this.syncedN; }
    get isClosed(): boolean { return this.closed; }
    /** Whether a record of `bytes` payload would exceed the bound. */
    wouldOverflow(bytes: number): boolean { return this.bytes + bytes + RECORD_HEADER > this.maxBytes; }

    private get memStart(): number { return this.nextN - this.memory.length; }

    /**
     * Appends one record; call `sync()` to know it is durable. Returns its number, or -1 when the
     * spool is full, closed or failed (nothing written). Throws on an empty or over-size payload.
     */
    append(payload: Buffer, value: T): number {
        if (!this.opened || this.closed || this.failure) return -1;
        if (payload.length === 0 || payload.length > MAX_RECORD_BYTES) throw new RangeError(`spool record of ${payload.length} bytes (1..${MAX_RECORD_BYTES})`);
        if (this.wouldOverflow(payload.length)) return -1;
        const rec = frameRecord(payload);
        this.pending.push(rec);
        this.pendingBytes += rec.length;
        this.bytes += rec.length;
        const n = this.nextN++;
        if (this.memory.length >= this.memoryRecords) {
            // the consumer lags: forget the older half of the values (it reads those back from disk);
            // the newer half stays, so a burst past the bound is not all read back and parsed again
            this.memory.splice(0, Math.ceil(this.memory.length / 2));
        }
        if (this.memoryRecords > 0) this.memory.push({ n, payload: rec.subarray(RECORD_HEADER), value });
        return n;
    }

    /** Resolves once every record appended before the call is on disk (group commit); rejects if that failed. */
    sync(): Promise<void> {
        if (this.failure) return Promise.reject(this.failure);
        if (this.pending.length === 0) {
            return this.syncing ? this.syncing.then(() => { if (this.failure) throw this.failure; }) : Promise.resolve();
        }
        return new Promise<void>((resolve, reject) => {
            this.pendingWaiters.push(() => (this.failure ? reject(this.failure) : resolve()));
            if (!this.syncing) this.runSync();
        });
    }

    private runSync(): void {
        const bufs = this.pending;
        const bytes = this.pendingBytes;
        const waiters = this.pendingWaiters;
        const lastN = this.nextN - 1;
        const firstN = lastN - bufs.length + 1;
        this.pending = [];
        this.pendingBytes = 0;
        this.pendingWaiters = [];
        this.syncing = (async () => {
            try {
                let seg = this.segments[this.segments.length - 1];
                if (seg.size > MAGIC.length && seg.size + bytes > this.segmentBytes) seg = this.startSegment(seg.id + 1);
                const fd = this.fd as number;
                await writeAll(fd, bufs.length === 1 ? bufs[0] : Buffer.concat(bufs, bytes));
                await fdatasync(fd);
                if (seg.count === 0) { seg.firstN = firstN; seg.start = seg.size; }
                seg.count += bufs.length;
                seg.size += bytes;
                this.syncedN = lastN;
            } catch (err) {
                this.failure = err as Error;
            } finally {
                this.syncing = null;
                for (const w of waiters) w();
                if (this.pending.length > 0 && !this.failure) this.runSync();
                else if (this.failure) for (const w of this.pendingWaiters.splice(0)) w();
            }
        })();
    }

    /** Closes the active segment file and starts a new one, its header synced with its directory entry. */
    private startSegment(id: number): Segment {
        if (this.fd !== null) { fs.closeSync(this.fd); this.fd = null; }
        const file = path.join(this.dir, segmentName(id));
        const fd = fs.openSync(file, 'a', 0o600);
        this.fd = fd;
        fs.writeSync(fd, MAGIC);
        fs.fdatasyncSync(fd);
        syncDirectory(this.dir);
        const seg: Segment = { id, file, size: MAGIC.length, firstN: this.nextN, start: MAGIC.length, count: 0 };
        this.segments.push(seg);
        this.bytes += MAGIC.length;
        return seg;
    }

    /**
     * Takes up to `max` records in order: older ones read back from disk (only once synced), then
     * the newest from memory. Fewer than asked (even none) while the next one is not synced yet.
     */
    take(max: number): SpoolRecord<T>[] {
        const out: SpoolRecord<T>[] = [];
        if (!this.opened || this.closed) return out;
        while (out.length < max && this.takeN < this.memStart) {
            if (!this.readDisk(max - out.length, out)) return out;
        }
        const k = Math.min(max - out.length, this.memory.length);
        if (k > 0) {
            for (const r of this.memory.splice(0, k)) out.push({ n: r.n, payload: r.payload, value: r.value, fromDisk: false, corrupt: false });
            this.takeN += k;
            this.diskPos = null;
        }
        return out;
    }

    /** Reads records from disk into `out`; false when the next one is not synced yet. */
    private readDisk(limit: number, out: SpoolRecord<T>[]): boolean {
        const stop = Math.min(this.memStart, this.syncedN + 1);
        if (this.takeN >= stop) return false;
        const corrupt = (until: number): void => {
            while (this.takeN < until) out.push({ n: this.takeN++, payload: EMPTY, fromDisk: true, corrupt: true });
            this.diskPos = null;
        };
        if (this.takeN < this.brokenUntil) {
            corrupt(Math.min(this.brokenUntil, stop, this.takeN + limit));
            return true;
        }
        const pos = this.diskPos;
        let seg = pos ? this.segments.find((s) => s.id === pos.segId) : undefined;
        if (!seg) {
            this.diskPos = null;
            seg = this.segmentOf(this.takeN);
        }
        if (!seg) { corrupt(this.takeN + 1); return true; }
        const end = seg.firstN + seg.count;
        const want = Math.min(limit, stop - this.takeN, end - this.takeN);
        let read: ReturnType<typeof readRecords>;
        try {
            const offset = this.diskPos ? this.diskPos.offset : walkRecords(seg.file, seg.start, this.takeN - seg.firstN);
            read = readRecords(seg.file, offset, seg.size, want);
        } catch {
            read = { records: [], next: 0, broken: true };
        }
        for (const r of read.records) {
            out.push({ n: this.takeN++, payload: r.payload || EMPTY, fromDisk: true, corrupt: r.payload === null });
        }
        if (read.broken || read.records.length < want) {
            // the rest of this segment cannot be located any more: hand its records out as corrupt
            this.brokenUntil = end;
            this.diskPos = null;
        } else if (this.takeN >= end) {
            const next = this.segments.find((s) => s.count > 0 && s.firstN === end);
            this.diskPos = next ? { segId: next.id, offset: next.start } : null;
        } else {
            this.diskPos = { segId: seg.id, offset: read.next };
        }
        return true;
    }

    /** The segment holding synced record n, if it is still there. */
    private segmentOf(n: number): Segment | undefined {
        return this.segments.find((seg) => seg.count > 0 && n >= seg.firstN && n < seg.firstN + seg.count);
    }

    /** Marks records stored; deletes segments whose every record is confirmed. A closed spool ignores it. */
    confirm(ns: Iterable<number>): void {
        if (!this.opened || this.closed) return;
        for (const n of ns) {
            if (n >= this.confirmedBelow && n < this.nextN) this.confirmedAhead.add(n);
        }
        while (this.confirmedAhead.delete(this.confirmedBelow)) this.confirmedBelow++;
        this.checkpointDirty = true;
        // delete fully confirmed segments (never the last one: it is being written)
        while (this.segments.length > 1) {
            const s = this.segments[0];
            if (s.firstN + s.count > this.confirmedBelow) break;
            try {
                fs.rmSync(s.file, { force: true });
            } catch {
                break;
            }
            this.bytes -= s.size;
            this.segments.shift();
            if (this.checkpointAt && this.checkpointAt.segId === s.id) this.checkpointAt = null;
        }
        this.maybeCheckpoint(false);
    }

    /** Writes checkpoint.json when due (or now, with force). */
    maybeCheckpoint(force: boolean): void {
        if (!this.checkpointDirty || this.segments.length === 0) return;
        const now = Date.now();
        if (!force && now - this.lastCheckpointAt < this.checkpointIntervalMs) return;
        const target = Math.min(this.confirmedBelow, this.syncedN + 1);
        const seg = this.segmentOf(target);
        let at: { segId: number; n: number; offset: number };
        try {
            if (seg) {
                const c = this.checkpointAt;
                const from = c && c.segId === seg.id && c.n <= target ? c : { segId: seg.id, n: seg.firstN, offset: seg.start };
                at = { segId: seg.id, n: target, offset: walkRecords(seg.file, from.offset, target - from.n) };
            } else {
                // every synced record before target is confirmed: the end of what is synced
                const last = this.segments[this.segments.length - 1];
                at = { segId: last.id, n: target, offset: last.size };
            }
            const tmp = path.join(this.dir, `${CHECKPOINT_FILE}.tmp`);
            fs.writeFileSync(tmp, JSON.stringify({ segment: at.segId, offset: at.offset }), { mode: 0o600 });
            fs.renameSync(tmp, path.join(this.dir, CHECKPOINT_FILE));
            this.checkpointAt = at;
            this.checkpointDirty = false;
            this.lastCheckpointAt = now;
        } catch { /* best effort: a stale checkpoint only means a longer replay */ }
    }

    /** Syncs what was appended, writes the checkpoint and closes the file; appends are refused from the call on. */
    async close(): Promise<void> {
        if (!this.opened || this.closed) return;
        this.closed = true;
        while (this.pending.length > 0 || this.syncing) {
            try {
                await this.sync();
            } catch {
                break; // kept in this.failure for the caller
            }
        }
        this.maybeCheckpoint(true);
        if (this.fd !== null) {
            try { fs.closeSync(this.fd); } catch { /* already gone */ }
            this.fd = null;
        }
        this.memory = [];
        this.release();
    }

    private release(): void {
        if (this.key) openDirs().delete(this.key);
        this.key = '';
    }
}
