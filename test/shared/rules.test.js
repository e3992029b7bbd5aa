'use strict';
// nodes/shared/rules.ts: the settings checks the node cores and the edit dialogs share (the
// dialogs run them from resources/editor.js, test/browser/editors.test.js), and that bundle
// exposing the very same rules.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const R = require('../../dist/nodes/shared/rules');
const { parseDuration, HistoryError } = require('../../dist/nodes/picochain-history/core');
const { checkSettings } = require('../../dist/nodes/picochain-mongo-config/core');

describe('shared settings rules', function () {
    it('envNames/hasEnvReference find ${NAME} anywhere in a field', function () {
        assert.deepStrictEqual(R.envNames('${MONGODB_URI}'), ['MONGODB_URI']);
        assert.deepStrictEqual(R.envNames('mongodb://${HOST}:${PORT}/'), ['HOST', 'PORT']);
        assert.deepStrictEqual(R.envNames('mongodb://127.0.0.1/'), []);
        assert.strictEqual(R.hasEnvReference('$HOST'), false);
        assert.strictEqual(R.hasEnvReference(undefined), false);
    });

    it('durationMs reads 24h, 90m, 7d, 1w, 30s, 500ms and bare ms; refuses the rest', function () {
        const table = [['24h', 86400000], ['90m', 5400000], ['90min', 5400000], ['7d', 604800000], ['1w', 604800000], ['30s', 30000], ['500ms', 500], ['2500', 2500], [' 1.5h ', 5400000], [60000, 60000]];
        for (const [v, ms] of table) assert.strictEqual(R.durationMs(v), ms, String(v));
        for (const v of ['yesterday', '', '0', '0h', '-1h', '1y', '24 hours', null, NaN, -5]) assert.strictEqual(R.durationMs(v), null, String(v));
    });

    it('the history core refuses the same ranges with its own error', function () {
        assert.strictEqual(parseDuration('24h'), 86400000);
        assert.throws(() => parseDuration('yesterday'), (e) => e instanceof HistoryError && e.code === 'bad-range');
    });

    it('isIntIn / toNumber: whole numbers in range, text allowed, blanks refused', function () {
        assert.strictEqual(R.isIntIn('300', 2, 10000), true);
        assert.strictEqual(R.isIntIn(' 2 ', 2, 10000), true);
        for (const v of ['1', '10001', '2.5', '', ' ', 'x', null, undefined]) assert.strictEqual(R.isIntIn(v, 2, 10000), false, String(v));
        assert.strictEqual(R.toNumber('1e3'), 1000);
        assert.strictEqual(R.toNumber('abc'), null);
    });

    it('collections: 1-120 characters, no $ or NUL, never system.*', function () {
        for (const v of ['readings', 'fridge readings', 'a'.repeat(120), 'systems']) assert.strictEqual(R.isCollectionName(v), true, v);
        for (const v of ['system.x', 'system.profile', '', 'a$b', 'a\0b', 'a'.repeat(121), 7]) assert.strictEqual(R.isCollectionName(v), false, String(v));
    });

    it('connection strings and database names: the config node refuses what the rules refuse', function () {
        const base = { uri: 'mongodb://127.0.0.1:27017/', database: 'picochain', tls: false, connectTimeoutMs: 10000 };
        for (const uri of ['http://nope', 'mongodb://', 'mongodb:/x', ' ']) {
            assert.strictEqual(R.MONGO_URI_PATTERN.test(uri), false, uri);
            assert.ok(checkSettings({ ...base, uri }), uri);
        }
        for (const database of ['a.b', 'a b', '', 'x'.repeat(64)]) {
            assert.strictEqual(R.DB_NAME_PATTERN.test(database), false, database);
            assert.ok(checkSettings({ ...base, database }), database);
        }
        assert.strictEqual(checkSettings(base), null);
        assert.match(checkSettings({ ...base, connectTimeoutMs: R.CONNECT_TIMEOUT_MS.min - 1 }), /100\.\.120000 ms/);
    });

    it('device and sensor ids: empty only where optional, "*" = every sensor', function () {
        assert.strictEqual(R.isDeviceId('fridge-1'), true);
        assert.strictEqual(R.isDeviceId('fridge.1'), false);
        assert.strictEqual(R.isDeviceId(''), false);
        assert.strictEqual(R.isDeviceId('', true), true);
        assert.strictEqual(R.isSensorName('*', true), true);
        assert.strictEqual(R.isSensorName('*'), false);
        assert.strictEqual(R.isSensorName('a b', true), false);
    });

    it('resources/editor.js gives the browser the same rules and two-argument validators', function () {
        const ctx = vm.createContext({ window: {} });
        vm.runInContext(fs.readFileSync(path.join(__dirname, '..', '..', 'resources', 'editor.js'), 'utf8'), ctx);
        const E = ctx.window.PicochainEditor;
        assert.deepStrictEqual(Object.keys(E.rules).sort(), Object.keys(R).sort());
        assert.strictEqual(E.rules.durationMs('24h'), R.durationMs('24h'));
        const v = E.validator('x.errors.range', (s) => E.rules.durationMs(s) !== null);
        assert.strictEqual(v.length, 2, 'Node-RED reads a returned string as an error only from two-parameter validators');
        const node = { _def: { _: (key) => `text of ${key}` } };
        assert.strictEqual(v.call(node, '24h', {}), true);
        assert.strictEqual(v.call(node, 'yesterday', {}), 'text of x.errors.range');
        const other = E.validator('x.errors.a', () => 'x.errors.b');
        assert.strictEqual(other.call(node, 'v', {}), 'text of x.errors.b', 'a validator may name another message');
    });
});
