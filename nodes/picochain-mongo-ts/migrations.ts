/**
 * Versioned migrations of the writer's editor config (STYLE.md: `version` in defaults + up()).
 * v0 = a config without `version` (hand-written flows, early drafts): `retention` was
 * expireAfterSeconds, with no unit field, and there was no output port setting.
 */
import { Migration, runMigrations } from '../shared/migrations';

export const CONFIG_VERSION = 1;

const MIGRATIONS: Migration[] = [
    {
        version: 1,
        up(c) {
            const out = { ...c };
            if (out.retentionUnit === undefined) out.retentionUnit = out.retention !== undefined ? 's' : 'd';
            if (out.outputs === undefined) out.outputs = 1;
            out.version = 1;
            return out;
        },
    },
];

/** Brings a writer config of any older version up to CONFIG_VERSION; newer fields are kept. */
export function migrate(config: Record<string, unknown>): Record<string, unknown> {
    return runMigrations(config, MIGRATIONS);
}
