'use strict';
// Reads what picochain-mongo-ts stored and compares it with what the broker acknowledged to the
// boards: `missing` = acknowledged readings with no document, `duplicates` = documents beyond the
// first for one (device, sensor, time). Reads `time` and `meta.device`/`meta.sensor`, not `_id`,
// so the count holds for a native time-series collection (no unique _id) as for the fallback.
const { MongoClient } = require('mongodb');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Store {
    constructor(uri, database, { collection = 'readings', timeField = 'time', metaField = 'meta' } = {}) {
        this.uri = uri;
        this.database = database;
        this.collectionName = collection;
        this.timeField = timeField;
        this.metaField = metaField;
        this.client = null;
    }

    async coll() {
        if (!this.client) {
            this.client = new MongoClient(this.uri, { serverSelectionTimeoutMS: 5000, connectTimeoutMS: 5000, socketTimeoutMS: 120000 });
            await this.client.connect();
        }
        return this.client.db(this.database).collection(this.collectionName);
    }

    /**
     * Documents in the collection, or null while the database cannot be reached. `$collStats`
     * count first: FerretDB 1.24 answers it from SQLite's row count in ~20 ms for 30 000 documents,
     * where both the `count` command and countDocuments read every document (1.2 s), which a
     * benchmark polling every 100 ms would spend most of the database's time on. A native
     * time-series collection may refuse the first two (a view).
     */
    async count() {
        let c;
        try { c = await this.coll(); } catch { return null; }
        try {
            const [s] = await c.aggregate([{ $collStats: { count: {} } }]).toArray();
            if (s && typeof s.count === 'number') return s.count;
        } catch { /* below */ }
        try { return await c.estimatedDocumentCount(); } catch { /* below */ }
        try { return await c.countDocuments({}); } catch { return null; }
    }

    /** Map key -> number of documents, over every document (`ignore(device)` leaves some out). */
    async keys(ignore = () => false) {
        const c = await this.coll();
        const counts = new Map();
        const cursor = c.find({}, { projection: { _id: 0, [this.timeField]: 1, [this.metaField]: 1 }, batchSize: 10000 });
        for await (const d of cursor) {
            const meta = d[this.metaField] || {};
            if (ignore(meta.device)) continue;
            const t = d[this.timeField];
            const k = `${meta.device}|${meta.sensor}|${t instanceof Date ? t.getTime() : t}`;
            counts.set(k, (counts.get(k) || 0) + 1);
        }
        return counts;
    }

    /**
     * { acked, stored, missing, duplicates, extra, missingSample, missingAcked: [first, last] } for
     * `acked`, a Map of the acknowledged keys to when they were acknowledged (ms since epoch).
     */
    async check(acked, ignore) {
        const counts = await this.keys(ignore);
        let missing = 0;
        const missingSample = [];
        let first = Infinity;
        let last = -Infinity;
        for (const [k, t] of acked) {
            if (!counts.has(k)) {
                missing++;
                if (missingSample.length < 5) missingSample.push(k);
                first = Math.min(first, t);
                last = Math.max(last, t);
            }
        }
        let duplicates = 0;
        let stored = 0;
        let extra = 0; // stored but never acknowledged (e.g. stored, then the PUBACK was lost): allowed
        for (const [k, n] of counts) {
            stored += n;
            duplicates += n - 1;
            if (!acked.has(k)) extra++;
        }
        return { acked: acked.size, stored, missing, duplicates, extra, missingSample, missingAcked: missing ? [first, last] : null };
    }

    /**
     * Polls until every acknowledged reading is stored, or nothing new was stored for `stallMs`
     * (a pipeline that lost readings stops growing: no need to wait out `maxMs`), or `maxMs`.
     * Resolves { complete, waitedMs, stalled }.
     */
    async waitComplete(acked, { stallMs = 20000, maxMs = 180000, every = 1000, ignore } = {}) {
        const t0 = Date.now();
        let last = -1;
        let lastChange = Date.now();
        for (;;) {
            const n = await this.count();
            if (n !== null && n !== last) { last = n; lastChange = Date.now(); }
            if (n !== null && n >= acked.size) {
                const r = await this.check(acked, ignore).catch(() => null);
                if (r && r.missing === 0) return { complete: true, waitedMs: Date.now() - t0, stalled: false };
            }
            if (Date.now() - lastChange > stallMs) return { complete: false, waitedMs: Date.now() - t0, stalled: true };
            if (Date.now() - t0 > maxMs) return { complete: false, waitedMs: Date.now() - t0, stalled: false };
            await sleep(every);
        }
    }

    async close() {
        if (this.client) await this.client.close(true).catch(() => {});
        this.client = null;
    }
}

module.exports = { Store };
