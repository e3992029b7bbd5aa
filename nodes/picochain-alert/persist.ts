/**
 * The alert engine's saved state, one snapshot per device, so a change costs a save of that device
 * only (picochain-alert.ts writes each changed device under its own context key). Pure.
 */
import type { AlertRecord, Level, RuleKind, RuleName, Severity } from './types';

/** Version of a device snapshot; anything else is not restored. */
export const SNAPSHOT_VERSION = 2;

export interface SeriesSnapshot {
    sensor: string;
    profile: string;
    unit: string | null;
    /** Reading time of the newest reading evaluated, ms. */
    lastTime: number;
    /** [reading time ms, value] within the rate window. */
    points: [number, number][];
    alerts: AlertRecord[];
}

export interface DeviceSnapshot {
    v: number;
    device: string;
    /** Node-RED clock of the device's last reading (or birth message), ms. */
    lastSeen: number;
    offline: boolean;
    silent: AlertRecord | null;
    series: SeriesSnapshot[];
}

const copyRecord = (a: AlertRecord): AlertRecord => ({
    ...a, enterSince: [null, a.enterSince[1], a.enterSince[2]], leaveSince: [null, a.leaveSince[1], a.leaveSince[2]],
});
export const copyPoints = (p: readonly [number, number][]): [number, number][] => p.map((x) => [x[0], x[1]] as [number, number]);

/** A deep copy of a snapshot (what goes to a context store, and what comes back from it). */
export function copySnapshot(s: DeviceSnapshot): DeviceSnapshot {
    return {
        v: SNAPSHOT_VERSION, device: s.device, lastSeen: s.lastSeen, offline: s.offline,
        silent: s.silent ? copyRecord(s.silent) : null,
        series: s.series.map((x) => ({ ...x, points: copyPoints(x.points), alerts: x.alerts.map(copyRecord) })),
    };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTimer = (v: unknown): boolean => v === null || isNum(v);

function isRecord(a: unknown): a is AlertRecord {
    if (!a || typeof a !== 'object') return false;
    const r = a as Partial<AlertRecord>;
    return typeof r.id === 'string' && typeof r.device === 'string' && [0, 1, 2].includes(r.level as number)
        && Array.isArray(r.enterSince) && Array.isArray(r.leaveSince)
        && r.enterSince.length === 3 && r.leaveSince.length === 3 && r.enterSince.every(isTimer) && r.leaveSince.every(isTimer);
}

/** Whether a value read back from a context store is a snapshot this version understands. */
export function isSnapshot(s: unknown): s is DeviceSnapshot {
    if (!s || typeof s !== 'object') return false;
    const o = s as Partial<DeviceSnapshot>;
    return o.v === SNAPSHOT_VERSION && typeof o.device === 'string' && o.device !== '' && isNum(o.lastSeen)
        && (o.silent === null || isRecord(o.silent)) && Array.isArray(o.series)
        && o.series.every((x) => x && typeof x.sensor === 'string' && isNum(x.lastTime) && Array.isArray(x.points) && Array.isArray(x.alerts) && x.alerts.every(isRecord));
}

/** The version-1 state (one object for the whole node, before profiles): what it held. */
interface V1Alert {
    id: string; device: string; sensor: string | null; rule: RuleName; state: 'pending' | 'firing'; severity: Severity;
    value: number | null; threshold: number | null; unit: string | null; pendingSince: number; startedAt: number | null;
    acknowledged: boolean; ackAt: number | null; lastNotifiedAt: number | null; cause?: 'timeout' | 'offline';
}
interface V1State {
    version: 1;
    alerts: V1Alert[];
    devices: [string, { lastSeen: number; offline: boolean }][];
    series: [string, { lastTime: number; points: [number, number][] }][];
}

/**
 * Converts a version-1 saved state into device snapshots: firing alerts stay firing at their
 * severity (not announced again), pending ones start over. Their profile is unknown (""): the
 * device's next reading brings it, and an alert its profile's rules no longer have is resolved.
 */
export function fromV1(saved: unknown): DeviceSnapshot[] | null {
    const o = saved as Partial<V1State>;
    if (!o || o.version !== 1 || !Array.isArray(o.alerts) || !Array.isArray(o.devices) || !Array.isArray(o.series)) return null;
    const out = new Map<string, DeviceSnapshot>();
    const dev = (id: string): DeviceSnapshot => {
        let d = out.get(id);
        if (!d) out.set(id, (d = { v: SNAPSHOT_VERSION, device: id, lastSeen: 0, offline: false, silent: null, series: [] }));
        return d;
    };
    const series = (d: DeviceSnapshot, sensor: string): SeriesSnapshot => {
        let s = d.series.find((x) => x.sensor === sensor);
        if (!s) d.series.push((s = { sensor, profile: '', unit: null, lastTime: 0, points: [], alerts: [] }));
        return s;
    };
    for (const [id, info] of o.devices) if (typeof id === 'string' && info && isNum(info.lastSeen)) Object.assign(dev(id), { lastSeen: info.lastSeen, offline: !!info.offline });
    for (const [key, s] of o.series) {
        const [device, sensor] = String(key).split('|');
        if (device && sensor && s && isNum(s.lastTime)) Object.assign(series(dev(device), sensor), { lastTime: s.lastTime, points: copyPoints(s.points || []) });
    }
    for (const a of o.alerts) {
        if (!a || a.state !== 'firing' || typeof a.device !== 'string') continue;
        const rec: AlertRecord = {
            id: a.id, device: a.device, sensor: a.sensor, rule: a.rule, profile: null, level: (a.severity === 'critical' ? 2 : 1) as Level,
            severity: a.severity, value: a.value, threshold: a.threshold, unit: a.unit, pendingSince: a.pendingSince,
            startedAt: a.startedAt, enterSince: [null, null, null], leaveSince: [null, null, null],
            acknowledged: !!a.acknowledged, ackAt: a.ackAt, lastNotifiedAt: a.lastNotifiedAt, ...(a.cause ? { cause: a.cause } : {}),
        };
        const d = dev(a.device);
        if (a.rule === 'silent') d.silent = rec;
        else if (a.sensor) series(d, a.sensor).alerts.push({ ...rec, rule: a.rule as RuleKind });
    }
    return [...out.values()];
}
