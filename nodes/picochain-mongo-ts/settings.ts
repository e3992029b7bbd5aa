/**
 * The writer's editor properties -> checked settings (pure; the editor's validators mirror it).
 */
import { checkFieldNames } from './document';
import { DEFAULT_BATCH_DELAY_MS, DEFAULT_BATCH_SIZE, DEFAULT_BUFFER_SIZE, OVERFLOW_POLICIES, OverflowPolicy, WriterOptions } from './core';
import { Granularity, GRANULARITIES } from './mode';
import { StoreSettings } from './store';

/** Retention units of the editor, in seconds. */
export const RETENTION_UNITS: Record<string, number> = { s: 1, min: 60, h: 3600, d: 86400 };
export const MAX_BATCH_SIZE = 10000;
export const MAX_BATCH_DELAY_MS = 60000;
export const MAX_BUFFER_SIZE = 1000000;
/** MongoDB collection names: not empty, no `$`, not system.*, at most 120 characters. */
const COLLECTION_PATTERN = /^(?!system\.)[^$\0]{1,120}$/;

export interface WriterDefProps {
    collection?: unknown;
    timeField?: unknown;
    metaField?: unknown;
    granularity?: unknown;
    retention?: unknown;
    retentionUnit?: unknown;
    batchSize?: unknown;
    batchDelay?: unknown;
    bufferSize?: unknown;
    overflow?: unknown;
}

export type WriterSettings = StoreSettings & WriterOptions;

function int(v: unknown, dflt: number): number {
    if (v === undefined || v === null || v === '') return dflt;
    const n = Number(v);
    return Number.isFinite(n) ? n : NaN;
}

/** Returns the settings, or an error text naming the property that is wrong. */
export function parseWriterSettings(p: WriterDefProps): { settings?: WriterSettings; error?: string } {
    const collection = String(p.collection ?? 'readings').trim();
    if (!COLLECTION_PATTERN.test(collection)) return { error: `collection "${collection}" is not a valid name` };
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
    const bufferSize = int(p.bufferSize, DEFAULT_BUFFER_SIZE);
    if (!Number.isInteger(bufferSize) || bufferSize < batchSize || bufferSize > MAX_BUFFER_SIZE) {
        return { error: `buffer size must be a whole number from the batch size (${batchSize}) to ${MAX_BUFFER_SIZE}` };
    }
    const overflow = String(p.overflow || 'drop-oldest') as OverflowPolicy;
    if (!OVERFLOW_POLICIES.includes(overflow)) return { error: `buffer-full policy must be one of ${OVERFLOW_POLICIES.join(', ')}` };
    return { settings: { collection, timeField, metaField, granularity, retentionS, batchSize, batchDelayMs, bufferSize, overflow } };
}
