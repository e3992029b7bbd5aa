/**
 * picochain-alert types shared by the engine (core.ts), the rules (rules.ts), the severity ladder
 * (ladder.ts), the saved state (persist.ts) and the wrapper. No Node-RED import.
 */

export type Severity = 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['warning', 'critical'];
/** Announced level of an alert: 0 not (yet) announced, 1 warning, 2 critical. */
export type Level = 0 | 1 | 2;
export const LEVEL_SEVERITY: readonly (Severity | null)[] = [null, 'warning', 'critical'];
export const SEVERITY_RANK: Readonly<Record<Severity, Level>> = { warning: 1, critical: 2 };

export type AlertState = 'normal' | 'pending' | 'firing';
/** What a rule watches: high/low thresholds, rise/fall rates (unit/min), discrete states. */
export type RuleKind = 'high' | 'low' | 'rise' | 'fall' | 'state';
export const RULE_KINDS: readonly RuleKind[] = ['high', 'low', 'rise', 'fall', 'state'];
/** A rule kind, or `silent` (no data: timeout or MQTT last will), the device-level alert. */
export type RuleName = RuleKind | 'silent';
export type EventName = 'fired' | 'escalated' | 'de-escalated' | 'renotify' | 'acknowledged' | 'resolved';
export type ValueField = 'mean' | 'last' | 'min' | 'max';
export const VALUE_FIELDS: readonly ValueField[] = ['mean', 'last', 'min', 'max'];

/**
 * Cabinet kinds of the device registry (picochain-devices). A rule's profile is one of them or
 * `*` (every profile); a reading with no known profile is `unassigned` and only `*` rules judge it.
 */
export const PROFILES = ['fridge', 'freezer', 'cold-room', 'ambient', 'custom'] as const;
export type Profile = typeof PROFILES[number];
export const UNASSIGNED = 'unassigned';
export const ANY_PROFILE = '*';

/** One severity of a rule: fires beyond `fire` held `forS`, clears back past `clear` held keep-firing. */
export interface Band {
    fire: number;
    clear: number;
    /** The fire condition must hold this long (seconds of reading time) before this severity holds. */
    forS: number;
}

/**
 * One alert rule. It judges a reading only when the reading's profile, sensor and unit all match:
 * a reading whose unit differs from the rule's is never judged by it.
 */
export interface Rule {
    /** Cabinet kind (PROFILES) or `*`. */
    profile: string;
    /** Sensor name patterns (`*` wildcard), e.g. ["probe*"]; empty: every sensor. */
    sensors: string[];
    /** Unit the reading must carry, e.g. "°C", "%", "state". */
    unit: string;
    kind: RuleKind;
    /** Statistic judged (thresholds, states) or whose rate is taken (rates). */
    value: ValueField;
    /** high/low: levels in the unit; rise/fall: unit per minute (positive magnitudes). */
    warning: Band | null;
    critical: Band | null;
    /** kind `state`: the states that are the condition ("state is 0 for 10 min"). */
    states: number[];
}

export interface AlertOptions {
    rules: Rule[];
    /** Profile of readings that arrive without one (no picochain-devices in front). */
    defaultProfile: string;
    /** Window of successive readings a rate is fitted over, seconds of reading time. */
    rateWindowS: number;
    /** 'readings': least-squares slope of successive readings; 'slope': the frame's own slope. */
    rateSource: 'readings' | 'slope';
    /** Re-notify interval while firing and not acknowledged, seconds (0: never). Node-RED clock. */
    renotifyS: number;
    /**
     * Keep a severity this long after its clear condition is first met, seconds of reading time
     * (Grafana's keep_firing_for): a value flapping across a clear level neither resolves nor
     * de-escalates and comes back. Not applied to silent alerts.
     */
    keepFiringS: number;
    /** A device that sends nothing for this long (Node-RED clock) is "silent", seconds (0: off). */
    silentS: number;
    silentSeverity: Severity;
    /** Fire "silent" at once on the device's last will (status "offline"); else only after silentS. */
    offlineAlerts: boolean;
    /**
     * A reading older than its series' newest is skipped, however much older (instances sharing a
     * stream: one may deliver a backlog after another judged newer readings). Off: more than an
     * hour older, not a replay, means the device's clock jumped back and it is judged anew.
     */
    skipLate?: boolean;
}

/** What the registry (msg.cabinet) says about a device: kind, and per-sensor unit, kind, state labels. */
export interface CabinetInfo {
    device?: string;
    kind?: string | null;
    name?: string | null;
    location?: string | null;
    sensors?: Record<string, SensorInfo | undefined>;
}

export interface SensorInfo {
    unit?: string | null;
    /** A sensor can sit elsewhere than its device's cabinet (a board's own sensor reads the room). */
    kind?: string | null;
    /** Labels of a discrete sensor's states, e.g. {"0": "nothing", "1": "present"}. */
    states?: Record<string, string>;
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
    /** The profile whose rule judged the reading (null for silent). */
    profile: string | null;
    /** The severity that holds now (for resolved: the last one that held). */
    severity: Severity;
    /** The value judged: the statistic, the rate (unit/min), the state, or seconds silent. */
    value: number | null;
    /** Label of a discrete state value (rule `state`), from the registry. */
    valueLabel?: string;
    /** The level of the severity that holds (its fire level); for resolved, the clear level crossed. */
    threshold: number | null;
    unit: string | null;
    startedAt: Date;
    endedAt: Date | null;
    acknowledged: boolean;
    /** Who acknowledged (dashboards pass the logged-in user), when known. */
    by?: string;
    /** When the event happened (the Node-RED clock). */
    at: Date;
    /** For silent: 'timeout' or 'offline' (last will). */
    cause?: 'timeout' | 'offline';
    /** For escalated and de-escalated: the severity before. */
    previousSeverity?: Severity;
    /** For resolved when a rule stopped applying (profile or unit changed, rule removed). */
    reason?: 'unconfigured';
}

/** A pending or firing alert, as kept in memory and saved (times in ms since epoch). */
export interface AlertRecord {
    id: string;
    device: string;
    sensor: string | null;
    rule: RuleName;
    profile: string | null;
    /** Announced level: 0 pending (nothing announced yet), 1 warning, 2 critical. */
    level: Level;
    /** Candidate severity while pending: the highest whose fire condition currently holds. */
    severity: Severity;
    value: number | null;
    valueLabel?: string;
    threshold: number | null;
    unit: string | null;
    /** Node-RED clock when the alert became pending / was first announced. */
    pendingSince: number;
    startedAt: number | null;
    /** Reading time since which each level's fire condition holds (index 1, 2), levels above `level`. */
    enterSince: [null, number | null, number | null];
    /** Reading time since which each level's clear condition holds (index 1, 2), levels at or below `level`. */
    leaveSince: [null, number | null, number | null];
    acknowledged: boolean;
    ackAt: number | null;
    ackBy?: string;
    lastNotifiedAt: number | null;
    cause?: 'timeout' | 'offline';
}

/** What a dashboard needs about one alert. */
export interface AlertSummary {
    id: string;
    device: string;
    sensor: string | null;
    rule: RuleName;
    profile: string | null;
    state: 'pending' | 'firing';
    severity: Severity;
    value: number | null;
    valueLabel?: string;
    threshold: number | null;
    unit: string | null;
    acknowledged: boolean;
    startedAt: Date | null;
}

/** The alert state of a reading (output 2's msg.alert). */
export interface AlertStatus {
    state: AlertState;
    severity: Severity | null;
    active: AlertSummary[];
}

/** A device as the pages show it (output 3): presence and the worst alert, per sensor too. */
export interface DeviceState {
    device: string;
    /** online: spoke within the silence time; offline: last will received; silent: the silent alert fires. */
    presence: 'online' | 'offline' | 'silent';
    /** Node-RED clock of the last reading or birth message, ms. */
    lastSeen: number;
    state: AlertState;
    severity: Severity | null;
    sensors: Record<string, { state: AlertState; severity: Severity | null; profile: string | null; unit: string | null }>;
}

/** An ack selector: an alert id, or device with optional sensor and rule; `by` is recorded. */
export interface AckSelector {
    id?: string;
    device?: string;
    sensor?: string | null;
    rule?: string;
    by?: string;
}

/** Thrown for input the engine cannot evaluate; the wrapper turns it into done(err). */
export class AlertInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'AlertInputError';
    }
}
