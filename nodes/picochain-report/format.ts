/**
 * How the food-safety documents write things (pure): temperatures in the site's unit (°C or °F,
 * converted from the stored °C), numbers, dates and times in the site's locale and time zone,
 * durations; and a month view turned into one row of text cells a day, which the PDF and the
 * dashboards' page both show.
 */
import type { DayRecord, Excursion } from './daylog';
import type { ActionView, CorrectionView, DayView, MonthView, SignoffView } from './month';
import { langOf, TempUnit } from './settings';
import { fill, Lang, TEXTS, Texts } from './texts';
import { localDate, localTime } from './tz';

export const toUnit = (c: number, unit: TempUnit): number => (unit === '°F' ? c * 9 / 5 + 32 : c);

export class Formatter {
    readonly lang: Lang;
    readonly T: Texts;
    private readonly fixed = new Map<number, Intl.NumberFormat>();

    constructor(readonly locale: string, readonly unit: TempUnit, readonly tz: string) {
        this.lang = langOf(locale);
        this.T = TEXTS[this.lang];
    }

    /** A number with `digits` decimals in the locale ("4.5", "4,5"). */
    num(v: number, digits = 1): string {
        let f = this.fixed.get(digits);
        if (!f) {
            f = new Intl.NumberFormat(this.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
            this.fixed.set(digits, f);
        }
        // -0.0 reads as 0.0
        return f.format(Math.abs(v) < 0.5 * 10 ** -digits ? 0 : v);
    }

    /** A stored °C value in the site's unit, rounded to 4 decimals, in the locale: what the CSV holds (0.0625 steps stay exact). */
    exact(c: number | null): string {
        if (c === null) return '';
        const v = Number(toUnit(c, this.unit).toFixed(4));
        return String(v).replace('.', this.decimal());
    }

    decimal(): string {
        return this.num(1.5, 1).includes(',') ? ',' : '.';
    }

    /** "4.5 °C", "40.1 °F"; "—" for no value. */
    temp(c: number | null | undefined, digits = 1): string {
        return c === null || c === undefined ? this.T.none : `${this.num(toUnit(c, this.unit), digits)} ${this.unit}`;
    }

    /** "2 h 05 min", "35 min". */
    duration(min: number): string {
        if (min < 60) return `${min} min`;
        return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
    }

    /** "Mon 02/03" (en-GB), "lun. 02/03" (fr-FR). */
    dayLabel(date: string): string {
        const [y, m, d] = date.split('-').map(Number);
        return new Intl.DateTimeFormat(this.locale, { weekday: 'short', day: '2-digit', month: '2-digit', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
    }

    /** "March 2026", "mars 2026". */
    monthLabel(month: string): string {
        const [y, m] = month.split('-').map(Number);
        return new Intl.DateTimeFormat(this.locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 1)));
    }

    /** "02/03/2026 14:05" in the site's time zone. */
    dateTime(iso: string): string {
        const ms = Date.parse(iso);
        const d = new Intl.DateTimeFormat(this.locale, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: this.tz }).format(new Date(ms));
        return `${d} ${localTime(this.tz, ms)}`;
    }

    /** Local time, with the date when it is not `onDate`. */
    timeOn(iso: string, onDate: string): string {
        const ms = Date.parse(iso);
        return localDate(this.tz, ms) === onDate ? localTime(this.tz, ms) : this.dateTime(iso);
    }

    /** "08:00–11:00" ("24:00" for the end of the day). */
    span(start: string, end: string, dayTo: string): string {
        return `${localTime(this.tz, Date.parse(start))}–${end === dayTo ? '24:00' : localTime(this.tz, Date.parse(end))}`;
    }

    /** The safe range as the form's header says it. */
    range(r: MonthView['range']): string {
        const T = this.T;
        if (r.low === null && r.high !== null && r.target !== undefined && r.target !== null) return fill(T.targetLimit, { target: this.temp(r.target), high: this.temp(r.high) });
        if (r.low !== null && r.high !== null) return fill(T.between, { low: this.num(toUnit(r.low, this.unit)), high: this.temp(r.high) });
        if (r.high !== null) return fill(T.atMost, { high: this.temp(r.high) });
        return fill(T.atLeast, { low: this.temp(r.low) });
    }

    excursion(x: Excursion, rec: DayRecord): string {
        const T = this.T;
        const notes = [x.fromPreviousDay ? T.fromPrevious : '', x.intoNextDay ? T.intoNext : ''].filter(Boolean);
        return `${x.side === 'high' ? T.above : T.below} ${this.span(x.start, x.end, rec.to)} (${this.duration(x.minutes)}), ${T.peak} ${this.temp(x.peak)}${notes.length ? `, ${notes.join(', ')}` : ''}`;
    }

    gap(g: DayRecord['gaps'][number], rec: DayRecord): string {
        return `${this.span(g.start, g.end, rec.to)} (${g.hours} h${g.faultWindows ? `, ${this.T.probeFault}` : ''})`;
    }

    author(a: { by: string | null; byKind: string }): string {
        return a.by ? (a.byKind === 'initials' ? `${a.by}*` : a.by) : '?';
    }

    action(a: ActionView, d: DayView): string {
        const x = a.excursion !== null && d.record ? d.record.excursions[a.excursion] : null;
        const about = x ? `${localTime(this.tz, Date.parse(x.start))} ${x.side === 'high' ? this.T.above : this.T.below}: ` : '';
        return `${about}${a.text} (${this.author(a)}, ${this.timeOn(a.at, d.date)})`;
    }

    correction(c: CorrectionView, what: string, onDate: string): string {
        return `${fill(this.T.correction, { what })}: ${c.text} (${this.author(c)}, ${this.timeOn(c.at, onDate)})`;
    }

    signoff(s: SignoffView): string {
        return fill(this.T.signedBy, { by: this.author(s), at: this.dateTime(s.at) });
    }
}

/** One day as text cells: what the PDF prints and the dashboards show. */
export interface DayRow {
    date: string;
    label: string;
    status: string;
    checks: string[];
    min: string;
    max: string;
    mean: string;
    out: string[];
    gaps: string[];
    actions: string[];
    initials: string;
    supervisor: string[];
    /** The row needs attention: an excursion without an action, a gap, a problem. */
    flagged: boolean;
}

export function dayRow(d: DayView, f: Formatter): DayRow {
    const T = f.T;
    const rec = d.record;
    const status = { sealed: T.sealed, revised: T.revised, open: T.open, pending: T.pending, 'not-monitored': T.notMonitored }[d.status];
    const out = rec ? rec.excursions.map((x) => f.excursion(x, rec)) : [];
    if (rec && rec.outsideMinutes > 0) out.push(fill(T.outside, { min: rec.outsideMinutes }));
    const gaps = !rec ? [] : rec.measured === 0 && !rec.open ? [T.allDayNoData] : rec.gaps.map((g) => f.gap(g, rec));
    const actions: string[] = [];
    for (const a of d.actions) {
        actions.push(f.action(a, d));
        for (const c of a.corrections) actions.push(f.correction(c, localTime(f.tz, Date.parse(a.at)), d.date));
    }
    for (const c of d.corrections) actions.push(f.correction(c, f.dayLabel(d.date), d.date));
    const initials = [...new Set(d.actions.map((a) => f.author(a)))].join(', ');
    const unanswered = rec ? rec.excursions.some((_, i) => !d.actions.some((a) => a.excursion === i)) : false;
    return {
        date: d.date, label: f.dayLabel(d.date), status,
        checks: rec ? rec.checks.map((c) => (c.value === null ? T.noReading : f.temp(c.value))) : [],
        min: rec ? f.temp(rec.min) : '', max: rec ? f.temp(rec.max) : '', mean: rec ? f.temp(rec.mean) : '',
        out, gaps, actions, initials, supervisor: d.signoffs.map((s) => f.signoff(s)),
        flagged: unanswered || (rec !== null && rec.gaps.length > 0),
    };
}

/** A tamper-check finding in words. */
export function problemText(p: { kind: string } & Record<string, unknown>, f: Formatter): string {
    const params: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(p)) params[k] = Array.isArray(v) ? v.join(', ') : typeof v === 'number' ? v : String(v);
    if (typeof p.date === 'string') params.date = f.dayLabel(p.date);
    for (const k of ['from', 'to']) if (typeof p[k] === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(p[k] as string)) params[k] = f.dayLabel(p[k] as string);
    return fill(f.T.problem[p.kind] ?? p.kind, params);
}
