/**
 * Config migrations of picochain-decode: each step lifts a node's saved config by one version, so
 * flows exported from an older release keep working (the runner: nodes/shared/migrations.ts).
 */
import { Migration, runMigrations } from '../shared/migrations';
import { DecodeOptions, DEFAULT_OPTIONS, FormatSetting } from './core';

export type OutputMode = 'auto' | 'array' | 'split';

/** The editor's saved properties (all strings or numbers, as flows.json holds them). */
export interface DecodeConfig {
    name: string;
    format: FormatSetting;
    topicPattern: string;
    output: OutputMode;
    maxBytes: number | string;
    tempMin: number | string;
    tempMax: number | string;
    legacyTimeZone: string;
    allowList: string;
    trackSeq: boolean;
    version: number;
}

export const CURRENT_VERSION = 1;

/** Defaults of every editor property; the .html `defaults` must hold the same values (a test checks). */
export const CONFIG_DEFAULTS: Readonly<DecodeConfig> = Object.freeze({
    name: '',
    format: DEFAULT_OPTIONS.format,
    topicPattern: DEFAULT_OPTIONS.topicPattern,
    output: 'auto',
    maxBytes: DEFAULT_OPTIONS.maxBytes,
    tempMin: DEFAULT_OPTIONS.tempMin,
    tempMax: DEFAULT_OPTIONS.tempMax,
    legacyTimeZone: DEFAULT_OPTIONS.legacyTimeZone,
    allowList: '',
    trackSeq: DEFAULT_OPTIONS.trackSeq,
    version: CURRENT_VERSION,
});

const MIGRATIONS: Migration[] = [
    {
        // 0 -> 1: the unversioned preview had only name, format and topicPattern; a missing
        // property takes its default.
        version: 1,
        up: (c) => ({ ...CONFIG_DEFAULTS, ...stripUndefined(c), version: 1 }),
    },
];

/** Lifts a saved config to CURRENT_VERSION; a config without `version` is version 0. */
export function migrate(config: Record<string, unknown>): DecodeConfig {
    const c = runMigrations(config, MIGRATIONS);
    // `legacyUtcOffset` was the legacy zone setting's name before it took zone names too (some
    // generated flows still carry it next to the default legacyTimeZone)
    const old = c.legacyUtcOffset;
    if (typeof old === 'string' && old.trim() !== '' && (c.legacyTimeZone === undefined || c.legacyTimeZone === CONFIG_DEFAULTS.legacyTimeZone)) {
        c.legacyTimeZone = old;
    }
    delete c.legacyUtcOffset;
    return { ...CONFIG_DEFAULTS, ...stripUndefined(c) } as DecodeConfig;
}

/** Turns the editor's strings into core options; throws an Error on a bad value. */
export function optionsFromConfig(c: DecodeConfig): Partial<DecodeOptions> {
    const num = (v: unknown, fallback: number) => (v === '' || v === undefined || v === null ? fallback : Number(v));
    return {
        format: c.format,
        topicPattern: c.topicPattern,
        maxBytes: num(c.maxBytes, DEFAULT_OPTIONS.maxBytes),
        tempMin: num(c.tempMin, DEFAULT_OPTIONS.tempMin),
        tempMax: num(c.tempMax, DEFAULT_OPTIONS.tempMax),
        legacyTimeZone: c.legacyTimeZone ?? '',
        allowedDevices: String(c.allowList ?? '').split(/[\s,;]+/).filter((s) => s.length > 0),
        trackSeq: c.trackSeq !== false,
    };
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
    return out;
}
