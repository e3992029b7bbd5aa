/**
 * picochain-report's requests (pure of Node-RED): what each `msg.topic` does with `msg.payload`,
 * and the answer it sends on. The wrapper passes who asked (from the dashboards' login) and the
 * time; everything else is here.
 *
 *   ack         {id, action, …}            a corrective action about an alert (the Alerts page)
 *   action      {device, sensor?, text, ref?}   a corrective action (about the excursion starting at ref)
 *   signoff     {device?, sensor?, scope: day|month, date|month}
 *   correction  {refers: entry id, text}
 *   log         {device, sensor, month}    the month for the dashboards' page
 *   report      {device?, sensor?, month?, format: pdf|csv, locale?, unit?}   a file (no device: the site)
 *   verify      {device?, sensor?, month?} the tamper check
 *   cabinets    the logged cabinet probes
 *   seal        seal the days that are due now
 *   backup / restore   the whole log as NDJSON / entries put back (never over existing ones)
 */
import { FoodLog, Who } from './core';
import { ReportError, selectCabinets } from './cabinets';
import { Formatter } from './format';
import { toCsv } from './csv';
import { toPdf } from './pdf';
import { fromBackup, pageModel, toBackup } from './page';
import type { Entry } from './ledger';
import { isLocale, isUnit, TempUnit } from './settings';
import { dayBounds, isDate, isMonth, localDate, monthDates, previousMonth } from './tz';
import { intact } from './verify';

export interface Answer {
    topic: string;
    payload: unknown;
    filename?: string;
    contentType?: string;
}

/** What a request may need besides the log: the whole log for a backup, an insert for a restore. */
export interface BackupStore {
    all(): Promise<Entry[]>;
    insert(e: Entry): Promise<boolean>;
}

export const TOPICS = ['ack', 'action', 'signoff', 'correction', 'log', 'report', 'verify', 'cabinets', 'seal', 'backup', 'restore'] as const;

const obj = (p: unknown): Record<string, unknown> => (p && typeof p === 'object' && !Array.isArray(p) && !Buffer.isBuffer(p) ? p as Record<string, unknown> : {});
const summary = (entries: Entry[]) => entries.map((e) => ({ id: e._id, chain: e.chain, type: e.type, date: e.date, at: e.at, by: e.by, hash: e.hash }));

/** The month a request names; by default the last complete month (what the 1st of the month e-mails). */
function monthOf(p: Record<string, unknown>, log: FoodLog, now: number): string {
    if (p.month === undefined || p.month === '') return previousMonth(localDate(log.settings.timeZone, now).slice(0, 7));
    if (!isMonth(p.month)) throw new ReportError('bad-month', { month: String(p.month) });
    return p.month;
}

function formatterFor(log: FoodLog, p: Record<string, unknown>): Formatter {
    const s = log.settings;
    if (p.locale !== undefined && !isLocale(p.locale)) throw new ReportError('bad-locale', { locale: String(p.locale) });
    if (p.unit !== undefined && !isUnit(p.unit)) throw new ReportError('bad-unit', { unit: String(p.unit) });
    return new Formatter((p.locale as string) || s.locale, (p.unit as TempUnit) || s.unit, s.timeZone);
}

export async function handle(topic: string, payload: unknown, log: FoodLog, store: BackupStore, who: Who, now: number): Promise<Answer | null> {
    const p = obj(payload);
    switch (topic) {
        case 'ack': {
            // an acknowledgement without a word of what was done is the alert node's business only
            if (typeof p.action !== 'string' || !p.action.trim()) return null;
            const alert = log.alertOf(p);
            const cabs = (await log.cabinets()).filter((c) => c.device === alert.device && (alert.sensor === null || c.sensor === alert.sensor));
            if (!cabs.length) throw new ReportError('unknown-cabinet', { device: alert.device, sensor: alert.sensor ?? '' });
            return { topic: 'action', payload: summary(await log.action(cabs, p.action, alert.startedAt, who, now, alert)) };
        }
        case 'action':
            return { topic, payload: summary(await log.action(selectCabinets(await log.cabinets(), p, false), p.text, p.ref, who, now)) };
        case 'signoff':
            return { topic, payload: summary(await log.signoff(selectCabinets(await log.cabinets(), p, true), p.scope, p.scope === 'month' ? p.month : p.date, who, now)) };
        case 'correction':
            return { topic, payload: summary([await log.correction(p.refers, p.text, who, now)]) };
        case 'cabinets':
            return { topic, payload: (await log.cabinets()).map((c) => ({ ...c, chain: `${c.device}/${c.sensor}` })) };
        case 'seal': {
            // {until: date}: the days up to that one only (still only ended days)
            if (p.until !== undefined && !isDate(p.until)) throw new ReportError('bad-until', { until: String(p.until) });
            if (p.until === undefined) return { topic, payload: await log.sealDue(now) };
            const until = Math.min(dayBounds(log.settings.timeZone, p.until as string).to, now);
            return { topic, payload: { sealed: await log.sealUntil(selectCabinets(await log.cabinets(), p, true), until, now, Infinity), revised: [] } };
        }
        case 'log': {
            const [c] = selectCabinets(await log.cabinets(), p, false);
            const month = p.month ? monthOf(p, log, now) : localDate(log.settings.timeZone, now).slice(0, 7);
            const [view] = await log.months([c], month, now);
            const over = dayBounds(log.settings.timeZone, monthDates(month).pop() as string).to <= now;
            return { topic: 'foodlog', payload: pageModel(view, formatterFor(log, p), now, over) };
        }
        case 'verify': {
            const month = p.month ? monthOf(p, log, now) : localDate(log.settings.timeZone, now).slice(0, 7);
            const views = await log.months(selectCabinets(await log.cabinets(), p, true), month, now);
            const problems = views.flatMap((v) => v.problems);
            return { topic, payload: { month, intact: intact(problems), problems, checked: views.map((v) => ({ chain: `${v.cabinet.device}/${v.cabinet.sensor}`, sealedDays: v.sealedDays, head: v.head })) } };
        }
        case 'report': {
            const f = formatterFor(log, p);
            const month = monthOf(p, log, now);
            const cabs = selectCabinets(await log.cabinets(), p, true);
            const views = await log.months(cabs, month, now);
            const who = p.device ? String(p.device) + (p.sensor ? `-${String(p.sensor)}` : '') : 'site';
            const base = `foodlog-${who.replace(/[^A-Za-z0-9_.-]/g, '_')}-${month}`;
            if (p.format === 'csv') return { topic, payload: toCsv(views, f), filename: `${base}.csv`, contentType: 'text/csv; charset=utf-8' };
            if (p.format !== undefined && p.format !== 'pdf') throw new ReportError('bad-format', { format: String(p.format) });
            const title = `${f.T.title} ${f.monthLabel(month)}${log.settings.site ? ` · ${log.settings.site}` : ''}`;
            return { topic, payload: await toPdf(views, f, title), filename: `${base}.pdf`, contentType: 'application/pdf' };
        }
        case 'backup':
            return { topic, payload: Buffer.from(toBackup(await store.all()), 'utf8'), filename: `foodlog-${localDate(log.settings.timeZone, now)}.ndjson`, contentType: 'application/x-ndjson' };
        case 'restore': {
            const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : typeof payload === 'string' ? payload : '';
            const { entries, refused } = fromBackup(text);
            let inserted = 0, existing = 0;
            for (const e of entries) if (await store.insert(e)) inserted++; else existing++;
            return { topic, payload: { inserted, existing, refused } };
        }
        default:
            throw new ReportError('unknown-topic', { topic, topics: TOPICS.join(', ') });
    }
}
