/**
 * The alert engine's state, apart from its rules: devices and their series, the indexes that keep
 * a tick cheap (devices by last reading, firing alerts by last notification), the devices changed
 * since they were last saved, and per-device snapshots (persist.ts) in and out. core.ts adds the
 * rules. Pure: no Node-RED, no clock.
 */
import type { AlertRecord, AlertSummary, DeviceState, RuleKind } from './types';
import { summarise, toSummary } from './summary';
import { DeviceSnapshot, SNAPSHOT_VERSION, copyPoints, copySnapshot } from './persist';

/** After a restart a device already silent too long gets this long (or the silence time, if shorter) to speak. */
export const RESTART_GRACE_MS = 60e3;

export interface Series {
    sensor: string;
    profile: string;
    unit: string | null;
    lastTime: number;
    points: [number, number][];
    alerts: Map<RuleKind, AlertRecord>;
}

export interface Device {
    device: string;
    lastSeen: number;
    offline: boolean;
    silent: AlertRecord | null;
    series: Map<string, Series>;
}

export class EngineState {
    protected devices = new Map<string, Device>();
    /** Devices without a silent alert, oldest lastSeen first (a device that speaks moves to the end). */
    protected watch = new Map<string, Device>();
    /** Every pending or firing alert by id. */
    protected byId = new Map<string, AlertRecord>();
    /** Firing, unacknowledged alerts, least recently notified first. */
    protected reminders = new Map<string, AlertRecord>();
    protected dirty = new Set<string>();
    /** Until then, devices already overdue at the restore get time to speak (see restore). */
    protected silenceFrom = 0;
    protected restoredAt = 0;

    /** The alert state of a device+sensor, including the device-level silent alert. */
    statusOf(device: string, sensor: string) {
        const d = this.devices.get(device);
        if (!d) return { state: 'normal' as const, severity: null, active: [] };
        const list = [...(d.series.get(sensor)?.alerts.values() ?? [])];
        if (d.silent) list.push(d.silent);
        return summarise(list);
    }

    /** What the pages show of a device: presence and the worst alert, overall and per sensor. */
    deviceState(device: string): DeviceState | null {
        const d = this.devices.get(device);
        if (!d) return null;
        const sensors: DeviceState['sensors'] = {};
        for (const s of d.series.values()) {
            const st = summarise([...s.alerts.values()]);
            sensors[s.sensor] = { state: st.state, severity: st.severity, profile: s.profile || null, unit: s.unit };
        }
        const all = summarise(this.alertsOf(device));
        return {
            device, presence: d.silent && d.silent.level > 0 ? 'silent' : d.offline ? 'offline' : 'online',
            lastSeen: d.lastSeen, state: all.state, severity: all.severity, sensors,
        };
    }

    /** Every device the engine knows, in no particular order. */
    deviceIds(): string[] {
        return [...this.devices.keys()];
    }

    /** Every pending or firing alert. */
    active(): AlertSummary[] {
        return [...this.byId.values()].map(toSummary);
    }

    counts(): { firing: number; pending: number; acknowledged: number } {
        let firing = 0, pending = 0, acknowledged = 0;
        for (const a of this.byId.values()) {
            if (a.level > 0) {
                firing++;
                if (a.acknowledged) acknowledged++;
            } else pending++;
        }
        return { firing, pending, acknowledged };
    }

    /**
     * Up to `limit` of the devices changed since they were last taken (their snapshot, or null when
     * forgotten); the rest stay for the next call, so one save never holds the node for long.
     */
    takeDirty(limit = Infinity): Map<string, DeviceSnapshot | null> {
        const out = new Map<string, DeviceSnapshot | null>();
        for (const id of this.dirty) {
            if (out.size >= limit) break;
            out.set(id, this.snapshot(id));
            this.dirty.delete(id);
        }
        return out;
    }

    /** A device's state is saved elsewhere (a shared store): no longer changed for takeDirty. */
    markSaved(device: string): void {
        this.dirty.delete(device);
    }

    /** How many devices wait to be saved. */
    dirtyCount(): number {
        return this.dirty.size;
    }

    /** One device's state as plain JSON (no Dates, no Maps), or null when unknown. */
    snapshot(device: string): DeviceSnapshot | null {
        const d = this.devices.get(device);
        if (!d) return null;
        return copySnapshot({
            v: SNAPSHOT_VERSION, device, lastSeen: d.lastSeen, offline: d.offline, silent: d.silent,
            series: [...d.series.values()].map((s) => ({ sensor: s.sensor, profile: s.profile, unit: s.unit, lastTime: s.lastTime, points: s.points, alerts: [...s.alerts.values()] })),
        });
    }

    /**
     * Restores device snapshots (persist.ts), emitting nothing: a firing alert stays firing and is
     * not announced again. Silence counts from each device's saved last reading; devices already
     * overdue at the restart get RESTART_GRACE_MS (or the silence time, if shorter) to speak first.
     */
    protected restoreSnapshots(snapshots: readonly DeviceSnapshot[], now: number, silentS: number): void {
        for (const snap of [...snapshots].sort((a, b) => a.lastSeen - b.lastSeen)) this.install(snap);
        const firing = [...this.devices.values()].flatMap((d) => this.alertsOf(d.device));
        for (const a of firing.filter((x) => x.level > 0 && !x.acknowledged).sort((x, y) => (x.lastNotifiedAt ?? 0) - (y.lastNotifiedAt ?? 0))) this.reminders.set(a.id, a);
        this.restoredAt = now;
        this.silenceFrom = now + Math.min(silentS * 1000, RESTART_GRACE_MS);
    }

    /**
     * Replaces one device's state with a snapshot read back from a shared store (null: forgotten),
     * emitting nothing and leaving it unchanged for takeDirty. The device goes to the end of the
     * time-ordered indexes: a snapshot another instance just wrote is the most recent one, within
     * the instances' clock difference (seconds, against silence and re-notify times of minutes).
     */
    replaceDevice(device: string, snap: DeviceSnapshot | null): void {
        this.forget(device);
        this.dirty.delete(device);
        if (!snap) return;
        const d = this.install(snap);
        for (const a of this.alertsOf(d.device)) if (a.level > 0 && !a.acknowledged) this.reminders.set(a.id, a);
    }

    /** Drops a device and its alerts from every index. */
    protected forget(device: string): void {
        for (const a of this.alertsOf(device)) { this.byId.delete(a.id); this.reminders.delete(a.id); }
        this.devices.delete(device);
        this.watch.delete(device);
    }

    /** A snapshot as a device in the indexes (reminders excepted: the caller orders them). */
    private install(snap: DeviceSnapshot): Device {
        const s = copySnapshot(snap);
        const d: Device = { device: s.device, lastSeen: s.lastSeen, offline: s.offline, silent: s.silent, series: new Map() };
        for (const x of s.series) d.series.set(x.sensor, { sensor: x.sensor, profile: x.profile, unit: x.unit, lastTime: x.lastTime, points: copyPoints(x.points), alerts: new Map(x.alerts.map((a) => [a.rule as RuleKind, a])) });
        this.forget(d.device);
        this.devices.set(d.device, d);
        if (!d.silent) this.watch.set(d.device, d);
        for (const a of this.alertsOf(d.device)) this.byId.set(a.id, a);
        return d;
    }

    protected alertsOf(device: string): AlertRecord[] {
        const d = this.devices.get(device);
        if (!d) return [];
        const out: AlertRecord[] = [];
        for (const s of d.series.values()) for (const a of s.alerts.values()) out.push(a);
        if (d.silent) out.push(d.silent);
        return out;
    }
}
