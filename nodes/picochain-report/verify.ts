/**
 * The tamper check of the stored readings behind a sealed day (pure): the day's record keeps a
 * digest per local hour of the windows it was computed from; the same digests over what the
 * database holds now tell whether a reading was changed, added or removed since, and in which
 * hours. Windows received after the day was sealed (a board replaying its ring after an outage)
 * are told apart: the digests over the windows received before the seal still match.
 */
import { digestHours, Window } from './daylog';
import type { ChainProblem, DayBody, Entry } from './ledger';
import { localTime } from './tz';

export type ReadingProblem =
    | { kind: 'readings-changed'; chain: string; date: string; id: string; hours: string[] }
    | { kind: 'late-readings'; chain: string; date: string; id: string; count: number }
    | { kind: 'readings-gone'; chain: string; date: string; id: string; count: number }
    | { kind: 'readings-purged'; chain: string; date: string; id: string; count: number };

export type Problem = ChainProblem | ReadingProblem;

/** Problems that are not tampering: the log explains them (late windows, readings past their retention). */
export const INFORMATIONAL = new Set(['late-readings', 'readings-purged']);

/**
 * Compares a sealed day entry with the windows the database holds now for that day (time in the
 * day). Returns null when they are the ones it was sealed from.
 */
export function checkDayReadings(e: Entry, windows: Window[]): ReadingProblem | null {
    const rec = (e.body as DayBody).record;
    const from = Date.parse(rec.from);
    const now = digestHours(windows, from, rec.hours);
    if (now.day === rec.digest.day) return null;
    if (!windows.length) return rec.windows > 0 ? { kind: 'readings-gone', chain: e.chain, date: e.date, id: e._id, count: rec.windows } : null;
    const sealedAt = Date.parse(e.at);
    const before = digestHours(windows.filter((w) => w.receivedAt !== null && w.receivedAt <= sealedAt), from, rec.hours);
    if (before.day === rec.digest.day) {
        return { kind: 'late-readings', chain: e.chain, date: e.date, id: e._id, count: windows.filter((w) => w.receivedAt === null || w.receivedAt > sealedAt).length };
    }
    const hours: string[] = [];
    rec.digest.hours.forEach((h, i) => { if (before.hours[i] !== h) hours.push(localTime(rec.tz, from + i * 3_600_000)); });
    return { kind: 'readings-changed', chain: e.chain, date: e.date, id: e._id, hours };
}

/**
 * Readings gone from a day while an earlier day of the same chain still has some were removed,
 * not purged (the readings' retention removes the oldest first). Returns the problems with each
 * 'readings-gone' named 'readings-purged' or 'readings-changed'.
 */
export function classifyGone(problems: Problem[], oldestWithReadings: Map<string, string>): Problem[] {
    return problems.map((p) => {
        if (p.kind !== 'readings-gone') return p;
        const oldest = oldestWithReadings.get(p.chain);
        if (oldest !== undefined && oldest < p.date) return { kind: 'readings-changed', chain: p.chain, date: p.date, id: p.id, hours: ['*'] };
        return { ...p, kind: 'readings-purged' };
    });
}

/** True when no problem is tampering (informational ones aside). */
export function intact(problems: Problem[]): boolean {
    return problems.every((p) => INFORMATIONAL.has(p.kind));
}
