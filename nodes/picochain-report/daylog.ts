/**
 * One day of a cabinet sensor's food-safety log, computed from its stored windows (pure):
 * min, max and mean; the readings at the check times; every excursion outside the safe range
 * lasting at least the tolerance (start, end, duration, peak); local hours without a single
 * temperature (gaps, never filled in); and digests of the readings it was computed from, so that
 * a later change in the database shows (verify.ts).
 *
 * Temperatures are °C here; the documents convert for display (format.ts).
 */
import { createHash } from 'crypto';
import { localTime } from './tz';

const MIN_MS = 60_000;
const HOUR_MS = 3_600_000;
/** How far from a check time the window used for it may end (ms): a 30-minute window still counts. */
export const CHECK_SLACK_MS = 30 * MIN_MS;

/** One stored window as the log reads it (the writer's document, ARCHITECTURE.md). */
export interface Window {
    /** Window end, epoch ms (the document's time field). */
    time: number;
    /** Window length (s); null for a legacy single reading. */
    window: number | null;
    count: number | null;
    min: number | null;
    max: number | null;
    mean: number | null;
    last: number | null;
    /** When Node-RED received it, epoch ms (null when unknown). */
    receivedAt: number | null;
    /** The document's fields that the digest covers, already canonical (see `windowLine`). */
    line: string;
}

/** The safe range of a cabinet kind, °C; null = no bound on that side. */
export interface SafeRange {
    low: number | null;
    high: number | null;
    /** What the form prints as the aim ("−18 °C or colder"), when it differs from the limit. */
    target?: number | null;
}

export interface DayOptions {
    date: string;
    tz: string;
    /** [from, to) of the local day, epoch ms (tz.dayBounds). */
    from: number;
    to: number;
    range: SafeRange;
    /** Local check times 'HH:MM' (morning, afternoon). */
    checks: string[];
    /** Their instants on this date. */
    checkAt: number[];
    /** Least time outside the range that makes an excursion (ms). */
    toleranceMs: number;
    /** Hours from this instant on are not judged yet (an open day): no gap is called there. */
    now?: number;
}

export interface Excursion {
    side: 'high' | 'low';
    /** This day's part: ISO times, clipped to the day. */
    start: string;
    end: string;
    minutes: number;
    /** Highest (high) or lowest (low) sample of its windows within the day, °C. */
    peak: number;
    /** The whole excursion as far as the readings around the day show it. */
    runStart: string;
    runEnd: string;
    /** It began on an earlier day / goes on into the next one. */
    fromPreviousDay: boolean;
    intoNextDay: boolean;
}

export interface Gap {
    start: string;
    end: string;
    hours: number;
    /** Windows in those hours that carried no temperature (probe unplugged): 0 = nothing arrived. */
    faultWindows: number;
}

export interface CheckReading {
    /** The configured local time, 'HH:MM'. */
    at: string;
    /** End of the window used, ISO; null when none ended within 30 min of the check time. */
    time: string | null;
    /** Its last sample (else its mean), °C. */
    value: number | null;
}

/** A day as it is sealed into the log. */
export interface DayRecord {
    date: string;
    tz: string;
    from: string;
    to: string;
    /** 23, 24 or 25. */
    hours: number;
    range: SafeRange;
    toleranceMin: number;
    /** Windows that ended in the day (with or without samples), and those with a temperature. */
    windows: number;
    measured: number;
    samples: number;
    min: number | null;
    max: number | null;
    mean: number | null;
    checks: CheckReading[];
    excursions: Excursion[];
    /** All time outside the range, short spells included (minutes of windows whose mean was outside). */
    outsideMinutes: number;
    gaps: Gap[];
    /** Digest per local hour of the windows that ended in it (hex, 16), and of the day. */
    digest: { hours: string[]; day: string };
    /** True while the day is not over (computed, not sealed). */
    open: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const round = (v: number, d = 3): number => Number(v.toFixed(d));
const hasTemp = (w: Window): boolean => w.mean !== null && (w.count === null || w.count > 0);
const startOf = (w: Window): number => w.time - (w.window && w.window > 0 ? w.window * 1000 : 0);

/** Which side of the range a window's mean is on, or null inside. */
function sideOf(w: Window, r: SafeRange): 'high' | 'low' | null {
    if (!hasTemp(w)) return null;
    const v = w.mean as number;
    if (r.high !== null && v > r.high) return 'high';
    if (r.low !== null && v < r.low) return 'low';
    return null;
}

/** The digest line of a stored document: every field a change of which matters, in a fixed order. */
export function windowLine(d: { time: number; receivedAt: number | null; deviceTime: number | null; window: unknown; count: unknown; min: unknown; max: unknown; mean: unknown; std: unknown; slope: unknown; last: unknown; state: unknown; seq: unknown; fault: unknown }): string {
    const v = (x: unknown): string => (x === undefined || x === null ? '' : typeof x === 'number' ? String(x) : JSON.stringify(x));
    return [d.time, d.receivedAt, d.deviceTime, d.window, d.count, d.min, d.max, d.mean, d.std, d.slope, d.last, d.state, d.seq, d.fault].map(v).join('|');
}

/** Digest per hour from `from` of the windows that ended in it, and of the whole day. */
export function digestHours(windows: Window[], from: number, hours: number): { hours: string[]; day: string } {
    const lines: string[][] = Array.from({ length: hours }, () => []);
    for (const w of windows) {
        const h = Math.floor((w.time - from) / HOUR_MS);
        if (h >= 0 && h < hours) lines[h].push(w.line);
    }
    const out = lines.map((l) => createHash('sha256').update(l.sort().join('\n')).digest('hex').slice(0, 16));
    return { hours: out, day: createHash('sha256').update(out.join('')).digest('hex') };
}

/**
 * Runs of contiguous windows on one side of the range. Two windows are contiguous when the second
 * starts no later than half a window after the first ends: a missing window breaks a run (what
 * the cabinet did then is unknown, and never filled in).
 */
function runsOf(windows: Window[], r: SafeRange): { side: 'high' | 'low'; ws: Window[] }[] {
    const runs: { side: 'high' | 'low'; ws: Window[] }[] = [];
    let cur: { side: 'high' | 'low'; ws: Window[] } | null = null;
    let prev: Window | null = null;
    for (const w of windows) {
        if (!hasTemp(w)) { cur = null; prev = null; continue; }
        const side = sideOf(w, r);
        const slack = Math.max(1000, ((w.window ?? 0) * 1000) / 2);
        const contiguous = prev !== null && startOf(w) <= prev.time + slack;
        if (side && cur && cur.side === side && contiguous) cur.ws.push(w);
        else if (side) { cur = { side, ws: [w] }; runs.push(cur); } else cur = null;
        prev = w;
    }
    return runs;
}

/**
 * The day's record from `windows`: the windows of the day and, for excursions that cross
 * midnight, those up to the tolerance (plus a window) before and after it, sorted by time.
 */
export function computeDay(windows: Window[], o: DayOptions): DayRecord {
    const hours = Math.round((o.to - o.from) / HOUR_MS);
    const inDay = windows.filter((w) => w.time >= o.from && w.time < o.to);
    const temps = inDay.filter(hasTemp);
    let min: number | null = null, max: number | null = null, wsum = 0, wn = 0, samples = 0;
    for (const w of temps) {
        const lo = w.min ?? w.mean as number;
        const hi = w.max ?? w.mean as number;
        if (min === null || lo < min) min = lo;
        if (max === null || hi > max) max = hi;
        const n = w.count === null ? 1 : w.count;
        samples += n;
        wsum += (w.mean as number) * n;
        wn += n;
    }
    const checks: CheckReading[] = o.checks.map((at, i) => {
        const t = o.checkAt[i];
        let best: Window | null = null;
        for (const w of temps) {
            const d = Math.abs(w.time - t);
            if (d <= CHECK_SLACK_MS && (!best || d < Math.abs(best.time - t))) best = w;
        }
        return { at, time: best ? iso(best.time) : null, value: best ? (best.last ?? best.mean) : null };
    });

    const excursions: Excursion[] = [];
    let outsideMs = 0;
    for (const w of temps) if (sideOf(w, o.range)) outsideMs += w.window ? w.window * 1000 : 0;
    for (const run of runsOf(windows, o.range)) {
        const runStart = startOf(run.ws[0]);
        const runEnd = run.ws[run.ws.length - 1].time;
        if (runEnd - runStart < o.toleranceMs || runEnd <= o.from || runStart >= o.to) continue;
        const start = Math.max(runStart, o.from);
        const end = Math.min(runEnd, o.to);
        const mine = run.ws.filter((w) => w.time > o.from && startOf(w) < o.to);
        const peaks = mine.map((w) => (run.side === 'high' ? w.max ?? w.mean : w.min ?? w.mean) as number);
        excursions.push({
            side: run.side, start: iso(start), end: iso(end), minutes: Math.round((end - start) / MIN_MS),
            peak: run.side === 'high' ? Math.max(...peaks) : Math.min(...peaks),
            runStart: iso(runStart), runEnd: iso(runEnd), fromPreviousDay: runStart < o.from, intoNextDay: runEnd > o.to,
        });
    }

    // gaps: local hours for which no window with a temperature began (a window counts for the hour
    // it measured: the one ending at 03:00 is about 02:55-03:00); hours not yet reached (an open
    // day) are not judged
    const judged = o.now === undefined ? hours : Math.max(0, Math.min(hours, Math.floor((o.now - o.from) / HOUR_MS)));
    const perHour = Array.from({ length: hours }, () => ({ temps: 0, faults: 0 }));
    for (const w of windows) {
        const s = startOf(w);
        if (s < o.from || s >= o.to) continue;
        const h = perHour[Math.floor((s - o.from) / HOUR_MS)];
        if (hasTemp(w)) h.temps++; else h.faults++;
    }
    const gaps: Gap[] = [];
    for (let h = 0; h < judged; h++) {
        if (perHour[h].temps) continue;
        const a = o.from + h * HOUR_MS, b = a + HOUR_MS;
        const last = gaps[gaps.length - 1];
        if (last && Date.parse(last.end) === a) { last.end = iso(b); last.hours += 1; last.faultWindows += perHour[h].faults; } else gaps.push({ start: iso(a), end: iso(b), hours: 1, faultWindows: perHour[h].faults });
    }

    return {
        date: o.date, tz: o.tz, from: iso(o.from), to: iso(o.to), hours, range: o.range, toleranceMin: Math.round(o.toleranceMs / MIN_MS),
        windows: inDay.length, measured: temps.length, samples,
        min, max, mean: wn > 0 ? round(wsum / wn) : null,
        checks, excursions, outsideMinutes: Math.round(outsideMs / MIN_MS), gaps,
        digest: digestHours(inDay, o.from, hours),
        open: o.now !== undefined && o.now < o.to,
    };
}

/** "08:00–11:00" of a gap or excursion in the site's time zone (24:00 for the end of the day). */
export function span(tz: string, start: string, end: string, dayTo: string): string {
    const e = end === dayTo ? '24:00' : localTime(tz, Date.parse(end));
    return `${localTime(tz, Date.parse(start))}–${e}`;
}
