'use strict';
// picochain-alert editor and catalogs: fr mirrors en-US (keys, placeholders, help sections), every
// event renders to a full sentence in both languages, the editor validators refuse what the core
// refuses, and config migrations fill old configs.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { editorDefinition: editorDef } = require('../support/editor-definition');
const { AlertEngine, messageFor, validateOptions, FOOD_SAFETY_RULES } = require('../../dist/nodes/picochain-alert/core');
const { migrate, optionsFromConfig, DEFAULT_CONFIG, CONFIG_VERSION } = require('../../dist/nodes/picochain-alert/options');

const dir = path.join(__dirname, '..', '..', 'dist', 'nodes', 'picochain-alert');
const catalog = (lang) => JSON.parse(fs.readFileSync(path.join(dir, 'locales', lang, 'picochain-alert.json'), 'utf8'))['picochain-alert'];
const help = (lang) => fs.readFileSync(path.join(dir, 'locales', lang, 'picochain-alert.html'), 'utf8');

function leaves(obj, prefix = '') {
    return Object.entries(obj).flatMap(([k, v]) => (typeof v === 'object' ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]]));
}
const placeholders = (s) => (s.match(/__(.+?)__/g) || []).sort();

/** i18next-style interpolation as Node-RED's RED._ does it (prefix and suffix "__"). */
function translate(cat, key, args) {
    const v = key.split('.').reduce((o, k) => (o ? o[k] : undefined), cat);
    assert.strictEqual(typeof v, 'string', `missing key ${key}`);
    return v.replace(/__(.+?)__/g, (_, k) => {
        assert.ok(k in args, `${key}: no value for __${k}__`);
        return args[k];
    });
}

describe('picochain-alert catalogs (en-US source, fr mirror)', function () {
    const en = new Map(leaves(catalog('en-US')));
    const fr = new Map(leaves(catalog('fr')));

    it('fr has exactly the en-US keys', function () {
        assert.deepStrictEqual([...fr.keys()].sort(), [...en.keys()].sort());
    });

    it('fr uses the same placeholders as en-US in every entry, and no entry is empty', function () {
        for (const [k, v] of en) {
            assert.deepStrictEqual(placeholders(fr.get(k)), placeholders(v), k);
            assert.ok(v.trim() && fr.get(k).trim(), `${k} is empty`);
        }
    });

    it('status texts stay under 20 characters (99 alerts, 999 refused messages)', function () {
        for (const cat of [catalog('en-US'), catalog('fr')]) {
            for (const key of ['firing', 'pending', 'ok']) {
                const text = translate(cat, `status.${key}`, { count: '99' }) + translate(cat, 'status.bad', { count: '999' });
                assert.ok(text.length < 20, `"${text}"`);
            }
            assert.ok(translate(cat, 'status.invalid', {}).length < 20);
        }
    });

    it('help: same sections and documented properties in both languages', function () {
        const shape = (h) => ({
            sections: (h.match(/<h3>/g) || []).length,
            props: (h.match(/<dt[^>]*>([a-z]+)/g) || []).join(','),
            codes: (h.match(/<code>[^<]+<\/code>/g) || []).filter((c) => /^<code>[a-zA-Z{…./]/.test(c)).length,
        });
        const e = shape(help('en-US'));
        const f = shape(help('fr'));
        assert.deepStrictEqual(f, e);
        for (const word of ['ack', 'reset', 'status', 'offline', 'localfilesystem', 'renotify', 'escalated', 'de-escalated', 'cabinet', 'fridge', 'freezer', '−18 °C']) {
            assert.ok(help('en-US').includes(word) && help('fr').includes(word), word);
        }
    });

    it('every kind of event renders a complete sentence in both languages', function () {
        const T0 = Date.UTC(2026, 0, 1);
        const r = (t, v, extra = {}) => ({ device: 'fridge-1', sensor: 'probe1', unit: '°C', time: new Date(T0 + t * 1000), mean: v, last: v, slope: null, ...extra });
        const band = (fire, clear) => ({ fire, clear, forS: 0 });
        const rule = (kind, unit, warning, critical, extra = {}) => ({ profile: '*', sensors: [], unit, kind, value: 'mean', warning, critical, states: [], ...extra });
        const events = [];
        const a = new AlertEngine({ rules: [rule('high', '°C', band(8, 6), band(12, 10)), rule('low', '°C', band(0, 1), null)], renotifyS: 60, silentS: 60 });
        events.push(...a.ingest(r(0, 9), T0), ...a.tick(T0 + 60e3), ...a.ingest(r(61, 13), T0 + 61e3), ...a.ack({ device: 'fridge-1', by: 'alice' }, T0 + 62e3),
            ...a.ingest(r(62, 9), T0 + 62e3), ...a.ingest(r(63, 5), T0 + 63e3), ...a.ingest(r(64, -1), T0 + 64e3), ...a.ingest(r(65, 2), T0 + 65e3),
            ...a.deviceStatus('fridge-2', false, T0 + 66e3), ...a.deviceStatus('fridge-2', true, T0 + 67e3), ...a.tick(T0 + 200e3), ...a.ingest(r(201, 5), T0 + 201e3),
            ...a.ingest(r(202, 9), T0 + 202e3, { kind: 'fridge' }), ...a.ingest(r(203, 9), T0 + 203e3, { kind: 'freezer' }));
        const b = new AlertEngine({ rules: [rule('rise', '°C', band(1, 0.5), null), rule('fall', '°C', band(1, 0.5), null)], rateSource: 'slope' });
        for (const [i, s] of [2, 0, -2, 0].entries()) events.push(...b.ingest(r(i, 5, { slope: s }), T0 + i * 1000));
        const c = new AlertEngine({ rules: [rule('state', 'state', band(0.5, 0.5), null, { value: 'last', states: [0] })] });
        const cam = { kind: 'custom', sensors: { camera: { unit: 'state', states: { 0: 'nothing', 1: 'present' } } } };
        for (const [i, v] of [0, 1].entries()) events.push(...c.ingest(r(i, v, { sensor: 'camera', unit: null }), T0 + i * 1000, cam));
        const kinds = new Set(events.map((e) => `${e.event}-${e.rule}${e.cause ? `-${e.cause}` : ''}${e.reason ? `-${e.reason}` : ''}`));
        for (const k of ['fired-high', 'renotify-high', 'escalated-high', 'acknowledged-high', 'de-escalated-high', 'resolved-high', 'fired-low', 'resolved-low',
            'fired-silent-offline', 'resolved-silent-offline', 'fired-silent-timeout', 'resolved-silent-timeout', 'fired-rise', 'resolved-rise', 'fired-fall', 'resolved-fall',
            'fired-state', 'resolved-state', 'resolved-high-unconfigured']) {
            assert.ok(kinds.has(k), `scenario covers ${k} (got ${[...kinds]})`);
        }
        for (const lang of ['en-US', 'fr']) {
            const cat = catalog(lang);
            for (const e of events) {
                const m = messageFor(e);
                const args = { ...m.args, severity: translate(cat, `severity.${e.severity}`, {}), previous: e.previousSeverity ? translate(cat, `severity.${e.previousSeverity}`, {}) : '' };
                const text = translate(cat, `message.${m.event}`, { ...args, text: translate(cat, `message.${m.condition}`, args) });
                assert.ok(!/__|undefined|\?/.test(text), `${lang}: "${text}"`);
                assert.ok(text.includes(e.device), text);
                if (e.rule === 'state') assert.ok(text.includes(e.valueLabel), text);
            }
        }
    });
});

/** The editor's registerType definition, no input fields open. */
const editorDefinition = () => editorDef('picochain-alert').def;

describe('picochain-alert editor validation', function () {
    const def = editorDefinition();
    const node = (props) => ({ ...Object.fromEntries(Object.entries(def.defaults).map(([k, v]) => [k, v.value])), ...props, _def: { _: (k, a) => `${k}${a ? ' ' + JSON.stringify(a) : ''}` } });
    const check = (props, field) => {
        const n = node(props);
        return def.defaults[field].validate.call(n, n[field], {});
    };
    const R = (o) => ({ ...DEFAULT_CONFIG.rules[0], ...o });

    it('declares every property with a default, version included; the default rules are the food-safety ones', function () {
        assert.deepStrictEqual(Object.keys(def.defaults).sort(), Object.keys(DEFAULT_CONFIG).sort());
        for (const [k, v] of Object.entries(def.defaults)) assert.deepStrictEqual(JSON.parse(JSON.stringify(v.value)), DEFAULT_CONFIG[k], k);
        assert.strictEqual(def.defaults.version.value, CONFIG_VERSION);
        assert.deepStrictEqual(optionsFromConfig(migrate({})).rules, FOOD_SAFETY_RULES.slice());
        for (const f of ['validate']) for (const k of ['rules', 'rateWindow', 'renotify', 'keepFiring', 'silent', 'defaultProfile']) {
            assert.strictEqual(def.defaults[k][f].length, 2, `${k}: validators take (value, opt)`);
        }
    });

    const table = [
        // rules, expected catalog key (or true)
        [[R({})], true],
        [[R({ warningClear: '6' })], 'clear-high'],
        [[R({ kind: 'low', warning: '0', warningClear: '-1', critical: '', criticalClear: '', criticalFor: '' })], 'clear-low'],
        [[R({ critical: '4', criticalClear: '3' })], 'critical-high'],
        [[R({ kind: 'low', warning: '0', warningClear: '1', critical: '1', criticalClear: '2' })], 'critical-low'],
        [[R({ criticalClear: '4' })], 'critical-clear'],
        [[R({ warning: 'abc' })], 'not-a-number'],
        [[R({ unit: '' })], 'rule-unit'],
        [[R({ profile: 'boiler' })], 'rule-profile'],
        [[R({ warning: '', critical: '' })], 'rule-empty'],
        [[R({ kind: 'rise', warning: '0', warningClear: '', critical: '', criticalClear: '' })], 'rate-positive'],
        [[R({ warningFor: '-5' })], 'rule-duration'],
        [[R({ kind: 'state', unit: 'state', states: '', value: 'last' })], 'state-values'],
        [[R({ kind: 'state', unit: 'state', states: '0, 2', value: 'last', severity: 'critical', criticalFor: '600' })], true],
        [[R({}), R({ profile: 'freezer', warning: '-15', warningClear: '-14', critical: '', criticalClear: '' })], 'clear-high'],
    ];
    for (const [rules, want] of table) {
        it(`${JSON.stringify(rules.map((r) => ({ ...r })).map((r) => Object.fromEntries(Object.entries(r).filter(([k, v]) => v !== R({})[k]))))} → ${want === true ? 'valid' : want}`, function () {
            const got = check({ rules }, 'rules');
            if (want === true) assert.strictEqual(got, true);
            else assert.match(String(got), new RegExp(`^picochain-alert\\.errors\\.${want}\\b`));
            // the runtime refuses the same, with the same key and rule number
            const problems = validateOptions(optionsFromConfig(migrate({ rules, version: 2 })));
            if (want === true) assert.deepStrictEqual(problems, []);
            else {
                assert.strictEqual(problems[0].key, want);
                assert.ok(String(got).includes(`"rule":${problems[0].args.rule}`), `${got} names rule ${problems[0].args.rule}`);
            }
        });
    }

    it('checks the node-level durations and the default profile', function () {
        assert.match(String(check({ rateWindow: '0' }, 'rateWindow')), /errors\.duration/);
        assert.strictEqual(check({ silent: '' }, 'silent'), true);
        assert.match(String(check({ renotify: '-1' }, 'renotify')), /errors\.duration/);
        assert.match(String(check({ defaultProfile: '*' }, 'defaultProfile')), /errors\.default-profile/);
        assert.strictEqual(check({ defaultProfile: 'fridge' }, 'defaultProfile'), true);
    });

    it('every catalog key the editor uses exists, profile, kind and value names included', function () {
        const html = fs.readFileSync(path.join(dir, 'picochain-alert.html'), 'utf8');
        const en = new Map(leaves(catalog('en-US')));
        const keys = [...html.matchAll(/(?:data-i18n="(?:\[placeholder\])?|_\(")picochain-alert\.([a-z.-]+[a-z])"/g)].map((m) => m[1]);
        keys.push(...[...html.matchAll(/t\("([a-z-]+\.[a-z-]+)"\)/g)].map((m) => m[1]));
        assert.ok(keys.length > 20, keys.length);
        for (const k of keys) assert.ok(en.has(k), k);
        for (const p of ['*', 'fridge', 'freezer', 'cold-room', 'ambient', 'custom', 'unassigned']) assert.ok(en.has(`profile.${p}`), p);
        for (const k of ['high', 'low', 'rise', 'fall', 'state']) assert.ok(en.has(`kind.${k}`), k);
        for (const k of ['mean', 'last', 'min', 'max']) assert.ok(en.has(`option.${k}`), k);
        for (const k of ['rule-profile', 'rule-unit', 'rule-empty', 'rule-duration', 'state-values', 'critical-clear', 'critical-high', 'clear-high', 'rate-positive', 'duration', 'default-profile']) {
            assert.ok(en.has(`errors.${k}`), k);
        }
    });
});

describe('picochain-alert config migrations', function () {
    it('a version-1 config (one threshold set for every sensor) becomes * rules in °C with the same levels', function () {
        const v1 = { id: 'x', type: 'picochain-alert', version: 1, value: 'mean', sensors: 'probe1', highWarning: '8', highWarningClear: '6', highCritical: '12', highCriticalClear: '10',
            lowWarning: '', lowWarningClear: '', lowCritical: '', lowCriticalClear: '', rise: '1', riseClear: '0.3', fall: '', fallClear: '', rateWindow: '300', rateSource: 'readings',
            rateSeverity: 'warning', forTime: '30', renotify: '900', keepFiring: '0', silent: '300', silentSeverity: 'critical', offline: true, store: '' };
        const c = migrate(v1);
        assert.strictEqual(c.version, CONFIG_VERSION);
        for (const k of ['highWarning', 'forTime', 'rise', 'sensors', 'rateSeverity']) assert.ok(!(k in c), `${k} folded into the rules`);
        const o = optionsFromConfig(c);
        assert.deepStrictEqual(o.rules, [
            { profile: '*', sensors: ['probe1'], unit: '°C', kind: 'high', value: 'mean', warning: { fire: 8, clear: 6, forS: 30 }, critical: { fire: 12, clear: 10, forS: 30 }, states: [] },
            { profile: '*', sensors: ['probe1'], unit: '°C', kind: 'rise', value: 'mean', warning: { fire: 1, clear: 0.3, forS: 30 }, critical: null, states: [] },
        ]);
        assert.deepStrictEqual([o.renotifyS, o.silentS, o.offlineAlerts, o.rateWindowS], [900, 300, true, 300]);
        assert.deepStrictEqual(validateOptions(o), []);
    });

    it('a config without version (hand-written flow): its thresholds become * rules, the rest takes the defaults', function () {
        const c = migrate({ id: 'x', type: 'picochain-alert', highWarning: '8' });
        assert.strictEqual(c.version, CONFIG_VERSION);
        const o = optionsFromConfig(c);
        assert.deepStrictEqual(o.rules, [{ profile: '*', sensors: [], unit: '°C', kind: 'high', value: 'mean', warning: { fire: 8, clear: 8, forS: 0 }, critical: null, states: [] }]);
        assert.strictEqual(o.offlineAlerts, true, 'version 1 fired on a last will by default');
        assert.deepStrictEqual(optionsFromConfig(migrate({})).rules, FOOD_SAFETY_RULES.slice(), 'nothing given: the food-safety defaults');
    });

    it('a current config is kept as it is', function () {
        const saved = { ...DEFAULT_CONFIG, name: 'cold room', rules: [DEFAULT_CONFIG.rules[0]], offline: false, silent: '900' };
        assert.deepStrictEqual(migrate(saved), saved);
        assert.strictEqual(optionsFromConfig(migrate(saved)).silentS, 900);
    });
});
