'use strict';
// picochain-alert editor and catalogs: fr mirrors en-US (keys, placeholders, help sections), every
// event renders to a full sentence in both languages, the editor validators refuse what the core
// refuses, and config migrations fill old configs.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { editorDefinition: editorDef } = require('../support/editor-definition');
const { AlertEngine, messageFor, validateOptions } = require('../../dist/nodes/picochain-alert/core');
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
        for (const word of ['ack', 'reset', 'status', 'offline', 'localfilesystem', 'renotify', 'escalated']) {
            assert.ok(help('en-US').includes(word) && help('fr').includes(word), word);
        }
    });

    it('every kind of event renders a complete sentence in both languages', function () {
        const T0 = Date.UTC(2026, 0, 1);
        const r = (t, v, extra = {}) => ({ device: 'fridge-1', sensor: 'temperature', unit: '°C', time: new Date(T0 + t * 1000), mean: v, slope: null, ...extra });
        const events = [];
        const a = new AlertEngine({ high: { warning: { level: 8, clear: 6 }, critical: { level: 12, clear: 10 } }, low: { warning: { level: 0, clear: 1 }, critical: null }, renotifyS: 60, silentS: 60 });
        events.push(...a.ingest(r(0, 9), T0), ...a.tick(T0 + 60e3), ...a.ingest(r(61, 13), T0 + 61e3), ...a.ack({ device: 'fridge-1' }, T0 + 62e3),
            ...a.ingest(r(63, 5), T0 + 63e3), ...a.ingest(r(64, -1), T0 + 64e3), ...a.ingest(r(65, 2), T0 + 65e3),
            ...a.deviceStatus('fridge-2', false, T0 + 66e3), ...a.deviceStatus('fridge-2', true, T0 + 67e3), ...a.tick(T0 + 200e3), ...a.ingest(r(201, 5), T0 + 201e3));
        const b = new AlertEngine({ rise: { limit: 1, clear: 0.5 }, fall: { limit: 1, clear: 0.5 }, rateSource: 'slope' });
        for (const [i, s] of [2, 0, -2, 0].entries()) events.push(...b.ingest(r(i, 5, { slope: s }), T0 + i * 1000));
        const kinds = new Set(events.map((e) => `${e.event}-${e.rule}${e.cause ? `-${e.cause}` : ''}`));
        for (const k of ['fired-high', 'renotify-high', 'escalated-high', 'acknowledged-high', 'resolved-high', 'fired-low', 'resolved-low',
            'fired-silent-offline', 'resolved-silent-offline', 'fired-silent-timeout', 'resolved-silent-timeout', 'fired-rise', 'resolved-rise', 'fired-fall', 'resolved-fall']) {
            assert.ok(kinds.has(k), `scenario covers ${k}`);
        }
        for (const lang of ['en-US', 'fr']) {
            const cat = catalog(lang);
            for (const e of events) {
                const m = messageFor(e);
                const args = { ...m.args, severity: translate(cat, `severity.${e.severity}`, {}), previous: e.previousSeverity ? translate(cat, `severity.${e.previousSeverity}`, {}) : '' };
                const text = translate(cat, `message.${m.event}`, { ...args, text: translate(cat, `message.${m.condition}`, args) });
                assert.ok(!/__|undefined|\?/.test(text), `${lang}: "${text}"`);
                assert.ok(text.includes(e.device), text);
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
        const v = def.defaults[field].validate;
        return v.call(n, n[field], {});
    };

    it('declares every property with a default, version included', function () {
        assert.deepStrictEqual(Object.keys(def.defaults).sort(), Object.keys(DEFAULT_CONFIG).sort());
        for (const [k, v] of Object.entries(def.defaults)) assert.deepStrictEqual(v.value, DEFAULT_CONFIG[k], k);
        assert.strictEqual(def.defaults.version.value, CONFIG_VERSION);
    });

    const table = [
        // props, field, expected catalog key (or true)
        [{ highWarning: '8', highWarningClear: '6' }, 'highWarningClear', true],
        [{ highWarning: '8', highWarningClear: '9' }, 'highWarningClear', 'clear-high'],
        [{ lowWarning: '-20', lowWarningClear: '-21' }, 'lowWarningClear', 'clear-low'],
        [{ lowWarning: '-20', lowWarningClear: '-18' }, 'lowWarningClear', true],
        [{ highWarning: '8', highCritical: '7' }, 'highCritical', 'critical-high'],
        [{ lowWarning: '0', lowCritical: '1' }, 'lowCritical', 'critical-low'],
        [{ highWarning: '8', lowWarning: '9' }, 'lowWarning', 'low-above-high'],
        [{ highWarning: 'abc' }, 'highWarning', 'number'],
        [{ rise: '0' }, 'rise', 'rate-positive'],
        [{ rise: '1', riseClear: '2' }, 'riseClear', 'clear-rate'],
        [{ fall: '1', fallClear: '0.5' }, 'fallClear', true],
        [{ forTime: '-5' }, 'forTime', 'duration'],
        [{ silent: '' }, 'silent', true],
        [{ rateWindow: '0' }, 'rateWindow', 'duration'],
        [{ rateWindow: '' }, 'rateWindow', true],
    ];
    for (const [props, field, want] of table) {
        it(`${JSON.stringify(props)} → ${field}: ${want === true ? 'valid' : want}`, function () {
            const got = check(props, field);
            if (want === true) assert.strictEqual(got, true);
            else assert.match(String(got), new RegExp(`^picochain-alert\\.errors\\.${want}\\b`));
        });
    }

    it('agrees with the runtime validation on the same table', function () {
        for (const [props, , want] of table) {
            const problems = validateOptions(optionsFromConfig(migrate({ ...props })));
            if (want === true) assert.deepStrictEqual(problems, [], JSON.stringify(props));
            else if (want === 'number') assert.deepStrictEqual(problems.map((p) => p.key), ['not-a-number']);
            else assert.deepStrictEqual(problems.map((p) => p.key), [want], JSON.stringify(props));
        }
    });

    it('every catalog key the editor uses exists', function () {
        const html = fs.readFileSync(path.join(dir, 'picochain-alert.html'), 'utf8');
        const en = new Map(leaves(catalog('en-US')));
        const keys = [...html.matchAll(/(?:data-i18n="(?:\[placeholder\])?|_\(")picochain-alert\.([a-z.-]+[a-z])"/g)].map((m) => m[1]);
        assert.ok(keys.length > 30);
        for (const k of keys) assert.ok(en.has(k), k);
        for (const k of ['critical-high', 'critical-low', 'clear-high', 'clear-low', 'low-above-high', 'rate-positive', 'clear-rate', 'duration', 'number']) {
            assert.ok(en.has(`errors.${k}`), k);
        }
    });
});

describe('picochain-alert config migrations', function () {
    it('a config without version (hand-written flow) gets every default and the current version', function () {
        const c = migrate({ id: 'x', type: 'picochain-alert', highWarning: '8' });
        assert.strictEqual(c.version, CONFIG_VERSION);
        assert.strictEqual(c.highWarning, '8');
        for (const [k, v] of Object.entries(DEFAULT_CONFIG)) if (k !== 'highWarning' && k !== 'version') assert.deepStrictEqual(c[k], v, k);
        const o = optionsFromConfig(c);
        assert.deepStrictEqual(o.high.warning, { level: 8, clear: 8 }, 'empty clear level = the level');
        assert.strictEqual(o.high.critical, null);
        assert.strictEqual(o.rise, null);
        assert.strictEqual(o.offlineAlerts, true);
    });

    it('a current config is kept as it is', function () {
        const saved = { ...DEFAULT_CONFIG, name: 'cold room', highWarning: '5', highWarningClear: '4', sensors: 'temperature, probe1', offline: false, silent: '900' };
        assert.deepStrictEqual(migrate(saved), saved);
        const o = optionsFromConfig(migrate(saved));
        assert.deepStrictEqual(o.sensors, ['temperature', 'probe1']);
        assert.strictEqual(o.offlineAlerts, false);
        assert.strictEqual(o.silentS, 900);
    });
});
