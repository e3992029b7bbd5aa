/**
 * picochain-decode core: turns one MQTT payload (JSON frame v1, binary frame v1, The Things Stack
 * v3 uplink, legacy TOUCAN message, or a device status message) into normalised Readings or a
 * DeviceStatus, validating everything on the way (firmware/PROTOCOL.md). No Node-RED import: the
 * wrapper picochain-decode.ts adds config, status and events.
 */
import { decodeBinaryFrame, FrameError, RECORD_BYTES, SENSOR_KINDS, sensorCode, WindowFrame } from '../shared/codec';
import {
    DeviceState,
    ID_PATTERN,
    MAX_SENSORS_PER_FRAME,
    MAX_WINDOW_S,
    Reading,
    SENSOR_PATTERN,
    SEQ_MODULO,
    SourceFormat,
    SOURCE_FORMATS,
    STAT_FIELDS,
} from '../shared/reading';

// ---------------------------------------------------------------------------------------------
// Messages. English templates with Node-RED's i18n interpolation (`__name__`); the wrapper renders
// the same keys through RED._('picochain-decode.errors.<key>') and locales/en-US must equal these
// (test/decode/locales.test.js checks it).

export const ERROR_MESSAGES = {
    'oversize': 'payload is __size__ bytes, over the __max__-byte limit (at __where__)',
    'not-json': 'payload is not JSON: __detail__ (at __where__)',
    'not-object': 'payload must be a JSON object, got __actual__ (at __where__)',
    'non-finite': 'non-finite number __value__ (at __where__)',
    'forbidden-key': 'key "__key__" is not allowed: keys may not contain $ or a dot (at __where__)',
    'too-deep': 'payload is nested deeper than __max__ levels (at __where__)',
    'missing': 'required field "__field__" is missing (at __where__)',
    'type': '"__field__" must be __expected__, got __actual__ (at __where__)',
    'range': '"__field__" = __value__ is out of range __min__ … __max__ (at __where__)',
    'implausible': '"__field__" = __value__ __unit__ is outside the plausible range __min__ … __max__ (at __where__)',
    'version': 'unknown frame version __value__, expected 1 (at __where__)',
    'future': 'timestamp __time__ is more than __limit__ s in the future (at __where__)',
    'ancient': 'timestamp __time__ is before __min__ (at __where__)',
    'bad-date': 'cannot read the date "__value__" (at __where__)',
    'bad-id': '"__field__" = "__value__" is not a valid id (1 to 32 letters, digits, _ or -) (at __where__)',
    'duplicate-sensor': 'sensor "__sensor__" appears twice in one frame (at __where__)',
    'truncated': 'truncated binary frame: __detail__ (at __where__)',
    'binary': 'bad binary frame: __detail__ (at __where__)',
    'base64': '"__field__" is not base64 (at __where__)',
    'no-device': 'no device id: none in the payload, and the topic "__topic__" does not match "__pattern__" (at __where__)',
    'unknown-device': 'device "__device__" is not in the allow-list (at __where__)',
    'unknown-format': 'unrecognised payload: not a picochain frame, a TTN uplink, a legacy message nor a status message (at __where__)',
} as const;
export type ErrorKey = keyof typeof ERROR_MESSAGES;

/** Messages that are dropped with a warning rather than an error. */
export const WARN_MESSAGES = {
    'ttn-port': 'TTN uplink on port __port__ ignored: picochain frames use port 1 (at __where__)',
    'ttn-no-payload': 'TTN message without uplink payload ignored (at __where__)',
    'status-cleared': 'empty status message ignored: the retained status of __device__ was cleared',
} as const;
export type WarnKey = keyof typeof WARN_MESSAGES;

/** Node status texts (kept under 20 characters). */
export const STATUS_MESSAGES = {
    'counts': 'ok __ok__ · err __err__',
    'config-error': 'config error',
} as const;
export type StatusKey = keyof typeof STATUS_MESSAGES;

export type MessageParams = Record<string, string | number>;

/** Fills `__name__` placeholders, as Node-RED's i18next setup does. */
export function formatMessage(template: string, params: MessageParams): string {
    return template.replace(/__([A-Za-z0-9]+)__/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/** What every decode failure throws: a category key, its parameters and where it happened. */
export class DecodeError extends Error {
    constructor(public readonly key: ErrorKey, public readonly params: MessageParams) {
        super(formatMessage(ERROR_MESSAGES[key], params));
        this.name = 'DecodeError';
    }
    get where(): string {
        return String(this.params.where ?? '');
    }
}

function fail(key: ErrorKey, params: MessageParams): never {
    throw new DecodeError(key, params);
}

// ---------------------------------------------------------------------------------------------
// Options

export type FormatSetting = 'auto' | SourceFormat;
export const FORMAT_SETTINGS: readonly FormatSetting[] = ['auto', ...SOURCE_FORMATS];

export interface DecodeOptions {
    /** Forced input format, or 'auto' to detect it per message. Status messages are always recognised. */
    format: FormatSetting;
    /** MQTT-style topic pattern with named wildcards (`+site`, `+device`, `+kind`) and a final `#`. */
    topicPattern: string;
    /** Largest accepted payload, bytes (JSON text, binary, or an object's JSON size). */
    maxBytes: number;
    /** Plausible range of °C values (min, max, mean, last). */
    tempMin: number;
    tempMax: number;
    /** Time zone of legacy boards' hand-made dates: a UTC offset ("+01:00", "Z") or an IANA zone ("Europe/Paris", daylight saving included). */
    legacyTimeZone: string;
    /** When not empty, only these devices are accepted. */
    allowedDevices: readonly string[];
    /** Synced timestamps later than now + this are rejected (ms). */
    maxFutureMs: number;
    /** Synced timestamps before this are rejected (ms since epoch). */
    minTimeMs: number;
    /** Per-device sequence tracking (gaps, replays). */
    trackSeq: boolean;
    /** Devices whose sequence state is kept (least recently seen dropped first). */
    maxTrackedDevices: number;
}

export const DEFAULT_OPTIONS: Readonly<DecodeOptions> = Object.freeze({
    format: 'auto',
    topicPattern: 'picochain/+site/+device/+kind',
    maxBytes: 16 * 1024,
    tempMin: -60,
    tempMax: 150,
    legacyTimeZone: '+00:00',
    allowedDevices: [],
    maxFutureMs: 24 * 3600 * 1000,
    minTimeMs: Date.UTC(2020, 0, 1),
    trackSeq: true,
    maxTrackedDevices: 10000,
});

// Nesting of any accepted payload is far below this (a TTN uplink is about 6 levels deep).
const MAX_DEPTH = 16;
const HUMIDITY_MIN = 0;
const HUMIDITY_MAX = 100;
const MAX_UNIT_LENGTH = 16;
const MAX_FAULT_LENGTH = 64;
const MAX_TS = 0xffffffff;

// ---------------------------------------------------------------------------------------------
// Topic patterns

export interface TopicMatcher {
    readonly pattern: string;
    /** Named wildcard values, or null when the topic does not match. */
    match(topic: string | undefined): Record<string, string> | null;
}

/**
 * Compiles an MQTT-style pattern: `+name` matches one level and captures it as `name`, a bare `+`
 * matches one level, a final `#` matches the rest. Throws on a malformed pattern.
 */
export function compileTopicPattern(pattern: string): TopicMatcher {
    const problem = topicPatternProblem(pattern);
    if (problem) throw new Error(`topic pattern "${pattern}": ${problem}`);
    const names: string[] = [];
    const parts = pattern.split('/');
    let src = '';
    parts.forEach((p, i) => {
        const sep = i === 0 ? '' : '/';
        if (p === '#') {
            // "a/#" also matches "a" (MQTT semantics)
            src += i === 0 ? '.*' : '(?:/.*)?';
        } else if (p.startsWith('+')) {
            src += `${sep}([^/]+)`;
            names.push(p.slice(1));
        } else {
            src += sep + p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        }
    });
    const re = new RegExp(`^${src}$`);
    return {
        pattern,
        match(topic) {
            if (typeof topic !== 'string') return null;
            const m = re.exec(topic);
            if (!m) return null;
            const out: Record<string, string> = {};
            names.forEach((n, i) => {
                if (n) out[n] = m[i + 1];
            });
            return out;
        },
    };
}

/** Why a topic pattern is malformed, or null when it is fine (the editor validator uses the same rules). */
export function topicPatternProblem(pattern: unknown): string | null {
    if (typeof pattern !== 'string' || pattern.length === 0) return 'empty';
    const parts = pattern.split('/');
    for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (p === '#') {
            if (i !== parts.length - 1) return '# must be the last level';
        } else if (p.startsWith('+')) {
            if (!/^\+[A-Za-z0-9_]*$/.test(p)) return `bad wildcard "${p}"`;
        } else if (p.includes('+') || p.includes('#')) {
            return `"${p}" mixes a wildcard with text`;
        }
    }
    return null;
}

// ---------------------------------------------------------------------------------------------
// Legacy dates and offsets

/** "+01:00", "-0530", "+2", "Z", "UTC", "" -> minutes east of UTC; null when unreadable. */
export function parseUtcOffset(s: string): number | null {
    const t = s.trim();
    if (t === '' || /^(?:Z|UTC|GMT)$/i.test(t)) return 0;
    const m = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(t);
    if (!m) return null;
    const h = Number(m[2]);
    const min = m[3] === undefined ? 0 : Number(m[3]);
    if (h > 14 || min > 59) return null;
    return (m[1] === '-' ? -1 : 1) * (h * 60 + min);
}

/** A legacy time zone setting: a fixed offset in minutes east of UTC, or an IANA zone name. */
export type TimeZoneSetting = number | string;

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(zone: string): Intl.DateTimeFormat {
    let f = zoneFormats.get(zone);
    if (f === undefined) {
        f = new Intl.DateTimeFormat('en-US', {
            timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
            hour: 'numeric', minute: 'numeric', second: 'numeric',
        });
        zoneFormats.set(zone, f);
    }
    return f;
}

/** "+01:00" -> 60, "Europe/Paris" -> "Europe/Paris", anything else -> null. */
export function parseTimeZone(s: string): TimeZoneSetting | null {
    const off = parseUtcOffset(s);
    if (off !== null) return off;
    const zone = s.trim();
    if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(zone)) return null;
    try {
        zoneFormat(zone);
        return zone;
    } catch {
        return null;
    }
}

/** Minutes east of UTC of `zone` at the instant `utcMs`. */
export function zoneOffsetMin(zone: string, utcMs: number): number {
    const p: Record<string, number> = {};
    for (const part of zoneFormat(zone).formatToParts(new Date(utcMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60000);
}

/** A wall-clock time (given as if it were UTC) in `zone` -> the UTC instant. */
function wallToUtc(wallMs: number, zone: TimeZoneSetting): number {
    if (typeof zone === 'number') return wallMs - zone * 60000;
    // the offset at the wall time read as UTC is right except within hours of a DST change: check once more
    let t = wallMs - zoneOffsetMin(zone, wallMs) * 60000;
    const again = zoneOffsetMin(zone, t);
    if (wallMs - again * 60000 !== t) t = wallMs - again * 60000;
    return t;
}

/**
 * Reads the original boards' hand-made dates leniently: "2024-3-12 14:5:10.25", with or without
 * zero padding, seconds, fraction, a "T" separator or a zone suffix ("Z", "+01:00"). Without a
 * suffix the date is wall-clock time in `zone` (minutes east of UTC, or an IANA zone name).
 * Null when unreadable or impossible (month 13, 31 April, hour 24).
 */
export function parseLegacyDate(s: string, zone: TimeZoneSetting = 0): Date | null {
    const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?\s*$/i.exec(s);
    if (!m) return null;
    const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => (m[i] === undefined ? 0 : Number(m[i])));
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return null;
    const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (d > daysInMonth) return null;
    const ms = m[7] === undefined ? 0 : Math.round(Number(`0.${m[7]}`) * 1000);
    const wall = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
    if (m[8] === undefined) return new Date(wallToUtc(wall, zone));
    const offset = parseUtcOffset(m[8]);
    return offset === null ? null : new Date(wall - offset * 60000);
}

// ---------------------------------------------------------------------------------------------
// Sequence tracking

/** What a frame's seq says about delivery. */
export type SeqEvent = 'none' | 'first' | 'next' | 'gap' | 'replay' | 'late' | 'reset';

export interface SeqInfo {
    event: SeqEvent;
    /** Windows missing just before this one (uint16 wrap aware); 0 unless event is 'gap'. */
    gap: number;
    /** True when this (seq, ts) was already seen: a redelivery or a store-and-forward replay. */
    replay: boolean;
}

// Seqs remembered per device, to tell a replay (same seq, same ts) from a restarted counter.
const SEQ_HISTORY = 32;
const HALF_SEQ = SEQ_MODULO / 2;

interface DeviceSeqState {
    last: number;
    lastTs: number;
    seqs: Uint16Array;
    ts: Float64Array;
    size: number;
    next: number;
}

/**
 * Per-device window sequence tracking with uint16 wrap. Memory is bounded: at most `maxDevices`
 * devices (least recently seen dropped first), each with the last SEQ_HISTORY (seq, ts) pairs of
 * its window stream and of its raw-sample stream (about 0.7 KiB per device at most).
 *
 * - seq already seen with the same ts: replay (passed on, marked).
 * - seq ahead by d (d < 32768, modulo 65536): d - 1 windows were lost (gap).
 * - seq behind, not seen, within the remembered span and older than the newest ts: late.
 * - anything else (seq seen with another ts, or far behind): the device restarted its counter.
 */
export class SeqTracker {
    private readonly devices = new Map<string, DeviceEntry>();

    constructor(public readonly maxDevices = DEFAULT_OPTIONS.maxTrackedDevices) {}

    /** Devices currently remembered. */
    get size(): number {
        return this.devices.size;
    }

    /**
     * Classifies one frame of `device`. Raw-sample frames count their own seq on the board
     * (firmware/main.py `raw_seq`), so they are tracked as a separate stream.
     */
    observe(device: string, seq: number, ts: number, stream: SeqStream = 'stats'): SeqInfo {
        const entry = this.entry(device);
        const st = entry[stream];
        if (st === undefined) {
            entry[stream] = newSeqState(seq, ts);
            return { event: 'first', gap: 0, replay: false };
        }
        const seenTs = recall(st, seq);
        if (seenTs !== null) {
            if (seenTs === ts) return { event: 'replay', gap: 0, replay: true };
            restart(st, seq, ts);
            return { event: 'reset', gap: 0, replay: false };
        }
        const ahead = (seq - st.last + SEQ_MODULO) % SEQ_MODULO;
        if (ahead > 0 && ahead < HALF_SEQ) {
            st.last = seq;
            st.lastTs = ts;
            remember(st, seq, ts);
            return ahead === 1 ? { event: 'next', gap: 0, replay: false } : { event: 'gap', gap: ahead - 1, replay: false };
        }
        const behind = SEQ_MODULO - ahead;
        if (behind < SEQ_HISTORY && ts < st.lastTs) {
            remember(st, seq, ts);
            return { event: 'late', gap: 0, replay: false };
        }
        restart(st, seq, ts);
        return { event: 'reset', gap: 0, replay: false };
    }

    /**
     * Notes the boot counter of a device's birth message. When it differs from the one noted
     * before, the board restarted and its counters began again at 0: its sequence state is
     * dropped (the next frame is 'first', not a replay or a huge gap). Returns true then.
     */
    noteBoot(device: string, boot: number): boolean {
        const entry = this.entry(device);
        const rebooted = entry.boot !== null && entry.boot !== boot;
        entry.boot = boot;
        if (rebooted) {
            entry.stats = undefined;
            entry.raw = undefined;
        }
        return rebooted;
    }

    forget(device: string): void {
        this.devices.delete(device);
    }

    clear(): void {
        this.devices.clear();
    }

    /** The device's entry, created if needed, moved to the most recent end of the LRU order. */
    private entry(device: string): DeviceEntry {
        let e = this.devices.get(device);
        if (e !== undefined) {
            // a Map iterates in insertion order: re-inserting makes it the most recent
            this.devices.delete(device);
        } else {
            if (this.devices.size >= this.maxDevices) this.devices.delete(this.devices.keys().next().value as string);
            e = { boot: null };
        }
        this.devices.set(device, e);
        return e;
    }
}

export type SeqStream = 'stats' | 'raw';

interface DeviceEntry {
    /** Boot counter of the last birth message, null before one was seen. */
    boot: number | null;
    stats?: DeviceSeqState;
    raw?: DeviceSeqState;
}

function newSeqState(seq: number, ts: number): DeviceSeqState {
    const st: DeviceSeqState = { last: seq, lastTs: ts, seqs: new Uint16Array(SEQ_HISTORY), ts: new Float64Array(SEQ_HISTORY), size: 0, next: 0 };
    remember(st, seq, ts);
    return st;
}

function remember(st: DeviceSeqState, seq: number, ts: number): void {
    st.seqs[st.next] = seq;
    st.ts[st.next] = ts;
    st.next = (st.next + 1) % SEQ_HISTORY;
    if (st.size < SEQ_HISTORY) st.size++;
}

function recall(st: DeviceSeqState, seq: number): number | null {
    for (let i = 0; i < st.size; i++) if (st.seqs[i] === seq) return st.ts[i];
    return null;
}

function restart(st: DeviceSeqState, seq: number, ts: number): void {
    st.size = 0;
    st.next = 0;
    st.last = seq;
    st.lastTs = ts;
    remember(st, seq, ts);
}

// ---------------------------------------------------------------------------------------------
// Outcomes

export type DeviceLinkState = 'online' | 'offline';

/** A device's birth message or last will, from `picochain/<site>/<device>/status`. */
export interface DeviceStatus {
    device: string;
    site: string | null;
    state: DeviceLinkState;
    receivedAt: Date;
    fw?: string;
    ip?: string;
    rssi?: number;
    boot?: number;
    buffered?: number;
    replayed?: number;
    dropped?: number;
    synced?: boolean;
}

export interface ReadingsOutcome {
    kind: 'readings';
    format: SourceFormat;
    device: string;
    site: string | null;
    seq: number | null;
    seqInfo: SeqInfo;
    readings: Reading[];
}

export interface StatusOutcome {
    kind: 'status';
    status: DeviceStatus;
}

export interface IgnoredOutcome {
    kind: 'ignored';
    key: WarnKey;
    params: MessageParams;
    message: string;
}

export type DecodeOutcome = ReadingsOutcome | StatusOutcome | IgnoredOutcome;

/** Counters of one decoder, shown in the node status and read by tests. */
export interface DecodeCounters {
    /** Messages that produced readings. */
    ok: number;
    /** Readings produced. */
    readings: number;
    /** Messages rejected. */
    err: number;
    /** Rejections per error key. */
    errors: Partial<Record<ErrorKey, number>>;
    /** Status messages decoded. */
    status: number;
    /** Messages dropped with a warning. */
    ignored: number;
    /** Windows missing, summed over all gaps. */
    missing: number;
    /** Frames that arrived after a gap. */
    gaps: number;
    replays: number;
    late: number;
    resets: number;
    /** Birth messages with a new boot counter (sequence state dropped). */
    reboots: number;
}

function newCounters(): DecodeCounters {
    return { ok: 0, readings: 0, err: 0, errors: {}, status: 0, ignored: 0, missing: 0, gaps: 0, replays: 0, late: 0, resets: 0, reboots: 0 };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function describe(v: unknown): string {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'array';
    if (Buffer.isBuffer(v)) return 'Buffer';
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (typeof v === 'string') return `string "${v.length > 24 ? `${v.slice(0, 24)}…` : v}"`;
    if (typeof v === 'object') return 'object';
    return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array);
}

function childPath(path: string, key: string | number): string {
    if (typeof key === 'number') return `${path}[${key}]`;
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Walks a parsed payload and returns an upper bound of its JSON size (bytes): no key may contain `$` or `.` (a leading `$` is a MongoDB operator, a dot
 * a path; no picochain or TTN key holds either), no number may be NaN/Infinity, nesting stays bounded.
 */
export function checkTree(value: unknown, path = '$', depth = 0): number {
    // the common case (nothing wrong) runs without building paths; a failure walks again to say where
    if (depth === 0) {
        const acc = { bound: 0 };
        if (treeOk(value, 0, acc)) return acc.bound;
    }
    if (typeof value === 'number') {
        if (!Number.isFinite(value)) fail('non-finite', { value: String(value), where: path });
        return 0;
    }
    if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date) return 0;
    if (depth >= MAX_DEPTH) fail('too-deep', { max: MAX_DEPTH, where: path });
    if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) checkTree(value[i], childPath(path, i), depth + 1);
        return 0;
    }
    for (const key of Object.keys(value)) {
        if (key.includes('$') || key.includes('.')) fail('forbidden-key', { key, where: childPath(path, key) });
        checkTree((value as Record<string, unknown>)[key], childPath(path, key), depth + 1);
    }
    // the size bound only matters at depth 0, and there this walk runs because the fast pass found
    // a fault, which it throws above; Infinity just forces the exact size check should it not
    return Infinity;
}

/**
 * The fast pass of checkTree: true when nothing is wrong. Adds to `acc.bound` an upper bound of
 * the value's JSON size in bytes (a UTF-16 unit is at most 6 bytes escaped, a number at most 24
 * characters), so the exact JSON.stringify size check is only needed for large payloads.
 */
function treeOk(value: unknown, depth: number, acc: { bound: number }): boolean {
    if (typeof value === 'number') {
        acc.bound += 25;
        return Number.isFinite(value);
    }
    if (typeof value === 'string') {
        acc.bound += 6 * value.length + 3;
        return true;
    }
    if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date) {
        // Buffers and Dates serialise to much more than this: force the exact check
        acc.bound += typeof value === 'object' && value !== null ? Infinity : 6;
        return true;
    }
    if (depth >= MAX_DEPTH) return false;
    acc.bound += 2;
    if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!treeOk(value[i], depth + 1, acc)) return false;
        return true;
    }
    for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        if (key.includes('$') || key.includes('.')) return false;
        acc.bound += 6 * key.length + 4;
        if (!treeOk((value as Record<string, unknown>)[key], depth + 1, acc)) return false;
    }
    return true;
}

// Control characters other than tab, LF and CR never appear in JSON or status text, while a
// binary frame always has some (header 0x10-0x1f, and zero bytes in seq/window/count).
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The buffer as text when it is plausibly text (valid UTF-8, no control characters but \t \n \r), else null. */
export function bufferText(b: Uint8Array): string | null {
    for (let i = 0; i < b.length; i++) {
        const c = b[i];
        if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return null;
    }
    try {
        return utf8.decode(b);
    } catch {
        return null;
    }
}

/** True when a buffer is plausibly text (see bufferText). */
export function looksLikeText(b: Uint8Array): boolean {
    return bufferText(b) !== null;
}

const HEX_FRAME = /^(?:[0-9a-fA-F]{48})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function notJsonDetail(text: string, e: unknown): { detail: string; where: string } {
    const raw = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(raw);
    const detail = raw.length > 120 ? `${raw.slice(0, 120)}…` : raw;
    return { detail, where: pos ? `character ${pos[1]}` : '$' };
}

// NaN / Infinity are not JSON; say so precisely instead of "Unexpected token N".
const NON_FINITE_TOKEN = /[:,[]\s*(-?(?:NaN|Infinity))\s*[,}\]]/;

type TextOrBytes = { text: string } | { bytes: Buffer };

// ---------------------------------------------------------------------------------------------
// The decoder

interface Located {
    /** Where a frame-level field is ("$.window", "byte 8"). */
    top(field: string): string;
    /** Where a sensor's field is ("$.sensors[1].max", "byte 38"). */
    sensor(i: number, field: string): string;
}

const BINARY_OFFSETS: Record<string, number> = {
    header: 0, state: 0, synced: 0, sensor: 1, unit: 1, seq: 2, ts: 4, window: 8, count: 10,
    min: 12, max: 14, mean: 16, last: 18, std: 20, slope: 22,
};

const JSON_LOCATOR: Located = {
    top: (f) => `$.${f}`,
    sensor: (i, f) => `$.sensors[${i}].${f}`,
};

function binaryLocator(prefix = ''): Located {
    const at = (i: number, f: string) => `${prefix}byte ${i * RECORD_BYTES + (BINARY_OFFSETS[f] ?? 0)}`;
    return { top: (f) => at(0, f), sensor: at };
}

/** Unit of a known sensor name (temperature, probeN, humidity, door), else undefined. */
function kindUnit(sensor: string): string | null | undefined {
    const code = sensorCode(sensor);
    return code === null ? undefined : SENSOR_KINDS[code >> 5].unit;
}

const LEVEL_STATS = ['min', 'max', 'mean', 'last'] as const;

/**
 * One decoder per node: options, the topic matcher, per-device sequence state and counters.
 * `decode()` returns an outcome or throws a DecodeError; either way the counters are updated.
 */
export class Decoder {
    readonly options: DecodeOptions;
    readonly counters: DecodeCounters = newCounters();
    readonly seq: SeqTracker;
    private readonly topic: TopicMatcher;
    private readonly legacyZone: TimeZoneSetting;
    private readonly allowed: Set<string> | null;

    constructor(options: Partial<DecodeOptions> = {}) {
        const o: DecodeOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(options) };
        if (!FORMAT_SETTINGS.includes(o.format)) throw new Error(`unknown format "${o.format}"`);
        if (!(Number.isInteger(o.maxBytes) && o.maxBytes > 0)) throw new Error(`maxBytes must be a positive integer, got ${o.maxBytes}`);
        if (!(Number.isFinite(o.tempMin) && Number.isFinite(o.tempMax) && o.tempMin < o.tempMax)) {
            throw new Error(`temperature range ${o.tempMin} … ${o.tempMax} is not a range`);
        }
        const zone = parseTimeZone(o.legacyTimeZone);
        if (zone === null) throw new Error(`time zone "${o.legacyTimeZone}" is neither a UTC offset like +01:00 nor a zone like Europe/Paris`);
        for (const d of o.allowedDevices) if (!ID_PATTERN.test(d)) throw new Error(`allow-list entry "${d}" is not a valid device id`);
        this.options = o;
        this.topic = compileTopicPattern(o.topicPattern);
        this.legacyZone = zone;
        this.allowed = o.allowedDevices.length > 0 ? new Set(o.allowedDevices) : null;
        this.seq = new SeqTracker(o.maxTrackedDevices);
    }

    /**
     * Decodes one message. `payload` is a Buffer, a string or an already parsed object;
     * `receivedAt` is when it arrived (injectable for tests).
     */
    decode(payload: unknown, topic?: string, receivedAt: Date = new Date()): DecodeOutcome {
        let out: DecodeOutcome;
        try {
            out = this.decodeInner(payload, topic, receivedAt);
        } catch (e) {
            this.counters.err++;
            if (e instanceof DecodeError) this.counters.errors[e.key] = (this.counters.errors[e.key] ?? 0) + 1;
            throw e;
        }
        const c = this.counters;
        if (out.kind === 'readings') {
            c.ok++;
            c.readings += out.readings.length;
            const ev = out.seqInfo.event;
            if (ev === 'gap') {
                c.gaps++;
                c.missing += out.seqInfo.gap;
            } else if (ev === 'replay') c.replays++;
            else if (ev === 'late') c.late++;
            else if (ev === 'reset') c.resets++;
        } else if (out.kind === 'status') c.status++;
        else c.ignored++;
        return out;
    }

    /** Sets all counters back to zero (sequence state is kept). */
    resetCounters(): void {
        Object.assign(this.counters, newCounters());
    }

    private decodeInner(payload: unknown, topic: string | undefined, receivedAt: Date): DecodeOutcome {
        const fromTopic = this.topic.match(topic) ?? {};
        let data = this.sizeAndShape(payload);

        // Status messages first, whatever the format setting: the last will is plain "offline".
        const statusTopic = fromTopic.kind === 'status';
        if (statusTopic && 'bytes' in data) data = { text: data.bytes.toString('utf8') };
        if ('text' in data) {
            const t = data.text.trim();
            if (t === 'offline' || t === 'online') return this.status({ state: t }, fromTopic, topic, receivedAt, '$');
            if (statusTopic && t === '') {
                const device = fromTopic.device ?? '?';
                return ignored('status-cleared', { device });
            }
        }

        const format = this.options.format;
        if (!statusTopic && !('obj' in data)) {
            // hex text is accepted in auto mode too (handy from an inject node); base64 only when forced
            const hex = 'text' in data && HEX_FRAME.test(data.text.trim());
            if (format === 'binary-v1' || (format === 'auto' && ('bytes' in data || hex))) {
                const bytes = 'bytes' in data ? data.bytes : textToBytes(data.text.trim());
                return this.binary(bytes, fromTopic, topic, receivedAt, 'binary-v1', '', null, null);
            }
        }

        const obj = this.toObject(data);
        if (statusTopic || (isStatusShape(obj) && format === 'auto')) return this.status(obj, fromTopic, topic, receivedAt, '$');

        let kind: SourceFormat;
        if (format !== 'auto') kind = format;
        else if ('v' in obj || 'sensors' in obj) kind = 'json-v1';
        else if ('end_device_ids' in obj || 'uplink_message' in obj) kind = 'ttn-v3';
        else if ('noeud' in obj || 'capteur' in obj || 'valeur' in obj || topic === 'TOUCAN') kind = 'legacy';
        else return fail('unknown-format', { where: '$' });

        switch (kind) {
            case 'json-v1':
                return this.jsonFrame(obj, fromTopic, topic, receivedAt);
            case 'ttn-v3':
                return this.ttn(obj, fromTopic, topic, receivedAt);
            case 'legacy':
                return this.legacy(obj, receivedAt);
            default:
                // binary-v1 forced with an object payload
                return fail('type', { field: 'payload', expected: 'a binary frame (Buffer, hex or base64 text)', actual: describe(obj), where: '$' });
        }
    }

    /** Size limit, then Buffer/string/object into text, bytes or an object. */
    private sizeAndShape(payload: unknown): TextOrBytes | { obj: Record<string, unknown> } {
        const max = this.options.maxBytes;
        if (Buffer.isBuffer(payload) || payload instanceof Uint8Array) {
            const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
            if (b.length > max) fail('oversize', { size: b.length, max, where: '$' });
            const text = this.options.format === 'binary-v1' ? null : bufferText(b);
            return text === null ? { bytes: b } : { text };
        }
        if (typeof payload === 'string') {
            const size = Buffer.byteLength(payload, 'utf8');
            if (size > max) fail('oversize', { size, max, where: '$' });
            return { text: payload };
        }
        if (isPlainObject(payload)) {
            const bound = checkTree(payload);
            if (bound > max) {
                const size = Buffer.byteLength(JSON.stringify(payload), 'utf8');
                if (size > max) fail('oversize', { size, max, where: '$' });
            }
            return { obj: payload };
        }
        return fail('type', { field: 'payload', expected: 'a Buffer, a string or an object', actual: describe(payload), where: '$' });
    }

    private toObject(data: TextOrBytes | { obj: Record<string, unknown> }): Record<string, unknown> {
        if ('obj' in data) return data.obj;
        const text = 'text' in data ? data.text : data.bytes.toString('utf8');
        let parsed: unknown;
        try {
            parsed = JSON.parse(text);
        } catch (e) {
            const nf = NON_FINITE_TOKEN.exec(text);
            if (nf) fail('non-finite', { value: nf[1], where: `character ${nf.index + nf[0].indexOf(nf[1])}` });
            return fail('not-json', notJsonDetail(text, e));
        }
        if (!isPlainObject(parsed)) return fail('not-object', { actual: describe(parsed), where: '$' });
        checkTree(parsed);
        return parsed;
    }

    // -- device ids ---------------------------------------------------------------------------

    private pickDevice(fromPayload: unknown, payloadWhere: string, fromTopic: Record<string, string>, topic: string | undefined): { device: string; where: string } {
        if (fromPayload !== undefined && fromPayload !== null) {
            const device = checkId('device', fromPayload, payloadWhere);
            return { device: this.checkAllowed(device, payloadWhere), where: payloadWhere };
        }
        if (fromTopic.device !== undefined) {
            const device = checkId('device', fromTopic.device, 'topic');
            return { device: this.checkAllowed(device, 'topic'), where: 'topic' };
        }
        return fail('no-device', { topic: String(topic ?? ''), pattern: this.topic.pattern, where: payloadWhere });
    }

    private pickSite(fromPayload: unknown, where: string, fromTopic: Record<string, string>): string | null {
        if (fromPayload !== undefined && fromPayload !== null) return checkId('site', fromPayload, where);
        if (fromTopic.site !== undefined) return checkId('site', fromTopic.site, 'topic');
        return null;
    }

    private checkAllowed(device: string, where: string): string {
        if (this.allowed !== null && !this.allowed.has(device)) fail('unknown-device', { device, where });
        return device;
    }

    // -- formats ------------------------------------------------------------------------------

    private jsonFrame(obj: Record<string, unknown>, fromTopic: Record<string, string>, topic: string | undefined, receivedAt: Date): ReadingsOutcome {
        if (!('v' in obj)) fail('missing', { field: 'v', where: '$' });
        if (obj.v !== 1) fail('version', { value: typeof obj.v === 'string' ? `"${obj.v}"` : String(obj.v), where: '$.v' });
        const { device } = this.pickDevice(obj.device, '$.device', fromTopic, topic);
        const site = this.pickSite(obj.site, '$.site', fromTopic);
        const seq = req(obj, 'seq', '$');
        const ts = req(obj, 'ts', '$');
        const window = req(obj, 'window', '$');
        const synced = obj.synced === undefined ? true : obj.synced;
        if (typeof synced !== 'boolean') fail('type', { field: 'synced', expected: 'a boolean', actual: describe(synced), where: '$.synced' });
        for (const [f, v] of [['seq', seq], ['ts', ts], ['window', window]] as const) {
            if (typeof v !== 'number' || !Number.isInteger(v)) fail('type', { field: f, expected: 'an integer', actual: describe(v), where: `$.${f}` });
        }
        const sensorsRaw = req(obj, 'sensors', '$');
        if (!Array.isArray(sensorsRaw)) return fail('type', { field: 'sensors', expected: 'an array', actual: describe(sensorsRaw), where: '$.sensors' });
        if (sensorsRaw.length < 1 || sensorsRaw.length > MAX_SENSORS_PER_FRAME) {
            fail('range', { field: 'sensors.length', value: sensorsRaw.length, min: 1, max: MAX_SENSORS_PER_FRAME, where: '$.sensors' });
        }
        const frame: WindowFrame = {
            v: 1, seq: seq as number, ts: ts as number, synced, window: window as number,
            sensors: sensorsRaw.map((s, i) => jsonSensor(s, `$.sensors[${i}]`)),
        };
        return this.readings(frame, device, site, receivedAt, 'json-v1', JSON_LOCATOR);
    }

    private binary(
        bytes: Buffer, fromTopic: Record<string, string>, topic: string | undefined, receivedAt: Date,
        source: SourceFormat, prefix: string, device: string | null, site: string | null,
    ): ReadingsOutcome {
        let frame: WindowFrame;
        try {
            frame = decodeBinaryFrame(bytes);
        } catch (e) {
            if (!(e instanceof FrameError)) throw e;
            const detail = e.message.replace(/\s*\(at [^)]*\)$/, '');
            const key: ErrorKey = /not a multiple|empty/.test(detail) ? 'truncated' : /version/.test(detail) ? 'version' : 'binary';
            if (key === 'version') {
                const v = /version (\d+)/.exec(detail);
                return fail('version', { value: v ? v[1] : '?', where: prefix + e.where });
            }
            return fail(key, { detail, where: prefix + e.where });
        }
        if (frame.sensors.length > MAX_SENSORS_PER_FRAME) {
            fail('range', { field: 'sensors.length', value: frame.sensors.length, min: 1, max: MAX_SENSORS_PER_FRAME, where: `${prefix}byte ${MAX_SENSORS_PER_FRAME * RECORD_BYTES}` });
        }
        const dev = device ?? this.pickDevice(undefined, `${prefix}byte 0`, fromTopic, topic).device;
        const st = device === null ? this.pickSite(undefined, '', fromTopic) : site;
        return this.readings(frame, dev, st, receivedAt, source, binaryLocator(prefix));
    }

    private ttn(obj: Record<string, unknown>, fromTopic: Record<string, string>, topic: string | undefined, receivedAt: Date): DecodeOutcome {
        const ids = req(obj, 'end_device_ids', '$');
        if (!isPlainObject(ids)) return fail('type', { field: 'end_device_ids', expected: 'an object', actual: describe(ids), where: '$.end_device_ids' });
        const device = this.checkAllowed(checkId('device_id', req(ids, 'device_id', '$.end_device_ids'), '$.end_device_ids.device_id'), '$.end_device_ids.device_id');
        let site: string | null = null;
        if (ids.application_ids !== undefined) {
            const app = ids.application_ids;
            if (!isPlainObject(app)) return fail('type', { field: 'application_ids', expected: 'an object', actual: describe(app), where: '$.end_device_ids.application_ids' });
            if (app.application_id !== undefined) site = checkId('application_id', app.application_id, '$.end_device_ids.application_ids.application_id');
        }
        let at = receivedAt;
        if (obj.received_at !== undefined) {
            if (typeof obj.received_at !== 'string') return fail('type', { field: 'received_at', expected: 'an ISO 8601 string', actual: describe(obj.received_at), where: '$.received_at' });
            const d = new Date(obj.received_at);
            if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(obj.received_at)) fail('bad-date', { value: obj.received_at, where: '$.received_at' });
            // the network server's clock is trusted within the same bounds as a device's
            this.checkTime(d.getTime(), receivedAt, '$.received_at');
            at = d;
        }
        const up = obj.uplink_message;
        if (up === undefined) return ignored('ttn-no-payload', { where: '$.uplink_message' });
        if (!isPlainObject(up)) return fail('type', { field: 'uplink_message', expected: 'an object', actual: describe(up), where: '$.uplink_message' });
        if (up.frm_payload === undefined) return ignored('ttn-no-payload', { where: '$.uplink_message.frm_payload' });
        const port = up.f_port;
        if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port))) {
            return fail('type', { field: 'f_port', expected: 'an integer', actual: describe(port), where: '$.uplink_message.f_port' });
        }
        // TTN omits f_port 0 (MAC-only) frames' payload; anything but port 1 is not ours
        if (port !== 1) return ignored('ttn-port', { port: String(port), where: '$.uplink_message.f_port' });
        const b64 = up.frm_payload;
        if (typeof b64 !== 'string') return fail('type', { field: 'frm_payload', expected: 'a base64 string', actual: describe(b64), where: '$.uplink_message.frm_payload' });
        if (!BASE64.test(b64)) fail('base64', { field: 'frm_payload', where: '$.uplink_message.frm_payload' });
        return this.binary(Buffer.from(b64, 'base64'), fromTopic, topic, at, 'ttn-v3', '$.uplink_message.frm_payload ', device, site);
    }

    private legacy(obj: Record<string, unknown>, receivedAt: Date): ReadingsOutcome {
        const device = this.checkAllowed(checkId('noeud', req(obj, 'noeud', '$'), '$.noeud'), '$.noeud');
        const capteur = req(obj, 'capteur', '$');
        if (typeof capteur !== 'string') return fail('type', { field: 'capteur', expected: 'a string', actual: describe(capteur), where: '$.capteur' });
        const sensorName = capteur === 'humidite' ? 'humidity' : capteur;
        if (!SENSOR_PATTERN.test(sensorName)) fail('bad-id', { field: 'capteur', value: capteur, where: '$.capteur' });
        const unit = kindUnit(sensorName) ?? null;

        const metrique = obj.metrique === undefined ? 'brute' : obj.metrique;
        if (typeof metrique !== 'string') return fail('type', { field: 'metrique', expected: 'a string', actual: describe(metrique), where: '$.metrique' });
        let window: number;
        if (metrique === 'brute') window = 0;
        else {
            const m = /^moy_(\d{1,5})_(sec|min)$/.exec(metrique);
            if (!m) return fail('type', { field: 'metrique', expected: '"brute", "moy_<n>_sec" or "moy_<n>_min"', actual: describe(metrique), where: '$.metrique' });
            window = Number(m[1]) * (m[2] === 'min' ? 60 : 1);
            if (window < 1 || window > MAX_WINDOW_S) fail('range', { field: 'metrique', value: `${window} s`, min: 1, max: MAX_WINDOW_S, where: '$.metrique' });
        }
        const valeur = req(obj, 'valeur', '$');
        if (typeof valeur !== 'number') return fail('type', { field: 'valeur', expected: 'a number', actual: describe(valeur), where: '$.valeur' });

        const dt = req(obj, 'datetime', '$');
        if (typeof dt !== 'string') return fail('type', { field: 'datetime', expected: 'a date string', actual: describe(dt), where: '$.datetime' });
        const time = parseLegacyDate(dt, this.legacyZone);
        if (time === null) return fail('bad-date', { value: dt, where: '$.datetime' });
        this.checkTime(time.getTime(), receivedAt, '$.datetime');

        const reading: Reading = {
            device, site: null, sensor: sensorName, unit, time, deviceTime: time, receivedAt,
            window, count: 1, min: valeur, max: valeur, mean: valeur,
            // one raw sample has no spread; a board-side mean's spread is unknown
            std: window === 0 ? 0 : null,
            slope: null, last: valeur, seq: null, state: null, source: 'legacy',
        };
        this.checkPlausible(reading, (f) => `$.${f === 'min' || f === 'max' || f === 'mean' || f === 'last' ? 'valeur' : f}`);
        return { kind: 'readings', format: 'legacy', device, site: null, seq: null, seqInfo: { event: 'none', gap: 0, replay: false }, readings: [reading] };
    }

    private status(obj: Record<string, unknown>, fromTopic: Record<string, string>, topic: string | undefined, receivedAt: Date, base: string): StatusOutcome {
        const { device } = this.pickDevice(obj.device, `${base}.device`, fromTopic, topic);
        const site = this.pickSite(obj.site, `${base}.site`, fromTopic);
        const state = req(obj, 'state', base);
        if (state !== 'online' && state !== 'offline') {
            return fail('type', { field: 'state', expected: '"online" or "offline"', actual: describe(state), where: `${base}.state` });
        }
        const status: DeviceStatus = { device, site, state, receivedAt };
        const str = (k: 'fw' | 'ip', maxLen: number) => {
            const v = obj[k];
            if (v === undefined || v === null) return;
            if (typeof v !== 'string' || v.length > maxLen) fail('type', { field: k, expected: `a string of at most ${maxLen} characters`, actual: describe(v), where: `${base}.${k}` });
            status[k] = v as string;
        };
        str('fw', 32);
        str('ip', 64);
        if (obj.rssi !== undefined && obj.rssi !== null) {
            if (typeof obj.rssi !== 'number') fail('type', { field: 'rssi', expected: 'a number', actual: describe(obj.rssi), where: `${base}.rssi` });
            status.rssi = obj.rssi as number;
        }
        for (const k of ['boot', 'buffered', 'replayed', 'dropped'] as const) {
            const v = obj[k];
            if (v === undefined || v === null) continue;
            if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail('type', { field: k, expected: 'a non-negative integer', actual: describe(v), where: `${base}.${k}` });
            status[k] = v as number;
        }
        if (obj.synced !== undefined && obj.synced !== null) {
            if (typeof obj.synced !== 'boolean') fail('type', { field: 'synced', expected: 'a boolean', actual: describe(obj.synced), where: `${base}.synced` });
            status.synced = obj.synced as boolean;
        }
        if (status.boot !== undefined && this.options.trackSeq && this.seq.noteBoot(device, status.boot)) this.counters.reboots++;
        return { kind: 'status', status };
    }

    // -- shared validation and assembly -------------------------------------------------------

    private checkTime(ms: number, receivedAt: Date, where: string): void {
        if (ms > receivedAt.getTime() + this.options.maxFutureMs) {
            fail('future', { time: new Date(ms).toISOString(), limit: Math.round(this.options.maxFutureMs / 1000), where });
        }
        if (ms < this.options.minTimeMs) fail('ancient', { time: new Date(ms).toISOString(), min: new Date(this.options.minTimeMs).toISOString(), where });
    }

    private checkPlausible(r: Pick<Reading, 'unit' | 'min' | 'max' | 'mean' | 'last'>, where: (field: string) => string): void {
        let lo: number;
        let hi: number;
        if (r.unit === '°C') [lo, hi] = [this.options.tempMin, this.options.tempMax];
        else if (r.unit === '%') [lo, hi] = [HUMIDITY_MIN, HUMIDITY_MAX];
        else return;
        for (const f of LEVEL_STATS) {
            const v = r[f];
            if (v !== null && (v < lo || v > hi)) fail('implausible', { field: f, value: v, unit: r.unit, min: lo, max: hi, where: where(f) });
        }
    }

    private readings(frame: WindowFrame, device: string, site: string | null, receivedAt: Date, source: SourceFormat, loc: Located): ReadingsOutcome {
        if (frame.seq < 0 || frame.seq >= SEQ_MODULO) fail('range', { field: 'seq', value: frame.seq, min: 0, max: SEQ_MODULO - 1, where: loc.top('seq') });
        if (frame.window < 0 || frame.window > MAX_WINDOW_S) fail('range', { field: 'window', value: frame.window, min: 0, max: MAX_WINDOW_S, where: loc.top('window') });
        if (frame.ts < 0 || frame.ts > MAX_TS) fail('range', { field: 'ts', value: frame.ts, min: 0, max: MAX_TS, where: loc.top('ts') });
        const deviceTime = frame.synced ? new Date(frame.ts * 1000) : null;
        if (deviceTime !== null) this.checkTime(deviceTime.getTime(), receivedAt, loc.top('ts'));

        const seen = new Set<string>();
        const readings: Reading[] = frame.sensors.map((s, i) => {
            if (seen.has(s.sensor)) fail('duplicate-sensor', { sensor: s.sensor, where: loc.sensor(i, 'sensor') });
            seen.add(s.sensor);
            if (s.count < 0 || s.count > 0xffff) fail('range', { field: 'count', value: s.count, min: 0, max: 0xffff, where: loc.sensor(i, 'count') });
            if (s.std !== null && s.std < 0) fail('range', { field: 'std', value: s.std, min: 0, max: 'Infinity', where: loc.sensor(i, 'std') });
            const unit = s.unit === undefined ? kindUnit(s.sensor) ?? null : s.unit;
            const r: Reading = {
                device, site, sensor: s.sensor, unit,
                time: deviceTime ?? receivedAt, deviceTime, receivedAt,
                window: frame.window, count: s.count,
                min: s.min, max: s.max, mean: s.mean, std: s.std, slope: s.slope, last: s.last,
                seq: frame.seq, state: s.state ?? null, source,
            };
            if (s.fault !== undefined) r.fault = s.fault;
            // binary frames have no fault text: an empty window reads as the firmware's JSON would say it
            else if (source !== 'json-v1' && s.count === 0) r.fault = 'no-samples';
            this.checkPlausible(r, (f) => loc.sensor(i, f));
            return r;
        });

        // Sequence state only changes for frames that passed every check.
        let seqInfo: SeqInfo = { event: 'none', gap: 0, replay: false };
        if (this.options.trackSeq) {
            seqInfo = this.seq.observe(device, frame.seq, frame.ts, frame.window === 0 ? 'raw' : 'stats');
            if (seqInfo.replay) for (const r of readings) r.replay = true;
        }
        return { kind: 'readings', format: source, device, site, seq: frame.seq, seqInfo, readings };
    }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
    const out: Partial<T> = {};
    for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
    return out;
}

function ignored(key: WarnKey, params: MessageParams): IgnoredOutcome {
    return { kind: 'ignored', key, params, message: formatMessage(WARN_MESSAGES[key], params) };
}

function textToBytes(text: string): Buffer {
    if (HEX_FRAME.test(text)) return Buffer.from(text, 'hex');
    if (text.length > 0 && BASE64.test(text)) return Buffer.from(text, 'base64');
    return fail('type', { field: 'payload', expected: 'a binary frame (Buffer, hex or base64 text)', actual: describe(text), where: '$' });
}

function isStatusShape(obj: Record<string, unknown>): boolean {
    return (obj.state === 'online' || obj.state === 'offline') && !('sensors' in obj) && !('v' in obj);
}

function req(obj: Record<string, unknown>, field: string, base: string): unknown {
    if (!(field in obj) || obj[field] === undefined) fail('missing', { field, where: base });
    return obj[field];
}

function checkId(field: string, v: unknown, where: string): string {
    if (typeof v !== 'string') return fail('type', { field, expected: 'a string', actual: describe(v), where });
    if (!ID_PATTERN.test(v)) fail('bad-id', { field, value: v.length > 40 ? `${v.slice(0, 40)}…` : v, where });
    return v;
}

function jsonSensor(s: unknown, path: string): WindowFrame['sensors'][number] {
    if (!isPlainObject(s)) return fail('type', { field: 'sensor entry', expected: 'an object', actual: describe(s), where: path });
    const name = req(s, 'sensor', path);
    if (typeof name !== 'string') fail('type', { field: 'sensor', expected: 'a string', actual: describe(name), where: `${path}.sensor` });
    if (!SENSOR_PATTERN.test(name as string)) fail('bad-id', { field: 'sensor', value: String(name), where: `${path}.sensor` });
    const count = req(s, 'count', path);
    if (typeof count !== 'number' || !Number.isInteger(count)) fail('type', { field: 'count', expected: 'an integer', actual: describe(count), where: `${path}.count` });
    const out: WindowFrame['sensors'][number] = {
        sensor: name as string, count: count as number,
        min: null, max: null, mean: null, std: null, slope: null, last: null,
    };
    for (const f of STAT_FIELDS) {
        const v = s[f];
        // an absent statistic reads as null (the firmware always writes all six)
        if (v === undefined || v === null) continue;
        if (typeof v !== 'number') fail('type', { field: f, expected: 'a number or null', actual: describe(v), where: `${path}.${f}` });
        out[f] = v as number;
    }
    if (s.unit !== undefined) {
        if (s.unit !== null && (typeof s.unit !== 'string' || s.unit.length > MAX_UNIT_LENGTH)) {
            fail('type', { field: 'unit', expected: `a string of at most ${MAX_UNIT_LENGTH} characters`, actual: describe(s.unit), where: `${path}.unit` });
        }
        out.unit = s.unit as string | null;
    }
    if (s.state !== undefined && s.state !== null) {
        if (s.state !== 0 && s.state !== 1 && s.state !== 2) {
            if (typeof s.state === 'number' && Number.isInteger(s.state)) fail('range', { field: 'state', value: s.state, min: 0, max: 2, where: `${path}.state` });
            fail('type', { field: 'state', expected: '0, 1 or 2', actual: describe(s.state), where: `${path}.state` });
        }
        out.state = s.state as DeviceState;
    } else if (s.state === null) out.state = null;
    if (s.fault !== undefined) {
        if (typeof s.fault !== 'string' || s.fault.length > MAX_FAULT_LENGTH) {
            fail('type', { field: 'fault', expected: `a string of at most ${MAX_FAULT_LENGTH} characters`, actual: describe(s.fault), where: `${path}.fault` });
        }
        out.fault = s.fault as string;
    }
    return out;
}
