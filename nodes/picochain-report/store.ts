/**
 * The log's database side in MongoDB (or FerretDB): readings from the writer's collection, cabinets
 * from the device registry's, and the log's own collection of entries (append-only: insertOne,
 * never an update; the only deletion is the retention purge). Implements core.ts's LogStore.
 */
import type { Collection, Db, Document } from 'mongodb';
import { windowLine, Window } from './daylog';
import type { Entry } from './ledger';
import type { LogStore } from './core';

export interface StoreNames {
    readings: string;
    timeField: string;
    metaField: string;
    devices: string;
    log: string;
}

const ms = (v: unknown): number | null => (v instanceof Date ? v.getTime() : typeof v === 'string' || typeof v === 'number' ? new Date(v).getTime() : null);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A stored reading document as the log reads it (null when it has no usable time). */
export function docToWindow(d: Record<string, unknown>, timeField: string): Window | null {
    const time = ms(d[timeField]);
    if (time === null || !Number.isFinite(time)) return null;
    const fields = {
        time, receivedAt: ms(d.receivedAt), deviceTime: ms(d.deviceTime), window: d.window, count: d.count, min: d.min, max: d.max,
        mean: d.mean, std: d.std, slope: d.slope, last: d.last, state: d.state, seq: d.seq, fault: d.fault,
    };
    return {
        time, window: numOrNull(d.window), count: numOrNull(d.count), min: numOrNull(d.min), max: numOrNull(d.max), mean: numOrNull(d.mean),
        last: numOrNull(d.last), receivedAt: fields.receivedAt, line: windowLine(fields),
    };
}

const isDuplicate = (e: unknown): boolean => !!e && typeof e === 'object' && ((e as { code?: unknown }).code === 11000 || /E11000|duplicate key/i.test(String((e as { message?: unknown }).message)));

export class MongoLogStore implements LogStore {
    private indexed: Promise<void> | null = null;

    constructor(private readonly db: () => Promise<Db>, private readonly n: StoreNames) {}

    private async col(name: string): Promise<Collection<Document>> {
        return (await this.db()).collection(name);
    }

    private async log(): Promise<Collection<Document>> {
        const c = await this.col(this.n.log);
        if (!this.indexed) this.indexed = Promise.all([c.createIndex({ chain: 1, seq: 1 }), c.createIndex({ date: 1 })]).then(() => undefined, () => { this.indexed = null; });
        await this.indexed;
        return c;
    }

    private filter(device: string, sensor: string): Document {
        return { [`${this.n.metaField}.device`]: device, [`${this.n.metaField}.sensor`]: sensor };
    }

    async registry(): Promise<Record<string, unknown>[]> {
        return (await this.col(this.n.devices)).find({}).toArray();
    }

    async windows(probes: { device: string; sensor: string }[], from: number, to: number): Promise<Map<string, Window[]>> {
        const out = new Map<string, Window[]>(probes.map((p) => [`${p.device}/${p.sensor}`, []]));
        if (!probes.length) return out;
        const m = this.n.metaField;
        const devices = [...new Set(probes.map((p) => p.device))];
        const sensors = [...new Set(probes.map((p) => p.sensor))];
        const docs = await (await this.col(this.n.readings)).find({
            [`${m}.device`]: devices.length === 1 ? devices[0] : { $in: devices },
            [`${m}.sensor`]: sensors.length === 1 ? sensors[0] : { $in: sensors },
            [this.n.timeField]: { $gte: new Date(from), $lt: new Date(to) },
        }, { projection: { _id: 0 } }).sort({ [this.n.timeField]: 1 }).toArray();
        for (const d of docs) {
            const meta = (d[m] ?? {}) as { device?: unknown; sensor?: unknown };
            const list = out.get(`${String(meta.device)}/${String(meta.sensor)}`);
            const w = list && docToWindow(d, this.n.timeField);
            if (w) (list as Window[]).push(w);
        }
        return out;
    }

    async firstReading(device: string, sensor: string): Promise<number | null> {
        const [d] = await (await this.col(this.n.readings)).find(this.filter(device, sensor), { projection: { [this.n.timeField]: 1 } })
            .sort({ [this.n.timeField]: 1 }).limit(1).toArray();
        return d ? ms(d[this.n.timeField]) : null;
    }

    async entries(chain: string, fromDate?: string): Promise<Entry[]> {
        return (await (await this.log()).find({ chain, ...(fromDate ? { date: { $gte: fromDate } } : {}) }).sort({ seq: 1 }).toArray()) as unknown as Entry[];
    }

    async all(): Promise<Entry[]> {
        return (await (await this.log()).find({}).sort({ chain: 1, seq: 1 }).toArray()) as unknown as Entry[];
    }

    async head(chain: string): Promise<Entry | null> {
        const [e] = await (await this.log()).find({ chain }).sort({ seq: -1 }).limit(1).toArray();
        return (e as unknown as Entry) ?? null;
    }

    async lastDay(chain: string): Promise<Entry | null> {
        const [e] = await (await this.log()).find({ chain, type: 'day' }).sort({ seq: -1 }).limit(1).toArray();
        return (e as unknown as Entry) ?? null;
    }

    async insert(e: Entry): Promise<boolean> {
        try {
            // through JSON: no undefined reaches the database (the driver would store null, and the hash skips undefined)
            await (await this.log()).insertOne(JSON.parse(JSON.stringify(e)));
            return true;
        } catch (err) {
            if (isDuplicate(err)) return false;
            throw err;
        }
    }

    async purge(date: string): Promise<number> {
        return (await (await this.log()).deleteMany({ date: { $lt: date } })).deletedCount ?? 0;
    }
}
