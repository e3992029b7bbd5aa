/**
 * picochain-devices core: the device registry (pure, no Node-RED or MongoDB import). Each device
 * has a display name, a location, a cabinet kind (the alert profile) and its sensors with units;
 * readings are annotated with it, unknown devices are recorded unassigned (the Fleet page lists
 * them to be assigned), and a new sensor's unit is learned from its first reading.
 *
 * Every change is returned as a MongoDB update of that one device's document ({_id: device}),
 * so the wrapper writes only what changed.
 */
import { ID_PATTERN, SENSOR_PATTERN, Reading } from '../shared/reading';

export const CABINET_KINDS = ['fridge', 'freezer', 'cold-room', 'ambient', 'custom'] as const;
export type CabinetKind = typeof CABINET_KINDS[number];
const MAX_TEXT = 64;
const MAX_STATES = 32;

export interface SensorEntry {
    /** Unit of the sensor's values ("°C", "%", "state"); null when unknown. */
    unit: string | null;
    /** Where the sensor is, when not in its device's cabinet (a board's own sensor reads the room). */
    kind?: CabinetKind | null;
    /** Labels of a discrete sensor's states, e.g. {"0": "nothing", "1": "present", "2": "surplus"}. */
    states?: Record<string, string>;
}

export interface DeviceEntry {
    device: string;
    name: string | null;
    location: string | null;
    /** The cabinet kind, i.e. the alert profile; null: not assigned yet. */
    kind: CabinetKind | null;
    sensors: Record<string, SensorEntry>;
    firstSeen: Date;
    updatedAt: Date;
    assignedAt: Date | null;
    assignedBy: string | null;
}

/** A change to write: insert a new document, or $set fields of an existing one, or delete it. */
export type Change =
    | { op: 'insert'; device: string; doc: Record<string, unknown> }
    | { op: 'set'; device: string; set: Record<string, unknown> }
    | { op: 'delete'; device: string };

/** What the alert node reads from msg.cabinet (picochain-alert/types.ts CabinetInfo). */
export interface Cabinet {
    device: string;
    kind: CabinetKind | null;
    name: string | null;
    location: string | null;
    sensors: Record<string, SensorEntry>;
}

/** A refused request: a catalog key under `picochain-devices.errors.` and its arguments. */
export class RegistryError extends Error {
    constructor(readonly key: string, readonly args: Record<string, string | number> = {}, message?: string) {
        super(message ?? `${key} ${JSON.stringify(args)}`);
        this.name = 'RegistryError';
    }
}

/** What picochain firmware sensors are, unless the registry says otherwise. */
export function learnedSensor(r: Pick<Reading, 'sensor' | 'unit' | 'source'>): SensorEntry {
    const picochain = r.source === 'json-v1' || r.source === 'binary-v1' || r.source === 'ttn-v3';
    // the Pico's own die sensor ("temperature") sits on the board, outside the cabinet: it reads the room
    if (picochain && r.sensor === 'temperature') return { unit: r.unit ?? '°C', kind: 'ambient' };
    if (r.sensor === 'door' && (r.unit === null || r.unit === 'state')) return { unit: 'state', states: { 0: 'closed', 1: 'open' } };
    return { unit: r.unit ?? null };
}

const text = (v: unknown, field: string): string | null => {
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string' || v.length > MAX_TEXT || /[\u0000-\u001f]/.test(v)) throw new RegistryError('bad-text', { field, max: MAX_TEXT });
    return v.trim() || null;
};

function kindOf(v: unknown, field: string): CabinetKind | null {
    if (v === null || v === '' || v === 'unassigned') return null;
    if (typeof v !== 'string' || !(CABINET_KINDS as readonly string[]).includes(v)) throw new RegistryError('bad-kind', { field, kind: String(v), kinds: CABINET_KINDS.join(', ') });
    return v as CabinetKind;
}

/** Checks a sensor override of an assignment ({unit?, kind?, states?}). */
function sensorOverride(name: string, v: unknown, before: SensorEntry | undefined): SensorEntry {
    if (!SENSOR_PATTERN.test(name)) throw new RegistryError('bad-sensor', { sensor: name });
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RegistryError('bad-sensor', { sensor: name });
    const o = v as Record<string, unknown>;
    const out: SensorEntry = { unit: before ? before.unit : null, ...(before?.kind ? { kind: before.kind } : {}), ...(before?.states ? { states: { ...before.states } } : {}) };
    if ('unit' in o) out.unit = text(o.unit, `sensors.${name}.unit`);
    if ('kind' in o) {
        const k = kindOf(o.kind, `sensors.${name}.kind`);
        if (k) out.kind = k; else delete out.kind;
    }
    if ('states' in o) {
        const s = o.states;
        if (s === null) delete out.states;
        else {
            if (!s || typeof s !== 'object' || Array.isArray(s) || Object.keys(s).length > MAX_STATES) throw new RegistryError('bad-states', { sensor: name, max: MAX_STATES });
            const states: Record<string, string> = {};
            for (const [k, label] of Object.entries(s as Record<string, unknown>)) {
                if (!/^-?\d{1,6}$/.test(k)) throw new RegistryError('bad-states', { sensor: name, max: MAX_STATES });
                states[String(Number(k))] = text(label, `sensors.${name}.states.${k}`) ?? k;
            }
            out.states = states;
            if (out.unit === null) out.unit = 'state';
        }
    }
    return out;
}

/** The document stored for an entry (dates as Dates: BSON dates in MongoDB). */
export function toDoc(e: DeviceEntry): Record<string, unknown> {
    return {
        _id: e.device, name: e.name, location: e.location, kind: e.kind, sensors: e.sensors,
        firstSeen: e.firstSeen, updatedAt: e.updatedAt, assignedAt: e.assignedAt, assignedBy: e.assignedBy,
    };
}

/** An entry from a stored document, or null when it is not one (logged by the wrapper, never fatal). */
export function fromDoc(d: Record<string, unknown>): DeviceEntry | null {
    const id = d._id;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return null;
    const date = (v: unknown): Date | null => (v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : null);
    let kind: CabinetKind | null = null;
    try { kind = kindOf(d.kind ?? null, 'kind'); } catch { return null; }
    const sensors: Record<string, SensorEntry> = {};
    if (d.sensors && typeof d.sensors === 'object') {
        for (const [name, s] of Object.entries(d.sensors as Record<string, unknown>)) {
            try { sensors[name] = sensorOverride(name, s, undefined); } catch { /* a bad sensor entry is skipped, not the device */ }
        }
    }
    const str = (v: unknown) => (typeof v === 'string' && v ? v.slice(0, MAX_TEXT) : null);
    const firstSeen = date(d.firstSeen) ?? new Date(0);
    return {
        device: id, name: str(d.name), location: str(d.location), kind, sensors, firstSeen,
        updatedAt: date(d.updatedAt) ?? firstSeen, assignedAt: date(d.assignedAt), assignedBy: str(d.assignedBy),
    };
}

/** An assignment as the Fleet page (or a flow) sends it. */
export interface Assignment {
    device: string;
    kind?: string | null;
    name?: string | null;
    location?: string | null;
    sensors?: Record<string, unknown>;
    by?: string;
}

export class Registry {
    private entries = new Map<string, DeviceEntry>();

    /** Replaces the registry with stored documents; returns the ones refused. */
    load(docs: Record<string, unknown>[]): number {
        const next = new Map<string, DeviceEntry>();
        let bad = 0;
        for (const d of docs) {
            const e = fromDoc(d);
            if (e) next.set(e.device, e); else bad++;
        }
        this.entries = next;
        return bad;
    }

    get(device: string): DeviceEntry | undefined {
        return this.entries.get(device);
    }

    get size(): number {
        return this.entries.size;
    }

    unassigned(): number {
        let n = 0;
        for (const e of this.entries.values()) if (!e.kind) n++;
        return n;
    }

    /** Every entry, unassigned ones first, then by device id. */
    list(): DeviceEntry[] {
        return [...this.entries.values()].sort((a, b) => Number(!!a.kind) - Number(!!b.kind) || a.device.localeCompare(b.device));
    }

    /**
     * A reading went by: an unknown device is recorded (unassigned), a new sensor with its learned
     * unit, a sensor whose reported unit changed gets it. Returns the change to store, or null.
     */
    observe(r: Pick<Reading, 'device' | 'sensor' | 'unit' | 'source'>, now: Date): Change | null {
        const e = this.entries.get(r.device);
        if (!e) {
            const entry: DeviceEntry = {
                device: r.device, name: null, location: null, kind: null, sensors: { [r.sensor]: learnedSensor(r) },
                firstSeen: now, updatedAt: now, assignedAt: null, assignedBy: null,
            };
            this.entries.set(r.device, entry);
            return { op: 'insert', device: r.device, doc: toDoc(entry) };
        }
        const s = e.sensors[r.sensor];
        if (!s) {
            e.sensors[r.sensor] = learnedSensor(r);
            e.updatedAt = now;
            return { op: 'set', device: r.device, set: { [`sensors.${r.sensor}`]: e.sensors[r.sensor], updatedAt: now } };
        }
        if (r.unit !== null && r.unit !== s.unit) {
            s.unit = r.unit; // the device says so
            e.updatedAt = now;
            return { op: 'set', device: r.device, set: { [`sensors.${r.sensor}.unit`]: r.unit, updatedAt: now } };
        }
        return null;
    }

    /** Assigns a device (known or not): kind, name, location, sensor overrides. Throws RegistryError. */
    assign(a: Assignment, now: Date): Change {
        if (!a || typeof a !== 'object') throw new RegistryError('bad-assignment');
        if (typeof a.device !== 'string' || !ID_PATTERN.test(a.device)) throw new RegistryError('bad-device', { device: String(a && a.device) });
        const before = this.entries.get(a.device);
        const e: DeviceEntry = before
            ? { ...before, sensors: { ...before.sensors } }
            : { device: a.device, name: null, location: null, kind: null, sensors: {}, firstSeen: now, updatedAt: now, assignedAt: null, assignedBy: null };
        if ('kind' in a) e.kind = kindOf(a.kind, 'kind');
        if ('name' in a) e.name = text(a.name, 'name');
        if ('location' in a) e.location = text(a.location, 'location');
        if (a.sensors !== undefined) {
            if (!a.sensors || typeof a.sensors !== 'object' || Array.isArray(a.sensors)) throw new RegistryError('bad-assignment');
            for (const [name, v] of Object.entries(a.sensors)) e.sensors[name] = sensorOverride(name, v, e.sensors[name]);
        }
        e.updatedAt = now;
        e.assignedAt = now;
        e.assignedBy = text(a.by, 'by');
        this.entries.set(e.device, e);
        if (!before) return { op: 'insert', device: e.device, doc: toDoc(e) };
        const { _id, firstSeen, ...set } = toDoc(e);
        void _id; void firstSeen;
        return { op: 'set', device: e.device, set };
    }

    /** Forgets a device (it is recorded again, unassigned, if it sends). */
    remove(device: string): Change | null {
        if (!this.entries.delete(device)) return null;
        return { op: 'delete', device };
    }

    /** msg.cabinet for a device's readings, or null when the device is unknown. */
    cabinet(device: string): Cabinet | null {
        const e = this.entries.get(device);
        if (!e) return null;
        return { device: e.device, kind: e.kind, name: e.name, location: e.location, sensors: e.sensors };
    }
}

/** An entry as output 2 sends it (JSON-friendly: ISO dates). */
export function listed(e: DeviceEntry): Record<string, unknown> {
    return {
        device: e.device, name: e.name, location: e.location, kind: e.kind, sensors: e.sensors,
        firstSeen: e.firstSeen.toISOString(), updatedAt: e.updatedAt.toISOString(),
        assignedAt: e.assignedAt ? e.assignedAt.toISOString() : null, assignedBy: e.assignedBy,
    };
}
