/**
 * The shared alert state (shared.ts) in a MongoDB collection: one document per revision of a
 * device's state, `_id` "<group>/<rev>/<device>". Writing revision n+1 is an insert, and the
 * unique `_id` lets exactly one instance write it: the compare-and-set is the database's own
 * duplicate-key refusal, atomic on MongoDB and on FerretDB alike (FerretDB 1.24 runs an update's
 * filter and its write as two steps, so `updateOne({_id, rev: n})` could let two writers through;
 * an insert cannot). Superseded revisions are removed after a while (prune).
 */
import type { Collection, Document } from 'mongodb';
import type { AlertEvent } from './types';
import { isSnapshot } from './persist';
import type { SharedStore, StoredState } from './shared';

const DUPLICATE_KEY = 11000;
/** Revisions read at once by loadAll (devices of a group, with a few superseded ones each). */
const BATCH = 5000;

interface RevisionDoc {
    _id: string;
    g: string;
    d: string;
    rev: number;
    snap: unknown;
    events: unknown[];
    by: string;
    at: Date;
}

const EVENT_DATES = ['startedAt', 'endedAt', 'at'] as const;

/** An event read back (its dates as Date, as the engine made them). */
function reviveEvent(e: unknown): AlertEvent | null {
    if (!e || typeof e !== 'object') return null;
    const out = { ...(e as Record<string, unknown>) };
    for (const k of EVENT_DATES) if (out[k] !== null && out[k] !== undefined && !(out[k] instanceof Date)) out[k] = new Date(out[k] as string);
    return typeof out.event === 'string' && typeof out.device === 'string' ? out as unknown as AlertEvent : null;
}

function toState(doc: RevisionDoc): StoredState | null {
    if (typeof doc.d !== 'string' || typeof doc.rev !== 'number') return null;
    const snap = doc.snap === null ? null : isSnapshot(doc.snap) ? doc.snap : undefined;
    if (snap === undefined) return null;
    const events = (Array.isArray(doc.events) ? doc.events : []).map(reviveEvent).filter((e): e is AlertEvent => e !== null);
    return { device: doc.d, rev: doc.rev, snap, events, by: String(doc.by ?? ''), at: doc.at instanceof Date ? doc.at.getTime() : Number(doc.at) };
}

export class MongoSharedStore implements SharedStore {
    private ready: Promise<void> | null = null;

    /** `coll()` gives the collection (waits while the database is away); `group` = the instances sharing it. */
    constructor(private readonly coll: () => Promise<Collection<Document>>, readonly group: string) {}

    private async c(): Promise<Collection<Document>> {
        const c = await this.coll();
        if (!this.ready) {
            // the latest revision of a device, and what changed since a time
            this.ready = Promise.all([
                c.createIndex({ g: 1, d: 1, rev: -1 }),
                c.createIndex({ g: 1, at: 1 }),
            ]).then(() => undefined, (err) => { this.ready = null; throw err; });
        }
        await this.ready;
        return c;
    }

    private idOf(device: string, rev: number): string {
        return `${this.group}/${rev}/${device}`;
    }

    async loadAll(): Promise<StoredState[]> {
        const c = await this.c();
        const latest = new Map<string, StoredState>();
        const cursor = c.find({ g: this.group }, { batchSize: BATCH, projection: { events: 0 } });
        for await (const doc of cursor) {
            const s = toState({ ...(doc as unknown as RevisionDoc), events: [] });
            if (!s) continue;
            const l = latest.get(s.device);
            if (!l || s.rev > l.rev) latest.set(s.device, s);
        }
        return [...latest.values()];
    }

    async load(device: string): Promise<StoredState | null> {
        const c = await this.c();
        const [doc] = await c.find({ g: this.group, d: device }).sort({ rev: -1 }).limit(1).toArray();
        return doc ? toState(doc as unknown as RevisionDoc) : null;
    }

    async exists(device: string, rev: number): Promise<boolean> {
        const c = await this.c();
        return (await c.findOne({ _id: this.idOf(device, rev) } as Document, { projection: { _id: 1 } })) !== null;
    }

    async commit(s: StoredState): Promise<boolean> {
        const c = await this.c();
        const doc: RevisionDoc = { _id: this.idOf(s.device, s.rev), g: this.group, d: s.device, rev: s.rev, snap: s.snap, events: s.events, by: s.by, at: new Date(s.at) };
        try {
            await c.insertOne(doc as unknown as Document);
            return true;
        } catch (err) {
            if ((err as { code?: unknown }).code === DUPLICATE_KEY) return false;
            throw err;
        }
    }

    async changedSince(since: number): Promise<StoredState[]> {
        const c = await this.c();
        const docs = await c.find({ g: this.group, at: { $gte: new Date(since) } }).toArray();
        return docs.map((d) => toState(d as unknown as RevisionDoc)).filter((s): s is StoredState => s !== null);
    }

    async prune(list: { device: string; below: number }[], before: number): Promise<void> {
        if (!list.length) return;
        const c = await this.c();
        for (let i = 0; i < list.length; i += 200) {
            const part = list.slice(i, i + 200);
            await c.deleteMany({ g: this.group, at: { $lt: new Date(before) }, $or: part.map((p) => ({ d: p.device, rev: { $lt: p.below } })) });
        }
    }
}
