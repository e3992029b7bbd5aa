/**
 * What the dashboards' food-safety page shows (pure): the month view as the rows the PDF prints,
 * plus what the page's buttons need (each excursion's time for a corrective action, the entries a
 * correction may name, whether a day can be signed), and the backup format of the log.
 */
import { dayRow, DayRow, Formatter, problemText } from './format';
import { canonical, Entry, entryHash } from './ledger';
import type { Cabinet, MonthView } from './month';
import { fill } from './texts';
import { INFORMATIONAL } from './verify';

export interface PageRow extends DayRow {
    /** The excursions, each with the time an action about it refers to. */
    excursions: { text: string; ref: string; answered: boolean }[];
    /** Entries of the day a correction may name (its actions, the sealed day). */
    entries: { id: string; text: string }[];
    signable: boolean;
    signed: boolean;
}

export interface PageModel {
    month: string;
    monthLabel: string;
    lang: string;
    cabinet: Cabinet & { chain: string; label: string };
    checks: string[];
    range: string;
    rule: string;
    rows: PageRow[];
    monthSigned: string[];
    monthSignable: boolean;
    intact: boolean;
    integrity: string[];
    notes: string[];
    head: string | null;
    texts: Record<string, string>;
}

export function pageModel(view: MonthView, f: Formatter, now: number, monthOver: boolean): PageModel {
    const c = view.cabinet;
    const rows = view.days.map((d): PageRow => {
        const r = dayRow(d, f);
        const rec = d.record;
        return {
            ...r,
            excursions: rec ? rec.excursions.map((x, i) => ({ text: f.excursion(x, rec), ref: x.runStart, answered: d.actions.some((a) => a.excursion === i) })) : [],
            entries: [...(d.entry ? [{ id: d.entry, text: `${f.T.colDate} ${r.label}` }] : []), ...d.actions.map((a) => ({ id: a.id, text: f.action(a, d) }))],
            signable: d.status !== 'open' && d.status !== 'not-monitored' && !!rec && Date.parse(rec.to) <= now,
            signed: d.signoffs.length > 0,
        };
    });
    const tamper = view.problems.filter((p) => !INFORMATIONAL.has(p.kind));
    const T = f.T;
    return {
        month: view.month, monthLabel: f.monthLabel(view.month), lang: f.lang,
        cabinet: { ...c, chain: `${c.device}/${c.sensor}`, label: `${c.name ? `${c.name} (${c.device})` : c.device} · ${c.sensor}` },
        checks: view.checks, range: f.range(view.range), rule: fill(T.rule, { min: view.toleranceMin }), rows,
        monthSigned: view.monthSignoffs.map((s) => fill(T.monthSigned, { by: f.author(s), at: f.dateTime(s.at) })),
        monthSignable: monthOver, intact: tamper.length === 0,
        integrity: tamper.length ? [fill(T.integrityBad, { n: tamper.length }), ...tamper.map((p) => problemText(p as never, f))] : [fill(T.integrityOk, { days: view.sealedDays })],
        notes: view.problems.filter((p) => INFORMATIONAL.has(p.kind)).map((p) => problemText(p as never, f)),
        head: view.head,
        texts: {
            title: T.title, colDate: T.colDate, colMin: T.colMin, colMax: T.colMax, colMean: T.colMean, colOut: T.colOut, colGaps: T.colGaps,
            colActions: T.colActions, colInitials: T.colInitials, colSupervisor: T.colSupervisor, safeRange: T.safeRange, kind: T.kind[c.kind] ?? c.kind,
        },
    };
}

/** The log as newline-delimited JSON, one entry a line in chain order: a backup anyone can verify with sha256. */
export function toBackup(entries: Entry[]): string {
    return entries.slice().sort((a, b) => a.chain.localeCompare(b.chain) || a.seq - b.seq).map((e) => canonical(e)).join('\n') + (entries.length ? '\n' : '');
}

/** Entries of a backup: those whose hash holds are returned, the others counted. */
export function fromBackup(text: string): { entries: Entry[]; refused: number } {
    const entries: Entry[] = [];
    let refused = 0;
    for (const line of text.split(/\r?\n/)) {
        if (!line.trim()) continue;
        try {
            const e = JSON.parse(line) as Entry;
            if (typeof e.chain === 'string' && Number.isInteger(e.seq) && e._id === `${e.chain}#${e.seq}` && entryHash(e) === e.hash) entries.push(e);
            else refused++;
        } catch {
            refused++;
        }
    }
    return { entries, refused };
}
