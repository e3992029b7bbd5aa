/**
 * `${NAME}` inside a config field, expanded with a lookup (Node-RED itself replaces only a field
 * that is exactly `${NAME}`; this also covers `mongodb://${HOST}:27017` or `picochain-${SITE}`).
 */

/** Replaces every `${NAME}` with lookup(NAME); unknown names become "". */
export function expandEnv(value: string, lookup: (name: string) => string | undefined): string {
    return String(value ?? '').replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => lookup(name) ?? '');
}

/** A field that is exactly `${NAME}` (credentials may be given that way: docker secrets, .env). */
export const WHOLE_ENV = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
