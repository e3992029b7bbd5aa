/**
 * Settings rules shared by the runtime and the editor: the node cores check their settings with
 * these, and the edit dialogs run the very same code (scripts/build.js bundles this module with
 * nodes/shared/editor.ts into resources/editor.js, which Node-RED serves to the browser as
 * resources/@picochain/node-red/editor.js). Pure: no Node-RED, no I/O, imports only ./reading.
 */
import { ID_PATTERN, SENSOR_PATTERN } from './reading';

export { ID_PATTERN, SENSOR_PATTERN };

// ---- environment references ------------------------------------------------------------------
const ENV_NAME = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of the `${NAME}` references in a field (Node-RED replaces a whole-field one itself). */
export function envNames(value: unknown): string[] {
    return [...String(value ?? '').matchAll(ENV_NAME)].map((m) => m[1]);
}

/** True when the field holds a `${NAME}` reference: its value is only known at runtime. */
export function hasEnvReference(value: unknown): boolean {
    return envNames(value).length > 0;
}

// ---- numbers and durations -------------------------------------------------------------------
/** `v` (number or text, blanks around allowed) as a number, or null when it is not one. */
export function toNumber(v: unknown): number | null {
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v !== 'string' || v.trim() === '') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
}

/** A whole number from min to max (inclusive). */
export function isIntIn(v: unknown, min: number, max: number): boolean {
    const n = toNumber(v);
    return n !== null && Number.isInteger(n) && n >= min && n <= max;
}

/** A duration such as "24h", "90m", "7d", "30s", "1w", "500ms" or a bare number of ms. */
export const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w)?\s*$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration in ms (> 0), or null when `v` is not one. */
export function durationMs(v: unknown): number | null {
    if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v : null;
    const m = typeof v === 'string' ? DURATION_PATTERN.exec(v) : null;
    if (!m) return null;
    const ms = Number(m[1]) * UNIT_MS[(m[2] || 'ms').toLowerCase()];
    return ms > 0 ? ms : null;
}

// ---- MongoDB names ---------------------------------------------------------------------------
/** A connection string: mongodb:// or mongodb+srv:// followed by a host. */
export const MONGO_URI_PATTERN = /^mongodb(\+srv)?:\/\/[^\s/]+/;
/** MongoDB database names: 1 to 63 characters, none of / \ . " $ * < > : | ? or space. */
export const DB_NAME_PATTERN = /^[^/\\. "$*<>:|?]{1,63}$/;
/** Connect and server-selection timeout bounds of picochain-mongo-config, ms. */
export const CONNECT_TIMEOUT_MS = Object.freeze({ min: 100, max: 120_000, default: 10_000 });

/** A collection picochain may write or read: 1 to 120 characters, no $ or NUL, not system.*. */
export function isCollectionName(v: unknown): boolean {
    return typeof v === 'string' && /^(?!system\.)[^$\0]{1,120}$/.test(v);
}

/** A document field name for the time or meta field: a letter, then letters, digits or _. */
export const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Fields of a stored reading besides the time and meta fields (those must not take these names). */
export const DOC_FIELDS = Object.freeze([
    '_id', 'deviceTime', 'receivedAt', 'window', 'count', 'min', 'max', 'mean', 'std', 'slope', 'last', 'seq', 'state', 'fault',
] as const);

/** A time or meta field name: a plain name that is not one of the document's own fields. */
export function isDocFieldName(v: unknown): boolean {
    return typeof v === 'string' && FIELD_NAME_PATTERN.test(v) && !(DOC_FIELDS as readonly string[]).includes(v);
}

/** Bounds of picochain-mongo-ts: batch size, batch delay (ms), batches in flight, spool size (MB). */
export const WRITER_LIMITS = Object.freeze({ maxBatchSize: 10_000, maxBatchDelayMs: 60_000, maxInFlight: 16, minSpoolMb: 16, maxSpoolMb: 1_048_576 });

// ---- MQTT (picochain-broker, picochain-mqtt-in) -----------------------------------------------
export { checkFilter as topicFilterProblem, checkShareGroup as shareGroupProblem } from '../picochain-broker/topic';

/** A broker field: a host name or address, or an mqtt:// / mqtts:// URL. */
export function isBrokerAddress(v: unknown): boolean {
    return typeof v === 'string' && /^(mqtts?:\/\/[^\s/]+\/?|[A-Za-z0-9_.:[\]-]{1,253})$/.test(v);
}

/** An MQTT client id picochain-broker accepts (empty: the default one). */
export function isClientId(v: unknown): boolean {
    return typeof v === 'string' && (v === '' || /^[A-Za-z0-9_.:-]{1,128}$/.test(v));
}

// ---- device and sensor ids -------------------------------------------------------------------
/** A device id (reading.ts ID_PATTERN), or empty when `optional`. */
export function isDeviceId(v: unknown, optional = false): boolean {
    return typeof v === 'string' && ((optional && v === '') || ID_PATTERN.test(v));
}

/** A sensor name (reading.ts SENSOR_PATTERN); with `optional`, also "" or "*" (every sensor). */
export function isSensorName(v: unknown, optional = false): boolean {
    return typeof v === 'string' && ((optional && (v === '' || v === '*')) || SENSOR_PATTERN.test(v));
}

// ---- picochain-history -----------------------------------------------------------------------
/** Bounds of a history request: buckets per series, longest range (ms), the node's timeout (s). */
export const HISTORY_LIMITS = Object.freeze({ minPoints: 2, maxPoints: 10_000, maxRangeMs: 366 * 86_400_000, maxTimeoutS: 300 });
