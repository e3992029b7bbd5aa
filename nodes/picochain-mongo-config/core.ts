import type { LogLevel } from '../shared/node-log';
/**
 * The Mongo connection owned by a picochain-mongo-config node, apart from Node-RED: settings
 * checks, secret redaction, client options, and one MongoClient connected once and shared by
 * the users that register (docs/ARCHITECTURE.md, "picochain-mongo-config runtime API").
 */
import { EventEmitter } from 'events';
import * as fs from 'fs';
import { Db, MongoClient, MongoClientOptions } from 'mongodb';
import { CONNECT_TIMEOUT_MS, DB_NAME_PATTERN, envNames, MONGO_URI_PATTERN } from '../shared/rules';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'error';
/** Why connecting fails in a way retrying does not mend: the server refused the credentials or TLS failed. */
export type FailureKind = 'auth' | 'tls';

export interface MongoSettings {
    /** mongodb:// or mongodb+srv:// connection string (may itself carry user:password@). */
    uri: string;
    database: string;
    user?: string;
    password?: string;
    /** true: force TLS with the options below; false: let the connection string decide. */
    tls: boolean;
    tlsCAFile?: string;
    tlsAllowInvalidCertificates?: boolean;
    /** Connect and server-selection timeout, ms. */
    connectTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = CONNECT_TIMEOUT_MS.default;
/** Heartbeat while connected: how soon an outage and a return are noticed, ms. */
export const HEARTBEAT_MS = 2000;
export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 15000;
/** The config node closes after its users; this is how long it waits for them, ms (< 15 s runtime limit). */
export const USERS_CLOSE_WAIT_MS = 11000;
/** Bounded wait for client.close() before forcing it, ms. */
export const CLIENT_CLOSE_WAIT_MS = 2000;

/** Returns an error text when settings cannot work, else null (no secret ever appears in it). */
export function checkSettings(s: MongoSettings): string | null {
    // Node-RED >= 4 turns a field that is exactly ${VAR} into "" when VAR is set but empty
    if (s.uri === '') return 'connection string is empty: enter one (e.g. mongodb://127.0.0.1:27017/) or give a value to the environment variable the field names';
    if (typeof s.uri !== 'string' || !MONGO_URI_PATTERN.test(s.uri)) return 'connection string must start with mongodb:// or mongodb+srv:// and name a host';
    if (typeof s.database !== 'string' || !DB_NAME_PATTERN.test(s.database)) return 'database name is empty or has one of / \\ . " $ * < > : | ? or a space';
    const t = CONNECT_TIMEOUT_MS;
    if (!Number.isFinite(s.connectTimeoutMs) || s.connectTimeoutMs < t.min || s.connectTimeoutMs > t.max) return `connect timeout must be ${t.min}..${t.max} ms`;
    if (s.password && !s.user) return 'a password needs a username';
    if (s.tls && s.tlsCAFile && !fs.existsSync(s.tlsCAFile)) return `CA file ${s.tlsCAFile} does not exist`;
    return null;
}

/**
 * Replaces every secret in `text` with "***": the given secrets (raw and URL-encoded) and any
 * `user:password@` of a connection string. Use it on everything logged, shown or thrown.
 */
export function redact(text: unknown, secrets: (string | undefined | null)[] = []): string {
    let out = typeof text === 'string' ? text : text instanceof Error ? text.message : String(text);
    // password part of any URI userinfo, before the secret list (encoded forms are covered too)
    out = out.replace(/(mongodb(?:\+srv)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
    const list = secrets
        .filter((s): s is string => typeof s === 'string' && s.length > 0)
        .flatMap((s) => [s, encodeURIComponent(s)])
        .sort((a, b) => b.length - a.length);
    for (const s of list) out = out.split(s).join('***');
    return out;
}

export { expandEnv } from '../shared/env';

/**
 * The environment variables that `fields` (label -> the field as saved, e.g. "${MONGODB_URI}")
 * name but that are not set or empty, as an error text naming them, else null. Checked before
 * checkSettings(): "connection string must start with mongodb://" says nothing of a variable.
 */
export function unsetEnvProblem(fields: Record<string, string | undefined>, lookup: (name: string) => string | undefined): string | null {
    for (const [label, raw] of Object.entries(fields)) {
        const unset = envNames(raw).filter((name) => {
            const v = lookup(name);
            return v === undefined || v === '';
        });
        if (unset.length > 0) {
            const what = unset.length > 1 ? `environment variables ${unset.join(', ')} (in the ${label} "${raw}") are` : `environment variable ${unset[0]} (in the ${label} "${raw}") is`;
            return `${what} not set or empty: set it, or enter the ${label} in the config node`;
        }
    }
    return null;
}

/** Driver options from the settings: credentials via `auth`, never spliced into the URI. */
export function clientOptions(s: MongoSettings): MongoClientOptions {
    const o: MongoClientOptions = {
        appName: 'picochain',
        connectTimeoutMS: s.connectTimeoutMs,
        serverSelectionTimeoutMS: s.connectTimeoutMs,
        heartbeatFrequencyMS: HEARTBEAT_MS,
    };
    if (s.user) o.auth = { username: s.user, password: s.password || '' };
    if (s.tls) {
        o.tls = true;
        if (s.tlsCAFile) o.tlsCAFile = s.tlsCAFile;
        if (s.tlsAllowInvalidCertificates) o.tlsAllowInvalidCertificates = true;
    }
    return o;
}

export interface ConnectionHooks {
    log?: (level: LogLevel, text: string) => void;
    /** For tests: how to make a client (defaults to new MongoClient). */
    createClient?: (uri: string, options: MongoClientOptions) => MongoClient;
}

/**
 * One MongoClient for all users of a config node. Connects when the first user registers,
 * retries with backoff while the server is unreachable, tracks connected/disconnected from the
 * driver's topology events, and closes after its users on redeploy, within a bounded wait.
 * Emits 'state' (ConnectionState).
 */
export class MongoConnection extends EventEmitter {
    readonly databaseName: string;
    private client: MongoClient | null = null;
    private users = new Set<unknown>();
    private state: ConnectionState = 'disconnected';
    private started = false;
    private closing = false;
    private closed = false;
    private attempt = 0;
    private retryTimer: NodeJS.Timeout | null = null;
    private waiters: { resolve: (db: Db) => void; reject: (err: Error) => void }[] = [];
    private usersGone: (() => void) | null = null;
    private lastError = '';
    private failureKind: FailureKind | null = null;

    constructor(private readonly settings: MongoSettings, private readonly hooks: ConnectionHooks = {}) {
        super();
        this.databaseName = settings.database;
        this.setMaxListeners(0);
    }

    /** Redacts this connection's secrets (and any URI password) from a text or error. */
    redact(text: unknown): string {
        return redact(text, [this.settings.password]);
    }

    get currentState(): ConnectionState { return this.state; }
    get userCount(): number { return this.users.size; }
    /** The last connection error, redacted ('' when none). */
    get error(): string { return this.lastError; }
    /** 'auth' or 'tls' while connecting fails for that reason (state 'error'), else null. */
    get failure(): FailureKind | null { return this.failureKind; }

    register(user: unknown): void {
        this.users.add(user);
        if (!this.started && !this.closing) {
            this.started = true;
            void this.connect();
        }
    }

    deregister(user: unknown): void {
        this.users.delete(user);
        if (this.users.size === 0 && this.usersGone) this.usersGone();
    }

    isConnected(): boolean {
        return this.state === 'connected';
    }

    /** Resolves with the Db once connected; waits while unreachable; rejects once closed. */
    getDb(): Promise<Db> {
        if (this.closed) return Promise.reject(new Error('the MongoDB connection is closed'));
        if (this.client && this.state === 'connected') return Promise.resolve(this.client.db(this.databaseName));
        return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    }

    /**
     * Waits (bounded) for users to deregister, so writers can flush through this client, then
     * closes it (bounded, then forced).
     */
    async close(usersWaitMs = USERS_CLOSE_WAIT_MS): Promise<void> {
        this.closing = true;
        if (this.users.size > 0) {
            await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, usersWaitMs);
                this.usersGone = () => { clearTimeout(timer); resolve(); };
            });
        }
        this.usersGone = null;
        this.closed = true;
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = null;
        const err = new Error('the MongoDB connection is closed');
        for (const w of this.waiters.splice(0)) w.reject(err);
        const client = this.client;
        this.client = null;
        if (client) await closeClient(client);
        this.setState('disconnected');
        this.removeAllListeners();
    }

    private log(level: LogLevel, text: string): void {
        if (this.hooks.log) this.hooks.log(level, this.redact(text));
    }

    private setState(state: ConnectionState): void {
        if (state === this.state) return;
        this.state = state;
        this.emit('state', state);
        if (state === 'connected' && this.client) {
            const db = this.client.db(this.databaseName);
            for (const w of this.waiters.splice(0)) w.resolve(db);
        }
    }

    private async connect(): Promise<void> {
        if (this.closing) return;
        // refused credentials or TLS stay 'error' (red) through the retries, until one succeeds
        if (this.state !== 'error') this.setState('connecting');
        const options = clientOptions(this.settings);
        let client: MongoClient;
        try {
            client = this.hooks.createClient ? this.hooks.createClient(this.settings.uri, options) : new MongoClient(this.settings.uri, options);
        } catch (err) {
            // a malformed connection string never gets better by retrying
            this.lastError = this.redact(err);
            this.log('error', `invalid connection settings: ${this.lastError}`);
            this.setState('error');
            return;
        }
        client.on('topologyDescriptionChanged', (ev: { newDescription: { hasDataBearingServers?: boolean } }) => {
            if (this.client !== client || this.closing && this.closed) return;
            const up = Boolean(ev.newDescription && ev.newDescription.hasDataBearingServers);
            if (up && this.state !== 'connected') {
                this.log('info', `reconnected to ${this.databaseName}`);
                this.setState('connected');
            } else if (!up && this.state === 'connected') {
                this.log('warn', `lost the connection to the MongoDB server of ${this.databaseName}`);
                this.setState('disconnected');
            }
        });
        try {
            await client.connect();
            if (this.closed) { await closeClient(client); return; }
            this.client = client;
            this.attempt = 0;
            this.lastError = '';
            this.failureKind = null;
            this.log('info', `connected to database ${this.databaseName}`);
            this.setState('connected');
        } catch (err) {
            void closeClient(client);
            if (this.closed) return;
            this.lastError = this.redact(err);
            this.failureKind = failureKind(err);
            const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * Math.pow(2, Math.min(this.attempt++, 10)));
            if (this.attempt === 1 || this.attempt % 10 === 0) {
                const why = this.failureKind === 'auth'
                    ? `the server refused user "${this.settings.user || '(none)'}" for ${this.databaseName}: check the user name and password`
                    : this.failureKind === 'tls' ? 'TLS failed: check the CA file and that the server certificate names the host' : 'cannot reach MongoDB';
                this.log('warn', `${why} (attempt ${this.attempt}, next in ${delay} ms): ${this.lastError}`);
            }
            this.setState(this.failureKind ? 'error' : 'disconnected');
            this.retryTimer = setTimeout(() => { this.retryTimer = null; void this.connect(); }, delay);
        }
    }
}

/** Classifies a connect error: credentials refused, TLS refused, or null (e.g. unreachable: retrying helps). */
export function failureKind(err: unknown): FailureKind | null {
    const e = err as { code?: number | string; name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e?.code === 18 || e?.code === 13 || /auth/i.test(String(e?.name || '')) || /authentication failed/i.test(String(e?.message || ''))) return 'auth';
    const text = `${e?.message || ''} ${e?.cause?.code || ''} ${e?.cause?.message || ''}`;
    if (/certificate|CERT_|self[- ]signed|ERR_TLS|altnames|SSL routines|wrong version number/i.test(text)) return 'tls';
    return null;
}

async function closeClient(client: MongoClient): Promise<void> {
    let timer: NodeJS.Timeout | null = null;
    const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), CLIENT_CLOSE_WAIT_MS); });
    try {
        const r = await Promise.race([client.close().then(() => 'closed' as const), timeout]);
        if (r === 'timeout') await Promise.race([client.close(true), new Promise((res) => setTimeout(res, 500))]);
    } catch {
        /* closing anyway */
    } finally {
        if (timer) clearTimeout(timer);
    }
}
