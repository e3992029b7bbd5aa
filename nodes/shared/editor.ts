/**
 * What the picochain edit dialogs share, run in the browser: validators in Node-RED 3.1+'s
 * two-argument form returning the node's catalog message, sibling fields read from the open
 * dialog, and the palette colour. scripts/build.js bundles it with ./rules (the checks the node
 * cores run too) into resources/editor.js, loaded by each node's html from
 * resources/@picochain/node-red/editor.js as `window.PicochainEditor`.
 */
import * as rules from './rules';
import * as report from '../picochain-report/settings';

export { rules, report };

/** jQuery, as the editor page has it (only what is used here). */
declare const $: (selector: string) => { length: number; val(): unknown };

/** A node (or config node) as the editor passes it to validators, labels and dialogs. */
export interface EditorNode {
    _def: { _: (key: string, params?: Record<string, unknown>) => string; category?: string };
    [property: string]: unknown;
}

/** The colour of every picochain node (one family: the palette shows them as one set). */
export const COLOR = '#9FC9E6';

/** The node's catalog text `key` (full key, e.g. "picochain-history.errors.bad-range") in the editor's language. */
export function text(node: EditorNode, key: string, params: Record<string, unknown> = {}): string {
    return node._def._(key, params);
}

/**
 * A validator for a `defaults` entry: `ok(value)` runs with `this` = the node and returns true
 * (valid), false (invalid: the catalog message `key`) or another catalog key to show instead;
 * `params(value)` fills the message's placeholders. It declares two parameters because Node-RED
 * reads a returned string as "invalid, because..." only from a two-parameter validator (a
 * one-parameter one returning a string passes as valid).
 */
export function validator(
    key: string,
    ok: (this: EditorNode, v: any) => boolean | string,
    params?: (this: EditorNode, v: any) => Record<string, unknown>,
): (this: EditorNode, v: any, opt: unknown) => true | string {
    return function (this: EditorNode, v: any, opt: unknown): true | string {
        void opt; // Node-RED passes { label } here; the message comes from the catalog instead
        const r = ok.call(this, v);
        return r === true ? true : text(this, typeof r === 'string' ? r : key, params ? params.call(this, v) : {});
    };
}

/** A sibling setting: the open dialog's input when there is one, else the node's saved value. */
export function field(node: EditorNode, name: string): unknown {
    const prefix = node._def.category === 'config' ? '#node-config-input-' : '#node-input-';
    const el = $(prefix + name);
    return el.length ? el.val() : node[name];
}
