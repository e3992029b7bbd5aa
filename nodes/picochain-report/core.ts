/**
 * picochain-report core: the food-safety log service (no Node-RED import; the database behind the
 * LogStore interface, store.ts for MongoDB). It seals each ended day of every logged cabinet probe
 * into its hash chain, appends corrective actions, sign-offs and corrections, re-seals a day when
 * readings arrive after it was sealed (a new entry naming the old one), builds month views for
 * the documents, checks the chain and the readings behind it, and purges entries past retention.
 */
import { computeDay, DayRecord, Window } from './daylog';
import { ActionBody, ByKind, chainId, CorrectionBody, Entry, latestDays, NewEntry, nextEntry, SignoffBody, verifyChain } from './ledger';
import { buildMonth, Cabinet, MonthView } from './month';
import { cabinetChain, cabinetsOf, checkText, checkWho, ReportError } from './cabinets';
import type { ReportSettings } from './settings';
import { addDays, dayBounds, instantOn, isDate, isMonth, localDate, monthDates } from './tz';
import { checkDayReadings, classifyGone, Problem } from './verify';

const MIN_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Windows read around a day for an excursion crossing midnight: the tolerance plus the longest window (ms). */
const EDGE_MS = 2 * HOUR_MS;
/** Days sealed this recently are checked for readings that arrived after their seal. */
const REVISE_DAYS = 3;
/** Days one sealing round seals per probe, at most (a first start over a long history catches up in rounds). */
const SEAL_BATCH = 62;
/** Alerts remembered for acknowledgements that carry an action. */
const MAX_ALERTS = 5000;

/** What the log needs from the database. */
export interface LogStore {
    /** The device registry's documents. */
    registry(): Promise<Record<string, unknown>[]>;
    /**
     * The stored windows of several probes with time in [from, to), by time, per chain
     * ("device/sensor"): one query, since a server without index pushdown (FerretDB 1.x) reads
     * the whole collection for any query.
     */
    windows(probes: { device: string; sensor: string }[], from: number, to: number): Promise<Map<string, Window[]>>;
    /** Time of a probe's oldest stored window, or null. */
    firstReading(device: string, sensor: string): Promise<number | null>;
    /** A chain's entries, all or those dated from `fromDate`. */
    entries(chain: string, fromDate?: string): Promise<Entry[]>;
    /** A chain's entry with the highest seq, or null. */
    head(chain: string): Promise<Entry | null>;
    /** A chain's latest day entry, or null. */
    lastDay(chain: string): Promise<Entry | null>;
    /** Appends; false when an entry with that _id exists (another writer appended first). */
    insert(e: Entry): Promise<boolean>;
    /** Removes entries dated before `date`; returns how many. */
    purge(date: string): Promise<number>;
}

export interface Who { by: string | null; byKind: ByKind; role?: string | null }

export interface AlertInfo { id: string; device: string; sensor: string | null; rule: string | null; severity: string | null; startedAt: string }

/** How long a probe's first reading is remembered (ms): it moves only when the readings' retention purges. */
const FIRST_READING_TTL_MS = HOUR_MS;

export class FoodLog {
    private readonly alerts = new Map<string, AlertInfo>();
    private readonly firsts = new Map<string, { t: number | null; at: number }>();

    constructor(private readonly store: LogStore, readonly settings: ReportSettings) {}

    private get tz(): string { return this.settings.timeZone; }

    async cabinets(): Promise<Cabinet[]> {
        return cabinetsOf(await this.store.registry());
    }

    /** Windows of cabinet probes in °C per chain (a °F probe's values converted; the digest keeps what is stored). */
    async windows(cabs: Cabinet[], from: number, to: number): Promise<Map<string, Window[]>> {
        const all = await this.store.windows(cabs.map((c) => ({ device: c.device, sensor: c.sensor })), from, to);
        const conv = (v: number | null) => (v === null ? null : (v - 32) * 5 / 9);
        for (const c of cabs) {
            const ws = all.get(cabinetChain(c)) ?? [];
            all.set(cabinetChain(c), c.unit === '°C' ? ws : ws.map((w) => ({ ...w, min: conv(w.min), max: conv(w.max), mean: conv(w.mean), last: conv(w.last) })));
        }
        return all;
    }

    /** A day of `c` from `around` (its windows from before the day to after it; `now` given: an open day's later hours are not judged). */
    dayOf(c: Cabinet, date: string, around: Window[], now?: number): DayRecord {
        const { from, to } = dayBounds(this.tz, date);
        return computeDay(around.filter((w) => w.time >= from - EDGE_MS && w.time < to + EDGE_MS), {
            date, tz: this.tz, from, to, range: this.settings.ranges[c.kind], checks: this.settings.checks,
            checkAt: this.settings.checks.map((t) => instantOn(this.tz, date, t)), toleranceMs: this.settings.toleranceMin * MIN_MS,
            ...(now !== undefined && now < to ? { now } : {}),
        });
    }

    /**
     * Appends to `c`'s chain, retrying from the new head when another writer appended first
     * (unless `stillWanted` says that writer did the same: another instance sealed that day).
     */
    private async append(c: Cabinet, e: NewEntry, stillWanted?: () => Promise<boolean>): Promise<Entry | null> {
        for (let i = 0; i < 8; i++) {
            // the head first, then the check: whatever another writer appends after the head was
            // read makes this insert collide, and the next round's check sees it
            const head = await this.store.head(cabinetChain(c));
            if (stillWanted && !(await stillWanted())) return null;
            const entry = nextEntry(c.device, c.sensor, head, e);
            if (await this.store.insert(entry)) return entry;
        }
        throw new ReportError('busy', { chain: cabinetChain(c) });
    }

    /** A probe's first reading (ms), remembered for an hour. */
    private async firstReading(c: Cabinet, now: number): Promise<number | null> {
        const k = cabinetChain(c);
        const f = this.firsts.get(k);
        if (f && now - f.at < FIRST_READING_TTL_MS) return f.t;
        const t = await this.store.firstReading(c.device, c.sensor);
        this.firsts.set(k, { t, at: now });
        return t;
    }

    /** First date `c` is logged from: its first sealed day, else the day of its first reading (null: none yet). */
    async firstDate(c: Cabinet, now: number, entries?: Entry[]): Promise<string | null> {
        const days = (entries ?? []).filter((e) => e.type === 'day').map((e) => e.date).sort();
        if (days.length) return days[0];
        const t = await this.firstReading(c, now);
        return t === null ? null : localDate(this.tz, t);
    }

    /**
     * Seals the days of `cabs` that ended by `until` (ms) and are not sealed yet, oldest first, at
     * most `max` per probe: one read of the readings for all of them.
     */
    async sealUntil(cabs: Cabinet[], until: number, now: number, max = SEAL_BATCH): Promise<string[]> {
        const plans: { c: Cabinet; dates: string[] }[] = [];
        for (const c of cabs) {
            const last = await this.store.lastDay(cabinetChain(c));
            const dates: string[] = [];
            for (let d = last ? addDays(last.date, 1) : await this.firstDate(c, now); d !== null && dates.length < max && dayBounds(this.tz, d).to <= until; d = addDays(d, 1)) dates.push(d);
            if (dates.length) plans.push({ c, dates });
        }
        if (!plans.length) return [];
        const from = Math.min(...plans.map((p) => dayBounds(this.tz, p.dates[0]).from)) - EDGE_MS;
        const to = Math.max(...plans.map((p) => dayBounds(this.tz, p.dates[p.dates.length - 1]).to)) + EDGE_MS;
        const ws = await this.windows(plans.map((p) => p.c), from, to);
        const sealed: string[] = [];
        for (const { c, dates } of plans) {
            const chain = cabinetChain(c);
            for (const d of dates) {
                const record = this.dayOf(c, d, ws.get(chain) ?? []);
                // another instance sealing the same day first: its entry stands, this one is dropped
                const notYet = async () => { const again = await this.store.lastDay(chain); return !again || again.date < d; };
                if (await this.append(c, { type: 'day', date: d, at: new Date(now).toISOString(), by: null, byKind: 'flow', body: { record } }, notYet)) sealed.push(`${chain} ${d}`);
            }
        }
        return sealed;
    }

    /** One round: every probe's due days sealed; with `revise`, recent days re-sealed when readings arrived after their seal. */
    async sealDue(now: number, revise = true): Promise<{ sealed: string[]; revised: string[] }> {
        const cabs = await this.cabinets();
        const sealed = await this.sealUntil(cabs, now - this.settings.sealDelayH * HOUR_MS, now);
        return { sealed, revised: revise ? await this.reviseLate(cabs, now) : [] };
    }

    /** Re-seals the recently sealed days that got readings after their seal (a revision entry naming the one it revises). */
    async reviseLate(cabs: Cabinet[], now: number): Promise<string[]> {
        const since = addDays(localDate(this.tz, now), -REVISE_DAYS);
        const ws = await this.windows(cabs, dayBounds(this.tz, since).from - EDGE_MS, now + MIN_MS);
        const revised: string[] = [];
        for (const c of cabs) {
            const chain = cabinetChain(c);
            const around = ws.get(chain) ?? [];
            for (const [date, e] of latestDays(await this.store.entries(chain, since))) {
                const { from, to } = dayBounds(this.tz, date);
                const sealedAt = Date.parse(e.at);
                if (!around.some((w) => w.time >= from && w.time < to && w.receivedAt !== null && w.receivedAt > sealedAt)) continue;
                const record = this.dayOf(c, date, around);
                const stillLatest = async () => latestDays(await this.store.entries(chain, date)).get(date)?._id === e._id;
                if (await this.append(c, { type: 'day', date, at: new Date(now).toISOString(), by: null, byKind: 'flow', body: { record, revises: e._id, reason: 'late-readings' } }, stillLatest)) revised.push(`${chain} ${date}`);
            }
        }
        return revised;
    }

    /** Remembers an alert event (picochain-alert output 1), for an acknowledgement that says what was done. */
    noteAlert(e: Record<string, unknown>): void {
        if (typeof e.id !== 'string' || typeof e.device !== 'string') return;
        const started = e.startedAt instanceof Date ? e.startedAt.toISOString() : typeof e.startedAt === 'string' ? e.startedAt : null;
        if (!started || Number.isNaN(Date.parse(started))) return;
        this.alerts.delete(e.id);
        this.alerts.set(e.id, { id: e.id, device: e.device, sensor: typeof e.sensor === 'string' ? e.sensor : null, rule: typeof e.rule === 'string' ? e.rule : null, severity: typeof e.severity === 'string' ? e.severity : null, startedAt: started });
        if (this.alerts.size > MAX_ALERTS) this.alerts.delete(this.alerts.keys().next().value as string);
    }

    /** The alert an acknowledgement names: one this node saw, else what the acknowledgement says about it. */
    alertOf(p: Record<string, unknown>): AlertInfo {
        const known = typeof p.id === 'string' ? this.alerts.get(p.id) : undefined;
        if (known) return known;
        const started = typeof p.startedAt === 'string' ? p.startedAt : null;
        if (typeof p.id !== 'string' || typeof p.device !== 'string' || !started || Number.isNaN(Date.parse(started))) throw new ReportError('unknown-alert', { id: String(p.id) });
        return { id: p.id, device: p.device, sensor: typeof p.sensor === 'string' ? p.sensor : null, rule: typeof p.rule === 'string' ? p.rule : null, severity: typeof p.severity === 'string' ? p.severity : null, startedAt: new Date(started).toISOString() };
    }

    /**
     * A corrective action on the cabinets it concerns: `ref` is the time it is about (an
     * excursion's or alert's start). Returns the entries appended.
     */
    async action(cabs: Cabinet[], text: unknown, ref: unknown, who: Who, now: number, alert?: AlertInfo): Promise<Entry[]> {
        const t = checkText(text, 'text');
        const refMs = typeof ref === 'string' || typeof ref === 'number' || ref instanceof Date ? new Date(ref).getTime() : now;
        if (!Number.isFinite(refMs) || refMs > now + MIN_MS) throw new ReportError('bad-ref');
        const by = checkWho(who.by);
        const body: ActionBody = { text: t, ref: new Date(refMs).toISOString(), ...(alert ? { alert: { id: alert.id, rule: alert.rule, severity: alert.severity, startedAt: alert.startedAt } } : {}) };
        const out: Entry[] = [];
        for (const c of cabs) out.push(await this.append(c, { type: 'action', date: localDate(this.tz, refMs), at: new Date(now).toISOString(), by, byKind: who.byKind, body }) as Entry);
        return out;
    }

    /** A supervisor's sign-off of an ended day or month: its days are sealed first; the entry covers the chain's head. */
    async signoff(cabs: Cabinet[], scope: unknown, period: unknown, who: Who, now: number): Promise<Entry[]> {
        const by = checkWho(who.by);
        if (!by) throw new ReportError('no-who');
        let last: string;
        if (scope === 'day' && isDate(period)) last = period;
        else if (scope === 'month' && isMonth(period)) last = monthDates(period).pop() as string;
        else throw new ReportError('bad-signoff');
        if (dayBounds(this.tz, last).to > now) throw new ReportError('not-over', { period: String(period) });
        const out: Entry[] = [];
        await this.sealUntil(cabs, dayBounds(this.tz, last).to, now, Infinity);
        for (const c of cabs) {
            const head = await this.store.head(cabinetChain(c));
            const body: SignoffBody = { scope, covers: head ? head.hash : '', role: who.role ?? null, ...(scope === 'day' ? { date: period as string } : { month: period as string }) };
            out.push(await this.append(c, { type: 'signoff', date: last, at: new Date(now).toISOString(), by, byKind: who.byKind, body }) as Entry);
        }
        return out;
    }

    /** A correction: a new entry naming the one it corrects (which stays as it was). */
    async correction(refers: unknown, text: unknown, who: Who, now: number): Promise<Entry> {
        const t = checkText(text, 'text');
        const m = typeof refers === 'string' ? /^(.+)#(\d+)$/.exec(refers) : null;
        if (!m) throw new ReportError('bad-refers');
        const [device, ...rest] = m[1].split('/');
        const sensor = rest.join('/');
        const entries = await this.store.entries(m[1]);
        const target = entries.find((e) => e._id === refers);
        if (!target) throw new ReportError('bad-refers');
        const c = (await this.cabinets()).find((x) => x.device === device && x.sensor === sensor);
        if (!c) throw new ReportError('unknown-cabinet', { device, sensor });
        const body: CorrectionBody = { refers: target._id, text: t };
        return await this.append(c, { type: 'correction', date: target.date, at: new Date(now).toISOString(), by: checkWho(who.by), byKind: who.byKind, body }) as Entry;
    }

    /**
     * The month of each of `cabs` as the documents show it, with the tamper check of its chain and
     * of the month's sealed days against the readings now in the database (one read of them).
     */
    async months(cabs: Cabinet[], month: string, now: number): Promise<MonthView[]> {
        if (!isMonth(month)) throw new ReportError('bad-month', { month: String(month) });
        const dates = monthDates(month);
        const from = dayBounds(this.tz, dates[0]).from, to = dayBounds(this.tz, dates[dates.length - 1]).to;
        const ws = await this.windows(cabs, from - EDGE_MS, to + EDGE_MS);
        const today = localDate(this.tz, now);
        const views: MonthView[] = [];
        for (const c of cabs) {
            const chain = cabinetChain(c);
            const around = ws.get(chain) ?? [];
            const entries = await this.store.entries(chain);
            const sealed = latestDays(entries);
            const live = new Map<string, DayRecord>();
            const problems: Problem[] = [...verifyChain(entries, this.keepFrom(now))];
            for (const date of dates) {
                if (date > today) break;
                const { from: a, to: b } = dayBounds(this.tz, date);
                const e = sealed.get(date);
                if (e) {
                    const p = checkDayReadings(e, around.filter((w) => w.time >= a && w.time < b));
                    if (p) problems.push(p);
                } else live.set(date, this.dayOf(c, date, around, now));
            }
            const first = await this.firstReading(c, now);
            const oldest = new Map<string, string>(first === null ? [] : [[chain, localDate(this.tz, first)]]);
            views.push(buildMonth({
                cabinet: c, month, site: this.settings.site, tz: this.tz, checks: this.settings.checks, toleranceMin: this.settings.toleranceMin,
                range: this.settings.ranges[c.kind], entries, live, firstDate: await this.firstDate(c, now, entries), today,
                problems: classifyGone(problems, oldest), generatedAt: new Date(now).toISOString(),
            }));
        }
        return views;
    }

    /** The oldest date the retention keeps. */
    keepFrom(now: number): string {
        const today = localDate(this.tz, now);
        return `${Number(today.slice(0, 4)) - this.settings.retentionY}${today.slice(4)}`.replace(/-02-29$/, '-02-28');
    }

    /** Removes the entries past retention (the readings' own retention is the writer's). */
    async purge(now: number): Promise<number> {
        return this.store.purge(this.keepFrom(now));
    }
}

export { chainId };
