'use strict';
// picochain-mongo-config and picochain-mongo-ts catalogs and editors: fr mirrors en-US (keys,
// placeholders, help sections), every data-i18n key of the editor and every key the runtime uses
// exists, status texts stay short, and the editor declares the credentials.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { editorDefinition } = require('../support/editor-definition');

const dist = path.join(__dirname, '..', '..', 'dist', 'nodes');
const src = path.join(__dirname, '..', '..', 'nodes');
const TYPES = ['picochain-mongo-config', 'picochain-mongo-ts'];

const catalog = (type, lang) => JSON.parse(fs.readFileSync(path.join(dist, type, 'locales', lang, `${type}.json`), 'utf8'))[type];
const help = (type, lang) => fs.readFileSync(path.join(dist, type, 'locales', lang, `${type}.html`), 'utf8');
const editor = (type) => fs.readFileSync(path.join(dist, type, `${type}.html`), 'utf8');
function leaves(obj, prefix = '') {
    return Object.entries(obj).flatMap(([k, v]) => (typeof v === 'object' ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]]));
}
const placeholders = (s) => (s.match(/__(.+?)__/g) || []).sort();
const lookup = (cat, key) => key.split('.').reduce((o, k) => (o ? o[k] : undefined), cat);

describe('picochain-mongo-config / picochain-mongo-ts catalogs and editors', function () {
    for (const type of TYPES) {
        it(`${type}: fr has every en-US key with the same placeholders, and no extra key`, function () {
            const en = new Map(leaves(catalog(type, 'en-US')));
            const fr = new Map(leaves(catalog(type, 'fr')));
            assert.deepStrictEqual([...fr.keys()].sort(), [...en.keys()].sort());
            for (const [k, v] of en) {
                assert.deepStrictEqual(placeholders(fr.get(k)), placeholders(v), k);
                assert.ok(fr.get(k).length > 0, k);
            }
        });

        it(`${type}: fr help mirrors en-US help (same sections, same code samples)`, function () {
            const tags = (h) => (h.match(/<(h3|h4|dt|li)\b/g) || []).join(',');
            const codes = (h) => (h.match(/<code>[^<]*<\/code>/g) || []).filter((c) => !/[a-zà-ÿ]{4,} [a-zà-ÿ]{4,}/i.test(c)).length;
            const en = help(type, 'en-US');
            const fr = help(type, 'fr');
            assert.match(en, new RegExp(`data-help-name="${type}"`));
            assert.match(fr, new RegExp(`data-help-name="${type}"`));
            assert.strictEqual(tags(fr), tags(en));
            assert.ok(Math.abs(codes(fr) - codes(en)) <= 1, `code samples ${codes(fr)} vs ${codes(en)}`);
            assert.match(en, /^<script[^>]*>\s*<p>[^<]+<\/p>/, 'a one-sentence first paragraph');
        });

        it(`${type}: every data-i18n key of the editor and of the runtime exists in en-US`, function () {
            const cat = catalog(type, 'en-US');
            const html = editor(type);
            const editorKeys = [...html.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]).filter((k) => k.startsWith(`${type}.`));
            const jsKeys = [...html.matchAll(/_\("([a-z-]+\.[a-z0-9.-]+)"/g)].map((m) => m[1]).filter((k) => k.startsWith(`${type}.`) && !k.endsWith('.'));
            const ts = fs.readdirSync(path.join(src, type)).filter((f) => f.endsWith('.ts')).map((f) => fs.readFileSync(path.join(src, type, f), 'utf8')).join('\n');
            const runtimeKeys = [...ts.matchAll(/\bt\('([a-z-]+\.[a-z0-9-]+)'/g)].map((m) => `${type}.${m[1]}`);
            for (const k of [...editorKeys, ...jsKeys, ...runtimeKeys]) {
                assert.strictEqual(typeof lookup({ [type]: cat }, k), 'string', `missing ${k}`);
            }
            if (type === 'picochain-mongo-ts') {
                assert.ok(runtimeKeys.length >= 10, `runtime keys found: ${runtimeKeys.length}`);
                for (const s of ['status', 'errors', 'log', 'mode']) assert.ok(cat[s], s);
            }
        });
    }

    it('status texts stay within 20 characters in both languages (typical values)', function () {
        for (const lang of ['en-US', 'fr']) {
            const cat = catalog('picochain-mongo-ts', lang);
            for (const [k, v] of Object.entries(cat.status)) {
                // the spool counts up to 12.3k; counters beside a written count are usually small
                const values = /^ok-/.test(k) ? { mode: cat.mode.fallback, n: '999', bad: '9', lost: '9', q: '12.3k' } : { n: '12.3k', lost: '1.2k' };
                const text = v.replace(/__(.+?)__/g, (_, p) => values[p]);
                assert.ok(text.length <= 20, `${lang} status.${k}: "${text}" (${text.length})`);
            }
        }
    });

    /** The editor's registerType definition, translating through the en-US catalog. */
    function editorDef(type) {
        const cat = catalog(type, 'en-US');
        return editorDefinition(type, (key) => String(lookup({ [type]: cat }, key) || key)).def;
    }
    const check = (def, field, value, node = {}) => def.defaults[field].validate.call({ _def: def, ...node }, value);

    it('config editor validators refuse what the runtime refuses, with a catalog message', function () {
        const def = editorDef('picochain-mongo-config');
        assert.strictEqual(check(def, 'uri', 'mongodb://db:27017/'), true);
        assert.strictEqual(check(def, 'uri', 'mongodb+srv://cluster0.example.net/'), true);
        assert.strictEqual(check(def, 'uri', '${MONGODB_URI}'), true);
        assert.match(check(def, 'uri', 'http://db'), /must start with mongodb:\/\//);
        assert.strictEqual(check(def, 'database', 'picochain'), true);
        assert.match(check(def, 'database', 'a.b'), /Database name/);
        assert.match(check(def, 'connectTimeout', '5'), /100 to 120000/);
        assert.ok(!('user' in def.defaults) && !('password' in def.defaults), 'credentials are not defaults');
        assert.strictEqual(def.label.call({ uri: 'mongodb://bob:pw@db:27017/x', database: 'picochain' }), 'picochain @ db:27017', 'no credentials in the label');
    });

    it('writer editor validators refuse what the runtime refuses, with a catalog message', function () {
        const def = editorDef('picochain-mongo-ts');
        const html = editor('picochain-mongo-ts');
        assert.strictEqual(check(def, 'timeField', 'time', { metaField: 'meta' }), true);
        assert.match(check(def, 'timeField', 'count', { metaField: 'meta' }), /plain name/);
        assert.match(check(def, 'timeField', '$t', { metaField: 'meta' }), /plain name/);
        assert.match(check(def, 'metaField', 'time', { timeField: 'time' }), /must differ/);
        assert.match(check(def, 'batchSize', '0'), /Batch size/);
        assert.strictEqual(check(def, 'batchSize', '100'), true);
        assert.match(check(def, 'inFlight', '17'), /In flight/);
        assert.match(check(def, 'inFlight', '1.5'), /In flight/);
        assert.strictEqual(check(def, 'inFlight', '8'), true);
        assert.match(check(def, 'spoolSize', '15'), /Spool: .* 16 to 1048576/);
        assert.strictEqual(check(def, 'spoolSize', '2048'), true);
        assert.match(check(def, 'spoolDir', 'a\0b'), /folder/);
        assert.strictEqual(check(def, 'spoolDir', ''), true);
        // a node saved before version 2 has none of these: valid, the runtime takes the defaults
        assert.strictEqual(check(def, 'inFlight', undefined), true);
        assert.strictEqual(check(def, 'spoolSize', undefined), true);
        assert.deepStrictEqual(Array.from(html.matchAll(/<option value="([a-z-]+)" data-i18n="picochain-mongo-ts\.when-full/g), (m) => m[1]), ['block', 'drop-newest', 'reject']);
        assert.match(check(def, 'retention', '-1'), /0 = keep/);
        assert.match(check(def, 'collection', 'system.x'), /collection name/);
        assert.strictEqual(def.defaults.mongo.type, 'picochain-mongo-config');
        assert.deepStrictEqual([def.category, def.inputs, def.outputs, def.defaults.version.value], ['picochain', 1, 1, 2]);
        assert.deepStrictEqual([def.defaults.batchSize.value, def.defaults.batchDelay.value, def.defaults.inFlight.value, def.defaults.spoolSize.value, def.defaults.whenFull.value],
            [500, 200, 4, 512, 'block'], 'the editor defaults are the runtime defaults');
    });

    it('the config editor declares user and password as credentials, the writer requires the config node', function () {
        const html = editor('picochain-mongo-config');
        assert.match(html, /credentials:\s*{\s*user:\s*{\s*type:\s*"text"\s*},\s*password:\s*{\s*type:\s*"password"\s*}/);
        assert.match(html, /category:\s*"config"/);
        assert.ok(!/defaults:[\s\S]*password:[\s\S]*credentials:/.test(html.split('credentials:')[0] + 'credentials:'), 'password not in defaults');
        const w = editor('picochain-mongo-ts');
        assert.match(w, /mongo:\s*{\s*value:\s*"",\s*type:\s*"picochain-mongo-config",\s*required:\s*true\s*}/);
        assert.match(w, /category:\s*"picochain"/);
        const wrapper = fs.readFileSync(path.join(src, 'picochain-mongo-config', 'picochain-mongo-config.ts'), 'utf8');
        assert.match(wrapper, /credentials:\s*{\s*user:\s*{\s*type:\s*'text'\s*},\s*password:\s*{\s*type:\s*'password'\s*}/);
    });
});
