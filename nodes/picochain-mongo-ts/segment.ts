/**
 * The spool's segment file format and the file operations on it (spool.ts keeps the state).
 * Pure Node.js fs, no Node-RED.
 *
 * A segment is an 8-byte header "PCSPOOL1" followed by records
 * [u32 LE payload length][u32 LE crc32 of payload][payload]. Files are read in chunks of
 * READ_CHUNK bytes, so scanning or walking a segment costs a few system calls per megabyte.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';

export const MAGIC = Buffer.from('PCSPOOL1');
export const RECORD_HEADER = 8;
/** A record larger than this is refused at append and treated as corruption when read. */
export const MAX_RECORD_BYTES = 1 << 20;
const READ_CHUNK = 1 << 20;
export const SEGMENT_PATTERN = /^(\d{12})\.seg$/;

/** CRC-32 (IEEE), from zlib where Node has it (≥ 20.15), else a table. */
export const crc32: (b: Buffer) => number = typeof (zlib as unknown as { crc32?: unknown }).crc32 === 'function'
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

export function segmentName(id: number): string {
    return `${String(id).padStart(12, '0')}.seg`;
}

/** One record: header and payload in one buffer, ready to be written. */
export function frameRecord(payload: Buffer): Buffer {
    const rec = Buffer.allocUnsafe(RECORD_HEADER + payload.length);
    rec.writeUInt32LE(payload.length, 0);
    rec.writeUInt32LE(crc32(payload), 4);
    payload.copy(rec, RECORD_HEADER);
    return rec;
}

/** What a segment file's header says: a spool segment, a file cut before its header was synced, or something else. */
export function headerState(file: string): 'ok' | 'torn' | 'foreign' {
    const fd = fs.openSync(file, 'r');
    try {
        const head = Buffer.alloc(MAGIC.length);
        const n = fs.readSync(fd, head, 0, MAGIC.length, 0);
        if (n < MAGIC.length || head.every((b) => b === 0)) return 'torn';
        return head.equals(MAGIC) ? 'ok' : 'foreign';
    } finally {
        fs.closeSync(fd);
    }
}

/** Reads a file in chunks from `start`, calling `visit(buf, bufOffsetInFile)`; visit returns the file offset to continue from, or -1 to stop. */
function readChunks(fd: number, start: number, size: number, visit: (buf: Buffer, at: number) => number): void {
    let pos = start;
    let chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(RECORD_HEADER, size - start)));
    while (pos < size) {
        const want = Math.min(chunk.length, size - pos);
        const got = fs.readSync(fd, chunk, 0, want, pos);
        if (got <= 0) return;
        const next = visit(chunk.subarray(0, got), pos);
        if (next < 0) return;
        if (next === pos) {
            // one record larger than the chunk: grow the chunk to hold it
            // (unless the file ends within this chunk, or the chunk already holds the largest record)
            if (got < want || want < chunk.length || chunk.length >= RECORD_HEADER + MAX_RECORD_BYTES) return;
            chunk = Buffer.allocUnsafe(Math.min(RECORD_HEADER + MAX_RECORD_BYTES, chunk.length * 2));
            continue;
        }
        pos = next;
    }
}

export interface ScanResult {
    /** Byte offset of each valid record, in order. */
    offsets: number[];
    /** Where the valid records end (the file is cut here when it is longer). */
    end: number;
    size: number;
}

/** Reads every record of a segment from the header on; stops at the first torn or corrupt one. */
export function scanSegment(file: string): ScanResult {
    const fd = fs.openSync(file, 'r');
    try {
        const size = fs.fstatSync(fd).size;
        const offsets: number[] = [];
        let end = Math.min(MAGIC.length, size);
        readChunks(fd, MAGIC.length, size, (buf, at) => {
            let p = 0;
            while (p + RECORD_HEADER <= buf.length) {
                const len = buf.readUInt32LE(p);
                if (len === 0 || len > MAX_RECORD_BYTES || at + p + RECORD_HEADER + len > size) return -1;
                if (p + RECORD_HEADER + len > buf.length) break;
                if (crc32(buf.subarray(p + RECORD_HEADER, p + RECORD_HEADER + len)) !== buf.readUInt32LE(p + 4)) return -1;
                offsets.push(at + p);
                p += RECORD_HEADER + len;
                end = at + p;
            }
            if (p === 0 && at + RECORD_HEADER > size) return -1;
            return at + p;
        });
        return { offsets, end, size };
    } finally {
        fs.closeSync(fd);
    }
}

/** Byte offset of the record `k` records after the one at `from` (walks the length fields). */
export function walkRecords(file: string, from: number, k: number): number {
    if (k <= 0) return from;
    const fd = fs.openSync(file, 'r');
    try {
        const size = fs.fstatSync(fd).size;
        let left = k;
        let result = -1;
        readChunks(fd, from, size, (buf, at) => {
            let p = 0;
            while (p + RECORD_HEADER <= buf.length) {
                const len = buf.readUInt32LE(p);
                if (len === 0 || len > MAX_RECORD_BYTES) return -1;
                const next = p + RECORD_HEADER + len;
                left--;
                if (left === 0) { result = at + next; return -1; }
                p = next;
                if (p > buf.length) return at + p;
            }
            return at + p;
        });
        if (result < 0) throw new Error(`spool segment ${file} ends before record ${k}`);
        return result;
    } finally {
        fs.closeSync(fd);
    }
}

/** One record read back: payload, or corrupt when its length or checksum is wrong. */
export interface ReadBack {
    payload: Buffer | null;
}

/**
 * Reads up to `count` consecutive records from byte `from` of a segment that is `size` bytes long.
 * Returns them and the offset after the last; a record with a wrong checksum comes back with a
 * null payload, and an impossible length ends the read (`broken`: the rest of the segment cannot
 * be located).
 */
export function readRecords(file: string, from: number, size: number, count: number): { records: ReadBack[]; next: number; broken: boolean } {
    const fd = fs.openSync(file, 'r');
    const records: ReadBack[] = [];
    let next = from;
    let broken = false;
    try {
        readChunks(fd, from, size, (buf, at) => {
            let p = 0;
            while (records.length < count && p + RECORD_HEADER <= buf.length) {
                const len = buf.readUInt32LE(p);
                if (len === 0 || len > MAX_RECORD_BYTES || at + p + RECORD_HEADER + len > size) { broken = true; return -1; }
                if (p + RECORD_HEADER + len > buf.length) break;
                const body = buf.subarray(p + RECORD_HEADER, p + RECORD_HEADER + len);
                records.push({ payload: crc32(body) === buf.readUInt32LE(p + 4) ? Buffer.from(body) : null });
                p += RECORD_HEADER + len;
                next = at + p;
            }
            return records.length >= count ? -1 : at + p;
        });
    } finally {
        fs.closeSync(fd);
    }
    return { records, next, broken };
}

/** Makes a new file's directory entry durable (a power cut could otherwise lose the file). */
export function syncDirectory(dir: string): void {
    let fd: number | null = null;
    try {
        fd = fs.openSync(dir, 'r');
        fs.fsyncSync(fd);
    } catch { /* not supported on this filesystem: the data itself is synced */ } finally {
        if (fd !== null) fs.closeSync(fd);
    }
}

/** fs.write until every byte is written (a write may be short). */
export function writeAll(fd: number, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
        const step = (off: number): void => {
            if (off >= data.length) return resolve();
            fs.write(fd, data, off, data.length - off, null, (err, n) => (err ? reject(err) : step(off + n)));
        };
        step(0);
    });
}

export function fdatasync(fd: number): Promise<void> {
    return new Promise<void>((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())));
}
