/**
 * The payload as it arrives (Buffer, string or object) made safe to look at: size limit, text or
 * binary, a JSON object with no `$`/`.` keys, no NaN/Infinity and bounded nesting. What the
 * formats (formats/*.ts) receive.
 */
import { describe } from '../shared/reading';
import { fail } from './messages';

/**
 * One message's payload. At first exactly one of `bytes` (binary), `text` or `obj` (an object
 * payload) is set; `obj` is added once the text is parsed (parseObject).
 */
export interface Payload {
    bytes?: Buffer;
    text?: string;
    obj?: Record<string, unknown>;
    /** `text` trimmed, once (trimmedText). */
    trimmed?: string;
}

/** The payload's text without surrounding white space, or undefined for bytes and objects. */
export function trimmedText(p: Payload): string | undefined {
    if (p.trimmed === undefined && p.text !== undefined) p.trimmed = p.text.trim();
    return p.trimmed;
}

// Nesting of any accepted payload is far below this (a TTN uplink is about 6 levels deep).
const MAX_DEPTH = 16;

export const HEX_FRAME = /^(?:[0-9a-fA-F]{48})+$/;
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array);
}

/**
 * Size limit, then a Buffer, string or object into `bytes`, `text` or `obj`. A Buffer that is
 * plausibly text becomes text unless `keepBytes` (a forced binary format).
 */
export function shapePayload(payload: unknown, maxBytes: number, keepBytes: boolean): Payload {
    if (Buffer.isBuffer(payload) || payload instanceof Uint8Array) {
        const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
        if (b.length > maxBytes) fail('oversize', { size: b.length, max: maxBytes, where: '$' });
        const text = keepBytes ? null : bufferText(b);
        return text === null ? { bytes: b } : { text };
    }
    if (typeof payload === 'string') {
        const size = Buffer.byteLength(payload, 'utf8');
        if (size > maxBytes) fail('oversize', { size, max: maxBytes, where: '$' });
        return { text: payload };
    }
    if (isPlainObject(payload)) {
        const bound = checkTree(payload);
        if (bound > maxBytes) {
            const size = Buffer.byteLength(JSON.stringify(payload), 'utf8');
            if (size > maxBytes) fail('oversize', { size, max: maxBytes, where: '$' });
        }
        return { obj: payload };
    }
    return fail('type', { field: 'payload', expected: 'a Buffer, a string or an object', actual: describe(payload), where: '$' });
}

/** The payload as a checked JSON object (parsed from its text or bytes the first time). */
export function parseObject(p: Payload): Record<string, unknown> {
    if (p.obj !== undefined) return p.obj;
    const text = p.text !== undefined ? p.text : (p.bytes as Buffer).toString('utf8');
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (e) {
        const nf = NON_FINITE_TOKEN.exec(text);
        if (nf) fail('non-finite', { value: nf[1], where: `character ${nf.index + nf[0].indexOf(nf[1])}` });
        return fail('not-json', notJsonDetail(e));
    }
    if (!isPlainObject(parsed)) return fail('not-object', { actual: describe(parsed), where: '$' });
    checkTree(parsed);
    p.obj = parsed;
    return parsed;
}

/** Text or bytes -> the bytes of a binary frame (hex or base64 text). */
export function frameBytes(p: Payload): Buffer {
    if (p.bytes !== undefined) return p.bytes;
    const text = trimmedText(p) ?? '';
    if (HEX_FRAME.test(text)) return Buffer.from(text, 'hex');
    if (text.length > 0 && BASE64.test(text)) return Buffer.from(text, 'base64');
    return fail('type', { field: 'payload', expected: 'a binary frame (Buffer, hex or base64 text)', actual: describe(p.obj ?? p.text), where: '$' });
}

function childPath(path: string, key: string | number): string {
    if (typeof key === 'number') return `${path}[${key}]`;
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Walks a parsed payload and returns an upper bound of its JSON size (bytes): no key may contain `$` or `.` (a leading `$` is a MongoDB operator, a dot
 * a path; no picochain or TTN key holds either), no number may be NaN/Infinity, nesting stays bounded.
 */
export function checkTree(value: unknown, path = '$', depth = 0): number {
    // the common case (nothing wrong) runs without building paths; a failure walks again to say where
    if (depth === 0) {
        const acc = { bound: 0 };
        if (treeOk(value, 0, acc)) return acc.bound;
    }
    if (typeof value === 'number') {
        if (!Number.isFinite(value)) fail('non-finite', { value: String(value), where: path });
        return 0;
    }
    if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date) return 0;
    if (depth >= MAX_DEPTH) fail('too-deep', { max: MAX_DEPTH, where: path });
    if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) checkTree(value[i], childPath(path, i), depth + 1);
        return 0;
    }
    for (const key of Object.keys(value)) {
        if (key.includes('$') || key.includes('.')) fail('forbidden-key', { key, where: childPath(path, key) });
        checkTree((value as Record<string, unknown>)[key], childPath(path, key), depth + 1);
    }
    // the size bound only matters at depth 0, and there this walk runs because the fast pass found
    // a fault, which it throws above; Infinity just forces the exact size check should it not
    return Infinity;
}

/**
 * The fast pass of checkTree: true when nothing is wrong. Adds to `acc.bound` an upper bound of
 * the value's JSON size in bytes (a UTF-16 unit is at most 6 bytes escaped, a number at most 24
 * characters), so the exact JSON.stringify size check is only needed for large payloads.
 */
function treeOk(value: unknown, depth: number, acc: { bound: number }): boolean {
    if (typeof value === 'number') {
        acc.bound += 25;
        return Number.isFinite(value);
    }
    if (typeof value === 'string') {
        acc.bound += 6 * value.length + 3;
        return true;
    }
    if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date) {
        // Buffers and Dates serialise to much more than this: force the exact check
        acc.bound += typeof value === 'object' && value !== null ? Infinity : 6;
        return true;
    }
    if (depth >= MAX_DEPTH) return false;
    acc.bound += 2;
    if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!treeOk(value[i], depth + 1, acc)) return false;
        return true;
    }
    for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        if (key.includes('$') || key.includes('.')) return false;
        acc.bound += 6 * key.length + 4;
        if (!treeOk((value as Record<string, unknown>)[key], depth + 1, acc)) return false;
    }
    return true;
}

// Control characters other than tab, LF and CR never appear in JSON or status text, while a
// binary frame always has some (header 0x10-0x1f, and zero bytes in seq/window/count).
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The buffer as text when it is plausibly text (valid UTF-8, no control characters but \t \n \r), else null. */
export function bufferText(b: Uint8Array): string | null {
    for (let i = 0; i < b.length; i++) {
        const c = b[i];
        if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return null;
    }
    try {
        return utf8.decode(b);
    } catch {
        return null;
    }
}

/** True when a buffer is plausibly text (see bufferText). */
export function looksLikeText(b: Uint8Array): boolean {
    return bufferText(b) !== null;
}

function notJsonDetail(e: unknown): { detail: string; where: string } {
    const raw = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(raw);
    const detail = raw.length > 120 ? `${raw.slice(0, 120)}…` : raw;
    return { detail, where: pos ? `character ${pos[1]}` : '$' };
}

// NaN / Infinity are not JSON; say so precisely instead of "Unexpected token N".
const NON_FINITE_TOKEN = /[:,[]\s*(-?(?:NaN|Infinity))\s*[,}\]]/;
