/**
 * RED._ with the node's own en-US catalog as fallback: node-red-node-test-helper does not load
 * node catalogs, so RED._ returns the bare key there. The text stays in one place (the catalog).
 */
import * as fs from 'fs';
import * as path from 'path';

type Translate = (key: string, params?: Record<string, string | number>) => string;

/**
 * Returns t(key, params) for keys under `type` (e.g. t('status.ok') -> `${type}.status.ok`).
 * `dir` is the folder holding locales/ (the wrapper's __dirname).
 */
export function translator(redTranslate: Translate, dir: string, type: string): (key: string, params?: Record<string, string | number>) => string {
    let catalog: unknown = null;
    return (key, params = {}) => {
        const full = `${type}.${key}`;
        const s = redTranslate(full, params);
        if (typeof s === 'string' && s !== full && s.length > 0) return s;
        if (catalog === null) {
            try {
                catalog = JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US', `${type}.json`), 'utf8'));
            } catch {
                catalog = {};
            }
        }
        const v = full.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), catalog);
        if (typeof v !== 'string') return full;
        return v.replace(/__([A-Za-z0-9_-]+?)__/g, (m, k: string) => (k in params ? String(params[k]) : m));
    };
}
