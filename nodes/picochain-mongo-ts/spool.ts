/**
 * The writer's disk spool: an append-only log of records in segment files, made durable in groups
 * (one fdatasync for every record appended while the previous sync ran), bounded in bytes, read
 * back in order, and replayed from the last checkpoint when it is opened again after a stop or a
 * crash. Pure Node.js (fs), no Node-RED, no driver.
 *
 * Layout of `dir`:
 *   000000000001.seg …  segments: an 8-byte header "PCSPOOL1", then records
 *                        [u32 LE payload length][u32 LE crc32 of payload][payload]
 *   checkpoint.json     {"segment": N, "offset": B}: every record before byte B of segment N is
 *                        confirmed (stored); written with rename, not synced (a stale checkpoint only
 *                        means more records are replayed, and the writer's duplicate check absorbs them)
 *
 * A torn record at the end of the last segment (power cut mid-write) fails its length or CRC check
 * and is cut off at open: it was never synced, so nobody was told it was safe.
 *
 * Records are numbered in append order (`n`, from 0 at each open). The consumer takes them in order
 * (`take`) and confirms them (`confirm`) in any order; a segment file is deleted once every record in
 * it is confirmed. Records taken while they are still in memory come with the value given to
 * `append`; once more than `memoryRecords` wait, later records live only on disk and are read back
 * (payload only) when the consumer reaches them, so memory stays flat through a long outage.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

const MAGIC = Buffer.from('PCSPOOL1');
const RECORD_HEADER = 8;
/** A record larger than this is refused at append and treated as corruption when read. */
export const MAX_RECORD_BYTES = 1 << 20;
const READ_CHUNK = 1 << 20;
const CHECKPOINT_FILE = 'checkpoint.json';
const SEGMENT_PATTERN = /^(\d{12})\.seg$/;

export const DEFAULT_SPOOL_MAX_BYTES = 512 * 1024 * 1024;
export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MEMORY_RECORDS = 20000;

export interface SpoolOptions {
    dir: string;
    /** Bound on the segment files' total size; append refuses beyond it. */
    maxBytes?: number;
    /** A segment is closed and a new one started past this size. */
    segmentBytes?: number;
    /** Records kept in memory for the consumer; beyond, records are read back from disk. */
    memoryRecords?: number;
    /** Minimum interval between two checkpoint writes (ms). */
    checkpointIntervalMs?: number;
}

/** One record handed to the consumer. `value` is the appended value while it was kept in memory. */
export interface SpoolRecord<T> {
    n: number;
    payload: Buffer;
    value?: T;
    /** Read back from disk (replayed after a restart, or spilled while the consumer lagged). */
    fromDisk: boolean;
}

interface Segment {
    id: number;
    file: string;
    /** Bytes written (and synced, once `syncing` settles) including the header. */
    size: number;
    /** n of the first record in this segment, and how many it holds, from byte `start` on. */
    firstN: number;
    start: number;
    count: number;
}

/** CRC-32 (IEEE), from zlib where Node has it (≥ 20.15), else a table. */
const crc32: (b: Buffer) => number = typeof (zlib as unknown as { crc32?: unknown }).crc32 === 'function'
    ? (b) => (zlib as unknown as { crc32(b: Buffer): number }).crc32(b)
    : (() => {
        const table = new Int32Array(256);
        for (let i = 0; i < 256; i++) {
            let c = i;
            for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
            table[i] = c;
        }
        return (b: Buffer) => {
            let c = -1;
            for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]) & 0xff] ^ (c >>> 8);
            return (c ^ -1) >>> 0;
        };
    })();

function segmentName(id: number): string {
    return `${String(id).padStart(12, '0')}.seg`;
}

/** Reads the records of one segment file from `offset` on; stops at the first torn or corrupt one. */
function scanSegment(file: string, offset: number): { records: { offset: number; length: number }[]; end: number; size: number } {
    const fd = fs.openSync(file, 'r');
    try {
        const size = fs.fstatSync(fd).size;
        const records: { offset: number; length: number }[] = [];
        let pos = Math.max(offset, MAGIC.length);
        const head = Buffer.alloc(RECORD_HEADER);
        while (pos + RECORD_HEADER <= size) {
            fs.readSync(fd, head, 0, RECORD_HEADER, pos);
            const len = head.readUInt32LE(0);
            if (len === 0 || len > MAX_RECORD_BYTES || pos + RECORD_HEADER + len > size) break;
            const body = Buffer.alloc(len);
            fs.readSync(fd, body, 0, len, pos + RECORD_HEADER);
            if (crc32(body) !== head.readUInt32LE(4)) break;
            records.push({ offset: pos, length: len });
            pos += RECORD_HEADER + len;
        }
        return { records, end: pos, size };
    } finally {
        fs.closeSync(fd);
    }
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
    /** Records appended but not yet handed to a sync. */
    private pendingBufs: Buffer[] = [];
    private pendingBytes = 0;
    private pendingWaiters: (() => void)[] = [];
    private syncing: Promise<void> | null = null;
    /** Total bytes of all segment files including what waits to be written. */
    private bytes = 0;
    /** Appended, not yet taken, values kept in memory (n → value), in order. */
    private memory: { n: number; payload: Buffer; value: T }[] = [];
    /**
     * Next record to take from disk (record n at byte `offset` of segment `segId`; offset -1 = not
     * located yet); null while every untaken record is in `memory`.
     */
    private diskCursor: { n: number; segId: number; offset: number } | null = null;
    /** Where the confirmed prefix ends on disk, advanced lazily for the checkpoint. */
    private confirmCursor: { n: number; segId: number; offset: number } | null = null;
    /** Highest n written to disk (synced or in the sync running now). */
    private writtenN = -1;
    private syncedN = -1;
    /** Confirmed prefix (every record < confirmedBelow is confirmed) and confirmations beyond it. */
    private confirmedBelow = 0;
    private confirmedAhead = new Set<number>();
    private checkpointDirty = false;
    private lastCheckpointAt = 0;
    private closed = false;
    /** Set when an fs call failed: the spool refuses appends from then on. */
    failure: Error | null = null;

    constructor(opts: SpoolOptions) {
        this.dir = opts.dir;
        this.maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
        this.segmentBytes = Math.min(opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES, this.maxBytes);
        this.memoryRecords = opts.memoryRecords ?? DEFAULT_MEMORY_RECORDS;
        this.checkpointIntervalMs = opts.checkpointIntervalMs ?? 1000;
    }

    /**
     * Opens the directory: cuts torn tails, skips the checkpointed prefix and queues every other
     * record for the consumer (read from disk). Returns how many records it found to replay.
     */
    open(): number {
        fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
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
        let firstToTake: { n: number; segId: number; offset: number } | null = null;
        for (const id of ids) {
            const file = path.join(this.dir, segmentName(id));
            if (id < checkpoint.segment) { fs.rmSync(file, { force: true }); continue; }
            const from = id === checkpoint.segment ? checkpoint.offset : 0;
            let scan;
            try {
                scan = scanSegment(file, from);
            } catch {
                continue;
            }
            if (scan.end < scan.size) fs.truncateSync(file, Math.max(scan.end, MAGIC.length));
            if (scan.records.length === 0 && id !== ids[ids.length - 1]) { fs.rmSync(file, { force: true }); continue; }
            const start = scan.records.length ? scan.records[0].offset : Math.max(scan.end, MAGIC.length);
            const seg: Segment = { id, file, size: Math.max(scan.end, MAGIC.length), firstN: n, start, count: scan.records.length };
            if (scan.records.length > 0 && firstToTake === null) firstToTake = { n, segId: id, offset: scan.records[0].offset };
            this.segments.push(seg);
            this.bytes += seg.size;
            n += scan.records.length;
        }
        this.nextN = n;
        this.writtenN = this.syncedN = n - 1;
        this.diskCursor = firstToTake;
        this.confirmCursor = firstToTake ? { ...firstToTake } : null;
        this.startSegment(this.segments.length ? this.segments[this.segments.length - 1].id + 1 : 1);
        return n;
    }

    /** Records appended and not yet confirmed. */
    get unconfirmed(): number { return this.nextN - this.confirmedBelow - this.confirmedAhead.size; }
    /** Records not yet taken by the consumer. */
    get untaken(): number {
        if (this.diskCursor) return this.nextN - this.diskCursor.n;
        return this.memory.length;
    }
    get usedBytes(): number { return this.bytes; }
    /** Whether `bytes` more would exceed the bound. */
    wouldOverflow(bytes: number): boolean { return this.bytes + bytes + RECORD_HEADER > this.maxBytes; }

    /**
     * Appends one record; resolves nothing itself: call `sync()` (or wait for `whenSynced`) to know it
     * is durable. Returns its number, or -1 when the spool is full (nothing written).
     */
    append(payload: Buffer, value: T): number {
        if (this.closed || this.failure) return -1;
        if (payload.length === 0 || payload.length > MAX_RECORD_BYTES) throw new RangeError(`spool record of ${payload.length} bytes (1..${MAX_RECORD_BYTES})`);
        if (this.wouldOverflow(payload.length)) return -1;
        const head = Buffer.alloc(RECORD_HEADER);
        head.writeUInt32LE(payload.length, 0);
        head.writeUInt32LE(crc32(payload), 4);
        this.pendingBufs.push(head, payload);
        this.pendingBytes += RECORD_HEADER + payload.length;
        this.bytes += RECORD_HEADER + payload.length;
        const n = this.nextN++;
        if (this.diskCursor === null && this.memory.length < this.memoryRecords) {
            this.memory.push({ n, payload, value });
        } else if (this.diskCursor === null) {
            // the consumer lags: from here on records are read back from disk when it gets there
            this.diskCursor = { n, segId: -1, offset: -1 };
        }
        return n;
    }

    /** Resolves once every record appended before the call is on disk (group commit). */
    sync(): Promise<void> {
        if (this.failure) return Promise.reject(this.failure);
        if (this.pendingBufs.length === 0) return this.syncing ?? Promise.resolve();
        return new Promise<void>((resolve, reject) => {
            this.pendingWaiters.push(() => (this.failure ? reject(this.failure) : resolve()));
            if (!this.syncing) this.runSync();
        });
    }

    /** Highest record number known durable. */
    get durableN(): number { return this.syncedN; }

    private runSync(): void {
        const bufs = this.pendingBufs;
        const bytes = this.pendingBytes;
        const waiters = this.pendingWaiters;
        const lastN = this.nextN - 1;
        this.pendingBufs = [];
        this.pendingBytes = 0;
        this.pendingWaiters = [];
        this.syncing = (async () => {
            try {
                let seg = this.segments[this.segments.length - 1];
                if (seg.size > MAGIC.length && seg.size + bytes > this.segmentBytes) seg = this.startSegment(seg.id + 1);
                const fd = this.fd as number;
                const data = Buffer.concat(bufs, bytes);
                await writeAll(fd, data);
                await new Promise<void>((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())));
                // place the records in the segment: numbering is contiguous within one sync
                const firstN = lastN - countRecords(bufs) + 1;
                if (seg.count === 0) seg.firstN = firstN;
                seg.count += lastN - firstN + 1;
                seg.size += bytes;
                this.writtenN = this.syncedN = lastN;
            } catch (err) {
                this.failure = err as Error;
            } finally {
                this.syncing = null;
                for (const w of waiters) w();
                if (this.pendingBufs.length > 0) this.runSync();
            }
        })();
    }

    /** Closes the active segment and opens a new one (header synced with it on first write). */
    private startSegment(id: number): Segment {
        if (this.fd !== null) fs.closeSync(this.fd);
        const file = path.join(this.dir, segmentName(id));
        const existing = this.segments.find((s) => s.id === id);
        if (existing) {
            this.fd = fs.openSync(file, 'a');
            return existing;
        }
        this.fd = fs.openSync(file, 'a', 0o600);
        fs.writeSync(this.fd, MAGIC);
        fs.fdatasyncSync(this.fd);
        syncDirectory(this.dir);
        const seg: Segment = { id, file, size: MAGIC.length, firstN: this.nextN, start: MAGIC.length, count: 0 };
        this.segments.push(seg);
        this.bytes += MAGIC.length;
        return seg;
    }

    /**
     * Takes up to `max` records in order: from memory while the consumer keeps up, else read back
     * from disk (only what is already synced).
     */
    take(max: number): SpoolRecord<T>[] {
        const out: SpoolRecord<T>[] = [];
        // records kept in memory come first (after a spill they are the ones before the cursor)
        const part = this.memory.splice(0, max);
        for (const r of part) out.push({ n: r.n, payload: r.payload, value: r.value, fromDisk: false });
        if (this.diskCursor === null || out.length >= max) return out;
        this.readFromDisk(max, out);
        if (this.diskCursor && this.diskCursor.n >= this.nextN) {
            // caught up: records appended from now on stay in memory again
            this.diskCursor = null;
        }
        return out;
    }

    /** The segment holding record n, if it is still there. */
    private segmentOf(n: number): Segment | undefined {
        return this.segments.find((seg) => n >= seg.firstN && n < seg.firstN + seg.count);
    }

    /** Points a cursor at its record n (segment and byte offset), if that record is synced. */
    private locate(cur: { n: number; segId: number; offset: number }): boolean {
        const seg = this.segments.find((x) => x.id === cur.segId);
        if (seg && cur.offset >= 0 && cur.n < seg.firstN + seg.count) return true;
        const at = this.segmentOf(cur.n);
        if (!at || cur.n > this.syncedN) return false;
        cur.segId = at.id;
        cur.offset = this.offsetOf(at, cur.n - at.firstN);
        return true;
    }

    private readFromDisk(max: number, out: SpoolRecord<T>[]): void {
        const cur = this.diskCursor as { n: number; segId: number; offset: number };
        while (out.length < max && cur.n <= this.syncedN && this.locate(cur)) {
            const seg = this.segments.find((x) => x.id === cur.segId) as Segment;
            const fd = fs.openSync(seg.file, 'r');
            try {
                const end = Math.min(seg.size, cur.offset + READ_CHUNK);
                let buf = Buffer.alloc(Math.max(0, end - cur.offset));
                fs.readSync(fd, buf, 0, buf.length, cur.offset);
                let p = 0;
                while (out.length < max && cur.n < seg.firstN + seg.count && cur.n <= this.syncedN) {
                    if (p + RECORD_HEADER > buf.length) break;
                    const len = buf.readUInt32LE(p);
                    if (p + RECORD_HEADER + len > buf.length) {
                        if (p === 0) {
                            // one record larger than the chunk: read it alone
                            buf = Buffer.alloc(RECORD_HEADER + len);
                            fs.readSync(fd, buf, 0, buf.length, cur.offset);
                            continue;
                        }
                        break;
                    }
                    out.push({ n: cur.n, payload: Buffer.from(buf.subarray(p + RECORD_HEADER, p + RECORD_HEADER + len)), fromDisk: true });
                    p += RECORD_HEADER + len;
                    cur.n++;
                }
                cur.offset += p;
                // at the end of this segment: the next record starts the next one
                if (cur.n >= seg.firstN + seg.count) { cur.segId = -1; cur.offset = -1; }
            } finally {
                fs.closeSync(fd);
            }
        }
    }

    /** Byte offset of the k-th record of a segment (walks the headers). */
    private offsetOf(seg: Segment, k: number, from?: { index: number; offset: number }): number {
        const fd = fs.openSync(seg.file, 'r');
        try {
            const head = Buffer.alloc(4);
            let pos = from ? from.offset : seg.start;
            for (let i = from ? from.index : 0; i < k; i++) {
                fs.readSync(fd, head, 0, 4, pos);
                pos += RECORD_HEADER + head.readUInt32LE(0);
            }
            return pos;
        } finally {
            fs.closeSync(fd);
        }
    }

    /** Marks records stored; deletes segments whose every record is confirmed. */
    confirm(ns: Iterable<number>): void {
        for (const n of ns) {
            if (n < this.confirmedBelow) continue;
            this.confirmedAhead.add(n);
        }
        while (this.confirmedAhead.delete(this.confirmedBelow)) this.confirmedBelow++;
        this.checkpointDirty = true;
        // delete fully confirmed segments (never the one being written)
        while (this.segments.length > 1) {
            const s = this.segments[0];
            if (s.firstN + s.count > this.confirmedBelow) break;
            fs.rmSync(s.file, { force: true });
            this.bytes -= s.size;
            this.segments.shift();
        }
        this.maybeCheckpoint(false);
    }

    /** Writes checkpoint.json when due (or now, with force). */
    maybeCheckpoint(force: boolean): void {
        if (!this.checkpointDirty || this.failure) return;
        const now = Date.now();
        if (!force && now - this.lastCheckpointAt < this.checkpointIntervalMs) return;
        const target = Math.min(this.confirmedBelow, this.syncedN + 1);
        const seg = this.segmentOf(target) ?? this.segments[this.segments.length - 1];
        if (!seg) return;
        let offset: number;
        if (target >= seg.firstN + seg.count) offset = seg.size;
        else {
            // walk on from where the last checkpoint ended when it is in the same segment
            const c = this.confirmCursor;
            const from = c && c.segId === seg.id && c.offset >= 0 && c.n <= target ? { index: c.n - seg.firstN, offset: c.offset } : undefined;
            offset = this.offsetOf(seg, target - seg.firstN, from);
            this.confirmCursor = { n: target, segId: seg.id, offset };
        }
        const tmp = path.join(this.dir, `${CHECKPOINT_FILE}.tmp`);
        try {
            fs.writeFileSync(tmp, JSON.stringify({ segment: seg.id, offset }));
            fs.renameSync(tmp, path.join(this.dir, CHECKPOINT_FILE));
            this.checkpointDirty = false;
            this.lastCheckpointAt = now;
        } catch { /* best effort: a stale checkpoint only means a longer replay */ }
    }

    /** Syncs what was appended, writes the checkpoint and closes the file. */
    async close(): Promise<void> {
        if (this.closed) return;
        try {
            await this.sync();
        } catch { /* failure is kept in this.failure for the caller */ }
        this.closed = true;
        this.maybeCheckpoint(true);
        if (this.fd !== null) {
            fs.closeSync(this.fd);
            this.fd = null;
        }
    }
}

/** Makes a new file's directory entry durable (a power cut could otherwise lose the file). */
function syncDirectory(dir: string): void {
    let fd: number | null = null;
    try {
        fd = fs.openSync(dir, 'r');
        fs.fsyncSync(fd);
    } catch { /* not supported on this filesystem: the data itself is synced */ } finally {
        if (fd !== null) fs.closeSync(fd);
    }
}

/** fs.write until every byte is written (a write may be short). */
function writeAll(fd: number, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
        const step = (off: number): void => {
            if (off >= data.length) return resolve();
            fs.write(fd, data, off, data.length - off, null, (err, n) => (err ? reject(err) : step(off + n)));
        };
        step(0);
    });
}

/** Records in a pending buffer list (header, payload pairs). */
function countRecords(bufs: Buffer[]): number {
    return bufs.length / 2;
}
