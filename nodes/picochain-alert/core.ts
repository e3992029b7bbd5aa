/**
 * picochain-alert core: the alert engine, with no Node-RED import and an injected clock so
 * scenarios run without waiting.
 *
 * Modelled on Grafana alerting (pending "for" period, keep firing for, no-data, resolved
 * notifications) and ThingsBoard device profiles (alarm rules per profile, a create and a clear
 * condition per severity, severity updated as conditions change, acknowledge). Per device, sensor
 * and rule kind one alert: normal → pending → firing (warning ⇄ critical) → resolved; see ladder.ts.
 *
 * Time bases: pending and keep-firing use the readings' own time (a replayed burst counts the
 * minutes it covers; an accelerated simulator runs faster); silence and re-notify use the Node-RED
 * clock (`now`), which is what "no data for 10 min" and "remind me every 30 min" mean.
 *
 * Cost: state is indexed by device; a reading touches its own device only, a tick touches only the
 * devices whose silence or re-notify time has come (both kept in time order), and changed devices
 * are reported by takeDirty() so the wrapper saves just those.
 */
import type { Reading } from '../shared/reading';
import {
    AckSelector, AlertEvent, AlertInputError, AlertOptions, AlertRecord, Band,
    CabinetInfo, EventName, LEVEL_SEVERITY, Level, RuleKind, SEVERITY_RANK, Severity, UNASSIGNED,
} from './types';
import { RuleBook, CompiledRule, readingInfo, slopePerMinute } from './rules';
import { newRecord } from './summary';
import { checkReading } from './input';
import { ABOVE, BELOW, Bands, candidate, ladderStep, rebase } from './ladder';
import type { DeviceSnapshot } from './persist';
import { Device, EngineState, Series } from './state';

export * from './types';
export { validateOptions, normUnit, readingInfo, slopePerMinute, FOOD_SAFETY_RULES, OptionProblem } from './rules';
export { summarise } from './summary';
export { messageFor } from './messages';
export { RESTART_GRACE_MS } from './state';

/** Bound on rate history points kept per series, whatever the window (memory guard). */
export const MAX_RATE_POINTS = 512;
/** A reading this much older than the newest one, not marked as a replay, means the device's clock jumped back. */
export const CLOCK_JUMP_MS = 3600e3;

export const DEFAULT_OPTIONS: AlertOptions = {
    rules: [], defaultProfile: UNASSIGNED, rateWindowS: 600, rateSource: 'readings', renotifyS: 0,
    keepFiringS: 0, silentS: 0, silentSeverity: 'critical', offlineAlerts: true, skipLate: false,
};

const finiteOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bandsOf = (c: CompiledRule): Bands => [null, c.rule.warning, c.rule.critical];
const severityOf = (l: Level): Severity => LEVEL_SEVERITY[l] ?? 'warning';

export class AlertEngine extends EngineState {
    readonly options: AlertOptions;
    private readonly clock: () => number;
    private readonly book: RuleBook;

    constructor(options: Partial<AlertOptions> = {}, clock: () => number = Date.now) {
        super();
        this.options = { ...DEFAULT_OPTIONS, ...options };
        this.clock = clock;
        this.book = new RuleBook(this.options.rules);
    }

    /**
     * Evaluates one reading; `cabinet` is what the registry says about its device (msg.cabinet).
     * Returns the events it caused. Throws AlertInputError when it lacks a device, sensor or time.
     */
    ingest(reading: Reading, now: number = this.clock(), cabinet?: CabinetInfo | null): AlertEvent[] {
        checkReading(reading, now);
        const events: AlertEvent[] = [];
        const d = this.speak(reading.device, now, events);
        const { sensor } = reading;
        const info = readingInfo(reading, cabinet, this.options.defaultProfile);
        const t = reading.time.getTime();
        let s = d.series.get(sensor);
        if (!s) {
            s = { sensor, profile: info.profile, unit: info.unit, lastTime: t, points: [], alerts: new Map() };
            d.series.set(sensor, s);
        } else if (t <= s.lastTime) {
            // a replay or duplicate: already judged. Far older and not a known replay: the clock
            // jumped, unless late readings are normal (instances sharing a stream, skipLate)
            if (reading.replay || this.options.skipLate || s.lastTime - t <= CLOCK_JUMP_MS) return events;
            s.points = [];
            for (const a of s.alerts.values()) rebase(a, t);
        }
        s.lastTime = t;
        const rules = this.book.rulesFor(info.profile, sensor, info.unit);
        if (s.profile !== info.profile || s.unit !== info.unit) {
            // reassigned or unit changed: the rules that raised its alerts no longer judge it
            for (const a of [...s.alerts.values()]) this.endAlert(d, s, a, now, events, 'unconfigured');
            if (s.unit !== info.unit) s.points = [];
            s.profile = info.profile;
            s.unit = info.unit;
        }
        if (!rules.size) return events;
        let rate: number | null | undefined;
        for (const [kind, c] of rules) {
            const value = finiteOrNull(reading[c.rule.value]);
            if (kind === 'high' || kind === 'low') {
                if (value !== null) this.step(d, s, c, value, value, kind === 'high' ? ABOVE : BELOW, t, now, events, info.labels);
            } else if (kind === 'state') {
                if (value !== null) this.step(d, s, c, Number.isInteger(value) && c.rule.states.includes(value) ? 1 : 0, value, ABOVE, t, now, events, info.labels);
            } else {
                if (rate === undefined) rate = this.rate(s, reading, c, t);
                if (rate !== null) this.step(d, s, c, kind === 'rise' ? rate : -rate, rate, ABOVE, t, now, events, undefined);
            }
        }
        return events;
    }

    /**
     * A device status message: `online: false` is the MQTT last will: the device is offline and,
     * with offlineAlerts, "silent" fires at once; `online: true` (birth message) resolves it.
     */
    deviceStatus(device: string, online: boolean, now: number = this.clock()): AlertEvent[] {
        if (typeof device !== 'string' || device === '') throw new AlertInputError('status message without a device id');
        const events: AlertEvent[] = [];
        if (online) {
            this.speak(device, now, events);
            return events;
        }
        const d = this.device(device, now);
        d.offline = true;
        this.dirty.add(device);
        if (this.options.offlineAlerts && !d.silent) this.fireSilent(d, 'offline', now, events);
        return events;
    }

    /** Periodic work on the Node-RED clock: silence and re-notification, only where their time has come. */
    tick(now: number = this.clock()): AlertEvent[] {
        const events: AlertEvent[] = [];
        for (const id of this.dueDevices(now)) events.push(...this.tickDevice(id, now));
        return events;
    }

    /**
     * The devices a tick at `now` has work for (a silence or a re-notification due), in time
     * order. Only those are visited: both indexes are kept oldest first.
     */
    dueDevices(now: number = this.clock()): string[] {
        const due = new Set<string>();
        const o = this.options;
        if (o.silentS > 0) {
            for (const d of this.watch.values()) {
                if (now - d.lastSeen < o.silentS * 1000) break; // the rest spoke later
                if (!this.inGrace(d, now)) due.add(d.device);
            }
        }
        if (o.renotifyS > 0) {
            for (const a of this.reminders.values()) {
                if (now - (a.lastNotifiedAt ?? now) < o.renotifyS * 1000) break;
                due.add(a.device);
            }
        }
        return [...due];
    }

    /** One device's part of a tick: its silence and the re-notifications it is due. */
    tickDevice(id: string, now: number = this.clock()): AlertEvent[] {
        const events: AlertEvent[] = [];
        const d = this.devices.get(id);
        if (!d) return events;
        const o = this.options;
        if (o.silentS > 0 && !d.silent && now - d.lastSeen >= o.silentS * 1000 && !this.inGrace(d, now)) this.fireSilent(d, 'timeout', now, events);
        const every = o.renotifyS * 1000;
        if (every > 0) {
            for (const a of this.alertsOf(id)) {
                if (!this.reminders.has(a.id) || now - (a.lastNotifiedAt ?? now) < every) continue;
                if (a.rule === 'silent') a.value = Math.round((now - d.lastSeen) / 1000);
                this.remind(a, now);
                this.dirty.add(id);
                events.push(this.event('renotify', a, now));
            }
        }
        return events;
    }

    /** Already overdue when Node-RED restarted: it waits out the grace, it may be speaking now. */
    private inGrace(d: Device, now: number): boolean {
        return now < this.silenceFrom && d.lastSeen + this.options.silentS * 1000 <= this.restoredAt;
    }

    /**
     * Acknowledges the firing alerts the selector matches (by id, or by device with optional sensor
     * and rule): they stop re-notifying until they resolve or escalate. `by` is recorded.
     */
    ack(sel: AckSelector, now: number = this.clock()): AlertEvent[] {
        if (!sel || (typeof sel.id !== 'string' && typeof sel.device !== 'string')) throw new AlertInputError('ack needs an alert id or a device');
        const by = typeof sel.by === 'string' && sel.by ? sel.by.slice(0, 128) : undefined;
        let candidates: AlertRecord[];
        if (typeof sel.id === 'string') {
            const a = this.byId.get(sel.id);
            candidates = a ? [a] : [];
        } else {
            candidates = this.alertsOf(sel.device as string).filter((a) => (sel.sensor === undefined || sel.sensor === a.sensor) && (sel.rule === undefined || sel.rule === a.rule));
        }
        const events: AlertEvent[] = [];
        for (const a of candidates) {
            if (a.level === 0 || a.acknowledged) continue;
            a.acknowledged = true;
            a.ackAt = now;
            if (by) a.ackBy = by; else delete a.ackBy;
            this.reminders.delete(a.id);
            this.dirty.add(a.device);
            events.push(this.event('acknowledged', a, now));
        }
        return events;
    }

    /** Forgets every alert (or one device's) without events, e.g. after a fridge was replaced. */
    reset(device?: string): void {
        const gone = device === undefined ? [...this.devices.keys()] : this.devices.has(device) ? [device] : [];
        for (const id of gone) {
            this.forget(id);
            this.dirty.add(id);
        }
    }

    /**
     * Restores device snapshots (persist.ts), emitting nothing: a firing alert stays firing and is
     * not announced again. Silence counts from each device's saved last reading; devices already
     * overdue at the restart get RESTART_GRACE_MS (or the silence time, if shorter) to speak first.
     */
    restore(snapshots: readonly DeviceSnapshot[], now: number = this.clock()): void {
        this.restoreSnapshots(snapshots, now, this.options.silentS);
    }

    /**
     * Resolves the alerts no rule judges any more (rules, units or profiles changed, silence turned
     * off) after a restore under another configuration: nothing would ever clear them otherwise.
     * `only`: that device alone.
     */
    pruneUnconfigured(now: number = this.clock(), only?: string): AlertEvent[] {
        const events: AlertEvent[] = [];
        const o = this.options;
        for (const d of only === undefined ? this.devices.values() : [this.devices.get(only)].filter((x): x is Device => !!x)) {
            if (d.silent && !(d.silent.cause === 'offline' ? o.offlineAlerts || o.silentS > 0 : o.silentS > 0)) this.endAlert(d, null, d.silent, now, events, 'unconfigured');
            for (const s of d.series.values()) {
                if (!s.profile) continue; // saved before profiles existed: the next reading decides
                const rules = this.book.rulesFor(s.profile, s.sensor, s.unit);
                for (const [kind, a] of s.alerts) {
                    const c = rules.get(kind);
                    if (!c || (a.level > 0 && !bandsOf(c)[a.level])) this.endAlert(d, s, a, now, events, 'unconfigured');
                }
            }
        }
        return events;
    }

    // ---- internals ----

    private device(id: string, now: number): Device {
        let d = this.devices.get(id);
        if (!d) {
            d = { device: id, lastSeen: now, offline: false, silent: null, series: new Map() };
            this.devices.set(id, d);
            this.watch.set(id, d);
        }
        return d;
    }

    /** The device spoke: it is online, its silence restarts and a silent alert resolves. */
    private speak(id: string, now: number, events: AlertEvent[]): Device {
        if (typeof id !== 'string' || id === '') throw new AlertInputError('reading without a device id');
        const d = this.device(id, now);
        const before = d.lastSeen;
        d.lastSeen = Math.max(d.lastSeen, now);
        d.offline = false;
        this.watch.delete(id);
        this.watch.set(id, d);
        this.dirty.add(id);
        if (d.silent) {
            d.silent.value = Math.round((now - before) / 1000);
            this.endAlert(d, null, d.silent, now, events);
        }
        return d;
    }

    private fireSilent(d: Device, cause: 'timeout' | 'offline', now: number, events: AlertEvent[]): void {
        const a = newRecord(d.device, null, 'silent', null, this.options.silentSeverity, now);
        a.cause = cause;
        a.value = Math.round((now - d.lastSeen) / 1000);
        a.threshold = cause === 'timeout' ? this.options.silentS : null;
        a.level = SEVERITY_RANK[this.options.silentSeverity];
        d.silent = a;
        this.watch.delete(d.device);
        this.byId.set(a.id, a);
        this.dirty.add(d.device);
        this.announce(a, 'fired', now, events);
    }

    private rate(s: Series, r: Reading, c: CompiledRule, t: number): number | null {
        if (this.options.rateSource === 'slope') return finiteOrNull(r.slope);
        const v = finiteOrNull(r[c.rule.value]);
        if (v === null) return null;
        s.points.push([t, v]);
        const from = t - this.options.rateWindowS * 1000;
        while (s.points.length && (s.points[0][0] < from || s.points.length > MAX_RATE_POINTS)) s.points.shift();
        return slopePerMinute(s.points);
    }

    /** Advances one rule's alert for a judged quantity `q` (see ladder.ts). */
    private step(d: Device, s: Series, c: CompiledRule, q: number, value: number, beyond: typeof ABOVE, t: number, now: number,
        events: AlertEvent[], labels: Record<string, string> | undefined): void {
        const kind = c.rule.kind;
        const bands = bandsOf(c);
        let a = s.alerts.get(kind);
        if (!a) {
            // the common case, a quiet value: decide without allocating a record
            if (!bands.some((b) => b && beyond(q, b.fire))) return;
            a = newRecord(d.device, s.sensor, kind, s.profile, 'warning', now);
        }
        a.value = value;
        a.unit = s.unit;
        a.profile = s.profile;
        const label = kind === 'state' && labels ? labels[String(value)] : undefined;
        if (label !== undefined) a.valueLabel = label; else delete a.valueLabel;
        const from = a.level;
        const step = ladderStep(a, bands, beyond, q, t, this.options.keepFiringS * 1000);
        const sign = kind === 'fall' ? -1 : 1;
        const fireOf = (l: Level): number | null => (kind === 'state' ? null : sign * (bands[l] as Band).fire);
        this.dirty.add(d.device);
        switch (step) {
            case 'normal':
                if (s.alerts.delete(kind)) this.byId.delete(a.id);
                return;
            case 'pending': {
                const l = candidate(a);
                a.severity = severityOf(l);
                a.threshold = fireOf(l);
                if (!s.alerts.has(kind)) { s.alerts.set(kind, a); this.byId.set(a.id, a); }
                return;
            }
            case 'held':
                return;
            case 'resolved': {
                const lowest = (bands[1] ?? bands[2]) as Band;
                a.threshold = kind === 'state' ? null : sign * lowest.clear;
                this.endAlert(d, s, a, now, events, undefined, true);
                return;
            }
            default: {
                a.severity = severityOf(a.level);
                a.threshold = fireOf(a.level);
                if (!s.alerts.has(kind)) { s.alerts.set(kind, a); this.byId.set(a.id, a); }
                if (step === 'escalated') { a.acknowledged = false; a.ackAt = null; delete a.ackBy; }
                const e = this.announce(a, step, now, events);
                if (step !== 'fired') e.previousSeverity = severityOf(from);
            }
        }
    }

    /** fired / escalated / de-escalated: announced, and re-notified from now on unless acknowledged. */
    private announce(a: AlertRecord, name: EventName, now: number, events: AlertEvent[]): AlertEvent {
        if (name === 'fired') a.startedAt = now;
        if (name !== 'de-escalated') this.remind(a, now);
        const e = this.event(name, a, now);
        events.push(e);
        return e;
    }

    private remind(a: AlertRecord, now: number): void {
        a.lastNotifiedAt = now;
        this.reminders.delete(a.id);
        if (!a.acknowledged) this.reminders.set(a.id, a);
    }

    /** Removes an alert; announces "resolved" when it had been announced. */
    private endAlert(d: Device, s: Series | null, a: AlertRecord, now: number, events: AlertEvent[], reason?: 'unconfigured', announced = a.level > 0): void {
        if (s) s.alerts.delete(a.rule as RuleKind);
        else { d.silent = null; this.watch.delete(d.device); this.watch.set(d.device, d); }
        this.byId.delete(a.id);
        this.reminders.delete(a.id);
        this.dirty.add(d.device);
        if (!announced) return;
        const e = this.event('resolved', a, now);
        if (reason) e.reason = reason;
        events.push(e);
    }

    private event(name: EventName, a: AlertRecord, now: number): AlertEvent {
        const e: AlertEvent = {
            event: name, id: a.id, device: a.device, sensor: a.sensor, rule: a.rule, profile: a.profile, severity: a.severity,
            value: a.value, threshold: a.threshold, unit: a.unit,
            startedAt: new Date(a.startedAt ?? a.pendingSince), endedAt: name === 'resolved' ? new Date(now) : null,
            acknowledged: a.acknowledged, at: new Date(now),
        };
        if (a.valueLabel !== undefined) e.valueLabel = a.valueLabel;
        if (a.ackBy) e.by = a.ackBy;
        if (a.cause) e.cause = a.cause;
        return e;
    }
}
export { checkReading as checkAlertReading } from './input';
