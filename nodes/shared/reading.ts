/**
 * The one normalised reading every picochain node speaks: what picochain-decode emits, what
 * picochain-mongo-ts stores and what picochain-alert watches, with the one per-field check all
 * three use (READING_RULES, fieldProblem, checkReading). Its JSON Schema twin reading.schema.json
 * is generated from the same table (readingJsonSchema; test/shared/reading.test.js compares).
 * The plausible ranges are documented in firmware/PROTOCOL.md, "Plausible ranges".
 */

/** On-device state, the original system's "discrete state" idea: 0 ok, 1 warning, 2 alarm. */
export type DeviceState = 0 | 1 | 2;

/** Which wire format a reading came from. */
export type SourceFormat = 'json-v1' | 'binary-v1' | 'ttn-v3' | 'legacy';

export const SOURCE_FORMATS: readonly SourceFormat[] = ['json-v1', 'binary-v1', 'ttn-v3', 'legacy'];

export interface Reading {
    /** Device id, e.g. "fridge-1" (the original system's `noeud`). */
    device: string;
    /** Site the device belongs to, from the frame or the topic; null when unknown. */
    site: string | null;
    /** Sensor name, e.g. "temperature", "probe1", "humidity". */
    sensor: string;
    /** Unit of min/max/mean/std/last ("°C", "%"); slope is unit per minute. Null when unknown. */
    unit: string | null;
    /** When the window ended: the device's clock when it was synced, else the receive time. */
    time: Date;
    /** The device's own timestamp, null when its clock was not synced. */
    deviceTime: Date | null;
    /** When picochain-decode received the message (or the LoRaWAN network's received_at). */
    receivedAt: Date;
    /** Window length in seconds; 0 for a single raw sample. */
    window: number;
    /** Samples in the window; 0 when the sensor failed for the whole window. */
    count: number;
    min: number | null;
    max: number | null;
    mean: number | null;
    /** Population standard deviation. */
    std: number | null;
    /** Least-squares slope in unit per minute; null below two samples. */
    slope: number | null;
    /** Last sample of the window. */
    last: number | null;
    /** Window sequence number (uint16, wraps); null for legacy messages. */
    seq: number | null;
    /** On-device state; null when the device did not compute one. */
    state: DeviceState | null;
    /** Why a window has no samples ("no-samples", "probe-missing", ...). */
    fault?: string;
    /** Which wire format the reading came from. */
    source: SourceFormat;
    /** Set by picochain-decode when this (device, seq) was already seen: a redelivery or replay. */
    replay?: boolean;
}

/** The fields a Reading may carry, in schema order. */
export const READING_FIELDS = [
    'device', 'site', 'sensor', 'unit', 'time', 'deviceTime', 'receivedAt', 'window', 'count',
    'min', 'max', 'mean', 'std', 'slope', 'last', 'seq', 'state', 'fault', 'source', 'replay',
] as const;
export type ReadingField = typeof READING_FIELDS[number];

/** The statistics fields, all number | null. */
export const STAT_FIELDS = ['min', 'max', 'mean', 'std', 'slope', 'last'] as const;
export type StatField = typeof STAT_FIELDS[number];
/** The statistics that are sensor values (in the unit), as opposed to std and slope. */
export const LEVEL_FIELDS = ['min', 'max', 'mean', 'last'] as const;

// ---------------------------------------------------------------------------------------------
// Limits shared by the decoder, the writer, the alert node and the firmware (firmware/PROTOCOL.md).

export const MAX_WINDOW_S = 3600;
export const MAX_SENSORS_PER_FRAME = 32;
export const SEQ_MODULO = 65536;
export const MAX_COUNT = 0xffff;
/** Device and site ids: The Things Stack allows 36 characters, the firmware's config 32. */
export const ID_MAX_LENGTH = 36;
export const SENSOR_MAX_LENGTH = 32;
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,36}$/;
export const SENSOR_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const MAX_UNIT_LENGTH = 16;
export const MAX_FAULT_LENGTH = 64;
/** No picochain board existed before this: earlier synced times are a broken clock (ms since epoch). */
export const MIN_TIME_MS = Date.UTC(2020, 0, 1);
/** A synced time further ahead of the receive time than this is a broken clock (ms). */
export const MAX_FUTURE_MS = 24 * 3600 * 1000;

/** Sensor kinds of the binary frame's sensor byte (bits 7-5); a kind fixes the sensor's unit. */
export const SENSOR_KINDS: readonly { base: string; unit: string | null }[] = [
    { base: 'temperature', unit: '°C' },
    { base: 'probe', unit: '°C' },
    { base: 'humidity', unit: '%' },
    { base: 'door', unit: null },
];

/** "probe3" -> {kind: 1, index: 3}, "door" -> {kind: 3, index: 0}; null for other names. */
export function sensorKind(name: string): { kind: number; index: number } | null {
    let k = kindCache.get(name);
    if (k === undefined) {
        k = parseSensorKind(name);
        // names come from payloads: keep the memo small whatever arrives
        if (kindCache.size >= 256) kindCache.clear();
        kindCache.set(name, k);
    }
    return k;
}

const kindCache = new Map<string, { kind: number; index: number } | null>();

function parseSensorKind(name: string): { kind: number; index: number } | null {
    for (let kind = 0; kind < SENSOR_KINDS.length; kind++) {
        const base = SENSOR_KINDS[kind].base;
        if (name === base) return { kind, index: 0 };
        if (name.startsWith(base)) {
            const rest = name.slice(base.length);
            if (/^[1-9][0-9]?$/.test(rest) && Number(rest) <= 31) return { kind, index: Number(rest) };
        }
    }
    return null;
}

/** Other spellings of the units picochain knows: "C", "degC" → "°C"; "%RH" → "%". */
const UNIT_ALIASES: Record<string, string> = {
    c: '°C', '°c': '°C', degc: '°C', '℃': '°C', celsius: '°C',
    f: '°F', '°f': '°F', degf: '°F', '℉': '°F',
    '%rh': '%', '% rh': '%', rh: '%', percent: '%',
};

/** A unit in one spelling ("C", "degC" → "°C"; "%RH" → "%"); null and "" stay null. */
export function normUnit(u: string | null | undefined): string | null {
    if (u === null || u === undefined) return null;
    const t = String(u).trim();
    if (!t) return null;
    return UNIT_ALIASES[t.toLowerCase()] ?? t;
}

/** The unit a known sensor kind is measured in (null for door), undefined for other names. */
export function kindUnit(sensor: string): string | null | undefined {
    const k = sensorKind(sensor);
    return k === null ? undefined : SENSOR_KINDS[k.kind].unit;
}

/**
 * Plausible values per class of sensor: levels (min, max, mean, last) in the unit, slope in unit
 * per minute. Each range lies strictly inside what a binary frame can carry (±327.67, slope
 * ±32.767), so a value the binary encoder clamped is refused exactly like its JSON twin.
 */
export const PLAUSIBLE = {
    /** °C: ultra-low freezers (−86 °C) to ovens. picochain-decode narrows it (default −60 … 150). */
    temperature: { level: [-100, 300], slope: 30 },
    /** % relative humidity. */
    humidity: { level: [0, 100], slope: 30 },
    /** door: the fraction of the window it was open. */
    door: { level: [0, 1], slope: 30 },
    /** Any other sensor (JSON frames only): its unit is unknown to picochain, so only a sanity bound. */
    other: { level: [-1e6, 1e6], slope: 1e6 },
} as const;
export type PlausibleClass = keyof typeof PLAUSIBLE;

export interface StatLimits {
    cls: PlausibleClass;
    /** The unit the ranges are in (the kind's unit for a known kind). */
    unit: string | null;
    /** min, max, mean, last. */
    level: readonly [number, number];
    /** A population std of values inside `level` is at most half its span. */
    std: readonly [number, number];
    slope: readonly [number, number];
}

/**
 * The plausible ranges of a reading's statistics: by sensor kind when the name is one
 * (temperature, probeN, humidity, door), else by unit (°C, %), else "other". `temperature`
 * narrows the °C levels (the decoder's setting; must lie inside PLAUSIBLE.temperature).
 */
export function statLimits(sensor: string, unit: string | null, temperature?: readonly [number, number]): StatLimits {
    const k = sensorKind(sensor);
    const u = k === null ? unit : SENSOR_KINDS[k.kind].unit;
    const cls: PlausibleClass = u === '°C' ? 'temperature' : u === '%' ? 'humidity' : k !== null ? 'door' : 'other';
    const level = cls === 'temperature' && temperature ? temperature : PLAUSIBLE[cls].level;
    const s = PLAUSIBLE[cls].slope;
    return { cls, unit: u, level, std: [0, (level[1] - level[0]) / 2], slope: [-s, s] };
}

// ---------------------------------------------------------------------------------------------
// The per-field table

interface FieldRule {
    readonly type: 'string' | 'date' | 'integer' | 'number' | 'enum' | 'boolean';
    /** null is a valid value. */
    readonly nullable: boolean;
    /** Every Reading picochain-decode emits carries it (the schema's `required`). */
    readonly required: boolean;
    /** checkReading refuses an input without it; other absent fields take `fallback`. */
    readonly essential?: boolean;
    readonly fallback?: number | 'now';
    readonly pattern?: RegExp;
    readonly maxLength?: number;
    readonly min?: number;
    readonly max?: number;
    readonly values?: readonly (string | number)[];
    /** A statistic: its plausible range depends on the sensor (statLimits). */
    readonly stat?: 'level' | 'std' | 'slope';
    /** What a valid value is, in English ("a whole number 0 … 65535"). */
    readonly expected: string;
    readonly description?: string;
}

const idText = (max: number) => `1 to ${max} letters, digits, _ or -`;
const stat = (kind: 'level' | 'std' | 'slope', description: string, min: number, max: number): FieldRule => ({
    type: 'number', nullable: true, required: true, stat: kind, min, max, expected: 'a number or null', description,
});
const OTHER = PLAUSIBLE.other;

/** One rule per Reading field: the decoder, the writer, the alert node and the schema read it. */
export const READING_RULES: { readonly [F in ReadingField]: FieldRule } = {
    device: { type: 'string', nullable: false, required: true, essential: true, pattern: ID_PATTERN, expected: idText(ID_MAX_LENGTH) },
    site: { type: 'string', nullable: true, required: true, pattern: ID_PATTERN, expected: idText(ID_MAX_LENGTH) },
    sensor: { type: 'string', nullable: false, required: true, essential: true, pattern: SENSOR_PATTERN, expected: idText(SENSOR_MAX_LENGTH) },
    unit: { type: 'string', nullable: true, required: true, maxLength: MAX_UNIT_LENGTH, expected: `a string of at most ${MAX_UNIT_LENGTH} characters` },
    time: { type: 'date', nullable: false, required: true, essential: true, expected: 'a date' },
    deviceTime: { type: 'date', nullable: true, required: true, expected: 'a date or null' },
    receivedAt: { type: 'date', nullable: false, required: true, fallback: 'now', expected: 'a date' },
    window: { type: 'integer', nullable: false, required: true, fallback: 0, min: 0, max: MAX_WINDOW_S, expected: `a whole number of seconds 0 … ${MAX_WINDOW_S}` },
    count: { type: 'integer', nullable: false, required: true, min: 0, max: MAX_COUNT, expected: `a whole number 0 … ${MAX_COUNT}` },
    min: stat('level', 'lowest sample, in the unit', OTHER.level[0], OTHER.level[1]),
    max: stat('level', 'highest sample, in the unit', OTHER.level[0], OTHER.level[1]),
    mean: stat('level', 'mean of the samples, in the unit', OTHER.level[0], OTHER.level[1]),
    std: stat('std', 'population standard deviation, in the unit', 0, (OTHER.level[1] - OTHER.level[0]) / 2),
    slope: stat('slope', 'unit per minute', -OTHER.slope, OTHER.slope),
    last: stat('level', 'last sample, in the unit', OTHER.level[0], OTHER.level[1]),
    seq: { type: 'integer', nullable: true, required: true, min: 0, max: SEQ_MODULO - 1, expected: `a whole number 0 … ${SEQ_MODULO - 1}` },
    state: { type: 'enum', nullable: true, required: true, values: [0, 1, 2], min: 0, max: 2, expected: '0, 1 or 2' },
    fault: { type: 'string', nullable: false, required: false, maxLength: MAX_FAULT_LENGTH, expected: `a string of at most ${MAX_FAULT_LENGTH} characters` },
    source: { type: 'enum', nullable: false, required: true, values: SOURCE_FORMATS, expected: `one of ${SOURCE_FORMATS.join(', ')}` },
    replay: { type: 'boolean', nullable: false, required: false, expected: 'true or false' },
};

/** What is wrong with one field. `rule` says how a node words it (picochain-decode maps it to its error keys). */
export interface FieldProblem {
    field: ReadingField;
    rule: 'missing' | 'type' | 'not-finite' | 'pattern' | 'range' | 'implausible';
    value: unknown;
    expected: string;
    min?: number | string;
    max?: number | string;
    /** The unit, for `implausible`. */
    unit?: string | null;
}

/** What the stat and unit rules need to know about the rest of the reading. */
export interface FieldContext {
    sensor?: string;
    unit?: string | null;
    /** The decoder's plausible °C range (inside PLAUSIBLE.temperature). */
    temperature?: readonly [number, number];
    /** statLimits of the sensor, when the caller computed them once for all its statistics. */
    limits?: StatLimits;
    /** Dates: refused after now + MAX_FUTURE_MS and before MIN_TIME_MS; unchecked without it. */
    now?: Date;
}

const NO_CONTEXT: FieldContext = Object.freeze({});

/**
 * Checks one field's value against READING_RULES (and, for statistics, the plausible range of
 * the sensor in `ctx`). Returns null when it is fine. undefined is `missing`; null is fine only
 * for nullable fields. A date may be a Date, an ISO 8601 string or epoch milliseconds.
 */
export function fieldProblem(field: ReadingField, value: unknown, ctx: FieldContext = NO_CONTEXT): FieldProblem | null {
    const rule = READING_RULES[field];
    if (typeof value === 'number' && (rule.type === 'number' || rule.type === 'integer')) {
        // the common case first: one comparison chain, no allocation unless something is wrong
        if (!Number.isFinite(value)) return problem(field, 'not-finite', value);
        if (rule.type === 'integer' && !Number.isInteger(value)) return problem(field, 'type', value, { expected: 'an integer' });
        if (rule.stat !== undefined && (ctx.limits !== undefined || ctx.sensor !== undefined)) {
            const lim = ctx.limits ?? statLimits(ctx.sensor as string, ctx.unit ?? null, ctx.temperature);
            const range = lim[rule.stat];
            const lo = range[0];
            const hi = range[1];
            // a negative spread is impossible whatever the sensor: out of range, not implausible
            if (rule.stat === 'std' && value < 0) return problem(field, 'range', value, { min: 0, max: hi });
            if (value < lo || value > hi) return problem(field, 'implausible', value, { min: lo, max: hi, unit: rule.stat === 'slope' ? `${lim.unit ?? ''}/min` : lim.unit ?? '' });
            return null;
        }
        if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) return problem(field, 'range', value, { min: rule.min, max: rule.max });
        return null;
    }
    if (value === undefined) return problem(field, 'missing', value);
    if (value === null) return rule.nullable ? null : problem(field, 'type', value);
    switch (rule.type) {
        case 'string': {
            if (typeof value !== 'string') return problem(field, 'type', value, { expected: rule.pattern ? 'a string' : rule.expected });
            if (rule.pattern && !rule.pattern.test(value)) return problem(field, 'pattern', value);
            if (rule.maxLength !== undefined && value.length > rule.maxLength) return problem(field, 'type', value);
            if (field === 'unit' && ctx.sensor !== undefined) {
                const ku = kindUnit(ctx.sensor);
                if (ku !== undefined && ku !== normUnit(value)) return problem(field, 'type', value, { expected: ku === null ? `no unit (a ${ctx.sensor} sensor)` : `"${ku}" (the unit of ${ctx.sensor})` });
            }
            return null;
        }
        case 'date': {
            const d = reviveDate(value);
            if (d === null) return problem(field, 'type', value);
            if (ctx.now !== undefined) {
                const latest = ctx.now.getTime() + MAX_FUTURE_MS;
                if (d.getTime() < MIN_TIME_MS || d.getTime() > latest) {
                    return problem(field, 'range', value, { min: new Date(MIN_TIME_MS).toISOString(), max: new Date(latest).toISOString(), expected: 'a date from 2020 to one day after its arrival' });
                }
            }
            return null;
        }
        case 'boolean':
            return typeof value === 'boolean' ? null : problem(field, 'type', value);
        case 'enum':
            if (rule.values!.includes(value as string | number)) return null;
            // a whole number outside 0..2 is out of range; anything else is the wrong type
            return typeof value === 'number' && Number.isInteger(value) && rule.min !== undefined ? problem(field, 'range', value, { min: rule.min, max: rule.max }) : problem(field, 'type', value);
        default:
            // a number field holding something else
            return problem(field, 'type', value, { expected: rule.type === 'integer' ? 'a number' : rule.expected });
    }
}

function problem(field: ReadingField, rule: FieldProblem['rule'], value: unknown, extra?: Partial<FieldProblem>): FieldProblem {
    return { field, rule, value, expected: READING_RULES[field].expected, ...extra };
}

/** A problem in English, `label` standing for the field ("payload[1].device", "count"). */
export function problemText(p: FieldProblem, label: string = p.field): string {
    switch (p.rule) {
        case 'missing': return `missing ${label}`;
        case 'not-finite': return `${label} must be finite (got ${String(p.value)})`;
        case 'pattern': return `${label} "${clip(String(p.value))}" must be ${p.expected}`;
        case 'implausible': return `${label} = ${String(p.value)} ${p.unit ?? ''} is outside the plausible range ${p.min} … ${p.max}`.replace(/ {2}/, ' ');
        case 'range': return `${label} must be ${p.expected} (got ${p.value instanceof Date ? p.value.toISOString() : describe(p.value)})`;
        default:
            if (READING_RULES[p.field].type === 'date') return `${label} is not a valid date (got ${describe(p.value)})`;
            return `${label} must be ${p.expected} (got ${describe(p.value)})`;
    }
}

/** A Reading that came through checkReading: absent count and source read as null. */
export type CheckedReading = Omit<Reading, 'count' | 'source'> & { count: number | null; source: SourceFormat | null };

/** Why checkReading refused an input: the field's problem and its text. */
export class ReadingCheckError extends Error {
    constructor(message: string, public readonly problem: FieldProblem | null) {
        super(message);
        this.name = 'ReadingCheckError';
    }
}

/**
 * Checks one reading from anywhere (a Reading, or one that crossed JSON with its dates as ISO
 * strings or epoch ms) field by field and returns it normalised: Dates revived, absent or null
 * optional fields null (window 0, receivedAt `now`), extra properties dropped. Throws
 * ReadingCheckError naming the first bad field, as `${path}.field` (just `field` without path).
 */
export function checkReading(input: unknown, opts: { now: Date; path?: string }): CheckedReading {
    const path = opts.path ?? '';
    if (typeof input !== 'object' || input === null || Array.isArray(input) || input instanceof Date || Buffer.isBuffer(input)) {
        throw new ReadingCheckError(`${path || 'it'} is not a reading object (got ${describe(input)})`, null);
    }
    const r = input as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const ctx: FieldContext = { now: opts.now };
    for (const field of READING_FIELDS) {
        const rule = READING_RULES[field];
        let v = r[field];
        if (v === undefined || v === null) {
            if (rule.essential) v = undefined;
            else {
                if (rule.required) out[field] = rule.fallback === 'now' ? new Date(opts.now.getTime()) : rule.fallback ?? null;
                continue;
            }
        }
        // one spelling per unit ("%RH" is stored as "%")
        if (field === 'unit' && typeof v === 'string') v = normUnit(v) ?? v;
        // the sensor's limits once for its six statistics (sensor and unit come before them)
        if (rule.stat !== undefined && ctx.limits === undefined && ctx.sensor !== undefined) ctx.limits = statLimits(ctx.sensor, ctx.unit ?? null, ctx.temperature);
        const p = fieldProblem(field, v, ctx);
        if (p) throw new ReadingCheckError(problemText(p, path ? `${path}.${field}` : field), p);
        out[field] = rule.type === 'date' ? reviveDate(v) : v;
        if (field === 'sensor') ctx.sensor = v as string;
        else if (field === 'unit') ctx.unit = v as string;
    }
    return out as unknown as CheckedReading;
}

// ---------------------------------------------------------------------------------------------
// The JSON Schema, from the same table

/** reading.schema.json as an object (Dates as ISO 8601 strings). */
export function readingJsonSchema(): Record<string, unknown> {
    const properties: Record<string, unknown> = {};
    for (const field of READING_FIELDS) {
        const rule = READING_RULES[field];
        const type = (t: string) => (rule.nullable ? [t, 'null'] : t);
        const p: Record<string, unknown> = {};
        if (rule.type === 'enum') p.enum = rule.nullable ? [...rule.values!, null] : [...rule.values!];
        else if (rule.type === 'date') Object.assign(p, { type: type('string'), format: 'date-time' });
        else p.type = type(rule.type);
        if (rule.pattern) p.pattern = rule.pattern.source;
        if (rule.maxLength !== undefined) p.maxLength = rule.maxLength;
        if (rule.type === 'integer' || rule.type === 'number') Object.assign(p, { minimum: rule.min, maximum: rule.max });
        if (rule.description) p.description = rule.description;
        properties[field] = p;
    }
    return {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'https://picochain.dev/schema/reading-v1.json',
        title: 'picochain reading',
        description: 'One sensor\'s statistics over one window, as emitted by picochain-decode (Dates as ISO 8601 strings when serialised). Generated from READING_RULES in nodes/shared/reading.ts; per-sensor plausible ranges are in firmware/PROTOCOL.md.',
        type: 'object',
        additionalProperties: false,
        required: READING_FIELDS.filter((f) => READING_RULES[f].required),
        properties,
    };
}

// ---------------------------------------------------------------------------------------------
// Small helpers every node uses

/** A value as error text shows it: `string "abc"`, `number 7`, `null`, `array`. */
export function describe(v: unknown): string {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'array';
    if (Buffer.isBuffer(v)) return 'Buffer';
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (typeof v === 'string') return `string "${v.length > 24 ? `${v.slice(0, 24)}…` : v}"`;
    if (typeof v === 'object') return 'object';
    return `${typeof v} ${String(v)}`;
}

function clip(s: string): string {
    return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * Accepts a Date, an ISO 8601 string (a reading that crossed JSON) or epoch milliseconds and
 * returns a valid Date (a copy), or null when `v` is none of those.
 */
export function reviveDate(v: unknown): Date | null {
    let d: Date | null = null;
    if (v instanceof Date) d = v;
    else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) d = new Date(v);
    else if (typeof v === 'number' && Number.isFinite(v)) d = new Date(v);
    return d !== null && Number.isFinite(d.getTime()) ? new Date(d.getTime()) : null;
}

/** A stable key for "the same reading": what duplicate detection compares. */
export function readingKey(r: Pick<Reading, 'device' | 'sensor' | 'time'>): string {
    return `${r.device}|${r.sensor}|${r.time.getTime()}`;
}
