/**
 * The writer's editor properties -> checked settings (pure; the editor's validators mirror it).
 */
import { checkFieldNames } from './document';
import { DEFAULT_BATCH_DELAY_MS, DEFAULT_BATCH_SIZE, DEFAULT_IN_FLIGHT, FULL_POLICIES, FullPolicy, WriterOptions } from './core';
import { DEFAULT_SPOOL_MAX_BYTES } from './spool';
import { isCollectionName, WRITER_LIMITS } from '../shared/rules';
import { Granularity, GRANULARITIES } from './mode';
import { StoreSettings } from './store';

/** Retention units of the editor, in seconds. */
export const RETENTION_UNITS: Record<string, number> = { s: 1, min: 60, h: 3600, d: 86400 };
export const MAX_BATCH_SIZE = WRITER_LIMITS.maxBatchSize;
export const MAX_BATCH_DELAY_MS = WRITER_LIMITS.maxBatchDelayMs;
export const MAX_IN_FLIGHT = WRITER_LIMITS.maxInFlight;
/** Spool bound in MB: at least one segment, at most 1 TB. */
export const MIN_SPOOL_MB = WRITER_LIMITS.minSpoolMb;
export const MAX_SPOOL_MB = WRITER_LIMITS.maxSpoolMb;
export const DEFAULT_SPOOL_MB = DEFAULT_SPOOL_MAX_BYTES / 1048576;

export interface WriterDefProps {
    collection?: unknown;
    timeField?: unknown;
    metaField?: unknown;
    granularity?: unknown;
    retention?: unknown;
    retentionUnit?: unknown;
    batchSize?: unknown;
    batchDelay?: unknown;
    inFlight?: unknown;
    spoolSize?: unknown;
    whenFull?: unknown;
    spoolDir?: unknown;
}

export type WriterSettings = StoreSettings & WriterOptions & {
    /** Spool bound in bytes. */
    spoolMaxBytes: number;
    /** Spool directory as configured ('' = the default place in the Node-RED user directory). */
    spoolDir: string;
};

function int(v: unknown, dflt: number): number {
    if (v === undefined || v === null || v === '') return dflt;
    const n = Number(v);
    return Number.isFinite(n) ? n : NaN;
}

/** Returns the settings, or an error text naming the property that is wrong. */
export function parseWriterSettings(p: WriterDefProps): { settings?: WriterSettings; error?: string } {
    const collection = String(p.collection ?? 'readings').trim();
    if (!isCollectionName(collection)) return { error: `collection "${collection}" is not a valid name` };
    const timeField = String(p.timeField || 'time').trim();
    const metaField = String(p.metaField || 'meta').trim();
    const fieldProblem = checkFieldNames({ timeField, metaField });
    if (fieldProblem) return { error: fieldProblem };
    const granularity = String(p.granularity || 'minutes') as Granularity;
    if (!GRANULARITIES.includes(granularity)) return { error: `granularity must be one of ${GRANULARITIES.join(', ')}` };
    const unit = String(p.retentionUnit || 'd');
    if (!(unit in RETENTION_UNITS)) return { error: `retention unit must be one of ${Object.keys(RETENTION_UNITS).join(', ')}` };
    const retention = int(p.retention, 0);
    if (!(retention >= 0)) return { error: 'retention must be a number >= 0 (0 = keep forever)' };
    const retentionS = Math.round(retention * RETENTION_UNITS[unit]);
    const batchSize = int(p.batchSize, DEFAULT_BATCH_SIZE);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) return { error: `batch size must be a whole number 1..${MAX_BATCH_SIZE}` };
    const batchDelayMs = int(p.batchDelay, DEFAULT_BATCH_DELAY_MS);
    if (!(batchDelayMs >= 0 && batchDelayMs <= MAX_BATCH_DELAY_MS)) return { error: `batch delay must be 0..${MAX_BATCH_DELAY_MS} ms` };
    const inFlight = int(p.inFlight, DEFAULT_IN_FLIGHT);
    if (!Number.isInteger(inFlight) || inFlight < 1 || inFlight > MAX_IN_FLIGHT) return { error: `batches in flight must be a whole number 1..${MAX_IN_FLIGHT}` };
    const spoolMb = int(p.spoolSize, DEFAULT_SPOOL_MB);
    if (!Number.isInteger(spoolMb) || spoolMb < MIN_SPOOL_MB || spoolMb > MAX_SPOOL_MB) return { error: `spool size must be a whole number of MB, ${MIN_SPOOL_MB}..${MAX_SPOOL_MB}` };
    const whenFull = String(p.whenFull || 'block') as FullPolicy;
    if (!FULL_POLICIES.includes(whenFull)) return { error: `spool-full policy must be one of ${FULL_POLICIES.join(', ')}` };
    const spoolDir = String(p.spoolDir ?? '').trim();
    if (spoolDir.includes('\0')) return { error: 'spool directory is not a valid path' };
    return { settings: { collection, timeField, metaField, granularity, retentionS, batchSize, batchDelayMs, inFlight, whenFull, spoolMaxBytes: spoolMb * 1048576, spoolDir } };
}
