/**
 * The writer's Store and ModeProbe on the mongodb driver: collection preparation (native
 * time-series or fallback with index + own purge), unordered insertMany with duplicate-key
 * errors counted as "already stored", and the existing-keys query for native mode.
 */
import { createHash } from 'crypto';
import type { Collection, Db, Document } from 'mongodb';
import { CollectionInfo, detectMode, DUPLICATE_KEY, explainCanUseIndex, Granularity, isTransientError, ModeDecision, ModeProbe } from './mode';
import { InsertOutcome, Store } from './core';
import { DocFields, ReadingDoc } from './document';
import { fingerprint, VALUE_FIELDS } from './record';

export interface StoreSettings {
    collection: string;
    timeField: string;
    metaField: string;
    granularity: Granularity;
    /** expireAfterSeconds, 0 = keep. */
    retentionS: number;
}

/** Tags an error with whether retrying later can help (core.ts reads `transient`). */
function tag(err: unknown): unknown {
    if (err && typeof err === 'object') {
        try { (err as { transient?: boolean }).transient = isTransientError(err); } catch { /* frozen */ }
    }
    return err;
}

/** A Store bound to one prepared collection. */
export class MongoStore implements Store {
    /**
     * `made` = the field names documents were built with (the node's settings); `used` = those of
     * the collection (an existing time-series collection keeps its own). Documents are renamed
     * on the way in when the two differ.
     */
    constructor(readonly mode: ModeDecision['mode'], private readonly coll: Collection<Document>, private readonly made: DocFields, private readonly used: DocFields = made) {}

    get timeField(): string { return this.used.timeField; }

    /** Where the second document of a conflicting reading is kept: `<collection>_conflicts`. */
    private get conflictsCollection(): Collection<Document> {
        return this.coll.db.collection(`${this.coll.collectionName}_conflicts`);
    }

    private remap(docs: ReadingDoc[]): Document[] {
        const { made, used } = this;
        if (made.timeField === used.timeField && made.metaField === used.metaField) return docs as Document[];
        return docs.map((d) => {
            const out: Document = {};
            for (const [k, v] of Object.entries(d)) {
                out[k === made.timeField ? used.timeField : k === made.metaField ? used.metaField : k] = v;
            }
            return out;
        });
    }

    async insert(docs: ReadingDoc[]): Promise<InsertOutcome> {
        try {
            const r = await this.coll.insertMany(this.remap(docs), { ordered: false });
            return { inserted: r.insertedCount, duplicateIndexes: [], failed: [] };
        } catch (err) {
            const e = err as { name?: string; writeErrors?: unknown; result?: { insertedCount?: number }; insertedCount?: number; writeConcernError?: unknown };
            // A bulk error carries per-document write errors, or none at all when the whole command
            // failed (e.g. "connect ECONNREFUSED" while the server is away): that is not a success.
            let list: { index: number; code: number; errmsg?: string; message?: string }[] = [];
            let inserted = 0;
            try {
                // the driver's getters read its result object, which a failed command may lack
                if (e && e.name === 'MongoBulkWriteError' && !e.writeConcernError) {
                    list = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors as never] : [];
                    if (list.length > 0) inserted = e.insertedCount ?? e.result?.insertedCount ?? docs.length - list.length;
                }
            } catch {
                list = [];
            }
            if (list.length > 0) {
                const duplicateIndexes: number[] = [];
                const failed: { index: number; message: string }[] = [];
                for (const w of list) {
                    if (w.code === DUPLICATE_KEY) duplicateIndexes.push(w.index);
                    else failed.push({ index: w.index, message: `${w.errmsg || w.message || 'write error'} (code ${w.code})` });
                }
                // a write error that is itself transient (e.g. shutdown) means: retry the whole batch
                if (failed.length === 0 || list.every((w) => w.code === DUPLICATE_KEY || !isTransientError({ code: w.code }))) {
                    return { inserted, duplicateIndexes, failed };
                }
            }
            throw tag(err);
        }
    }

    async existing(ids: string[], from: Date, to: Date): Promise<Map<string, Record<string, unknown>>> {
        try {
            const projection: Document = { _id: 1 };
            for (const f of VALUE_FIELDS) projection[f] = 1;
            const found = await this.coll
                .find({ [this.timeField]: { $gte: from, $lte: to }, _id: { $in: ids } } as Document, { projection })
                .toArray();
            return new Map(found.map((d) => [String(d._id), d as Record<string, unknown>]));
        } catch (err) {
            throw tag(err);
        }
    }

    async keepConflicts(docs: ReadingDoc[]): Promise<void> {
        // one document per distinct (reading, values): a redelivered conflict is stored once
        const out = this.remap(docs).map((d) => ({ ...d, _id: `${String(d._id)}|${createHash('sha1').update(fingerprint(d)).digest('hex').slice(0, 12)}`, conflictOf: d._id }));
        try {
            await this.conflictsCollection.insertMany(out as unknown as Document[], { ordered: false });
        } catch (err) {
            const e = err as { name?: string; writeErrors?: { code: number }[] };
            const list = e && e.name === 'MongoBulkWriteError' && Array.isArray(e.writeErrors) ? e.writeErrors : [];
            if (list.length === 0 || list.some((w) => w.code !== DUPLICATE_KEY)) throw tag(err);
        }
    }

    async purgeOlderThan(cutoff: Date): Promise<number> {
        try {
            const r = await this.coll.deleteMany({ [this.timeField]: { $lt: cutoff } } as Document);
            return r.deletedCount;
        } catch (err) {
            throw tag(err);
        }
    }
}

/** ModeProbe on a Db: what mode.ts asks, answered by the server. */
export function mongoProbe(db: Db, s: StoreSettings): ModeProbe {
    return {
        async collectionInfo(): Promise<CollectionInfo | null> {
            const list = await db.listCollections({ name: s.collection }, { nameOnly: false }).toArray();
            return list.length ? (list[0] as CollectionInfo) : null;
        },
        async serverVersion(): Promise<string | null> {
            try {
                const info = await db.admin().command({ buildInfo: 1 });
                return typeof info.version === 'string' ? info.version : null;
            } catch (err) {
                if (isTransientError(err)) throw err;
                return null;
            }
        },
        async createTimeseries(): Promise<void> {
            await db.createCollection(s.collection, {
                timeseries: { timeField: s.timeField, metaField: s.metaField, granularity: s.granularity },
                ...(s.retentionS > 0 ? { expireAfterSeconds: s.retentionS } : {}),
            });
        },
        async createRegular(): Promise<void> {
            await db.createCollection(s.collection);
        },
    };
}

/** Creates an index unless the same keys are already indexed (under another name: codes 85, 86). */
async function ensureIndex(coll: Collection<Document>, keys: Record<string, 1>, name: string): Promise<void> {
    try {
        await coll.createIndex(keys, { name });
    } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== 85 && code !== 86) throw err;
    }
}

/**
 * Whether the server would use an index for this query (its explain; mode.ts explainCanUseIndex).
 * A server whose explain fails is given the index: it costs inserts, a missing one costs queries.
 */
export async function indexServes(coll: Collection<Document>, filter: Document, sort?: Document): Promise<boolean> {
    try {
        const cursor = coll.find(filter);
        return explainCanUseIndex(await (sort ? cursor.sort(sort) : cursor).explain());
    } catch (err) {
        if (isTransientError(err)) throw err;
        return true;
    }
}

/**
 * The fallback collection's secondary indexes: the history query's (device, sensor, time range,
 * by time) and, with a retention, the purge's (time). Each is kept only where the server would use
 * it; one an earlier version created where it serves nothing is dropped (it only slowed inserts).
 * Returns the names kept. (bench/lib/raw-subscriber.js calls it too: the same storage work.)
 */
export async function prepareIndexes(coll: Collection<Document>, retentionS: number, d: DocFields): Promise<string[]> {
    const meta = (f: string): string => `${d.metaField}.${f}`;
    const wanted: { name: string; keys: Record<string, 1>; filter: Document; sort?: Document; wanted: boolean }[] = [
        { name: 'picochain_meta_time', keys: { [meta('device')]: 1, [meta('sensor')]: 1, [d.timeField]: 1 }, wanted: true,
            filter: { [meta('device')]: '', [meta('sensor')]: '', [d.timeField]: { $gte: new Date(0), $lt: new Date(0) } }, sort: { [d.timeField]: 1 } },
        { name: 'picochain_time', keys: { [d.timeField]: 1 }, wanted: retentionS > 0, filter: { [d.timeField]: { $lt: new Date(0) } } },
    ];
    const kept: string[] = [];
    for (const w of wanted) {
        if (!w.wanted) continue;
        if (await indexServes(coll, w.filter, w.sort)) {
            await ensureIndex(coll, w.keys, w.name);
            kept.push(w.name);
        } else {
            await coll.dropIndex(w.name).catch((err: unknown) => {
                // 27 IndexNotFound: there was none to drop
                if ((err as { code?: number }).code !== 27 && isTransientError(err)) throw err;
            });
        }
    }
    return kept;
}

/**
 * Prepares the collection (detects the mode, creates what is missing, keeps the fallback indexes
 * the server can use) and returns the Store plus the decision, for the status and the log.
 */
export async function prepareStore(db: Db, s: StoreSettings): Promise<{ store: MongoStore; decision: ModeDecision }> {
    try {
        const decision = await detectMode(mongoProbe(db, s), { timeField: s.timeField, metaField: s.metaField });
        const coll = db.collection(s.collection);
        if (decision.mode === 'fallback') decision.indexes = await prepareIndexes(coll, s.retentionS, decision);
        return { store: new MongoStore(decision.mode, coll, { timeField: s.timeField, metaField: s.metaField }, { timeField: decision.timeField, metaField: decision.metaField }), decision };
    } catch (err) {
        throw tag(err);
    }
}
