/**
 * The food-safety log as an append-only hash chain per cabinet sensor (pure). Every entry (a
 * sealed day, a corrective action, a sign-off, a correction) carries the hash of the entry before
 * it and its own hash over its content; its `_id` is `<chain>#<seq>`, so two writers can never
 * both append entry n (the database refuses the second insert). Nothing is ever updated: a
 * correction is a new entry that names the one it corrects, a day recomputed after late readings
 * is a new day entry that names the one it revises.
 *
 * verifyChain() finds an edited entry (its hash no longer matches), a removed one (a hole in the
 * sequence or a broken link) and a removed day (a hole in the dates of the sealed days, which
 * also shows when the rest of the chain was re-hashed to hide it).
 */
import { createHash } from 'crypto';
import type { DayRecord } from './daylog';
import { addDays, daysBetween } from './tz';

export const GENESIS = '0'.repeat(64);
export const ENTRY_TYPES = ['day', 'action', 'signoff', 'correction'] as const;
export type EntryType = typeof ENTRY_TYPES[number];
/** How the author of an entry is known: a dashboard login, initials typed on a page, a flow. */
export type ByKind = 'login' | 'initials' | 'flow';

export interface DayBody { record: DayRecord; revises?: string; reason?: 'late-readings' }
export interface ActionBody {
    text: string;
    /** The time the action is about (an alert's start, an excursion's start), ISO. */
    ref: string;
    alert?: { id: string; rule: string | null; severity: string | null; startedAt: string };
}
export interface SignoffBody { scope: 'day' | 'month'; date?: string; month?: string; covers: string; role: string | null }
export interface CorrectionBody { refers: string; text: string }

export interface Entry {
    _id: string;
    chain: string;
    device: string;
    sensor: string;
    seq: number;
    type: EntryType;
    /** The local date the entry is about: retention and the month views go by it. */
    date: string;
    /** When it was recorded, ISO. */
    at: string;
    by: string | null;
    byKind: ByKind;
    body: DayBody | ActionBody | SignoffBody | CorrectionBody;
    prev: string;
    hash: string;
}

export type NewEntry = Pick<Entry, 'type' | 'date' | 'at' | 'by' | 'byKind' | 'body'>;

export const chainId = (device: string, sensor: string): string => `${device}/${sensor}`;
export const entryId = (chain: string, seq: number): string => `${chain}#${seq}`;

/** JSON with object keys sorted at every level: the same content always hashes the same. */
export function canonical(v: unknown): string {
    if (v === null || typeof v !== 'object') return JSON.stringify(v === undefined ? null : v);
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/** The hash of an entry: over everything but its `_id` and its own hash. */
export function entryHash(e: Omit<Entry, '_id' | 'hash'> | Entry): string {
    const { chain, device, sensor, seq, type, date, at, by, byKind, body, prev } = e;
    return createHash('sha256').update(canonical({ chain, device, sensor, seq, type, date, at, by, byKind, body, prev })).digest('hex');
}

/** The next entry of a chain whose last entry is `head` (null: the chain's first). */
export function nextEntry(device: string, sensor: string, head: Pick<Entry, 'seq' | 'hash'> | null, e: NewEntry): Entry {
    const chain = chainId(device, sensor);
    const seq = head ? head.seq + 1 : 1;
    const draft = { chain, device, sensor, seq, type: e.type, date: e.date, at: e.at, by: e.by, byKind: e.byKind, body: e.body, prev: head ? head.hash : GENESIS };
    return { _id: entryId(chain, seq), ...draft, hash: entryHash(draft) };
}

export type ChainProblem =
    | { kind: 'edited'; chain: string; id: string; seq: number; date: string; type: string }
    | { kind: 'missing'; chain: string; afterSeq: number; beforeSeq: number; from: string; to: string }
    | { kind: 'relinked'; chain: string; id: string; seq: number; date: string }
    | { kind: 'day-missing'; chain: string; date: string }
    | { kind: 'start-missing'; chain: string; seq: number; date: string };

/**
 * Checks one chain's entries (any order). `keepFrom`: the oldest date the retention keeps; a
 * chain may start after entry 1 only where the retention removed the older entries.
 */
export function verifyChain(entries: Entry[], keepFrom: string | null): ChainProblem[] {
    const list = entries.slice().sort((a, b) => a.seq - b.seq);
    const problems: ChainProblem[] = [];
    if (!list.length) return problems;
    const chain = list[0].chain;
    const first = list[0];
    if (first.seq !== 1 && !(keepFrom !== null && daysBetween(first.date, keepFrom) >= -2)) {
        problems.push({ kind: 'start-missing', chain, seq: first.seq, date: first.date });
    }
    if (first.seq === 1 && first.prev !== GENESIS) problems.push({ kind: 'relinked', chain, id: first._id, seq: first.seq, date: first.date });
    for (let i = 0; i < list.length; i++) {
        const e = list[i];
        if (entryHash(e) !== e.hash || e._id !== entryId(e.chain, e.seq)) problems.push({ kind: 'edited', chain, id: e._id, seq: e.seq, date: e.date, type: e.type });
        if (i === 0) continue;
        const p = list[i - 1];
        if (e.seq !== p.seq + 1) problems.push({ kind: 'missing', chain, afterSeq: p.seq, beforeSeq: e.seq, from: p.date, to: e.date });
        else if (e.prev !== p.hash) problems.push({ kind: 'relinked', chain, id: e._id, seq: e.seq, date: e.date });
    }
    // sealed days follow each other: a hole is a removed day, even in a chain re-hashed to hide it
    const days = [...new Set(list.filter((e) => e.type === 'day').map((e) => e.date))].sort();
    for (let i = 1; i < days.length; i++) {
        for (let d = addDays(days[i - 1], 1); d < days[i]; d = addDays(d, 1)) problems.push({ kind: 'day-missing', chain, date: d });
    }
    return problems;
}

/** The latest day entry per date (a revision replaces the entry it revises). */
export function latestDays(entries: Entry[]): Map<string, Entry> {
    const out = new Map<string, Entry>();
    for (const e of entries.slice().sort((a, b) => a.seq - b.seq)) if (e.type === 'day') out.set(e.date, e);
    return out;
}
