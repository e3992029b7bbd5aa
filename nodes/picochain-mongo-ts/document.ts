/**
 * Reading -> MongoDB document mapping for picochain-mongo-ts (docs/ARCHITECTURE.md, "Mongo
 * document of a reading"). Pure: no Node-RED, no driver. Each reading goes through the shared
 * Reading check (checkReading in shared/reading.ts), so a bad one is refused with a message that
 * says what is wrong before anything reaches the database.
 */
import { DOC_FIELDS, FIELD_NAME_PATTERN } from '../shared/rules';
import { checkReading, CheckedReading, ReadingCheckError, readingKey, reviveDate } from '../shared/reading';

export { reviveDate };

/** Field names a timeField/metaField may take: plain identifiers, never `$`, `.` or `_id` (shared/rules.ts). */
export { FIELD_NAME_PATTERN };

/** Fields of the stored document besides timeField and metaField (they must not collide). */
export { DOC_FIELDS };

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

/** Finds a key starting with `$` or containing `.` anywhere in `v` (depth-limited); returns its path or null. */
export function findUnsafeKey(v: unknown, path = '', depth = 0): string | null {
    if (depth > 8 || typeof v !== 'object' || v === null || v instanceof Date || Buffer.isBuffer(v)) return null;
    for (const k in v as object) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        // the path is only built for a key that is refused or holds an object (most hold numbers)
        const unsafe = k.startsWith('$') || k.includes('.');
        const inner = (v as Record<string, unknown>)[k];
        if (!unsafe && (typeof inner !== 'object' || inner === null)) continue;
        const p = path ? `${path}.${k}` : k;
        if (unsafe) return p;
        const found = findUnsafeKey(inner, p, depth + 1);
        if (found) return found;
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

    // every field checked by the one Reading check the decoder and the alert node use too
    let c: CheckedReading;
    try {
        c = checkReading(r, { now });
    } catch (e) {
        return fail(e instanceof ReadingCheckError ? e.message : String(e));
    }
    const { device, sensor, site, unit, source, time } = c;
    const key = docKey(device, sensor, time);
    // Built field by field from validated values: nothing of the input object is copied as is.
    const doc: ReadingDoc = {
        _id: key,
        [fields.timeField]: time,
        [fields.metaField]: { device, sensor, site, unit, source },
        deviceTime: c.deviceTime,
        receivedAt: c.receivedAt,
        window: c.window,
        count: c.count,
        min: c.min,
        max: c.max,
        mean: c.mean,
        std: c.std,
        slope: c.slope,
        last: c.last,
        seq: c.seq,
        state: c.state,
    };
    if (c.fault !== undefined) doc.fault = c.fault;
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
