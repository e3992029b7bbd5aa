/**
 * picochain-alert editor config → core options, and config migrations (pure, no Node-RED import).
 * The editor stores numbers as text so an empty field can mean "off".
 */
import { Migration, runMigrations } from '../shared/migrations';
import { AlertOptions, Band, RateLimit, Severity, ThresholdSide, ValueField, DEFAULT_OPTIONS } from './core';

/** Node context key of the saved engine state (picochain-alert.ts). */
export const STATE_KEY = 'picochainAlertState';

/** Current version of the node's editor config (`version` in the html defaults). */
export const CONFIG_VERSION = 1;

/** The node's properties as the editor saves them (see `defaults` in picochain-alert.html). */
export interface AlertNodeConfig {
    name: string;
    value: ValueField;
    sensors: string;
    highWarning: string;
    highWarningClear: string;
    highCritical: string;
    highCriticalClear: string;
    lowWarning: string;
    lowWarningClear: string;
    lowCritical: string;
    lowCriticalClear: string;
    rise: string;
    riseClear: string;
    fall: string;
    fallClear: string;
    rateWindow: string;
    rateSource: 'readings' | 'slope';
    rateSeverity: Severity;
    forTime: string;
    renotify: string;
    keepFiring: string;
    silent: string;
    silentSeverity: Severity;
    offline: boolean;
    store: string;
    version: number;
}

export const DEFAULT_CONFIG: AlertNodeConfig = {
    name: '',
    value: 'mean',
    sensors: '',
    highWarning: '',
    highWarningClear: '',
    highCritical: '',
    highCriticalClear: '',
    lowWarning: '',
    lowWarningClear: '',
    lowCritical: '',
    lowCriticalClear: '',
    rise: '',
    riseClear: '',
    fall: '',
    fallClear: '',
    rateWindow: '300',
    rateSource: 'readings',
    rateSeverity: 'warning',
    forTime: '0',
    renotify: '0',
    keepFiring: '0',
    silent: '0',
    silentSeverity: 'critical',
    offline: true,
    store: '',
    version: CONFIG_VERSION,
};

/**
 * Versioned config upgrades, oldest first (HA `migrations.ts` pattern). Version 0 is a config
 * without `version`: a hand-written or generated flow. Its missing properties take the defaults;
 * later versions append their own `up()` here.
 */
export const MIGRATIONS: Migration[] = [
    {
        version: 1,
        up: (c) => {
            const out: Record<string, unknown> = { ...c };
            for (const [k, v] of Object.entries(DEFAULT_CONFIG)) if (out[k] === undefined || out[k] === null) out[k] = v;
            return out;
        },
    },
];

/** Brings a saved config to CONFIG_VERSION and fills missing properties with their defaults. */
export function migrate(raw: Record<string, unknown>): AlertNodeConfig {
    const c = runMigrations(raw, MIGRATIONS);
    c.version = CONFIG_VERSION;
    for (const [k, v] of Object.entries(DEFAULT_CONFIG)) if (c[k] === undefined || c[k] === null) c[k] = v;
    return c as unknown as AlertNodeConfig;
}

/** Empty text → null; anything else → Number (NaN stays NaN so validation can say which field). */
function num(s: unknown): number | null {
    if (s === undefined || s === null) return null;
    const t = String(s).trim();
    return t === '' ? null : Number(t);
}

function band(level: unknown, clear: unknown): Band | null {
    const l = num(level);
    if (l === null) return null;
    const c = num(clear);
    // No clear level given: clear at the level itself (no hysteresis).
    return { level: l, clear: c === null ? l : c };
}

function rate(limit: unknown, clear: unknown): RateLimit | null {
    const l = num(limit);
    if (l === null) return null;
    const c = num(clear);
    return { limit: l, clear: c === null ? l : c };
}

/** Core options from an (already migrated) editor config. */
export function optionsFromConfig(c: AlertNodeConfig): AlertOptions {
    const high: ThresholdSide = { warning: band(c.highWarning, c.highWarningClear), critical: band(c.highCritical, c.highCriticalClear) };
    const low: ThresholdSide = { warning: band(c.lowWarning, c.lowWarningClear), critical: band(c.lowCritical, c.lowCriticalClear) };
    return {
        value: c.value,
        high,
        low,
        rise: rate(c.rise, c.riseClear),
        fall: rate(c.fall, c.fallClear),
        rateWindowS: num(c.rateWindow) ?? DEFAULT_OPTIONS.rateWindowS,
        rateSource: c.rateSource === 'slope' ? 'slope' : 'readings',
        rateSeverity: c.rateSeverity === 'critical' ? 'critical' : 'warning',
        forS: num(c.forTime) ?? 0,
        renotifyS: num(c.renotify) ?? 0,
        keepFiringS: num(c.keepFiring) ?? 0,
        silentS: num(c.silent) ?? 0,
        silentSeverity: c.silentSeverity === 'warning' ? 'warning' : 'critical',
        offlineAlerts: c.offline !== false && String(c.offline) !== 'false',
        sensors: String(c.sensors ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    };
}
