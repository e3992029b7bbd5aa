/**
 * The shared alert state (shared.ts) in a MongoDB collection: one document per revision of a
 * device's state, `_id` "<group>/<rev>/<device>". Writing revision n+1 is an insert, and the
 * unique `_id` lets exactly one instance write it: the compare-and-set is the database's own
 * duplicate-key refusal, atomic on MongoDB and on FerretDB alike (FerretDB 1.24 runs an update's
 * filter and its write as two steps, so `updateOne({_id, rev: n})` could let two writers through;
 * an insert cannot). Superseded revisions are removed after a while (prune). Calls take many
 * devices at once (shared.ts batches them): one unordered insertMany reports each refused revision
 * by its index (MongoDB and FerretDB 1.24 alike), the others being written. Checks and reads of
 * recent revisions are lookups by `_id` (the only lookup FerretDB 1.24 answers from an index).
 */
import type { Collection, Document } from 'mongodb';
import type { AlertEvent } from './types';
import { isSnapshot } from './persist';
import type { SharedStore, StoredState } from './shared';

const DUPLICATE_KEY = 11000;
/** Revisions read at once by loadAll (devices of a group, with a few superseded ones each). */
const BATCH = 5000;
/** Lookups by key in flight at once per call. */
const LOOKUPS = 32;

/** `fn` on each item, at most `limit` at once; results in the items' order. */
async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const i = next++;
            out[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return out;
}

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

    /** The newest revision of each device among the revisions `filter` finds (events left out). */
    private async newest(filter: Document): Promise<Map<string, StoredState>> {
        const c = await this.c();
        const latest = new Map<string, StoredState>();
        // every revision kept (superseded ones until pruned): the newest wins
        const cursor = c.find({ g: this.group, ...filter }, { batchSize: BATCH, projection: { events: 0 } });
        for await (const doc of cursor) {
            const s = toState({ ...(doc as unknown as RevisionDoc), events: [] });
            if (!s) continue;
            const l = latest.get(s.device);
            if (!l || s.rev > l.rev) latest.set(s.device, s);
        }
        return latest;
    }

    async loadAll(): Promise<StoredState[]> {
        return [...(await this.newest({})).values()];
    }

    async loadLatest(devices: string[]): Promise<(StoredState | null)[]> {
        if (!devices.length) return [];
        const latest = await this.newest({ d: { $in: devices } });
        return devices.map((d) => latest.get(d) ?? null);
    }

    async follow(keys: { device: string; rev: number }[]): Promise<(StoredState | null)[]> {
        const c = await this.c();
        return inParallel(keys, LOOKUPS, async ({ device, rev }) => {
            // revision `rev` is known to exist: count up by key to the last one
            let found: StoredState | null = null;
            for (let r = rev; ; r++) {
                const doc = await c.findOne({ _id: this.idOf(device, r) } as Document);
                const s = doc ? toState(doc as unknown as RevisionDoc) : null;
                if (!s) return found;
                found = s;
            }
        });
    }

    async existing(keys: { device: string; rev: number }[]): Promise<boolean[]> {
        const c = await this.c();
        // one lookup by key each: FerretDB 1.24 answers `_id` equality from its primary key, but
        // scans the collection for `_id: {$in}` (about 15× slower on 5 000 revisions)
        return inParallel(keys, LOOKUPS, async (k) => (await c.findOne({ _id: this.idOf(k.device, k.rev) } as Document, { projection: { _id: 1 } })) !== null);
    }

    async commitMany(list: StoredState[]): Promise<(boolean | Error)[]> {
        if (!list.length) return [];
        const c = await this.c();
        const docs: RevisionDoc[] = list.map((s) => ({ _id: this.idOf(s.device, s.rev), g: this.group, d: s.device, rev: s.rev, snap: s.snap, events: s.events, by: s.by, at: new Date(s.at) }));
        const out: (boolean | Error)[] = list.map(() => true);
        try {
            // unordered: every document is tried; each refusal is reported with its index
            await c.insertMany(docs as unknown as Document[], { ordered: false });
        } catch (err) {
            const raw = (err as { writeErrors?: unknown }).writeErrors;
            const failed = (Array.isArray(raw) ? raw : raw ? [raw] : []) as { index?: unknown; code?: unknown; errmsg?: unknown }[];
            // no per-document report: which were written is unknown, so all wait and retry
            if (!failed.length || failed.some((w) => typeof w.index !== 'number' || !(w.index in out))) throw err;
            for (const w of failed) out[w.index as number] = w.code === DUPLICATE_KEY ? false : new Error(String(w.errmsg ?? `write error ${String(w.code)}`));
            // a refused revision written by this very call before (its answer lost): written
            const refused = out.map((r, i) => (r === false ? i : -1)).filter((i) => i >= 0);
            const mine = await inParallel(refused, LOOKUPS, async (i) => {
                const had = await c.findOne({ _id: docs[i]._id } as Document, { projection: { by: 1, at: 1 } });
                return !!had && had.by === docs[i].by && had.at instanceof Date && had.at.getTime() === docs[i].at.getTime();
            });
            refused.forEach((i, k) => { if (mine[k]) out[i] = true; });
        }
        return out;
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
