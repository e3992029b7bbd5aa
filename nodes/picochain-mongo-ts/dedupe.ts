/**
 * One batch's way into the database: duplicates (the same reading again) and conflicts (the same
 * device, sensor and time with other values) are found from the writer's recent keys, within the
 * batch, and from the store (native mode asks before inserting: time-series collections have no
 * unique index; fallback mode learns it from duplicate-key errors), then the rest is inserted and
 * the second copy of each conflict is kept apart. Pure: no Node-RED, no driver.
 */
import { ReadingDoc } from './document';
import { fingerprint, parseFingerprint, valuesOf } from './record';
import { BatchReport, Conflict, RecentKeys, Store } from './writer-api';

/** A reading on its way to the database (n: its spool record). */
export interface Entry {
    n: number;
    key: string;
    doc: ReadingDoc;
    time: Date;
}

export type Verdict =
    | { kind: 'written' }
    | { kind: 'duplicate' }
    | { kind: 'conflict'; conflict: Conflict }
    | { kind: 'failed'; reason: string };

function conflictOf(e: Entry, stored: Record<string, unknown>): Conflict {
    // the key is device|sensor|time (ids never contain "|")
    const [device, sensor] = e.key.split('|');
    return { key: e.key, device, sensor, time: e.time, stored: valuesOf(stored), received: valuesOf(e.doc) };
}

function compare(e: Entry, stored: Record<string, unknown>, storedFp = fingerprint(stored)): Verdict {
    return storedFp === fingerprint(e.doc) ? { kind: 'duplicate' } : { kind: 'conflict', conflict: conflictOf(e, stored) };
}

async function lookup(store: Store, batch: Entry[], idx: number[]): Promise<Map<string, Record<string, unknown>>> {
    let from = batch[idx[0]].time.getTime();
    let to = from;
    for (const i of idx) {
        const t = batch[i].time.getTime();
        if (t < from) from = t;
        if (t > to) to = t;
    }
    return store.existing(idx.map((i) => batch[i].key), new Date(from), new Date(to));
}

/**
 * Writes one batch; returns a verdict per entry. Throws (the whole batch to retry) when the store
 * throws. `recent` is read only: the caller records what the batch stored once it returns.
 */
export async function writeEntries(store: Store, batch: Entry[], recent: RecentKeys): Promise<Verdict[]> {
    const verdict: Verdict[] = batch.map(() => ({ kind: 'written' }));
    const seen = new Map<string, number>();
    let fresh: number[] = [];
    batch.forEach((e, i) => {
        const recentFp = recent.get(e.key);
        const first = seen.get(e.key);
        if (recentFp !== undefined) verdict[i] = compare(e, parseFingerprint(recentFp), recentFp);
        else if (first !== undefined) verdict[i] = compare(e, batch[first].doc);
        else { seen.set(e.key, i); fresh.push(i); }
    });
    if (store.mode === 'native' && fresh.length > 0) {
        // time-series collections enforce no unique index: ask which of these are already there
        const found = await lookup(store, batch, fresh);
        fresh = fresh.filter((i) => {
            const stored = found.get(batch[i].key);
            if (!stored) return true;
            verdict[i] = compare(batch[i], stored);
            return false;
        });
    }
    if (fresh.length > 0) {
        const outcome = await store.insert(fresh.map((i) => batch[i].doc));
        const dupes = outcome.duplicateIndexes.map((d) => fresh[d]);
        for (const f of outcome.failed) verdict[fresh[f.index]] = { kind: 'failed', reason: f.message };
        if (dupes.length > 0) {
            // already stored (a replay after a restart, a redelivery): same values, or a conflict?
            const found = await lookup(store, batch, dupes);
            for (const i of dupes) {
                const stored = found.get(batch[i].key);
                verdict[i] = stored ? compare(batch[i], stored) : { kind: 'duplicate' };
            }
        }
    }
    // a second identical copy within the batch shares the fate of a first copy the server refused
    batch.forEach((e, i) => {
        const first = seen.get(e.key);
        if (verdict[i].kind === 'duplicate' && first !== undefined && first !== i && verdict[first].kind === 'failed') verdict[i] = verdict[first];
    });
    const conflicting = verdict.flatMap((v, i) => (v.kind === 'conflict' ? [batch[i].doc] : []));
    if (conflicting.length > 0) await store.keepConflicts(conflicting);
    return verdict;
}

/** The fingerprint the database now holds for an entry's key, after its verdict. */
function storedFingerprint(e: Entry, v: Verdict): string | null {
    if (v.kind === 'failed') return null;
    if (v.kind === 'conflict') return fingerprint(v.conflict.stored);
    return fingerprint(e.doc);
}

/** Counts a written batch's verdicts into its report, and records in `recent` what the database now holds. */
export function reportBatch(batch: Entry[], verdict: Verdict[], recent: RecentKeys): BatchReport {
    const report: BatchReport = { written: 0, duplicates: 0, conflicts: [], failed: [], devices: {}, queued: 0 };
    // the key is device|sensor|time (ids never contain "|")
    const device = (e: Entry) => {
        const id = e.key.slice(0, e.key.indexOf('|'));
        return report.devices[id] || (report.devices[id] = { written: 0, conflicts: 0 });
    };
    batch.forEach((e, i) => {
        const v = verdict[i];
        if (v.kind === 'written') { report.written++; device(e).written++; }
        else if (v.kind === 'duplicate') report.duplicates++;
        else if (v.kind === 'conflict') { report.conflicts.push(v.conflict); device(e).conflicts++; }
        else report.failed.push({ key: e.key, reason: v.reason });
        const fp = storedFingerprint(e, v);
        if (fp !== null) recent.add(e.key, fp);
    });
    return report;
}
