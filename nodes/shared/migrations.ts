/**
 * Versioned config migrations shared by every picochain node (HA `migrations.ts` pattern): each
 * step lifts a saved editor config by one version, so flows from older releases keep working.
 */

export interface Migration {
    /** The version this step produces. */
    version: number;
    up(config: Record<string, unknown>): Record<string, unknown>;
}

/** The version of a saved config: a config without `version` (hand-written, generated) is 0. */
export function configVersion(config: Record<string, unknown>): number {
    const v = config.version;
    return typeof v === 'number' ? v : Number(v) || 0;
}

/** Runs, oldest first, the steps newer than the config's version; a newer config passes unchanged. */
export function runMigrations(config: Record<string, unknown>, steps: readonly Migration[]): Record<string, unknown> {
    let c: Record<string, unknown> = { ...config };
    const from = configVersion(c);
    for (const step of steps) if (step.version > from) c = step.up(c);
    return c;
}
