/**
 * A month of one cabinet sensor's log as the documents show it (pure): one line a day with its
 * sealed record (or the record computed so far for a day not sealed yet), the corrective actions
 * attached to the excursion they are about, sign-offs and corrections, and the tamper check's
 * findings. The PDF, the CSV and the dashboards' page all render this one view.
 */
import type { DayRecord, Excursion } from './daylog';
import type { ActionBody, ByKind, CorrectionBody, DayBody, Entry, SignoffBody } from './ledger';
import type { Problem } from './verify';
import type { LoggedKind, SafeRanges } from './settings';
import { monthDates } from './tz';

/** A logged cabinet sensor: a registry device of a logged kind and one of its cabinet temperature sensors. */
export interface Cabinet {
    device: string;
    sensor: string;
    name: string | null;
    location: string | null;
    kind: LoggedKind;
    /** Unit the readings are stored in. */
    unit: '°C' | '°F';
}

interface Authored { id: string; at: string; by: string | null; byKind: ByKind }
export interface CorrectionView extends Authored { text: string; refers: string }
export interface ActionView extends Authored {
    text: string;
    ref: string;
    alert: ActionBody['alert'] | null;
    /** Index of the day's excursion it is attached to, or null (about the day). */
    excursion: number | null;
    corrections: CorrectionView[];
}
export interface SignoffView extends Authored { scope: 'day' | 'month'; covers: string }

export type DayStatus = 'sealed' | 'revised' | 'open' | 'pending' | 'not-monitored';
export interface DayView {
    date: string;
    status: DayStatus;
    entry: string | null;
    hash: string | null;
    record: DayRecord | null;
    actions: ActionView[];
    signoffs: SignoffView[];
    corrections: CorrectionView[];
}

export interface MonthView {
    cabinet: Cabinet;
    month: string;
    site: string;
    tz: string;
    checks: string[];
    toleranceMin: number;
    range: SafeRanges[string];
    days: DayView[];
    monthSignoffs: SignoffView[];
    problems: Problem[];
    sealedDays: number;
    /** Hash of the chain's last entry when the view was made (what a sign-off covers). */
    head: string | null;
    generatedAt: string;
}

/** After an excursion's end, an alert about it may still be raised for this long (ms). */
const ATTACH_AFTER_MS = 30 * 60_000;

/** The excursion of `rec` an action about time `ref` belongs to: the one around it, else the last one before it. */
export function excursionAt(rec: DayRecord | null, ref: number): number | null {
    if (!rec) return null;
    let best: number | null = null;
    rec.excursions.forEach((x: Excursion, i) => {
        const a = Date.parse(x.runStart), b = Date.parse(x.runEnd);
        if (ref >= a && ref <= b + ATTACH_AFTER_MS) best = i;
    });
    return best;
}

const authored = (e: Entry): Authored => ({ id: e._id, at: e.at, by: e.by, byKind: e.byKind });

/** What a view is built from: its header fields as they are, the chain's entries and the days computed now. */
export interface MonthInput extends Pick<MonthView, 'cabinet' | 'month' | 'site' | 'tz' | 'checks' | 'toleranceMin' | 'range' | 'problems' | 'generatedAt'> {
    /** Every entry of the chain (the view takes the month's). */
    entries: Entry[];
    /** Records computed now for the month's days that have no sealed entry. */
    live: Map<string, DayRecord>;
    /** First date the chain is monitored (earlier days: "not monitored"); null = none yet. */
    firstDate: string | null;
    /** Today's local date: later days are left out. */
    today: string;
}

export function buildMonth(i: MonthInput): MonthView {
    const dates = monthDates(i.month).filter((d) => d <= i.today);
    const inMonth = i.entries.filter((e) => e.date.startsWith(i.month)).sort((a, b) => a.seq - b.seq);
    const byId = new Map(i.entries.map((e) => [e._id, e]));
    const days = new Map<string, DayView>();
    for (const date of dates) {
        const monitored = i.firstDate !== null && date >= i.firstDate;
        const live = i.live.get(date) ?? null;
        days.set(date, {
            date, status: !monitored ? 'not-monitored' : live && live.open ? 'open' : 'pending', entry: null, hash: null,
            record: monitored ? live : null, actions: [], signoffs: [], corrections: [],
        });
    }
    let sealedDays = 0;
    for (const e of inMonth) {
        if (e.type !== 'day') continue;
        const d = days.get(e.date);
        if (!d) continue;
        const body = e.body as DayBody;
        if (d.status !== 'sealed' && d.status !== 'revised') sealedDays++;
        Object.assign(d, { status: body.revises ? 'revised' : 'sealed', entry: e._id, hash: e.hash, record: body.record });
    }
    const actions = new Map<string, ActionView>();
    const monthSignoffs: SignoffView[] = [];
    for (const e of inMonth) {
        const d = days.get(e.date);
        if (e.type === 'action' && d) {
            const b = e.body as ActionBody;
            const a: ActionView = { ...authored(e), text: b.text, ref: b.ref, alert: b.alert ?? null, excursion: excursionAt(d.record, Date.parse(b.ref)), corrections: [] };
            actions.set(e._id, a);
            d.actions.push(a);
        } else if (e.type === 'signoff') {
            const b = e.body as SignoffBody;
            const s: SignoffView = { ...authored(e), scope: b.scope, covers: b.covers };
            if (b.scope === 'month') monthSignoffs.push(s);
            else if (d) d.signoffs.push(s);
        }
    }
    for (const e of inMonth) {
        if (e.type !== 'correction') continue;
        const b = e.body as CorrectionBody;
        const c: CorrectionView = { ...authored(e), text: b.text, refers: b.refers };
        const target = actions.get(b.refers);
        if (target) target.corrections.push(c);
        else {
            const d = days.get((byId.get(b.refers) ?? e).date) ?? days.get(e.date);
            if (d) d.corrections.push(c);
        }
    }
    const last = i.entries.reduce<Entry | null>((m, e) => (!m || e.seq > m.seq ? e : m), null);
    return {
        cabinet: i.cabinet, month: i.month, site: i.site, tz: i.tz, checks: i.checks, toleranceMin: i.toleranceMin, range: i.range,
        days: [...days.values()], monthSignoffs, problems: i.problems,
        sealedDays, head: last ? last.hash : null, generatedAt: i.generatedAt,
    };
}
