/**
 * Which storage mode the writer runs in, decided by what the server can do, not by the version
 * it reports: FerretDB 1.24 says "7.0.42" in buildInfo yet refuses `timeseries` in create (code
 * 238 NotImplemented). Pure: the probe is injected, so tests drive it with fake answers.
 */

export type Mode = 'native' | 'fallback';
export type Granularity = 'seconds' | 'minutes' | 'hours';
export const GRANULARITIES: readonly Granularity[] = ['seconds', 'minutes', 'hours'];

/** What listCollections says about one collection (type 'timeseries' | 'collection' | 'view'). */
export interface CollectionInfo {
    type?: string;
    options?: {
        timeseries?: { timeField?: string; metaField?: string; granularity?: string };
        expireAfterSeconds?: number;
    };
}

/** The few server operations the decision needs (store.ts implements them with the driver). */
export interface ModeProbe {
    collectionInfo(): Promise<CollectionInfo | null>;
    /** buildInfo.version, or null when the server would not say. */
    serverVersion(): Promise<string | null>;
    /** createCollection with `timeseries` (+ expireAfterSeconds when retention > 0). */
    createTimeseries(): Promise<void>;
    createRegular(): Promise<void>;
}

export interface ModeDecision {
    mode: Mode;
    /** True when the collection was there before us and is used as it is. */
    existing: boolean;
    /** The fields documents must use (an existing time-series collection's own, else the configured ones). */
    timeField: string;
    metaField: string;
    /** Human reason, for the log. */
    reason: string;
    /** Fallback mode: the secondary indexes kept on the collection (prepareStore fills it in). */
    indexes?: string[];
}

/** Error codes of a server that is shutting down, stepping down or unreachable: retry later. */
const TRANSIENT_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 50, 43, 134]);
/** Codes by which a server says "I do not do that": the capability is missing, fall back. */
const UNSUPPORTED_CODES = new Set([2, 9, 14, 59, 72, 115, 238, 40415, 40324]);
/** Unauthorized, AuthenticationFailed, UserNotFound, Atlas's AtlasError: retry, never "unsupported". */
const AUTH_CODES = new Set([11, 13, 18, 8000]);
const NAMESPACE_EXISTS = 48;
export const DUPLICATE_KEY = 11000;

interface ErrorLike { name?: string; code?: unknown; message?: string; errorLabels?: string[]; hasErrorLabel?: (l: string) => boolean }

/**
 * True for errors that say "not now" rather than "never": network errors, server selection
 * timeouts, a closed or restarting server. The writer keeps readings buffered and retries these.
 */
export function isTransientError(err: unknown): boolean {
    const e = (err || {}) as ErrorLike;
    const name = String(e.name || '');
    if (/MongoNetwork|MongoServerSelection|MongoNotConnected|MongoTopologyClosed|MongoServerClosed|MongoPoolCleared|MongoClientClosed|MongoOperationTimeout/.test(name)) return true;
    if (typeof e.hasErrorLabel === 'function' && (e.hasErrorLabel('RetryableWriteError') || e.hasErrorLabel('ResetPool'))) return true;
    if (typeof e.code === 'number' && TRANSIENT_CODES.has(e.code)) return true;
    return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|socket|connection .* closed/i.test(String(e.message || ''));
}

/** True when the server refused an option or command as unsupported (not a transient failure). */
export function isUnsupportedError(err: unknown): boolean {
    const e = (err || {}) as ErrorLike;
    if (isTransientError(err)) return false;
    if (typeof e.code === 'number') {
        if (UNSUPPORTED_CODES.has(e.code)) return true;
        // "not allowed" and "exists" are answers about us, not about the server's features
        return e.code !== NAMESPACE_EXISTS && !AUTH_CODES.has(e.code);
    }
    return /not (yet )?(implemented|supported)|unrecognized|unknown field/i.test(String(e.message || ''));
}

/**
 * Whether the server can answer a query from a secondary index, by what its explain says. FerretDB
 * 1.x reports `filterPushdown` and `sortPushdown`: both false means it reads every document of the
 * collection and filters and sorts them itself (on SQLite it pushes down nothing but `_id`
 * equality), so an index there serves no query and only costs inserts (the history index: 144
 * against 104 µs of FerretDB CPU per insert, bench/writer.js). MongoDB's explain has no such fields: true.
 */
export function explainCanUseIndex(explain: unknown): boolean {
    if (!explain || typeof explain !== 'object') return true;
    const e = explain as { filterPushdown?: unknown; sortPushdown?: unknown };
    return !(e.filterPushdown === false && e.sortPushdown === false);
}

/** Major version of "7.0.42"-like strings, NaN when unknown. */
export function majorVersion(v: string | null): number {
    const m = /^(\d+)\./.exec(v || '');
    return m ? Number(m[1]) : NaN;
}

/**
 * Decides native time-series vs fallback:
 * 1. an existing collection is used as it is: type 'timeseries' -> native with its own fields,
 *    a regular one -> fallback, a view -> error;
 * 2. a server reporting a major version below 5 -> fallback without asking;
 * 3. otherwise try createCollection with `timeseries`; accepted AND listed as 'timeseries'
 *    afterwards -> native; refused as unsupported -> fallback (regular collection). Transient
 *    errors are thrown, for the caller to retry.
 */
export async function detectMode(probe: ModeProbe, wanted: { timeField: string; metaField: string }): Promise<ModeDecision> {
    const fromExisting = (info: CollectionInfo): ModeDecision => {
        if (info.type === 'view') throw new Error('the collection is a view: choose a collection the writer can insert into');
        if (info.type === 'timeseries') {
            const ts = info.options?.timeseries || {};
            return {
                mode: 'native', existing: true,
                timeField: ts.timeField || wanted.timeField,
                metaField: ts.metaField || wanted.metaField,
                reason: 'existing time-series collection',
            };
        }
        return { mode: 'fallback', existing: true, ...wanted, reason: 'existing regular collection' };
    };
    const info = await probe.collectionInfo();
    if (info) return fromExisting(info);

    const version = await probe.serverVersion();
    const major = majorVersion(version);
    if (major < 5) {
        await createRegularTolerant(probe);
        return { mode: 'fallback', existing: false, ...wanted, reason: `server version ${version} has no time-series collections (needs 5.0)` };
    }
    try {
        await probe.createTimeseries();
    } catch (err) {
        const e = err as ErrorLike;
        if (e && e.code === NAMESPACE_EXISTS) {
            // created meanwhile by someone else: use what is there
            const again = await probe.collectionInfo();
            if (again) return fromExisting(again);
        }
        if (!isUnsupportedError(err)) throw err;
        await createRegularTolerant(probe);
        return {
            mode: 'fallback', existing: false, ...wanted,
            reason: `server (reports ${version ?? 'no version'}) refused a time-series collection: ${String(e.message || err).slice(0, 160)}`,
        };
    }
    const created = await probe.collectionInfo();
    if (created && created.type === 'timeseries') {
        return { mode: 'native', existing: false, ...wanted, reason: `server ${version} created a time-series collection` };
    }
    // accepted the option but made something else: treat what exists as it is
    return { ...fromExisting(created || { type: 'collection' }), existing: false, reason: 'server accepted the time-series option but created a regular collection' };
}

async function createRegularTolerant(probe: ModeProbe): Promise<void> {
    try {
        await probe.createRegular();
    } catch (err) {
        if ((err as ErrorLike)?.code !== NAMESPACE_EXISTS) throw err;
    }
}
