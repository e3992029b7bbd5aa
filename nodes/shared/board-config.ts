/**
 * A board's remotely settable configuration (firmware/PROTOCOL.md "Remote configuration"): the
 * same checks as the firmware's config.py for the keys a desired-config message may set, and the
 * config report a board puts in its status message. Verdicts agree with the firmware on every
 * case of test/vectors/config.json.
 *
 * Self-contained on purpose (no import, plain data): scripts/lib/flow-config-pages.js compiles
 * this file into the Fleet page templates, so the page checks an edit with this very code.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

/** Keys applied at the next sample (thresholds, window, sampling, frame format...). */
export const REMOTE_LIVE = ['sample_s', 'window_s', 'send', 'format', 'legacy', 'debug', 'thresholds'] as const;
/** Keys applied only once a connection with them works (Wi-Fi, broker). */
export const REMOTE_LINK = ['wifi', 'broker'] as const;
/** firmware/config.py keys a remote config may not set (config.json only). */
export const CONFIG_ONLY = ['onboard', 'onewire_pin', 'probes', 'ring', 'ntp', 'wdt_ms', 'backoff'] as const;
/** Secrets: sent only over TLS, never shown. */
export const SECRET_PATHS = [['wifi', 'password'], ['broker', 'password']] as const;
export const MAX_VERSION = 0x7fffffff;
export const RESULTS = ['none', 'applied', 'refused', 'testing'] as const;
export type ConfigResult = typeof RESULTS[number];

/** firmware/config.py DEFAULTS of the remotely settable keys. */
export const THRESHOLD_DEFAULTS: Obj = Object.freeze({
    warn_high: 8.0, alarm_high: 10.0, warn_low: null, alarm_low: null,
    warn_slope: 0.5, alarm_slope: 1.0, hysteresis: 0.5, slope_hysteresis: 0.1,
});
const DEFAULTS: Obj = {
    wifi: { ssid: '', password: '', country: null },
    broker: { host: null, port: 1883, tls: false, user: null, password: null, keepalive_s: 120, puback_timeout_s: 10 },
    sample_s: 10, window_s: 60, send: 'stats', format: 'json', legacy: 'off', debug: false,
    thresholds: { default: THRESHOLD_DEFAULTS },
};
const THRESHOLD_ORDER: [string, string, number][] = [['warn_high', 'alarm_high', 1], ['warn_low', 'alarm_low', -1], ['warn_slope', 'alarm_slope', 1]];
const IDENT = /^[A-Za-z0-9_-]{1,32}$/;

class ConfigProblem extends Error {}
const bad = (text: string): never => { throw new ConfigProblem(text); };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => isNum(v) && Number.isInteger(v);
const isText = (v: unknown, n: number): v is string => typeof v === 'string' && v.length <= n;
const copy = (o: Obj): Obj => Object.assign({}, o);

/** config.py sample_ms: the sample period a board keeps, in whole milliseconds (sample_s >= 1). */
export const sampleMs = (sampleS: number): number => Math.floor(sampleS * 1000 + 0.5);

/** config.py _merge: base's keys, then over's (each must exist in base); objects merged one level down. */
function merge(base: Obj, over: Obj, path: string): Obj {
    const out = copy(base);
    for (const k of Object.keys(over)) {
        if (!(k in base)) bad(`unknown key ${path}${k}`);
        if (isObj(base[k]) && k !== 'thresholds') {
            if (!isObj(over[k])) bad(`${path}${k} must be an object`);
            out[k] = merge(base[k], over[k], `${path}${k}.`);
        } else {
            out[k] = over[k];
        }
    }
    return out;
}

/** config.py layer: site with a remote overlay on top (wifi, broker key by key; thresholds block by block). */
export function layer(site: Obj, over: Obj): Obj {
    const out = copy(site);
    for (const k of Object.keys(over)) {
        let v = over[k];
        const cur = out[k];
        if (isObj(v) && isObj(cur)) {
            const m = copy(cur);
            for (const kk of Object.keys(v)) {
                let vv = v[kk];
                if (k === 'thresholds' && isObj(vv) && isObj(m[kk])) vv = Object.assign(copy(m[kk]), vv);
                m[kk] = vv;
            }
            v = m;
        }
        out[k] = v;
    }
    return out;
}

/** config.py check_remote. */
function checkKeys(over: unknown, tls: boolean): asserts over is Obj {
    if (!isObj(over)) bad('config must be an object');
    const o = over as Obj;
    for (const k of Object.keys(o)) {
        if (k === 'device' || k === 'site') bad(`${k} is the board's identity: set it in config.json`);
        if (!(REMOTE_LIVE as readonly string[]).includes(k) && !(REMOTE_LINK as readonly string[]).includes(k)) {
            bad((CONFIG_ONLY as readonly string[]).includes(k) ? `${k} is set in config.json only` : `unknown key ${k}`);
        }
        if (k !== 'thresholds' && isObj(DEFAULTS[k]) && !isObj(o[k])) bad(`${k} must be an object`);
    }
    if (!tls) for (const [a, b] of SECRET_PATHS) if (isObj(o[a]) && b in o[a]) bad(`${a}.${b} is sent only over TLS`);
}

function checkBlock(name: string, b: Obj): void {
    for (const k of Object.keys(b)) {
        const v = b[k];
        if (k === 'hysteresis' || k === 'slope_hysteresis') {
            if (!isNum(v) || v < 0) bad(`thresholds.${name}.${k} must be a number >= 0`);
        } else if (v !== null && !isNum(v)) {
            bad(`thresholds.${name}.${k} must be a number or null`);
        }
    }
    for (const [w, a, sign] of THRESHOLD_ORDER) {
        if (b[w] !== null && b[a] !== null && (b[a] - b[w]) * sign < 0) bad(`thresholds.${name}.${w} must not be ${sign > 0 ? 'above' : 'below'} ${a}`);
    }
}

/** config.py validate, for the remotely settable keys, in the same order. Returns cfg with full threshold blocks. */
function validate(cfg: Obj): Obj {
    const b = cfg.broker;
    if (!b.host) bad('broker.host is required');
    if (!isText(b.host, 253)) bad('broker.host must be a host name or address');
    if (!isInt(b.port) || b.port < 1 || b.port > 65535) bad('broker.port must be an integer from 1 to 65535');
    if (typeof b.tls !== 'boolean') bad('broker.tls must be true or false');
    for (const k of ['user', 'password']) if (b[k] !== null && !isText(b[k], 128)) bad(`broker.${k} must be null or text of at most 128 characters`);
    if (!isInt(b.keepalive_s) || b.keepalive_s < 10 || b.keepalive_s > 65535) bad('broker.keepalive_s must be an integer from 10 to 65535');
    if (!isNum(b.puback_timeout_s) || b.puback_timeout_s < 1 || b.puback_timeout_s > 120) bad('broker.puback_timeout_s must be from 1 to 120');
    if (!isText(cfg.wifi.ssid, 32)) bad('wifi.ssid must be text of at most 32 characters');
    if (!isText(cfg.wifi.password, 64)) bad('wifi.password must be text of at most 64 characters');
    const s = cfg.sample_s;
    const w = cfg.window_s;
    if (!isNum(s) || s < 1 || s > 3600) bad('sample_s must be a number from 1 to 3600');
    if (!isInt(w) || w < s || w > 3600) bad('window_s must be an integer from sample_s to 3600');
    // a window is a whole number of samples, which must cover exactly window_s
    if ((w * 1000) % sampleMs(s) !== 0) bad('window_s must be a whole multiple of sample_s');
    if (!['stats', 'raw', 'both'].includes(cfg.send)) bad('send must be stats, raw or both');
    if (!['json', 'binary'].includes(cfg.format)) bad('format must be json or binary');
    if (!['off', 'raw', 'mean'].includes(cfg.legacy)) bad('legacy must be off, raw or mean');
    if (typeof cfg.debug !== 'boolean') bad('debug must be true or false');
    const th = cfg.thresholds;
    if (!isObj(th)) bad('thresholds must be an object');
    const d = th.default === undefined ? {} : th.default;
    if (!isObj(d)) bad('thresholds.default must be an object');
    const base = merge(THRESHOLD_DEFAULTS, d, 'thresholds.default.');
    checkBlock('default', base);
    const full: Obj = { default: base };
    for (const name of Object.keys(th)) {
        if (name === 'default') continue;
        if (!IDENT.test(name)) bad('thresholds: a sensor name must be 1-32 of A-Z a-z 0-9 _ -');
        if (!isObj(th[name])) bad(`thresholds.${name} must be an object`);
        full[name] = merge(base, th[name], `thresholds.${name}.`);
        checkBlock(name, full[name]);
    }
    return Object.assign(copy(cfg), { thresholds: full });
}

/** What a board reports of its remotely settable config (config.py settings): no secrets. */
export function settingsOf(cfg: Obj): Obj {
    const out: Obj = {};
    for (const k of REMOTE_LIVE) out[k] = cfg[k];
    out.wifi = { ssid: cfg.wifi.ssid };
    out.broker = { host: cfg.broker.host, port: cfg.broker.port, tls: cfg.broker.tls };
    return out;
}

export interface RemoteVerdict {
    /** The first problem, in the firmware's words; null when the board would take it. */
    error: string | null;
    /** The settings the board would then report. */
    settings: Obj | null;
}

/**
 * What a board whose config.json (or reported settings) is `base` makes of the overlay `over`
 * arriving over a link with or without TLS: firmware config.py build(site, over, tls).
 */
export function checkRemote(over: unknown, base: Obj, tls: boolean): RemoteVerdict {
    try {
        checkKeys(over, tls);
        const layered = layer(base, over);
        const known: Obj = {};
        for (const k of [...REMOTE_LINK, ...REMOTE_LIVE]) if (k in layered) known[k] = layered[k];
        const full = validate(merge(DEFAULTS, known, ''));
        return { error: null, settings: settingsOf(full) };
    } catch (err) {
        if (err instanceof ConfigProblem) return { error: err.message, settings: null };
        throw err;
    }
}

/** Which secrets an overlay carries ("wifi.password", ...). */
export function secretsIn(over: unknown): string[] {
    if (!isObj(over)) return [];
    return SECRET_PATHS.filter(([a, b]) => isObj(over[a]) && b in over[a]).map(([a, b]) => `${a}.${b}`);
}

/** A copy of an overlay with its secrets replaced by "***" (for pages, logs, outputs). */
export function maskSecrets<T>(over: T): T {
    if (!isObj(over)) return over;
    const out = copy(over);
    for (const [a, b] of SECRET_PATHS) if (isObj(out[a]) && b in out[a]) out[a] = Object.assign(copy(out[a]), { [b]: '***' });
    return out as T;
}

/** The config report of a status message: {applied, last, result, reason?, settings?}. */
export interface ConfigReport {
    applied: number;
    last: number | null;
    result: ConfigResult;
    reason?: string;
    settings?: Obj;
}

const REASON_MAX = 200;
const SETTINGS_MAX_CHARS = 4096;

/** Checks a status message's `config` object; returns the report or the problem. */
export function checkReport(v: unknown): { report?: ConfigReport; problem?: { field: string; expected: string; value: unknown } } {
    const p = (field: string, expected: string) => ({ problem: { field: `config.${field}`, expected, value: (v as Obj)[field] } });
    if (!isObj(v)) return { problem: { field: 'config', expected: 'an object', value: v } };
    if (!isInt(v.applied) || v.applied < 0 || v.applied > MAX_VERSION) return p('applied', `an integer from 0 to ${MAX_VERSION}`);
    if (v.last !== null && v.last !== undefined && (!isInt(v.last) || v.last < 1 || v.last > MAX_VERSION)) return p('last', `null or an integer from 1 to ${MAX_VERSION}`);
    if (!(RESULTS as readonly string[]).includes(v.result)) return p('result', RESULTS.map((r) => `"${r}"`).join(', '));
    if (v.reason !== undefined && v.reason !== null && !isText(v.reason, REASON_MAX)) return p('reason', `text of at most ${REASON_MAX} characters`);
    if (v.settings !== undefined && (!isObj(v.settings) || JSON.stringify(v.settings).length > SETTINGS_MAX_CHARS)) return p('settings', `an object of at most ${SETTINGS_MAX_CHARS} characters`);
    const report: ConfigReport = { applied: v.applied, last: v.last === undefined ? null : v.last, result: v.result };
    if (typeof v.reason === 'string') report.reason = v.reason;
    if (v.settings !== undefined) report.settings = v.settings;
    return { report };
}
