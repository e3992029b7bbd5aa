/**
 * How a reading's document is kept in the writer's spool, and how two documents for the same
 * (device, sensor, time) are compared. Pure: no Node-RED, no driver.
 *
 * A spool record is the JSON text of `{k: key, f: time field, d: document, t: [names of its Date
 * fields]}` with each Date written as epoch milliseconds, so the document comes back with the same
 * BSON dates, and its time, whatever the writer's time field was called when it was spooled.
 */
import { ReadingDoc } from './document';

export interface SpooledDoc {
    key: string;
    doc: ReadingDoc;
    time: Date;
}

/** Encodes a document for the spool. */
export function encodeRecord(key: string, doc: ReadingDoc, timeField: string): Buffer {
    const d: Record<string, unknown> = {};
    const dates: string[] = [];
    for (const k of Object.keys(doc)) {
        const v = doc[k];
        if (v instanceof Date) {
            d[k] = v.getTime();
            dates.push(k);
        } else d[k] = v;
    }
    return Buffer.from(JSON.stringify({ k: key, f: timeField, d, t: dates }));
}

/** Encodes a mapped reading; its time field is `timeField` or else the field holding its time. */
export function encodeMapped(m: SpooledDoc, timeField?: string): Buffer {
    let field = timeField;
    if (!field) field = m.doc.time === m.time ? 'time' : Object.keys(m.doc).find((k) => m.doc[k] === m.time) || 'time';
    return encodeRecord(m.key, m.doc, field);
}

/** Decodes a spool record; throws on anything that is not one. */
export function decodeRecord(payload: Buffer): SpooledDoc {
    const r = JSON.parse(payload.toString('utf8')) as { k?: unknown; f?: unknown; d?: unknown; t?: unknown };
    if (typeof r.k !== 'string' || typeof r.f !== 'string' || !r.d || typeof r.d !== 'object' || !Array.isArray(r.t)) {
        throw new Error('not a spool record');
    }
    const doc = r.d as ReadingDoc;
    for (const name of r.t) {
        const v = (doc as Record<string, unknown>)[name];
        if (typeof v === 'number') (doc as Record<string, unknown>)[name] = new Date(v);
    }
    const time = (doc as Record<string, unknown>)[r.f];
    if (!(time instanceof Date)) throw new Error('spool record without its time');
    return { key: r.k, doc, time };
}

/** The value fields two documents of one reading must agree on to be "the same reading". */
export const VALUE_FIELDS = ['window', 'count', 'min', 'max', 'mean', 'std', 'slope', 'last', 'state'] as const;

/** A short text of a document's values: equal for equal readings, different otherwise. */
export function fingerprint(doc: Record<string, unknown>): string {
    return VALUE_FIELDS.map((f) => {
        const v = doc[f];
        return v === undefined || v === null ? '' : String(v);
    }).join('|');
}

/** The values of a document, for a conflict report. */
export function valuesOf(doc: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of VALUE_FIELDS) out[f] = doc[f] ?? null;
    return out;
}

/** The values a fingerprint was made of (numbers, or null where empty). */
export function parseFingerprint(fp: string): Record<string, unknown> {
    const parts = fp.split('|');
    return Object.fromEntries(VALUE_FIELDS.map((f, i) => [f, parts[i] === undefined || parts[i] === '' ? null : Number(parts[i])]));
}
