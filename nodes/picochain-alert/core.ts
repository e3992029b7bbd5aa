/**
 * picochain-alert core: the per device+sensor alert state machine, with no Node-RED import and an
 * injected clock so scenarios run without waiting.
 *
 * Modelled on Grafana alerting (Normal → Pending → Alerting, a "for" pending period, no-data
 * handling, resolved notifications) and ThingsBoard alarm rules (separate create and clear
 * conditions, severity escalation, acknowledge). States of one alert instance:
 *
 *   normal ──condition──▶ pending ──held for `forS`──▶ firing ──clear condition──▶ resolved (→ normal)
 *             ◀──condition gone (no event)──┘            │ warning → critical: "escalated"
 *                                                         │ every `renotifyS` unless acknowledged: "renotify"
 *                                                         │ clear condition held `keepFiringS` before resolving
 *
 * Time base: every transition uses the injected `now` (ms since epoch), the time the node saw the
 * reading; rates use the readings' own `time`, so a late burst of buffered readings gives the
 * physically right slope. Readings older than the newest one already evaluated for the same
 * device+sensor (replays after a reconnection) count as "the device spoke" but are not evaluated.
 */
import { checkReading, Reading, ReadingCheckError } from '../shared/reading';

export type Severity = 'warning' | 'critical';
export type AlertState = 'normal' | 'pending' | 'firing';
/** high/low: thresholds; rise/fall: rate of change; silent: no data (timeout or MQTT last will). */
export type RuleName = 'high' | 'low' | 'rise' | 'fall' | 'silent';
export type EventName = 'fired' | 'resolved' | 'acknowledged' | 'renotify' | 'escalated';
export type ValueField = 'mean' | 'last' | 'min' | 'max';

export const VALUE_FIELDS: readonly ValueField[] = ['mean', 'last', 'min', 'max'];
export const SEVERITIES: readonly Severity[] = ['warning', 'critical'];
const SEVERITY_RANK: Record<Severity, number> = { warning: 1, critical: 2 };
const MS_PER_MIN = 60000;
/** Version of the serialised state; restore() ignores anything else rather than guess. */
export const STATE_VERSION = 1;
/** Bound on rate history points kept per series, whatever the window (memory guard). */
export const MAX_RATE_POINTS = 512;

/** A threshold band: fires beyond `level`, clears once back past `clear` (hysteresis). */
export interface Band {
    level: number;
    clear: number;
}

/** One side (high or low) of the thresholds, each severity optional. */
export interface ThresholdSide {
    warning: Band | null;
    critical: Band | null;
}

/** A rate limit in unit per minute (a positive magnitude for both rise and fall). */
export interface RateLimit {
    limit: number;
    clear: number;
}

export interface AlertOptions {
    /** Which statistic of the reading the thresholds and the reading-based rate look at. */
    value: ValueField;
    high: ThresholdSide;
    low: ThresholdSide;
    rise: RateLimit | null;
    fall: RateLimit | null;
    /** Window of successive readings the rate is fitted over, seconds. */
    rateWindowS: number;
    /** 'readings': least-squares slope of successive readings; 'slope': the frame's own slope. */
    rateSource: 'readings' | 'slope';
    rateSeverity: Severity;
    /** Pending duration: a condition must hold this long before it fires, seconds (0: at once). */
    forS: number;
    /** Re-notify interval while firing and not acknowledged, seconds (0: never). */
    renotifyS: number;
    /**
     * Keep firing this long after the clear condition is first met, seconds (Grafana's
     * keep_firing_for): a value flapping across the clear level does not resolve and re-fire.
     * Not applied to silent alerts (a device that speaks is back).
     */
    keepFiringS: number;
    /** A device that sends nothing for this long is "silent", seconds (0: off). */
    silentS: number;
    silentSeverity: Severity;
    /** Fire "silent" at once when the device's last will (status "offline") arrives. */
    offlineAlerts: boolean;
    /** Sensors evaluated (empty: all); other sensors still count as the device speaking. */
    sensors: string[];
}

export const DEFAULT_OPTIONS: AlertOptions = {
    value: 'mean',
    high: { warning: null, critical: null },
    low: { warning: null, critical: null },
    rise: null,
    fall: null,
    rateWindowS: 300,
    rateSource: 'readings',
    rateSeverity: 'warning',
    forS: 0,
    renotifyS: 0,
    keepFiringS: 0,
    silentS: 0,
    silentSeverity: 'critical',
    offlineAlerts: true,
    sensors: [],
};

/** A validation problem: a catalog key under `picochain-alert.errors.` and its arguments. */
export interface OptionProblem {
    key: string;
    args?: Record<string, string | number>;
}

/**
 * Checks options for contradictions the editor also refuses (the runtime re-checks because flows
 * can be written by hand): every clear level on the quiet side of its threshold, critical beyond
 * warning, low thresholds under high ones, positive rates and durations.
 */
export function validateOptions(o: AlertOptions): OptionProblem[] {
    const p: OptionProblem[] = [];
    const finite = (v: number) => typeof v === 'number' && Number.isFinite(v);
    const bands: [string, Band | null][] = [
        ['high-warning', o.high.warning], ['high-critical', o.high.critical],
        ['low-warning', o.low.warning], ['low-critical', o.low.critical],
    ];
    for (const [name, b] of bands) {
        if (!b) continue;
        if (!finite(b.level) || !finite(b.clear)) p.push({ key: 'not-a-number', args: { field: name } });
    }
    if (p.length) return p;
    for (const side of ['high', 'low'] as const) {
        for (const sev of SEVERITIES) {
            const b = o[side][sev];
            if (!b) continue;
            if (side === 'high' ? b.clear > b.level : b.clear < b.level) {
                p.push({ key: `clear-${side}`, args: { field: `${side}-${sev}`, level: b.level, clear: b.clear } });
            }
        }
        const w = o[side].warning;
        const c = o[side].critical;
        if (w && c && (side === 'high' ? c.level <= w.level : c.level >= w.level)) {
            p.push({ key: `critical-${side}`, args: { warning: w.level, critical: c.level } });
        }
    }
    const lowest = (s: ThresholdSide, hi: boolean): number | null => {
        const levels = [s.warning?.level, s.critical?.level].filter((v): v is number => v !== undefined);
        if (!levels.length) return null;
        return hi ? Math.min(...levels) : Math.max(...levels);
    };
    const hiL = lowest(o.high, true);
    const loL = lowest(o.low, false);
    if (hiL !== null && loL !== null && loL >= hiL) p.push({ key: 'low-above-high', args: { low: loL, high: hiL } });
    for (const name of ['rise', 'fall'] as const) {
        const r = o[name];
        if (!r) continue;
        if (!finite(r.limit) || r.limit <= 0 || !finite(r.clear) || r.clear < 0) {
            p.push({ key: 'rate-positive', args: { field: name } });
        } else if (r.clear > r.limit) {
            p.push({ key: 'clear-rate', args: { field: name, level: r.limit, clear: r.clear } });
        }
    }
    const durations: [string, number][] = [['for', o.forS], ['renotify', o.renotifyS], ['keep-firing', o.keepFiringS], ['silent', o.silentS]];
    for (const [name, v] of durations) {
        if (!finite(v) || v < 0) p.push({ key: 'duration', args: { field: name } });
    }
    if (!finite(o.rateWindowS) || o.rateWindowS <= 0) p.push({ key: 'duration', args: { field: 'rate-window' } });
    if (!VALUE_FIELDS.includes(o.value)) p.push({ key: 'value-field', args: { field: String(o.value) } });
    return p;
}

/** One alert event, what output 1 carries (the wrapper adds the translated `message`). */
export interface AlertEvent {
    event: EventName;
    /** Stable for one alert instance, from its first pending moment to its resolution. */
    id: string;
    device: string;
    /** Null for device-level alerts (silent). */
    sensor: string | null;
    rule: RuleName;
    severity: Severity;
    /** Value that triggered the event: the reading statistic, the rate (unit/min) or seconds silent. */
    value: number | null;
    /** The level crossed: the threshold when firing, the clear level when resolved. */
    threshold: number | null;
    unit: string | null;
    startedAt: Date;
    endedAt: Date | null;
    acknowledged: boolean;
    /** When the event happened (the injected clock). */
    at: Date;
    /** For silent: 'timeout' or 'offline' (last will). */
    cause?: 'timeout' | 'offline';
    /** For escalated: the severity before. */
    previousSeverity?: Severity;
}

/** A non-normal alert as kept in memory and in the node context (times in ms since epoch). */
export interface AlertRecord {
    id: string;
    device: string;
    sensor: string | null;
    rule: RuleName;
    state: 'pending' | 'firing';
    severity: Severity;
    value: number | null;
    threshold: number | null;
    unit: string | null;
    pendingSince: number;
    startedAt: number | null;
    acknowledged: boolean;
    ackAt: number | null;
    lastNotifiedAt: number | null;
    /** Warning firing, critical condition seen since this time (escalates after `forS`). */
    escalateSince: number | null;
    escalateValue: number | null;
    escalateThreshold: number | null;
    /** Firing, clear condition met since this time (resolves after `keepFiringS`). */
    clearSince?: number | null;
    clearThreshold?: number | null;
    cause?: 'timeout' | 'offline';
}

/** What a dashboard needs about one alert. */
export type AlertSummary = Pick<AlertRecord, 'id' | 'device' | 'sensor' | 'rule' | 'state' | 'severity' | 'value' | 'threshold' | 'unit' | 'acknowledged'> & {
    startedAt: Date | null;
};

/** The alert state of a reading (output 2's msg.alert). */
export interface AlertStatus {
    state: AlertState;
    severity: Severity | null;
    active: AlertSummary[];
}

/** An ack selector: an alert id, or device with optional sensor and rule. */
export interface AckSelector {
    id?: string;
    device?: string;
    sensor?: string | null;
    rule?: string;
}

interface SeriesState {
    lastTime: number;
    /** [reading time ms, value] within the rate window. */
    points: [number, number][];
}

interface DeviceInfo {
    lastSeen: number;
    offline: boolean;
}

export interface SerialisedState {
    version: number;
    savedAt: number;
    alerts: AlertRecord[];
    devices: [string, DeviceInfo][];
    series: [string, SeriesState][];
}

/** Thrown for input the engine cannot evaluate; the wrapper turns it into done(err). */
export class AlertInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'AlertInputError';
    }
}

/** What one rule says about the latest value. */
interface Verdict {
    /** Severity the condition asks for (null: the fire condition does not hold). */
    enter: Severity | null;
    /** Whether a firing alert holds (the clear condition has not been met). */
    hold: boolean;
    /** Level crossed for `enter`. */
    threshold: number | null;
    /** Level the alert clears at. */
    clear: number | null;
}

const maxSeverity = (a: Severity, b: Severity): Severity => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a);
const seriesKey = (device: string, sensor: string) => `${device}|${sensor}`;
const alertKey = (device: string, sensor: string | null, rule: RuleName) => `${device}|${sensor ?? '*'}|${rule}`;

/** A deep copy of a series (what serialise() saves and restore() takes back). */
function copySeries(s: SeriesState): SeriesState {
    return { lastTime: s.lastTime, points: s.points.map((p) => [p[0], p[1]] as [number, number]) };
}

function finiteOrNull(v: unknown): number | null {
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Judges a threshold side: enter beyond the lowest configured level, hold beyond its clear level. */
function judgeThreshold(side: 'high' | 'low', t: ThresholdSide, v: number): Verdict | null {
    const beyond = side === 'high' ? (x: number, l: number) => x > l : (x: number, l: number) => x < l;
    const { warning: w, critical: c } = t;
    if (!w && !c) return null;
    // The least severe band configured decides fire/clear; critical only raises the severity.
    const base = (w ?? c) as Band;
    let enter: Severity | null = null;
    let threshold: number | null = null;
    if (c && beyond(v, c.level)) {
        enter = 'critical';
        threshold = c.level;
    } else if (beyond(v, base.level)) {
        enter = w ? 'warning' : 'critical';
        threshold = base.level;
    }
    return { enter, hold: beyond(v, base.clear), threshold: threshold ?? base.level, clear: base.clear };
}

function judgeRate(side: 'rise' | 'fall', r: RateLimit, rate: number, severity: Severity): Verdict {
    const signed = side === 'rise' ? rate : -rate;
    return {
        enter: signed > r.limit ? severity : null,
        hold: signed > r.clear,
        threshold: side === 'rise' ? r.limit : -r.limit,
        clear: side === 'rise' ? r.clear : -r.clear,
    };
}

/** Least-squares slope of [ms, value] points in unit per minute; null below two distinct times. */
export function slopePerMinute(points: readonly [number, number][]): number | null {
    const n = points.length;
    if (n < 2) return null;
    const t0 = points[0][0];
    let st = 0, sv = 0;
    for (const [t, v] of points) { st += (t - t0) / MS_PER_MIN; sv += v; }
    const mt = st / n, mv = sv / n;
    let num = 0, den = 0;
    for (const [t, v] of points) {
        const dt = (t - t0) / MS_PER_MIN - mt;
        num += dt * (v - mv);
        den += dt * dt;
    }
    return den > 0 ? num / den : null;
}

/**
 * The alert engine for one node: feed it readings, device status changes, acks and periodic
 * ticks, each with `now`; it returns the events to emit. It never reads a clock itself unless
 * `now` is left out, in which case the injected `clock` is used.
 */
export class AlertEngine {
    readonly options: AlertOptions;
    private readonly clock: () => number;
    private alerts = new Map<string, AlertRecord>();
    private devices = new Map<string, DeviceInfo>();
    private series = new Map<string, SeriesState>();

    constructor(options: Partial<AlertOptions> = {}, clock: () => number = Date.now) {
        this.options = { ...DEFAULT_OPTIONS, ...options };
        this.clock = clock;
    }

    /**
     * Evaluates one reading. Returns the events it caused (possibly none). Throws AlertInputError
     * when the reading fails the shared Reading check (checkAlertReading).
     */
    ingest(reading: Reading, now: number = this.clock()): AlertEvent[] {
        checkAlertReading(reading, now);
        const events: AlertEvent[] = [];
        const { device, sensor } = reading;
        this.deviceSpoke(device, now, events);
        const o = this.options;
        if (o.sensors.length && !o.sensors.includes(sensor)) return events;
        const t = reading.time.getTime();
        const sKey = seriesKey(device, sensor);
        let s = this.series.get(sKey);
        if (s && t <= s.lastTime) return events; // replay or out of order: already past it
        if (!s) {
            s = { lastTime: t, points: [] };
            this.series.set(sKey, s);
        }
        s.lastTime = t;
        const unit = reading.unit ?? null;
        const v = finiteOrNull(reading[o.value]);
        if (v !== null) {
            for (const side of ['high', 'low'] as const) {
                const verdict = judgeThreshold(side, o[side], v);
                if (verdict) this.step(device, sensor, side, verdict, v, unit, now, events);
            }
        }
        if (o.rise || o.fall) {
            let rate: number | null = null;
            if (o.rateSource === 'slope') {
                rate = finiteOrNull(reading.slope);
            } else if (v !== null) {
                s.points.push([t, v]);
                const from = t - o.rateWindowS * 1000;
                while (s.points.length && (s.points[0][0] < from || s.points.length > MAX_RATE_POINTS)) s.points.shift();
                rate = slopePerMinute(s.points);
            }
            if (rate !== null) {
                for (const side of ['rise', 'fall'] as const) {
                    const r = o[side];
                    if (r) this.step(device, sensor, side, judgeRate(side, r, rate, o.rateSeverity), rate, unit, now, events);
                }
            }
        }
        this.renotify(now, events, (a) => a.device === device);
        return events;
    }

    /**
     * A device status message: `online: false` is the MQTT last will ("offline"), which fires
     * "silent" at once (when offlineAlerts); `online: true` (birth message) resolves it.
     */
    deviceStatus(device: string, online: boolean, now: number = this.clock()): AlertEvent[] {
        if (typeof device !== 'string' || device === '') throw new AlertInputError('status message without a device id');
        const events: AlertEvent[] = [];
        if (online) {
            this.deviceSpoke(device, now, events);
            return events;
        }
        const d = this.devices.get(device) ?? { lastSeen: now, offline: false };
        d.offline = true;
        this.devices.set(device, d);
        if (!this.options.offlineAlerts) return events;
        const key = alertKey(device, null, 'silent');
        if (this.alerts.has(key)) return events;
        this.fireSilent(device, 'offline', (now - d.lastSeen) / 1000, null, now, events);
        return events;
    }

    /** Periodic evaluation: pending that has waited long enough, escalation, silence, re-notify. */
    tick(now: number = this.clock()): AlertEvent[] {
        const events: AlertEvent[] = [];
        const o = this.options;
        for (const [key, a] of [...this.alerts.entries()]) {
            if (a.state === 'pending' && now - a.pendingSince >= o.forS * 1000) this.fire(a, now, events);
            else if (a.state === 'firing' && a.escalateSince !== null && now - a.escalateSince >= o.forS * 1000) this.escalate(a, now, events);
            else if (a.state === 'firing' && typeof a.clearSince === 'number' && now - a.clearSince >= o.keepFiringS * 1000) this.resolve(key, a, now, events);
        }
        if (o.silentS > 0) {
            for (const [device, d] of this.devices) {
                const silentMs = now - d.lastSeen;
                if (silentMs >= o.silentS * 1000 && !this.alerts.has(alertKey(device, null, 'silent'))) {
                    this.fireSilent(device, 'timeout', silentMs / 1000, o.silentS, now, events);
                }
            }
        }
        this.renotify(now, events, () => true);
        return events;
    }

    /**
     * Acknowledges the firing alerts the selector matches (by id, or by device with optional sensor
     * and rule): they stop re-notifying until they resolve. Returns one "acknowledged" event each.
     */
    ack(sel: AckSelector, now: number = this.clock()): AlertEvent[] {
        if (!sel || (typeof sel.id !== 'string' && typeof sel.device !== 'string')) {
            throw new AlertInputError('ack needs an alert id or a device');
        }
        const events: AlertEvent[] = [];
        for (const a of this.alerts.values()) {
            if (a.state !== 'firing' || a.acknowledged) continue;
            if (typeof sel.id === 'string') {
                if (a.id !== sel.id) continue;
            } else {
                if (a.device !== sel.device) continue;
                if (sel.sensor !== undefined && sel.sensor !== a.sensor) continue;
                if (sel.rule !== undefined && sel.rule !== a.rule) continue;
            }
            a.acknowledged = true;
            a.ackAt = now;
            events.push(this.event('acknowledged', a, now));
        }
        return events;
    }

    /** Forgets every alert (or one device's) without events, e.g. after a fridge was replaced. */
    reset(device?: string): void {
        if (device === undefined) {
            this.alerts.clear();
            this.devices.clear();
            this.series.clear();
            return;
        }
        for (const [k, a] of this.alerts) if (a.device === device) this.alerts.delete(k);
        for (const k of this.series.keys()) if (k.startsWith(`${device}|`)) this.series.delete(k);
        this.devices.delete(device);
    }

    /** The alert state of a device+sensor, including the device-level silent alert. */
    statusOf(device: string, sensor: string): AlertStatus {
        return summarise([...this.alerts.values()].filter((a) => a.device === device && (a.sensor === sensor || a.sensor === null)));
    }

    /** Every pending or firing alert. */
    active(): AlertSummary[] {
        return [...this.alerts.values()].map(toSummary);
    }

    counts(): { firing: number; pending: number; acknowledged: number } {
        let firing = 0, pending = 0, acknowledged = 0;
        for (const a of this.alerts.values()) {
            if (a.state === 'firing') {
                firing++;
                if (a.acknowledged) acknowledged++;
            } else pending++;
        }
        return { firing, pending, acknowledged };
    }

    /** Plain JSON (no Dates) for a context store. */
    serialise(now: number = this.clock()): SerialisedState {
        return {
            version: STATE_VERSION,
            savedAt: now,
            alerts: [...this.alerts.values()].map((a) => ({ ...a })),
            devices: [...this.devices.entries()].map(([k, d]) => [k, { ...d }]),
            series: [...this.series.entries()].map(([k, s]) => [k, copySeries(s)]),
        };
    }

    /**
     * Restores what serialise() saved, emitting nothing: a firing alert stays firing and is not
     * announced again. Silence timers restart from `now` so devices get one full timeout to speak
     * after a restart (they may have been sending while Node-RED was down). Returns false (and
     * keeps the current state) when the saved state is not understood.
     */
    restore(saved: unknown, now: number = this.clock()): boolean {
        if (!isSerialisedState(saved)) return false;
        this.alerts = new Map(saved.alerts.map((a) => [alertKey(a.device, a.sensor, a.rule), { ...a }]));
        this.devices = new Map(saved.devices.map(([k, d]) => [k, { lastSeen: Math.max(d.lastSeen, now), offline: d.offline }]));
        this.series = new Map(saved.series.map(([k, s]) => [k, copySeries(s)]));
        return true;
    }

    /**
     * Resolves the alerts whose rule is no longer configured (thresholds removed, sensor filtered
     * out, silence detection turned off) after a restore under a changed configuration: without
     * this they would stay firing forever with nothing left to clear them.
     */
    pruneUnconfigured(now: number = this.clock()): AlertEvent[] {
        const o = this.options;
        const configured = (a: AlertRecord): boolean => {
            if (a.sensor !== null && o.sensors.length && !o.sensors.includes(a.sensor)) return false;
            switch (a.rule) {
                case 'high': case 'low': return !!(o[a.rule].warning || o[a.rule].critical);
                case 'rise': case 'fall': return !!o[a.rule];
                case 'silent': return a.cause === 'offline' ? o.offlineAlerts : o.silentS > 0;
                default: return false;
            }
        };
        const events: AlertEvent[] = [];
        for (const [k, a] of this.alerts) {
            if (configured(a)) continue;
            this.alerts.delete(k);
            if (a.state === 'firing') events.push(this.event('resolved', a, now));
        }
        return events;
    }

    // ---- internals ----

    private deviceSpoke(device: string, now: number, events: AlertEvent[]): void {
        if (typeof device !== 'string' || device === '') throw new AlertInputError('reading without a device id');
        const lastSeen = this.devices.get(device)?.lastSeen ?? now;
        this.devices.set(device, { lastSeen: now, offline: false });
        const key = alertKey(device, null, 'silent');
        const a = this.alerts.get(key);
        if (a) {
            a.value = Math.round((now - lastSeen) / 1000);
            this.alerts.delete(key);
            events.push(this.event('resolved', a, now));
        }
    }

    private fireSilent(device: string, cause: 'timeout' | 'offline', silentS: number, threshold: number | null, now: number, events: AlertEvent[]): void {
        const a = this.newRecord(device, null, 'silent', this.options.silentSeverity, Math.round(silentS), threshold, null, now);
        a.cause = cause;
        this.alerts.set(alertKey(device, null, 'silent'), a);
        this.fire(a, now, events);
    }

    private newRecord(device: string, sensor: string | null, rule: RuleName, severity: Severity, value: number | null,
        threshold: number | null, unit: string | null, now: number): AlertRecord {
        return {
            id: `${device}:${sensor ?? '*'}:${rule}:${now}`,
            device, sensor, rule, state: 'pending', severity, value, threshold, unit,
            pendingSince: now, startedAt: null, acknowledged: false, ackAt: null, lastNotifiedAt: null,
            escalateSince: null, escalateValue: null, escalateThreshold: null, clearSince: null, clearThreshold: null,
        };
    }

    /** Advances one rule's alert for a new value (see the state diagram at the top). */
    private step(device: string, sensor: string, rule: RuleName, v: Verdict, value: number, unit: string | null,
        now: number, events: AlertEvent[]): void {
        const key = alertKey(device, sensor, rule);
        const a = this.alerts.get(key);
        const forMs = this.options.forS * 1000;
        if (!a) {
            if (!v.enter) return;
            const rec = this.newRecord(device, sensor, rule, v.enter, value, v.threshold, unit, now);
            this.alerts.set(key, rec);
            if (forMs === 0) this.fire(rec, now, events);
            return;
        }
        a.unit = unit ?? a.unit;
        if (a.state === 'pending') {
            if (!v.enter) {
                // Condition gone before `for` elapsed: back to normal, nothing was announced.
                this.alerts.delete(key);
                return;
            }
            a.value = value;
            if (SEVERITY_RANK[v.enter] >= SEVERITY_RANK[a.severity]) a.threshold = v.threshold;
            a.severity = maxSeverity(a.severity, v.enter);
            if (now - a.pendingSince >= forMs) this.fire(a, now, events);
            return;
        }
        // firing
        if (!v.hold) {
            a.value = value;
            a.escalateSince = null;
            if (a.clearSince === null || a.clearSince === undefined) a.clearSince = now;
            a.clearThreshold = v.clear;
            if (now - a.clearSince >= this.options.keepFiringS * 1000) this.resolve(key, a, now, events);
            return;
        }
        a.clearSince = null;
        a.value = value;
        if (v.enter === 'critical' && a.severity === 'warning') {
            if (a.escalateSince === null) a.escalateSince = now;
            a.escalateValue = value;
            a.escalateThreshold = v.threshold;
            if (now - a.escalateSince >= forMs) this.escalate(a, now, events);
        } else {
            // Critical condition gone before escalating; severity never drops while firing.
            a.escalateSince = null;
        }
    }

    private resolve(key: string, a: AlertRecord, now: number, events: AlertEvent[]): void {
        a.threshold = a.clearThreshold ?? a.threshold;
        this.alerts.delete(key);
        events.push(this.event('resolved', a, now));
    }

    private fire(a: AlertRecord, now: number, events: AlertEvent[]): void {
        a.state = 'firing';
        a.startedAt = now;
        a.lastNotifiedAt = now;
        events.push(this.event('fired', a, now));
    }

    /** Warning → critical. Clears the acknowledgement: a worse problem deserves a new look. */
    private escalate(a: AlertRecord, now: number, events: AlertEvent[]): void {
        const previous = a.severity;
        a.severity = 'critical';
        a.value = a.escalateValue ?? a.value;
        a.threshold = a.escalateThreshold ?? a.threshold;
        a.escalateSince = null;
        a.acknowledged = false;
        a.ackAt = null;
        a.lastNotifiedAt = now;
        const e = this.event('escalated', a, now);
        e.previousSeverity = previous;
        events.push(e);
    }

    private renotify(now: number, events: AlertEvent[], which: (a: AlertRecord) => boolean): void {
        const every = this.options.renotifyS * 1000;
        if (every <= 0) return;
        for (const a of this.alerts.values()) {
            if (a.state !== 'firing' || a.acknowledged || !which(a)) continue;
            if (now - (a.lastNotifiedAt ?? a.startedAt ?? now) >= every) {
                a.lastNotifiedAt = now;
                if (a.rule === 'silent' && a.cause === 'timeout') a.value = Math.round((now - (this.devices.get(a.device)?.lastSeen ?? now)) / 1000);
                events.push(this.event('renotify', a, now));
            }
        }
    }

    private event(name: EventName, a: AlertRecord, now: number): AlertEvent {
        const e: AlertEvent = {
            event: name, id: a.id, device: a.device, sensor: a.sensor, rule: a.rule, severity: a.severity,
            value: a.value, threshold: a.threshold, unit: a.unit,
            startedAt: new Date(a.startedAt ?? a.pendingSince),
            endedAt: name === 'resolved' ? new Date(now) : null,
            acknowledged: a.acknowledged, at: new Date(now),
        };
        if (a.cause) e.cause = a.cause;
        return e;
    }
}

function toSummary(a: AlertRecord): AlertSummary {
    return {
        id: a.id, device: a.device, sensor: a.sensor, rule: a.rule, state: a.state, severity: a.severity,
        value: a.value, threshold: a.threshold, unit: a.unit,
        startedAt: a.startedAt === null ? null : new Date(a.startedAt), acknowledged: a.acknowledged,
    };
}

/** Worst state and severity of a set of alerts, firing ones before pending ones. */
export function summarise(alerts: readonly (AlertRecord | AlertSummary)[]): AlertStatus {
    let state: AlertState = 'normal';
    let severity: Severity | null = null;
    for (const a of alerts) {
        if (a.state === 'firing') {
            state = 'firing';
            severity = severity ? maxSeverity(severity, a.severity) : a.severity;
        } else if (state === 'normal') state = 'pending';
    }
    const active = alerts.map((a) => ('pendingSince' in a ? toSummary(a) : a));
    return { state, severity, active };
}

/** The shared Reading check (shared/reading.ts), failing as AlertInputError; returns the reading with Dates. */
export function checkAlertReading(r: unknown, now: number, path = 'reading'): Reading {
    try {
        return checkReading(r, { now: new Date(now), path }) as Reading;
    } catch (e) {
        throw e instanceof ReadingCheckError ? new AlertInputError(e.message) : e;
    }
}

function isSerialisedState(s: unknown): s is SerialisedState {
    if (!s || typeof s !== 'object') return false;
    const o = s as Partial<SerialisedState>;
    return o.version === STATE_VERSION && Array.isArray(o.alerts) && Array.isArray(o.devices) && Array.isArray(o.series)
        && o.alerts.every((a) => a && typeof a.id === 'string' && typeof a.device === 'string' && (a.state === 'firing' || a.state === 'pending'));
}

/**
 * Catalog keys (under `picochain-alert.message.`) for an event's human text: `condition` describes
 * the situation ("high", "resolved-high", ...), `event` wraps it ("fired": "[__severity__] __text__").
 * The wrapper translates both with RED._ so the text follows the runtime language.
 */
export function messageFor(e: AlertEvent): { condition: string; event: string; args: Record<string, string> } {
    const fmt = (v: number | null) => (v === null ? '?' : String(Math.round(v * 100) / 100));
    const rate = e.rule === 'rise' || e.rule === 'fall';
    const args: Record<string, string> = {
        device: e.device, sensor: e.sensor ?? '',
        value: fmt(rate && e.value !== null ? Math.abs(e.value) : e.value),
        threshold: fmt(rate && e.threshold !== null ? Math.abs(e.threshold) : e.threshold),
        unit: e.unit ? ` ${e.unit}` : '', severity: e.severity, previous: e.previousSeverity ?? '',
    };
    const rule = e.rule === 'silent' && e.cause === 'offline' ? 'offline' : e.rule;
    return { condition: e.event === 'resolved' ? `resolved-${rule}` : rule, event: e.event, args };
}
