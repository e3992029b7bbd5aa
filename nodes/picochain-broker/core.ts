/**
 * picochain-broker settings, apart from Node-RED: the editor's fields turned into checked
 * connection settings, the client id that keeps a persistent session, and what a broker's refusal
 * means. The connection itself is connection.ts.
 */
import * as fs from 'fs';
import * as os from 'os';

export type ProtocolChoice = 'auto' | '5' | '4';

export interface BrokerSettings {
    host: string;
    port: number;
    tls: boolean;
    /** CA certificate file (PEM) that signed the broker's certificate; empty = the system's CAs. */
    caFile: string;
    /** Client certificate and key (PEM), for brokers that identify clients by certificate. */
    certFile: string;
    keyFile: string;
    /** Check the broker's certificate and name (off only for a test broker). */
    verifyServer: boolean;
    clientId: string;
    protocol: ProtocolChoice;
    keepaliveS: number;
    /** MQTT 5 session expiry: how long the broker keeps the session and its queued messages while we are away. */
    sessionExpiryS: number;
    /** MQTT 5 receive maximum: messages the broker may send before we acknowledge. */
    receiveMaximum: number;
    user?: string;
    password?: string;
}

export const DEFAULT_PORT = 1883;
export const DEFAULT_TLS_PORT = 8883;
export const DEFAULT_KEEPALIVE_S = 60;
/** A week: a food bank closed over a long weekend keeps its queued readings. */
export const DEFAULT_SESSION_EXPIRY_S = 7 * 86400;
/** Ten thousand: the spool syncs in groups that can take hundreds of ms on a busy disk, and the broker must keep sending meanwhile. */
export const DEFAULT_RECEIVE_MAXIMUM = 10000;
/** MQTT 3.1.1 allows 23 characters only; every broker we ship with accepts longer ids. */
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const HOST_PATTERN = /^[A-Za-z0-9_.:[\]-]{1,253}$/;

export interface BrokerDefProps {
    broker?: unknown;
    port?: unknown;
    tls?: unknown;
    caFile?: unknown;
    certFile?: unknown;
    keyFile?: unknown;
    verifyServer?: unknown;
    clientId?: unknown;
    protocol?: unknown;
    keepalive?: unknown;
    sessionExpiry?: unknown;
    receiveMaximum?: unknown;
}

function bool(v: unknown, dflt: boolean): boolean {
    if (v === undefined || v === null || v === '') return dflt;
    return v === true || v === 'true' || v === 1 || v === '1';
}

function num(v: unknown, dflt: number): number {
    if (v === undefined || v === null || v === '') return dflt;
    return Number(v);
}

/** A stable client id for this Node-RED host and config node: the session survives restarts. */
export function defaultClientId(nodeId: string, hostname = os.hostname()): string {
    const host = hostname.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40) || 'host';
    return `picochain-${host}-${nodeId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`;
}

/**
 * The editor's properties (already env-expanded) → settings, or an error text naming the field.
 * `broker` may be a host name or a URL (mqtt://, mqtts://; user:password@ in it become the
 * credentials when none are set).
 */
export function parseBrokerSettings(p: BrokerDefProps, nodeId: string, creds: { user?: string; password?: string } = {}): { settings?: BrokerSettings; error?: string } {
    let host = String(p.broker ?? '').trim();
    let tls = bool(p.tls, false);
    let port = num(p.port, NaN);
    let user = creds.user || undefined;
    let password = creds.password || undefined;
    if (/^[a-z]+:\/\//i.test(host)) {
        let u: URL;
        try {
            u = new URL(host);
        } catch {
            return { error: 'broker: not a URL such as mqtt://host:1883' };
        }
        if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:' && u.protocol !== 'tcp:' && u.protocol !== 'ssl:') {
            return { error: `broker: ${u.protocol}// is not supported (mqtt:// or mqtts://)` };
        }
        if (u.protocol === 'mqtts:' || u.protocol === 'ssl:') tls = true;
        if (u.port && !Number.isFinite(port)) port = Number(u.port);
        if (u.username && !user) {
            user = decodeURIComponent(u.username);
            password = decodeURIComponent(u.password);
        }
        host = u.hostname;
    }
    if (!HOST_PATTERN.test(host)) return { error: 'broker: a host name or address is needed' };
    if (!Number.isFinite(port)) port = tls ? DEFAULT_TLS_PORT : DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { error: 'port: a whole number 1..65535' };
    const caFile = String(p.caFile ?? '').trim();
    const certFile = String(p.certFile ?? '').trim();
    const keyFile = String(p.keyFile ?? '').trim();
    for (const [what, f] of [['CA file', caFile], ['certificate', certFile], ['key', keyFile]] as const) {
        if (f && !fs.existsSync(f)) return { error: `${what} ${f} does not exist` };
    }
    if ((certFile === '') !== (keyFile === '')) return { error: 'a client certificate needs its key, and a key its certificate' };
    const clientId = String(p.clientId ?? '').trim() || defaultClientId(nodeId);
    if (!CLIENT_ID_PATTERN.test(clientId)) return { error: 'client id: 1..128 letters, digits, _ . : -' };
    const protocol = String(p.protocol || 'auto') as ProtocolChoice;
    if (!['auto', '5', '4'].includes(protocol)) return { error: 'protocol: auto, 5 or 4 (3.1.1)' };
    const keepaliveS = num(p.keepalive, DEFAULT_KEEPALIVE_S);
    if (!Number.isInteger(keepaliveS) || keepaliveS < 5 || keepaliveS > 65535) return { error: 'keep-alive: a whole number of seconds 5..65535' };
    const sessionExpiryS = num(p.sessionExpiry, DEFAULT_SESSION_EXPIRY_S);
    if (!Number.isInteger(sessionExpiryS) || sessionExpiryS < 0 || sessionExpiryS > 0xffffffff) return { error: 'session expiry: a whole number of seconds 0..4294967295' };
    const receiveMaximum = num(p.receiveMaximum, DEFAULT_RECEIVE_MAXIMUM);
    if (!Number.isInteger(receiveMaximum) || receiveMaximum < 1 || receiveMaximum > 65535) return { error: 'receive maximum: a whole number 1..65535' };
    if (password && !user) return { error: 'a password needs a user name' };
    return {
        settings: {
            host, port, tls, caFile, certFile, keyFile, verifyServer: bool(p.verifyServer, true), clientId, protocol,
            keepaliveS, sessionExpiryS, receiveMaximum, user, password,
        },
    };
}

/** What a refused or failed connection means for the user. */
export type FailureKind = 'auth' | 'protocol' | 'refused' | 'network' | 'tls';

/**
 * Classifies a connection error from mqtt.js: a CONNACK refusal (MQTT 3.1.1 return codes 1..5,
 * MQTT 5 reason codes ≥ 0x80) or a socket error.
 */
export function classifyFailure(err: { code?: unknown; message?: string } | null | undefined): { kind: FailureKind; reason: string } {
    const code = err && err.code;
    const message = (err && err.message) || String(err);
    if (code === 1 || code === 132) return { kind: 'protocol', reason: 'the broker does not speak this MQTT version' };
    if (code === 4 || code === 134) return { kind: 'auth', reason: 'bad user name or password' };
    if (code === 5 || code === 135) return { kind: 'auth', reason: 'not authorised' };
    if (code === 2 || code === 133) return { kind: 'refused', reason: 'client id refused by the broker' };
    if (code === 3 || code === 136) return { kind: 'refused', reason: 'broker unavailable' };
    if (typeof code === 'number' && code >= 128) return { kind: 'refused', reason: `refused by the broker (reason code ${code})` };
    if (typeof code === 'string' && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/.test(code)) return { kind: 'tls', reason: `TLS: ${message}` };
    if (/certificate|handshake|SSL|TLS/i.test(message)) return { kind: 'tls', reason: `TLS: ${message}` };
    return { kind: 'network', reason: message };
}

/** Removes the given secrets (and their URL-encoded forms) from a text. */
export function redactSecrets(text: unknown, secrets: (string | undefined)[]): string {
    let out = typeof text === 'string' ? text : text instanceof Error ? text.message : String(text);
    out = out.replace(/(mqtts?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
    for (const s of secrets.filter((x): x is string => typeof x === 'string' && x.length > 0).flatMap((x) => [x, encodeURIComponent(x)]).sort((a, b) => b.length - a.length)) {
        out = out.split(s).join('***');
    }
    return out;
}
