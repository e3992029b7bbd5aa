/**
 * Local dates and times in a site's IANA time zone (Intl, no library): the food-safety log's day
 * runs from local midnight to local midnight, 23 or 25 hours on the days the clocks change.
 * Dates are 'YYYY-MM-DD' strings, months 'YYYY-MM', instants epoch ms.
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^(\d{4})-(\d{2})$/;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(tz: string): Intl.DateTimeFormat {
    let f = formatters.get(tz);
    if (!f) {
        f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
        formatters.set(tz, f);
    }
    return f;
}

/** True when `tz` is a time zone this runtime knows ("Europe/Paris", "UTC"). */
export function isTimeZone(tz: unknown): tz is string {
    if (typeof tz !== 'string' || !tz) return false;
    try {
        partsFormatter(tz);
        return true;
    } catch {
        return false;
    }
}

/** The server's own time zone (what a node without a configured one uses). */
export function systemTimeZone(): string {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

interface LocalParts { y: number; mo: number; d: number; h: number; mi: number; s: number }

/** The wall-clock fields of instant `ms` in `tz`. */
export function localParts(tz: string, ms: number): LocalParts {
    const p: Record<string, number> = {};
    for (const x of partsFormatter(tz).formatToParts(new Date(ms))) if (x.type !== 'literal') p[x.type] = Number(x.value);
    return { y: p.year, mo: p.month, d: p.day, h: p.hour === 24 ? 0 : p.hour, mi: p.minute, s: p.second };
}

/** Offset of `tz` from UTC at instant `ms` (ms; +3 600 000 for Paris in winter). */
export function offsetMs(tz: string, ms: number): number {
    const p = localParts(tz, ms);
    const asUtc = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
    return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a local wall-clock time. A time the clocks skip (02:30 on the day they go
 * forward) gives the instant one offset later; a time that happens twice gives the first.
 */
export function localToInstant(tz: string, y: number, mo: number, d: number, h = 0, mi = 0): number {
    const wall = Date.UTC(y, mo - 1, d, h, mi);
    let t = wall - offsetMs(tz, wall);
    // two refinements settle on the offset in force at the result (DST edges included)
    t = wall - offsetMs(tz, t);
    const first = wall - offsetMs(tz, t - HOUR_MS);
    const p = localParts(tz, first);
    if (Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi) === wall && first < t) return first;
    return t;
}

export function parseDate(date: string): { y: number; mo: number; d: number } | null {
    const m = DATE_RE.exec(date);
    if (!m) return null;
    const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
    const check = new Date(Date.UTC(y, mo - 1, d));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
    return { y, mo, d };
}

export function isDate(v: unknown): v is string {
    return typeof v === 'string' && parseDate(v) !== null;
}

export function isMonth(v: unknown): v is string {
    const m = typeof v === 'string' ? MONTH_RE.exec(v) : null;
    return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

/** 'YYYY-MM-DD' plus `n` days (calendar arithmetic, no time zone involved). */
export function addDays(date: string, n: number): string {
    const p = parseDate(date);
    if (!p) throw new RangeError(`not a date: ${date}`);
    return new Date(Date.UTC(p.y, p.mo - 1, p.d) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `a` to `b` ('YYYY-MM-DD'), negative when b is before a. */
export function daysBetween(a: string, b: string): number {
    const pa = parseDate(a), pb = parseDate(b);
    if (!pa || !pb) throw new RangeError(`not a date: ${a} / ${b}`);
    return Math.round((Date.UTC(pb.y, pb.mo - 1, pb.d) - Date.UTC(pa.y, pa.mo - 1, pa.d)) / DAY_MS);
}

/** The local date ('YYYY-MM-DD') of instant `ms` in `tz`. */
export function localDate(tz: string, ms: number): string {
    const p = localParts(tz, ms);
    return `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}

/** The local time 'HH:MM' of instant `ms` in `tz`. */
export function localTime(tz: string, ms: number): string {
    const p = localParts(tz, ms);
    return `${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`;
}

/** A local day's bounds: [from, to) in epoch ms, 23, 24 or 25 hours long. */
export function dayBounds(tz: string, date: string): { from: number; to: number } {
    const p = parseDate(date);
    if (!p) throw new RangeError(`not a date: ${date}`);
    const n = parseDate(addDays(date, 1)) as { y: number; mo: number; d: number };
    return { from: localToInstant(tz, p.y, p.mo, p.d), to: localToInstant(tz, n.y, n.mo, n.d) };
}

/** The instant of local time 'HH:MM' on `date` in `tz`. */
export function instantOn(tz: string, date: string, hhmm: string): number {
    const p = parseDate(date);
    const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
    if (!p || !m) throw new RangeError(`not a date and time: ${date} ${hhmm}`);
    return localToInstant(tz, p.y, p.mo, p.d, Number(m[1]), Number(m[2]));
}

/** Every date of a month ('YYYY-MM'). */
export function monthDates(month: string): string[] {
    if (!isMonth(month)) throw new RangeError(`not a month: ${month}`);
    const out: string[] = [];
    for (let d = `${month}-01`; d.startsWith(month); d = addDays(d, 1)) out.push(d);
    return out;
}

/** The month before `month` ('2026-01' -> '2025-12'). */
export function previousMonth(month: string): string {
    return addDays(`${month}-01`, -1).slice(0, 7);
}
