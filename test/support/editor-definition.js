'use strict';
// A node's editor definition without a browser: runs the built editor html's scripts (after the
// shared resources/editor.js they load) in a sandbox with a stub RED and jQuery (no dialog open),
// as Node-RED would, and returns what registerType received. For the fast editor checks; the
// browser tests (test/browser/editors.test.js) drive the real editors.
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const ROOT = path.join(__dirname, '..', '..');

/** jQuery with no element on the page: every lookup is empty. */
const $ = () => ({ length: 0, val: () => undefined, on() {}, prop() {}, trigger() {}, toggle() {}, is: () => false });

/**
 * The definition `type` registers in dist/nodes/<type>/<type>.html; `def._` is `translate` when
 * given (Node-RED sets it to the node's catalog), else absent.
 */
function editorDefinition(type, translate) {
    const html = fs.readFileSync(path.join(ROOT, 'dist', 'nodes', type, `${type}.html`), 'utf8');
    const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const defs = {};
    const window = {};
    const ctx = vm.createContext({ RED: { nodes: { registerType: (t, d) => { defs[t] = d; } } }, $, window });
    if (/<script src="resources\/@picochain\/node-red\/editor\.js">/.test(html)) {
        vm.runInContext(fs.readFileSync(path.join(ROOT, 'resources', 'editor.js'), 'utf8'), ctx);
    }
    for (const code of scripts) vm.runInContext(code, ctx);
    const def = defs[type];
    if (!def) throw new Error(`${type}.html registers no ${type}`);
    if (translate) def._ = translate;
    return { def, html };
}

module.exports = { editorDefinition };
