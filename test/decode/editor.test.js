'use strict';
// picochain-decode editor and catalogs: fr mirrors en-US (keys, placeholders, help), the runtime's
// English fallback equals the en-US catalog, the editor's defaults equal the runtime's, and its
// validators return catalog messages.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { editorDefinition: editorDef } = require('../support/editor-definition');
const core = require('../../dist/nodes/picochain-decode/core');
const { CONFIG_DEFAULTS } = require('../../dist/nodes/picochain-decode/migrations');

const DIR = path.join(__dirname, '..', '..', 'dist', 'nodes', 'picochain-decode');
const catalog = (lang) => JSON.parse(fs.readFileSync(path.join(DIR, 'locales', lang, 'picochain-decode.json'), 'utf8'))['picochain-decode'];
const help = (lang) => fs.readFileSync(path.join(DIR, 'locales', lang, 'picochain-decode.html'), 'utf8');

function leaves(obj, prefix = '') {
    const out = {};
    for (const [k, v] of Object.entries(obj)) {
        const key = prefix ? `${prefix}.${k}` : k;
        if (v && typeof v === 'object') Object.assign(out, leaves(v, key));
        else out[key] = v;
    }
    return out;
}
const placeholders = (s) => (String(s).match(/__[A-Za-z0-9]+__/g) || []).sort();

/** The editor's registerType definition (type included) and its html. */
function editorDefinition() {
    const { def, html } = editorDef('picochain-decode');
    return { def: { type: 'picochain-decode', ...def }, html };
}

describe('picochain-decode editor and locales', function () {
    const en = leaves(catalog('en-US'));
    const fr = leaves(catalog('fr'));

    it('fr has exactly the en-US keys, none empty, with the same placeholders', function () {
        assert.deepStrictEqual(Object.keys(fr).sort(), Object.keys(en).sort());
        for (const k of Object.keys(en)) {
            assert.ok(String(fr[k]).trim().length > 0, `fr ${k} empty`);
            assert.deepStrictEqual(placeholders(fr[k]), placeholders(en[k]), `placeholders of ${k}`);
        }
    });

    it('en-US errors, warnings and status equal the runtime English fallback in core.ts', function () {
        const cat = catalog('en-US');
        assert.deepStrictEqual(cat.errors, { ...core.ERROR_MESSAGES });
        assert.deepStrictEqual(cat.warn, { ...core.WARN_MESSAGES });
        assert.deepStrictEqual(cat.status, { ...core.STATUS_MESSAGES });
        for (const k of Object.keys(cat.errors)) assert.match(k, /^[a-z0-9]+(-[a-z0-9]+)*$/, `kebab-case ${k}`);
    });

    for (const [lang, heads] of [['en-US', ['Inputs', 'Outputs', 'Details']], ['fr', ['Entrées', 'Sorties', 'Détails']]]) {
        it(`${lang} help: one-sentence first paragraph, then ${heads.join(', ')}`, function () {
            const h = help(lang);
            assert.match(h, /data-help-name="picochain-decode"/);
            const first = /<p>([\s\S]*?)<\/p>/.exec(h)[1].trim();
            assert.ok(first.endsWith('.'), 'first paragraph ends a sentence');
            assert.strictEqual(first.split(/[.!?]\s/).length, 1, `one sentence: ${first}`);
            assert.ok(first.length < 200, 'short enough for the palette tooltip');
            const h3 = [...h.matchAll(/<h3>(.*?)<\/h3>/g)].map((x) => x[1]);
            assert.deepStrictEqual(h3, heads);
        });
    }

    it('fr help documents the same message properties as en-US', function () {
        const dts = (h) => [...h.matchAll(/<dt[^>]*>([A-Za-z]+)</g)].map((x) => x[1]);
        assert.deepStrictEqual(dts(help('fr')), dts(help('en-US')));
        assert.ok(dts(help('en-US')).includes('seqGap'));
    });

    it('every i18n key the editor uses exists in en-US', function () {
        const { html } = editorDefinition();
        const used = new Set();
        for (const m of html.matchAll(/data-i18n="(?:\[[a-z]+\])?picochain-decode\.([^"]+)"/g)) used.add(m[1]);
        for (const m of html.matchAll(/this\._\('picochain-decode\.([^']+)'/g)) used.add(m[1]);
        assert.ok(used.size > 20, `found ${used.size} keys`);
        for (const k of used) assert.ok(k in en, `missing en-US key ${k}`);
    });

    it('declares category, colour, two labelled outputs, palette label and the runtime defaults', function () {
        const { def } = editorDefinition();
        assert.strictEqual(def.type, 'picochain-decode');
        assert.strictEqual(def.category, 'picochain');
        assert.match(def.color, /^#[0-9A-Fa-f]{6}$/);
        assert.strictEqual(def.inputs, 1);
        assert.strictEqual(def.outputs, 2);
        assert.strictEqual(def.icon, 'picochain-decode.svg');
        assert.ok(fs.existsSync(path.join(DIR, 'icons', def.icon)), 'icon shipped beside the node');
        const self = { _: (k) => `T:${k}`, name: '' };
        assert.strictEqual(def.paletteLabel.call(self), 'T:picochain-decode.label.palette');
        assert.strictEqual(def.label.call(self), 'T:picochain-decode.label.default');
        assert.strictEqual(def.label.call({ ...self, name: 'mine' }), 'mine');
        assert.strictEqual(def.labelStyle.call({ name: 'mine' }), 'node_label_italic');
        assert.deepStrictEqual([0, 1].map((i) => def.outputLabels.call(self, i)), ['T:picochain-decode.label.readings', 'T:picochain-decode.label.device-status']);
        const defaults = Object.fromEntries(Object.entries(def.defaults).map(([k, v]) => [k, v.value]));
        assert.deepStrictEqual(defaults, { ...CONFIG_DEFAULTS });
    });

    it('validators accept good values and return a catalog message for bad ones', function () {
        const { def } = editorDefinition();
        const self = { _: (k) => `T:${k}`, tempMin: -60 };
        const v = (field, value) => def.defaults[field].validate.call(self, value, {});
        // Node-RED >= 3 only takes a returned string as "invalid, because …" from a two-argument validator
        for (const [field, d] of Object.entries(def.defaults)) if (d.validate) assert.strictEqual(d.validate.length, 2, `${field} validator arity`);
        const cases = [
            ['topicPattern', 'picochain/+site/+device/+kind', true],
            ['topicPattern', 'x/+device/#', true],
            ['topicPattern', 'a/#/b', 'T:picochain-decode.validation.topic-pattern'],
            ['topicPattern', '', 'T:picochain-decode.validation.topic-pattern'],
            ['maxBytes', '16384', true],
            ['maxBytes', '12.5', 'T:picochain-decode.validation.max-bytes'],
            ['maxBytes', '10', 'T:picochain-decode.validation.max-bytes'],
            ['tempMin', '-40', true],
            ['tempMin', 'cold', 'T:picochain-decode.validation.temp-min'],
            ['tempMax', '150', true],
            ['tempMax', '-70', 'T:picochain-decode.validation.temp-max'],
            ['legacyTimeZone', '+01:00', true],
            ['legacyTimeZone', '-5:30', true],
            ['legacyTimeZone', 'Z', true],
            ['legacyTimeZone', '', true],
            ['legacyTimeZone', 'Europe/Paris', true],
            ['legacyTimeZone', 'Paris', 'T:picochain-decode.validation.time-zone'],
            ['allowList', '', true],
            ['allowList', 'fridge-1, fridge_2\nfreezer-3', true],
            ['allowList', 'fridge-1, fridge.2', 'T:picochain-decode.validation.allow-list'],
        ];
        for (const [field, value, want] of cases) assert.strictEqual(v(field, value), want, `${field} = ${JSON.stringify(value)}`);
        // the editor and the runtime agree on offsets
        for (const s of ['+01:00', '-5:30', 'Z', '', 'UTC+2', 'Paris', '+15:00', 'Europe/Paris', 'Asia/Kolkata', 'Mars/Olympus']) {
            assert.strictEqual(v('legacyTimeZone', s) === true, core.parseTimeZone(s) !== null, s);
        }
    });
});
