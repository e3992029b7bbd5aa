/**
 * picochain-history core: turns a history request (device, sensor, time range) into a database
 * query, and the stored window readings into time buckets (min/mean/max per bucket) and hourly
 * statistics, shaped for node-red-dashboard's ui_chart, Dashboard 2.0's ui-chart and tables.
 * Pure: no Node-RED, no driver; the wrapper runs the queries this module builds.
 *
 * Two ways to bucket, same result:
 * - `buildBucketPipeline()`: an aggregation for MongoDB ≥ 4.0 (the server does the work);
 * - `bucketDocs()`: a projected find + bucketing here, for servers whose aggregation lacks the
 *   operators ($subtract, $mod, $min, $max, $avg in $group are "not implemented" in FerretDB 1.24,
 *   and its $sum of a field returns 0), see `isNotImplemented()`.
 */
import type { DocFields } from '../picochain-mongo-ts/document';
import { ID_PATTERN, SENSOR_PATTERN } from '../shared/reading';
import { durationMs, HISTORY_LIMITS } from '../shared/rules';

/** One stored reading as the history reads it back (the writer's document, ARCHITECTURE.md). */
export interface StoredWindow {
    time: Date;
    sensor: string;
    count: number | null;
    min: number | null;
    max: number | null;
    mean: number | null;
}

/** Statistics of one sensor over one time bucket. */
export interface Bucket {
    /** Bucket start, ms since the epoch (UTC). */
    t: number;
    sensor: string;
    min: number | null;
    max: number | null;
    /** Mean of the window means, weighted by each window's sample count (count 0 windows left out). */
    mean: number | null;
    /** Windows (stored documents) in the bucket, including failed ones. */
    windows: number;
    /** Samples behind the bucket (sum of the windows' counts). */
    samples: number;
}

/** What the node was asked for, after defaults and validation. */
export interface HistoryRequest {
    device: string;
    /** One sensor, or null for every sensor of the device. */
    sensor: string | null;
    /** Inclusive start, ms. */
    from: number;
    /** Exclusive end, ms. */
    to: number;
    /** Bucket length, ms. */
    bucketMs: number;
}

/** Field names of the stored documents: the writer's own type, so the two cannot drift apart. */
export type { DocFields };

export const DEFAULT_FIELDS: DocFields = { timeField: 'time', metaField: 'meta' };

export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
/** Longest range one request may cover: 366 days (ms). */
export const MAX_RANGE_MS = HISTORY_LIMITS.maxRangeMs;
/** Bucket lengths we round to, ms: charts read better on round times. */
export const NICE_BUCKETS_MS = [
    10_000, 30_000, MS_PER_MINUTE, 2 * MS_PER_MINUTE, 5 * MS_PER_MINUTE, 10 * MS_PER_MINUTE,
    15 * MS_PER_MINUTE, 30 * MS_PER_MINUTE, MS_PER_HOUR, 2 * MS_PER_HOUR, 3 * MS_PER_HOUR,
    6 * MS_PER_HOUR, 12 * MS_PER_HOUR, 24 * MS_PER_HOUR,
];

/** A request the node cannot answer; `code` is the locale key under `picochain-history.errors`. */
export class HistoryError extends Error {
    constructor(public readonly code: string, message: string) {
        super(message);
        this.name = 'HistoryError';
    }
}

/**
 * Parses a duration such as "24h", "90m", "7d", "30s", "1w" or a number of ms.
 * Returns ms, or throws HistoryError("bad-range").
 */
export function parseDuration(v: unknown): number {
    const ms = durationMs(v);
    if (ms !== null) return ms;
    throw new HistoryError('bad-range', `range "${String(v)}" is not a duration such as 24h, 90m or 7d`);
}

function toMs(v: unknown, what: string): number {
    const d = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isFinite(d)) throw new HistoryError('bad-time', `${what} "${String(v)}" is not a date`);
    return d;
}

/** The smallest nice bucket that keeps `rangeMs` within `maxPoints` buckets. */
export function chooseBucketMs(rangeMs: number, maxPoints: number): number {
    const target = rangeMs / Math.max(1, maxPoints);
    for (const b of NICE_BUCKETS_MS) if (b >= target) return b;
    // beyond a day per bucket: whole days
    return Math.ceil(target / (24 * MS_PER_HOUR)) * 24 * MS_PER_HOUR;
}

export interface RequestDefaults {
    device?: string;
    sensor?: string;
    /** Duration text, e.g. "24h". */
    range: string;
    /** Most buckets per series on a chart. */
    maxPoints: number;
}

/**
 * Builds a HistoryRequest from what arrived (msg.payload when it is an object, else msg fields)
 * and the node's defaults. Accepts `device`, `sensor` ("" or "*" = all), `range` ("24h") or
 * `from`/`to` (Date, ms or ISO text), `bucket` ("5m") or `maxPoints`. `now` is injectable.
 */
export function parseRequest(input: Record<string, unknown>, defaults: RequestDefaults, now: number = Date.now()): HistoryRequest {
    const device = input.device ?? defaults.device;
    if (typeof device !== 'string' || !ID_PATTERN.test(device)) {
        throw new HistoryError('bad-device', device === undefined || device === '' ? 'no device given (msg.payload.device or the node\'s device)' : `device "${String(device)}" is not a valid id`);
    }
    let sensor: unknown = input.sensor ?? defaults.sensor ?? null;
    if (sensor === '' || sensor === '*' || sensor === 'all') sensor = null;
    if (sensor !== null && (typeof sensor !== 'string' || !SENSOR_PATTERN.test(sensor))) {
        throw new HistoryError('bad-sensor', `sensor "${String(sensor)}" is not a valid name`);
    }
    const to = input.to !== undefined && input.to !== null && input.to !== '' ? toMs(input.to, 'to') : now;
    const from = input.from !== undefined && input.from !== null && input.from !== ''
        ? toMs(input.from, 'from')
        : to - parseDuration(input.range ?? defaults.range);
    if (!(from < to)) throw new HistoryError('bad-range', 'from must be before to');
    if (to - from > MAX_RANGE_MS) throw new HistoryError('bad-range', 'range is longer than 366 days');
    const maxPoints = input.maxPoints !== undefined ? Number(input.maxPoints) : defaults.maxPoints;
    if (!Number.isInteger(maxPoints) || maxPoints < HISTORY_LIMITS.minPoints || maxPoints > HISTORY_LIMITS.maxPoints) {
        throw new HistoryError('bad-points', `maxPoints ${String(input.maxPoints)} must be an integer from ${HISTORY_LIMITS.minPoints} to ${HISTORY_LIMITS.maxPoints}`);
    }
    const bucketMs = input.bucket !== undefined ? parseDuration(input.bucket) : chooseBucketMs(to - from, maxPoints);
    if ((to - from) / bucketMs > HISTORY_LIMITS.maxPoints) throw new HistoryError('bad-points', `the bucket is too small for the range (more than ${HISTORY_LIMITS.maxPoints} buckets)`);
    return { device, sensor: sensor as string | null, from, to, bucketMs };
}

/** The find/match filter for a request. */
export function buildFilter(req: Pick<HistoryRequest, 'device' | 'sensor' | 'from' | 'to'>, f: DocFields = DEFAULT_FIELDS): Record<string, unknown> {
    const filter: Record<string, unknown> = {
        [`${f.metaField}.device`]: req.device,
        [f.timeField]: { $gte: new Date(req.from), $lt: new Date(req.to) },
    };
    if (req.sensor) filter[`${f.metaField}.sensor`] = req.sensor;
    return filter;
}

/** The projection of the fallback find: only what bucketing reads. */
export function buildProjection(f: DocFields = DEFAULT_FIELDS): Record<string, 0 | 1> {
    return { _id: 0, [f.timeField]: 1, [`${f.metaField}.sensor`]: 1, count: 1, min: 1, max: 1, mean: 1 };
}

/** Reads a stored document back as a StoredWindow (null when it has no usable time). */
export function toStoredWindow(doc: Record<string, unknown>, f: DocFields = DEFAULT_FIELDS): StoredWindow | null {
    const t = doc[f.timeField];
    const time = t instanceof Date ? t : typeof t === 'string' || typeof t === 'number' ? new Date(t) : null;
    if (!time || !Number.isFinite(time.getTime())) return null;
    const meta = (doc[f.metaField] ?? {}) as Record<string, unknown>;
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    return {
        time,
        sensor: typeof meta.sensor === 'string' ? meta.sensor : '',
        count: num(doc.count),
        min: num(doc.min),
        max: num(doc.max),
        mean: num(doc.mean),
    };
}

/** Start of the bucket holding `t`, buckets aligned on `origin` (ms). */
export function bucketStart(t: number, bucketMs: number, origin = 0): number {
    return t - ((((t - origin) % bucketMs) + bucketMs) % bucketMs);
}

/**
 * Buckets stored windows per sensor into `bucketMs` buckets aligned on the epoch (so hourly
 * buckets start on the hour, UTC). The mean is weighted by sample count: a legacy or raw reading
 * (count 1, or unknown = 1) weighs one sample. Buckets come sorted by sensor, then time.
 */
export function bucketDocs(docs: Iterable<StoredWindow>, bucketMs: number): Bucket[] {
    const acc = new Map<string, Bucket & { wsum: number; wn: number }>();
    for (const d of docs) {
        const t = bucketStart(d.time.getTime(), bucketMs);
        const key = `${d.sensor}\u0000${t}`;
        let b = acc.get(key);
        if (!b) {
            b = { t, sensor: d.sensor, min: null, max: null, mean: null, windows: 0, samples: 0, wsum: 0, wn: 0 };
            acc.set(key, b);
        }
        b.windows += 1;
        const count = d.count === null ? 1 : d.count;
        if (count > 0) b.samples += count;
        if (d.min !== null) b.min = b.min === null ? d.min : Math.min(b.min, d.min);
        if (d.max !== null) b.max = b.max === null ? d.max : Math.max(b.max, d.max);
        if (d.mean !== null && count > 0) {
            b.wsum += d.mean * count;
            b.wn += count;
        }
    }
    const out: Bucket[] = [];
    for (const b of acc.values()) {
        out.push({ t: b.t, sensor: b.sensor, min: b.min, max: b.max, mean: b.wn > 0 ? round(b.wsum / b.wn, 4) : null, windows: b.windows, samples: b.samples });
    }
    return sortBuckets(out);
}

function sortBuckets(b: Bucket[]): Bucket[] {
    return b.sort((x, y) => (x.sensor < y.sensor ? -1 : x.sensor > y.sensor ? 1 : x.t - y.t));
}

/** Rounds half away from zero to `digits` decimals. */
export function round(x: number, digits: number): number {
    const p = 10 ** digits;
    return (Math.sign(x) * Math.round(Math.abs(x) * p)) / p;
}

/**
 * The same bucketing as `bucketDocs()`, done by a MongoDB server (≥ 4.4: $toLong of a date, $isNumber).
 * Its output documents go through `fromPipelineDocs()`.
 */
export function buildBucketPipeline(req: HistoryRequest, f: DocFields = DEFAULT_FIELDS): Record<string, unknown>[] {
    const tf = `$${f.timeField}`;
    const ms = { $toLong: tf };
    // count missing or null = one sample (legacy/raw readings), as in bucketDocs()
    const cnt = { $ifNull: ['$count', 1] };
    const hasMean = { $and: [{ $gt: [cnt, 0] }, { $isNumber: '$mean' }] };
    return [
        { $match: buildFilter(req, f) },
        {
            $group: {
                _id: { sensor: `$${f.metaField}.sensor`, t: { $subtract: [ms, { $mod: [ms, req.bucketMs] }] } },
                min: { $min: '$min' },
                max: { $max: '$max' },
                wsum: { $sum: { $cond: [hasMean, { $multiply: ['$mean', cnt] }, 0] } },
                wn: { $sum: { $cond: [hasMean, cnt, 0] } },
                windows: { $sum: 1 },
                samples: { $sum: { $cond: [{ $gt: [cnt, 0] }, cnt, 0] } },
            },
        },
        { $sort: { '_id.sensor': 1, '_id.t': 1 } },
    ];
}

/** Turns the pipeline's documents into Buckets. */
export function fromPipelineDocs(docs: Iterable<Record<string, unknown>>): Bucket[] {
    const out: Bucket[] = [];
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : v != null && typeof v === 'object' && 'toNumber' in (v as object) ? (v as { toNumber(): number }).toNumber() : null);
    for (const d of docs) {
        const id = d._id as { sensor?: unknown; t?: unknown };
        const t = num(id.t);
        if (t === null) continue;
        const wn = num(d.wn) ?? 0;
        out.push({
            t,
            sensor: typeof id.sensor === 'string' ? id.sensor : '',
            min: num(d.min),
            max: num(d.max),
            mean: wn > 0 ? round((num(d.wsum) ?? 0) / wn, 4) : null,
            windows: num(d.windows) ?? 0,
            samples: num(d.samples) ?? 0,
        });
    }
    return sortBuckets(out);
}

/** True when a server error means "this aggregation operator is not implemented" (FerretDB 1.x). */
export function isNotImplemented(err: unknown): boolean {
    const e = err as { code?: unknown; codeName?: unknown; message?: unknown };
    // 238 NotImplemented; 15952/168 unknown operator on older/other servers
    return e?.code === 238 || e?.code === 168 || e?.code === 15952 || e?.codeName === 'NotImplemented'
        || (typeof e?.message === 'string' && /not implemented|unrecognized expression|unknown operator/i.test(e.message));
}

/** Which statistics a chart draws per sensor. */
export type SeriesStat = 'mean' | 'min' | 'max';

export interface ChartOptions {
    device: string;
    stats: SeriesStat[];
    /** Series name for sensor + statistic; default "temperature mean". */
    label?: (sensor: string, stat: SeriesStat) => string;
}

function seriesNames(buckets: Bucket[], o: ChartOptions): { sensor: string; stat: SeriesStat; name: string }[] {
    const sensors = [...new Set(buckets.map((b) => b.sensor))].sort();
    const label = o.label ?? ((s: string, st: SeriesStat) => `${s} ${st}`);
    const out: { sensor: string; stat: SeriesStat; name: string }[] = [];
    for (const s of sensors) for (const st of o.stats) out.push({ sensor: s, stat: st, name: label(s, st) });
    return out;
}

/** node-red-dashboard (1.x) ui_chart line data: `[{series, data:[[{x,y}]], labels}]`, replaces the chart. */
export interface UiChartData {
    series: string[];
    data: { x: number; y: number }[][];
    labels: string[];
}

/** Buckets as node-red-dashboard's ui_chart expects them (one series per sensor and statistic). */
export function toUiChart(buckets: Bucket[], o: ChartOptions): UiChartData[] {
    const names = seriesNames(buckets, o);
    const data = names.map(({ sensor, stat }) => buckets
        .filter((b) => b.sensor === sensor && b[stat] !== null)
        .map((b) => ({ x: b.t, y: b[stat] as number })));
    return [{ series: names.map((n) => n.name), data, labels: [''] }];
}

/** One point for Dashboard 2.0's ui-chart (x key "x", y key "y", series key "series"). */
export interface ChartPoint {
    x: number;
    y: number;
    series: string;
}

/**
 * Buckets as a flat point list for Dashboard 2.0's ui-chart (set its x to key `x`, y to key `y`,
 * series to key `series`, and send with `msg.action = "replace"`), sorted by series then time.
 */
export function toChartPoints(buckets: Bucket[], o: ChartOptions): ChartPoint[] {
    const out: ChartPoint[] = [];
    for (const { sensor, stat, name } of seriesNames(buckets, o)) {
        for (const b of buckets) {
            if (b.sensor === sensor && b[stat] !== null) out.push({ x: b.t, y: b[stat] as number, series: name });
        }
    }
    return out;
}

/** One row of the hourly statistics table. */
export interface HourlyRow {
    /** Hour start, ISO text (UTC). */
    hour: string;
    /** Hour start, ms (for sorting in a table). */
    t: number;
    device: string;
    sensor: string;
    min: number | null;
    mean: number | null;
    max: number | null;
    /** Change of the mean since the previous hour of the same sensor (null for the first). */
    change: number | null;
    windows: number;
    samples: number;
}

/**
 * Hourly statistics rows from hourly buckets (bucketDocs(docs, MS_PER_HOUR)), newest first,
 * with the change of the mean since the previous hour (the original dashboard's "change").
 */
export function hourlyRows(hourBuckets: Bucket[], device: string): HourlyRow[] {
    const rows: HourlyRow[] = [];
    const prev = new Map<string, number | null>();
    for (const b of [...hourBuckets].sort((x, y) => x.t - y.t || (x.sensor < y.sensor ? -1 : 1))) {
        const p = prev.get(b.sensor);
        rows.push({
            hour: new Date(b.t).toISOString(),
            t: b.t,
            device,
            sensor: b.sensor,
            min: b.min === null ? null : round(b.min, 2),
            mean: b.mean === null ? null : round(b.mean, 2),
            max: b.max === null ? null : round(b.max, 2),
            change: p === undefined || p === null || b.mean === null ? null : round(b.mean - p, 2),
            windows: b.windows,
            samples: b.samples,
        });
        prev.set(b.sensor, b.mean);
    }
    return rows.reverse();
}

/** Chart output formats the node offers. */
export type ChartFormat = 'ui_chart' | 'points' | 'buckets';
export const CHART_FORMATS: readonly ChartFormat[] = ['ui_chart', 'points', 'buckets'];

/** Parses the node's "min/mean/max" series choice ("mean", "mean,min,max", ...). */
export function parseStats(v: unknown): SeriesStat[] {
    const list = (Array.isArray(v) ? v : String(v ?? 'mean').split(/[\s,]+/)).map((s) => String(s).trim()).filter(Boolean);
    const out = list.filter((s): s is SeriesStat => s === 'mean' || s === 'min' || s === 'max');
    if (out.length === 0) throw new HistoryError('bad-stats', `series "${String(v)}" must list mean, min and/or max`);
    return [...new Set(out)];
}
