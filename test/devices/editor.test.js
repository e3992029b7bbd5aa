'use strict';
// picochain-devices editor definition and catalogs: validators in the two-argument form that refuse
// what the runtime cannot use, every catalog key the editor and the node use exists in both languages.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const dir = path.join(__dirname, '..', '..', 'nodes', 'picochain-devices');
const catalog = (lang) => JSON.parse(fs.readFileSync(path.join(dir, 'locales', lang, 'picochain-devices.json'), 'utf8'))['picochain-devices'];
const leaves = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? leaves(v, `${p}${k}.`) : [[`${p}${k}`, v]]));

function definition() {
    const html = fs.readFileSync(path.join(dir, 'picochain-devices.html'), 'utf8');
    let def;
    vm.runInNewContext(html.match(/<script type="text\/javascript">([\s\S]*?)<\/script>/)[1], { RED: { nodes: { registerType: (t, d) => { def = d; } } } });
    return def;
}

describe('picochain-devices editor and catalogs', function () {
    const def = definition();
    const node = { _def: { _: (k) => k } };

    it('validates collection and re-read time with (value, opt) validators', function () {
        const v = (field, value) => def.defaults[field].validate.call(node, value, {});
        for (const f of ['collection', 'reload']) assert.strictEqual(def.defaults[f].validate.length, 2, f);
        assert.strictEqual(v('collection', 'devices'), true);
        assert.strictEqual(v('collection', 'a$b'), 'picochain-devices.errors.bad-collection');
        assert.strictEqual(v('reload', '60'), true);
        assert.strictEqual(v('reload', ''), true);
        assert.strictEqual(v('reload', '-1'), 'picochain-devices.errors.bad-reload');
        assert.strictEqual(def.defaults.mongo.type, 'picochain-mongo-config');
        assert.deepStrictEqual([def.inputs, def.outputs, def.category], [1, 2, 'picochain']);
    });

    it('fr mirrors en-US with the same placeholders; every key the node and editor use exists', function () {
        const en = new Map(leaves(catalog('en-US')));
        const fr = new Map(leaves(catalog('fr')));
        assert.deepStrictEqual([...fr.keys()].sort(), [...en.keys()].sort());
        const ph = (t) => (t.match(/__\w+__/g) || []).sort();
        for (const [k, v] of en) assert.deepStrictEqual(ph(fr.get(k)), ph(v), k);
        const used = [
            ...fs.readFileSync(path.join(dir, 'picochain-devices.ts'), 'utf8').matchAll(/t\(['`]([a-z-]+\.[a-z-]+)/g),
            ...fs.readFileSync(path.join(dir, 'picochain-devices.html'), 'utf8').matchAll(/picochain-devices\.([a-z-]+\.[a-z-]+)/g),
        ].map((m) => m[1]);
        assert.ok(used.length > 10);
        for (const k of used) assert.ok(en.has(k), k);
        const { RegistryError } = require('../../dist/nodes/picochain-devices/core');
        for (const key of ['bad-assignment', 'bad-device', 'bad-kind', 'bad-text', 'bad-sensor', 'bad-states']) {
            assert.ok(en.has(`errors.${key}`), key);
            assert.ok(new RegistryError(key) instanceof Error);
        }
    });
});
