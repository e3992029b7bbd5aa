// Reads the editor `defaults` of installed Node-RED node types from their .html files (run in a
// sandbox with a stub RED), so generated flows carry every property the editor would set.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

function stub() {
    const f = function () { return stub(); };
    return new Proxy(f, { get: (t, k) => (k === Symbol.toPrimitive ? () => '' : k === 'then' ? undefined : stub()), apply: () => stub() });
}

function toJson(v) {
    let s;
    try { s = JSON.stringify(v); } catch { s = undefined; }
    return s === undefined ? null : JSON.parse(s);
}

/** type -> { defaults: {prop: value}, credentials, category, inputs, outputs } from one html file. */
function readHtml(file) {
    const html = fs.readFileSync(file, 'utf8');
    const out = {};
    const re = /<script(?: type="text\/javascript")?[^>]*>([\s\S]*?)<\/script>/gi;
    let m;
    while ((m = re.exec(html))) {
        const nodes = new Proxy({}, { get: (t, k) => (k === 'registerType' ? (type, def) => { out[type] = def; } : stub()) });
        const RED = new Proxy({}, { get: (t, k) => (k === 'nodes' ? nodes : k === '_' ? (key) => key : stub()) });
        const ctx = { RED, $: stub(), jQuery: stub(), window: stub(), document: stub(), console: { log() {}, warn() {} }, setTimeout() {}, navigator: stub() };
        try { vm.runInNewContext(m[1], ctx, { timeout: 1000 }); } catch { /* partial definitions are fine */ }
    }
    const res = {};
    for (const [type, def] of Object.entries(out)) {
        const defaults = {};
        for (const [k, v] of Object.entries(def.defaults || {})) defaults[k] = v && typeof v === 'object' && 'value' in v ? toJson(v.value) : null;
        res[type] = { defaults, credentials: Object.keys(def.credentials || {}), category: def.category, inputs: def.inputs, outputs: def.outputs };
    }
    return res;
}

/** Every node type of the given Node-RED module directories (package.json "node-red".nodes). */
function readModules(dirs) {
    const res = {};
    for (const dir of dirs) {
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        for (const js of Object.values((pkg['node-red'] || {}).nodes || {})) {
            const html = path.join(dir, js.replace(/\.js$/, '.html'));
            if (fs.existsSync(html)) Object.assign(res, readHtml(html));
        }
    }
    return res;
}

module.exports = { readHtml, readModules };
