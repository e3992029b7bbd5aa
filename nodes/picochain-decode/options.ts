/**
 * picochain-decode's options (what the editor's config becomes, see migrations.ts) and their
 * checks. A bad option throws at construction, so the node shows "config error" at deploy.
 */
import { ID_PATTERN, MAX_FUTURE_MS, MIN_TIME_MS, PLAUSIBLE, SOURCE_FORMATS, SourceFormat } from '../shared/reading';
import { DEFAULT_MAX_TRACKED_DEVICES } from './seq';
import { parseTimeZone, TimeZoneSetting } from './legacy-time';

export type FormatSetting = 'auto' | SourceFormat;
export const FORMAT_SETTINGS: readonly FormatSetting[] = ['auto', ...SOURCE_FORMATS];

export interface DecodeOptions {
    /** Forced input format, or 'auto' to detect it per message. Status messages are always recognised. */
    format: FormatSetting;
    /** MQTT-style topic pattern with named wildcards (`+site`, `+device`, `+kind`) and a final `#`. */
    topicPattern: string;
    /** Largest accepted payload, bytes (JSON text, binary, or an object's JSON size). */
    maxBytes: number;
    /** Plausible range of °C values (min, max, mean, last), inside PLAUSIBLE.temperature (−100 … 300 °C). */
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
    maxFutureMs: MAX_FUTURE_MS,
    minTimeMs: MIN_TIME_MS,
    trackSeq: true,
    maxTrackedDevices: DEFAULT_MAX_TRACKED_DEVICES,
});

/** Options with defaults filled in and every value checked; throws an Error naming the bad one. */
export function resolveOptions(options: Partial<DecodeOptions>): { options: DecodeOptions; legacyZone: TimeZoneSetting } {
    const o: DecodeOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(options) };
    if (!FORMAT_SETTINGS.includes(o.format)) throw new Error(`unknown format "${o.format}"`);
    if (!(Number.isInteger(o.maxBytes) && o.maxBytes > 0)) throw new Error(`maxBytes must be a positive integer, got ${o.maxBytes}`);
    const [lo, hi] = PLAUSIBLE.temperature.level;
    if (!(Number.isFinite(o.tempMin) && Number.isFinite(o.tempMax) && o.tempMin < o.tempMax)) {
        throw new Error(`temperature range ${o.tempMin} … ${o.tempMax} is not a range`);
    }
    if (o.tempMin < lo || o.tempMax > hi) throw new Error(`temperature range ${o.tempMin} … ${o.tempMax} °C is not inside the plausible ${lo} … ${hi} °C`);
    const legacyZone = parseTimeZone(o.legacyTimeZone);
    if (legacyZone === null) throw new Error(`time zone "${o.legacyTimeZone}" is neither a UTC offset like +01:00 nor a zone like Europe/Paris`);
    for (const d of o.allowedDevices) if (!ID_PATTERN.test(d)) throw new Error(`allow-list entry "${d}" is not a valid device id`);
    return { options: o, legacyZone };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
    const out: Partial<T> = {};
    for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
    return out;
}
