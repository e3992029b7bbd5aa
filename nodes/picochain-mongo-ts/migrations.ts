/**
 * Versioned migrations of the writer's editor config (`version` in the editor defaults, one up()
 * per version).
 * v0 = a config without `version` (hand-written flows, early drafts): `retention` was
 * expireAfterSeconds, with no unit field, and there was no output port setting.
 * v1 → v2: the in-memory buffer (bufferSize readings, overflow drop-oldest|drop-newest|reject)
 * became the disk spool (spoolSize MB, whenFull block|drop-newest|reject). drop-oldest, the old
 * default, becomes block: nothing is dropped any more unless asked for. The editor keeps only
 * v2's fields, so a v1 node deployed again from the editor gets block too (never more loss than
 * before). The output now reports each written batch instead of each message.
 */
import { Migration, runMigrations } from '../shared/migrations';

export const CONFIG_VERSION = 2;

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
    {
        version: 2,
        up(c) {
            const out = { ...c };
            const overflow = out.overflow;
            if (out.whenFull === undefined) out.whenFull = overflow === 'drop-newest' || overflow === 'reject' ? overflow : 'block';
            if (out.inFlight === undefined) out.inFlight = 4;
            if (out.spoolSize === undefined) out.spoolSize = 512;
            if (out.spoolDir === undefined) out.spoolDir = '';
            delete out.overflow;
            delete out.bufferSize;
            out.version = 2;
            return out;
        },
    },
];

/** Brings a writer config of any older version up to CONFIG_VERSION; newer fields are kept. */
export function migrate(config: Record<string, unknown>): Record<string, unknown> {
    return runMigrations(config, MIGRATIONS);
}
