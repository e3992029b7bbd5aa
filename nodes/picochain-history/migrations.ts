/**
 * Config migrations of picochain-history: each step lifts a saved config by one version so flows
 * exported from an older release keep working (the runner: nodes/shared/migrations.ts).
 */
import { Migration, runMigrations } from '../shared/migrations';

export const CURRENT_VERSION = 1;

/** The editor's saved properties (as flows.json holds them). */
export interface HistoryNodeConfig {
    name: string;
    mongo: string;
    collection: string;
    timeField: string;
    metaField: string;
    device: string;
    sensor: string;
    range: string;
    maxPoints: number | string;
    stats: string;
    format: string;
    engine: string;
    hourly: boolean;
    timeout: number | string;
    version: number;
}

/** Defaults of every editor property; the .html `defaults` hold the same values (a test checks). */
export const CONFIG_DEFAULTS: Readonly<HistoryNodeConfig> = Object.freeze({
    name: '',
    mongo: '',
    collection: 'readings',
    timeField: 'time',
    metaField: 'meta',
    device: '',
    sensor: '',
    range: '24h',
    maxPoints: 300,
    stats: 'mean,min,max',
    format: 'ui_chart',
    engine: 'auto',
    hourly: true,
    timeout: 10,
    version: CURRENT_VERSION,
});

const STEPS: Migration[] = [
    {
        // v0 (unversioned, before 0.1.0): properties missing from an older editor get their defaults
        version: 1,
        up: (c) => ({ ...CONFIG_DEFAULTS, ...c, version: 1 }),
    },
];

/** Lifts a saved config to CURRENT_VERSION; a config from a newer release is returned unchanged. */
export function migrate(config: Record<string, unknown>): HistoryNodeConfig {
    return runMigrations(config, STEPS) as unknown as HistoryNodeConfig;
}
