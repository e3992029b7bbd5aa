/**
 * Reading -> MongoDB document mapping for picochain-mongo-ts (docs/ARCHITECTURE.md, "Mongo
 * document of a reading"). Pure: no Node-RED, no driver. Validation lives here too, so a bad
 * reading is refused with a message that says what is wrong before anything reaches the database.
 */
import { ID_PATTERN, SENSOR_PATTERN, SOURCE_FORMATS, STAT_FIELDS, SEQ_MODULO, MAX_WINDOW_S, readingKey } from '../shared/reading';

/** Field names a timeField/metaField may take: plain identifiers, never `$`, `.` or `_id`. */
export const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Fields of the stored document besides timeField and metaField (they must not collide). */
export const DOC_FIELDS = [
    '_id', 'deviceTime', 'receivedAt', 'window', 'count', 'min', 'max', 'mean', 'std', 'slope', 'last', 'seq', 'state', 'fault',
] as const;

const MAX_UNIT_CHARS = 16;
const MAX_FAULT_CHARS = 64;

/** The stored document. timeField/metaField are configurable, so they are index keys here. */
export interface ReadingDoc {
    _id: string;
    [field: string]: unknown;
}

/** Where a document stores its time and meta: the writer's timeField and metaField. */
export interface DocFields {
    timeField: string;
    metaField: string;
}

/** A validated reading turned into its document, with the key duplicate detection compares. */
export interface MappedReading {
    doc: ReadingDoc;
    key: string;
    time: Date;
}

/** Why one element of msg.payload was refused; `index` is its place in the array (0 for one object). */
export class ReadingError extends Error {
    constructor(message: string, public readonly index: number) {
        super(message);
        this.name = 'ReadingError';
    }
}

/** Checks a timeField/metaField pair; returns an error text or null. */
export function checkFieldNames(f: DocFields): string | null {
    for (const [what, name] of [['timeField', f.timeField], ['metaField', f.metaField]] as const) {
        if (typeof name !== 'string' || !FIELD_NAME_PATTERN.test(name)) {
            return `${what} "${String(name)}" must be a plain name (letters, digits, _; no "$" or ".")`;
        }
        if ((DOC_FIELDS as readonly string[]).includes(name)) return `${what} "${name}" collides with the document field of that name`;
    }
    if (f.timeField === f.metaField) return 'timeField and metaField must differ';
    return null;
}

/** The duplicate key of a reading, also its `_id`: `${device}|${sensor}|${timeMs}` (readingKey in shared/reading). */
export function docKey(device: string, sensor: string, time: Date): string {
    return readingKey({ device, sensor, time });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
}

/**
 * Accepts a Date, an ISO-8601 string (a reading that crossed JSON) or epoch milliseconds and
 * returns a valid Date, or null when `v` is none of those.
 */
export function reviveDate(v: unknown): Date | null {
    let d: Date | null = null;
    if (v instanceof Date) d = v;
    else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) d = new Date(v);
    else if (typeof v === 'number' && Number.isFinite(v)) d = new Date(v);
    return d !== null && Number.isFinite(d.getTime()) ? new Date(d.getTime()) : null;
}

/** Finds a key starting with `$` or containing `.` anywhere in `v` (depth-limited); returns its path or null. */
export function findUnsafeKey(v: unknown, path = '', depth = 0): string | null {
    if (depth > 8 || typeof v !== 'object' || v === null || v instanceof Date || Buffer.isBuffer(v)) return null;
    for (const k of Object.keys(v as object)) {
        const p = path ? `${path}.${k}` : k;
        if (k.startsWith('$') || k.includes('.')) return p;
        const inner = findUnsafeKey((v as Record<string, unknown>)[k], p, depth + 1);
        if (inner) return inner;
    }
    return null;
}

/**
 * Validates one reading (a picochain Reading, possibly serialised through JSON) and maps it to
 * its document. Required: device, sensor, time. Optional fields default to null (receivedAt to
 * `now`). Throws ReadingError naming the field that is wrong; never returns a document with a
 * `$`/`.` key, a NaN/Infinity, or a string where a number or Date belongs.
 */
export function toDocument(input: unknown, fields: DocFields, now: Date, index = 0): MappedReading {
    const fail = (msg: string): never => { throw new ReadingError(`reading ${index}: ${msg}`, index); };
    if (!isPlainObject(input)) fail(`not a reading object (got ${input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input})`);
    const r = input as Record<string, unknown>;
    const unsafe = findUnsafeKey(r);
    if (unsafe) fail(`key "${unsafe}" starts with "$" or contains "." (refused: it could alter the query or the document)`);

    const str = (name: string, pattern: RegExp, required: boolean): string | null => {
        const v = r[name];
        if (v === undefined || v === null) {
            if (required) fail(`missing ${name}`);
            return null;
        }
        if (typeof v !== 'string') fail(`${name} must be a string (got ${typeof v})`);
        if (!pattern.test(v as string)) fail(`${name} "${String(v).slice(0, 40)}" does not match ${pattern}`);
        return v as string;
    };
    const device = str('device', ID_PATTERN, true) as string;
    const sensor = str('sensor', SENSOR_PATTERN, true) as string;
    const site = str('site', ID_PATTERN, false);

    const date = (name: string, required: boolean): Date | null => {
        const v = r[name];
        if (v === undefined || v === null) {
            if (required) fail(`missing ${name}`);
            return null;
        }
        const d = reviveDate(v);
        if (d === null) fail(`${name} is not a valid date (got ${typeof v === 'string' ? `"${v.slice(0, 40)}"` : typeof v})`);
        return d;
    };
    const time = date('time', true) as Date;
    const deviceTime = date('deviceTime', false);
    const receivedAt = date('receivedAt', false) ?? now;

    const num = (name: string, check?: (n: number) => boolean, rule?: string): number | null => {
        const v = r[name];
        if (v === undefined || v === null) return null;
        if (typeof v !== 'number') fail(`${name} must be a number or null (got ${typeof v})`);
        if (!Number.isFinite(v as number)) fail(`${name} must be finite (got ${String(v)})`);
        if (check && !check(v as number)) fail(`${name} ${rule} (got ${String(v)})`);
        return v as number;
    };
    const window = num('window', (n) => n >= 0 && n <= MAX_WINDOW_S, `must be 0..${MAX_WINDOW_S} s`) ?? 0;
    const count = num('count', (n) => Number.isInteger(n) && n >= 0, 'must be a whole number >= 0');
    const stats: Record<string, number | null> = {};
    for (const f of STAT_FIELDS) stats[f] = num(f);
    const seq = num('seq', (n) => Number.isInteger(n) && n >= 0 && n < SEQ_MODULO, `must be a whole number 0..${SEQ_MODULO - 1}`);
    const state = num('state', (n) => n === 0 || n === 1 || n === 2, 'must be 0, 1 or 2');

    let unit: string | null = null;
    if (r.unit !== undefined && r.unit !== null) {
        if (typeof r.unit !== 'string' || r.unit.length > MAX_UNIT_CHARS) fail(`unit must be a string of at most ${MAX_UNIT_CHARS} characters`);
        unit = r.unit as string;
    }
    let source: string | null = null;
    if (r.source !== undefined && r.source !== null) {
        if (typeof r.source !== 'string' || !(SOURCE_FORMATS as readonly string[]).includes(r.source)) {
            fail(`source must be one of ${SOURCE_FORMATS.join(', ')}`);
        }
        source = r.source as string;
    }
    let fault: string | undefined;
    if (r.fault !== undefined && r.fault !== null) {
        if (typeof r.fault !== 'string' || r.fault.length > MAX_FAULT_CHARS) fail(`fault must be a string of at most ${MAX_FAULT_CHARS} characters`);
        fault = r.fault as string;
    }

    const key = docKey(device, sensor, time);
    // Built field by field from validated values: nothing of the input object is copied as is.
    const doc: ReadingDoc = {
        _id: key,
        [fields.timeField]: time,
        [fields.metaField]: { device, sensor, site, unit, source },
        deviceTime,
        receivedAt,
        window,
        count,
        min: stats.min,
        max: stats.max,
        mean: stats.mean,
        std: stats.std,
        slope: stats.slope,
        last: stats.last,
        seq,
        state,
    };
    if (fault !== undefined) doc.fault = fault;
    return { doc, key, time };
}

/**
 * Maps msg.payload (one reading or an array of them) to documents. Good readings are kept even
 * when others in the same array are refused; `errors` lists the refused ones.
 */
export function mapPayload(payload: unknown, fields: DocFields, now: Date): { mapped: MappedReading[]; errors: ReadingError[] } {
    const items = Array.isArray(payload) ? payload : [payload];
    const mapped: MappedReading[] = [];
    const errors: ReadingError[] = [];
    if (items.length === 0) errors.push(new ReadingError('msg.payload is an empty array: no reading to store', 0));
    items.forEach((item, i) => {
        try {
            mapped.push(toDocument(item, fields, now, i));
        } catch (err) {
            errors.push(err instanceof ReadingError ? err : new ReadingError(`reading ${i}: ${String(err)}`, i));
        }
    });
    return { mapped, errors };
}
