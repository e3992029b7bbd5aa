/**
 * picochain-report's settings: the checks its core runs and its edit dialog runs too (bundled into
 * resources/editor.js by scripts/build.js as `PicochainEditor.report`). Pure: imports only ./tz.
 * Temperatures are °C whatever unit the documents show.
 */
import { isTimeZone } from './tz';

export const CABINETS_LOGGED = ['fridge', 'cold-room', 'freezer'] as const;
export type LoggedKind = typeof CABINETS_LOGGED[number];
export const UNITS = ['°C', '°F'] as const;
export type TempUnit = typeof UNITS[number];

/** Defaults: fridge and cold room 0–5 °C; freezer kept at −18 °C, an excursion above −15 °C (the 3 °C rise the alert defaults tolerate). */
export const DEFAULTS = Object.freeze({
    checks: '08:00, 16:00', fridgeLow: 0, fridgeHigh: 5, coldRoomLow: 0, coldRoomHigh: 5, freezerHigh: -15, freezerTarget: -18,
    tolerance: 30, sealDelay: 2, retention: 3, locale: 'en-GB', unit: '°C' as TempUnit,
});
export const LIMITS = Object.freeze({ maxChecks: 4, minTempC: -60, maxTempC: 60, maxToleranceMin: 1440, maxSealDelayH: 48, minRetentionY: 1, maxRetentionY: 30 });

const num = (v: unknown): number | null => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v !== 'string' || v.trim() === '') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
};

/** Local check times, "08:00, 16:00": 1 to 4 times HH:MM, in order. Returns them, or null. */
export function parseChecks(v: unknown): string[] | null {
    if (typeof v !== 'string') return null;
    const list = v.split(/[,;\s]+/).filter(Boolean);
    if (!list.length || list.length > LIMITS.maxChecks) return null;
    if (!list.every((t) => /^([01]\d|2[0-3]):[0-5]\d$/.test(t))) return null;
    for (let i = 1; i < list.length; i++) if (list[i] <= list[i - 1]) return null;
    return list;
}

/** A temperature bound (°C); empty allowed when `optional`. */
export function isTemp(v: unknown, optional = false): boolean {
    if (optional && (v === '' || v === null || v === undefined)) return true;
    const n = num(v);
    return n !== null && n >= LIMITS.minTempC && n <= LIMITS.maxTempC;
}

/** Whole minutes from 0 (every spell outside the range is an excursion) to a day. */
export function isTolerance(v: unknown): boolean {
    const n = num(v);
    return n !== null && Number.isInteger(n) && n >= 0 && n <= LIMITS.maxToleranceMin;
}

export function isSealDelay(v: unknown): boolean {
    const n = num(v);
    return n !== null && n >= 0 && n <= LIMITS.maxSealDelayH;
}

export function isRetention(v: unknown): boolean {
    const n = num(v);
    return n !== null && Number.isInteger(n) && n >= LIMITS.minRetentionY && n <= LIMITS.maxRetentionY;
}

/** An IANA time zone, or empty (the server's). */
export function isTimeZoneField(v: unknown): boolean {
    return v === '' || v === undefined || isTimeZone(v);
}

/** A BCP 47 locale this runtime formats dates and numbers for ("en-GB", "en-US", "fr-FR"). */
export function isLocale(v: unknown): boolean {
    if (typeof v !== 'string' || !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(v)) return false;
    try {
        return Intl.DateTimeFormat.supportedLocalesOf([v]).length === 1;
    } catch {
        return false;
    }
}

export function isUnit(v: unknown): v is TempUnit {
    return (UNITS as readonly string[]).includes(v as string);
}

/** low below high when both are set. */
export function rangeOk(low: unknown, high: unknown): boolean {
    const l = num(low), h = num(high);
    return l === null || h === null || l < h;
}

export interface SafeRanges { [kind: string]: { low: number | null; high: number | null; target?: number | null } }

export interface ReportSettings {
    checks: string[];
    ranges: SafeRanges;
    toleranceMin: number;
    sealDelayH: number;
    retentionY: number;
    timeZone: string;
    locale: string;
    unit: TempUnit;
    site: string;
}

/** Settings from the node's saved config; `bad` lists the fields that were not valid (their defaults are used). */
export function parseSettings(c: Record<string, unknown>, systemTz: string): { settings: ReportSettings; bad: string[] } {
    const bad: string[] = [];
    const pick = <T>(field: string, ok: (v: unknown) => boolean, fallback: T, conv: (v: unknown) => T): T => {
        const v = c[field];
        if (v === undefined || v === '') return fallback;
        if (!ok(v)) { bad.push(field); return fallback; }
        return conv(v);
    };
    const t = (field: string, fallback: number | null, optional = false): number | null => pick(field, (v) => isTemp(v, optional), fallback, (v) => num(v));
    const pair = (lo: string, hi: string, dl: number, dh: number) => {
        let low = t(lo, dl), high = t(hi, dh);
        if (!rangeOk(low, high)) { bad.push(hi); low = dl; high = dh; }
        return { low, high };
    };
    const settings: ReportSettings = {
        checks: pick('checks', (v) => parseChecks(v) !== null, parseChecks(DEFAULTS.checks) as string[], (v) => parseChecks(v) as string[]),
        ranges: {
            fridge: pair('fridgeLow', 'fridgeHigh', DEFAULTS.fridgeLow, DEFAULTS.fridgeHigh),
            'cold-room': pair('coldRoomLow', 'coldRoomHigh', DEFAULTS.coldRoomLow, DEFAULTS.coldRoomHigh),
            freezer: { low: null, high: t('freezerHigh', DEFAULTS.freezerHigh), target: t('freezerTarget', DEFAULTS.freezerTarget, true) },
        },
        toleranceMin: pick('tolerance', isTolerance, DEFAULTS.tolerance, Number),
        sealDelayH: pick('sealDelay', isSealDelay, DEFAULTS.sealDelay, Number),
        retentionY: pick('retention', isRetention, DEFAULTS.retention, Number),
        timeZone: pick('timeZone', isTimeZone, systemTz, String),
        locale: pick('locale', isLocale, DEFAULTS.locale, String),
        unit: pick('unit', isUnit, DEFAULTS.unit, (v) => v as TempUnit),
        site: typeof c.site === 'string' ? c.site.slice(0, 80) : '',
    };
    return { settings, bad };
}

/** The documents' language for a locale: French for fr-*, else English. */
export const langOf = (locale: string): 'en' | 'fr' => (/^fr\b/i.test(locale) ? 'fr' : 'en');
