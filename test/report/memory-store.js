'use strict';
// core.ts's LogStore in memory, for the unit tests: readings as the writer's documents, the log's
// entries as stored (through JSON, as a database returns them).
const { docToWindow } = require('../../dist/nodes/picochain-report/store');
const { toDocument } = require('../../dist/nodes/picochain-mongo-ts/document');

class MemoryStore {
    constructor(registry = []) {
        this.registryDocs = registry;
        this.docs = [];
        this.log = new Map();
    }

    addReadings(readings, now = new Date()) {
        for (const r of readings) this.docs.push(toDocument(r, { timeField: 'time', metaField: 'meta' }, now).doc);
        this.docs.sort((a, b) => a.time - b.time);
    }

    async registry() { return this.registryDocs; }

    async windows(probes, from, to) {
        const out = new Map(probes.map((p) => [`${p.device}/${p.sensor}`, []]));
        for (const d of this.docs) {
            const list = out.get(`${d.meta.device}/${d.meta.sensor}`);
            if (list && d.time.getTime() >= from && d.time.getTime() < to) list.push(docToWindow(d, 'time'));
        }
        return out;
    }

    async firstReading(device, sensor) {
        const d = this.docs.find((x) => x.meta.device === device && x.meta.sensor === sensor);
        return d ? d.time.getTime() : null;
    }

    async entries(chain, fromDate) {
        return [...this.log.values()].filter((e) => e.chain === chain && (!fromDate || e.date >= fromDate)).sort((a, b) => a.seq - b.seq).map((e) => JSON.parse(JSON.stringify(e)));
    }

    async all() { return [...this.log.values()].map((e) => JSON.parse(JSON.stringify(e))); }

    async head(chain) { const l = await this.entries(chain); return l.length ? l[l.length - 1] : null; }

    async lastDay(chain) { const l = (await this.entries(chain)).filter((e) => e.type === 'day'); return l.length ? l[l.length - 1] : null; }

    async insert(e) {
        if (this.log.has(e._id)) return false;
        this.log.set(e._id, JSON.parse(JSON.stringify(e)));
        return true;
    }

    async purge(date) {
        let n = 0;
        for (const [id, e] of this.log) if (e.date < date) { this.log.delete(id); n++; }
        return n;
    }
}

module.exports = { MemoryStore };
