'use strict';
// The remote-config checks of nodes/shared/board-config.ts against the shared vectors (the
// firmware's config.py passes the same file in test/firmware/remote.test.js), and the config
// report of a status message.
const assert = require('assert');
const { checkRemote, checkReport, maskSecrets, secretsIn, layer } = require('../../dist/nodes/shared/board-config');
const VECTORS = require('../vectors/config.json');

const at = (o, p) => p.split('.').reduce((a, k) => (a === null || a === undefined ? undefined : a[k]), o);

describe('board-config: remote config checks (shared vectors)', () => {
    for (const c of VECTORS.cases) {
        it(`${c.name}: ${c.error === null ? 'accepted' : c.error}`, () => {
            const v = checkRemote(c.remote, c.base || VECTORS.base, !!c.tls);
            assert.strictEqual(v.error, c.error);
            for (const [p, want] of Object.entries(c.expect || {})) assert.deepStrictEqual(at(v.settings, p), want, p);
            if (c.error === null) assert.ok(!JSON.stringify(v.settings).includes('s3cret'), 'no secret in the settings');
        });
    }

    it('covers every key a remote config may set, both verdicts', () => {
        const keys = new Set(VECTORS.cases.flatMap((c) => (c.remote && typeof c.remote === 'object' && !Array.isArray(c.remote) ? Object.keys(c.remote) : [])));
        for (const k of ['sample_s', 'window_s', 'send', 'format', 'legacy', 'debug', 'thresholds', 'wifi', 'broker']) assert.ok(keys.has(k), k);
        assert.ok(VECTORS.cases.filter((c) => c.error === null).length >= 10 && VECTORS.cases.filter((c) => c.error !== null).length >= 30);
    });

    it('does not change its inputs', () => {
        const base = JSON.parse(JSON.stringify(VECTORS.base));
        const over = { thresholds: { probe2: { warn_high: -16 } }, broker: { port: 1884 } };
        const before = JSON.stringify([base, over]);
        layer(base, over);
        checkRemote(over, base, false);
        assert.strictEqual(JSON.stringify([base, over]), before);
    });

    it('names and masks secrets', () => {
        const over = { wifi: { ssid: 'x', password: 'p1' }, broker: { password: 'p2', port: 1 } };
        assert.deepStrictEqual(secretsIn(over), ['wifi.password', 'broker.password']);
        const m = maskSecrets(over);
        assert.deepStrictEqual(m, { wifi: { ssid: 'x', password: '***' }, broker: { password: '***', port: 1 } });
        assert.strictEqual(over.wifi.password, 'p1', 'the original is kept');
        assert.deepStrictEqual(secretsIn({ window_s: 60 }), []);
    });
});

describe('board-config: the config report of a status message', () => {
    const ok = { applied: 3, last: 4, result: 'refused', reason: 'window_s must be an integer from sample_s to 3600', settings: { window_s: 60 } };
    it('passes a good report', () => {
        assert.deepStrictEqual(checkReport(ok).report, ok);
        assert.deepStrictEqual(checkReport({ applied: 0, last: null, result: 'none' }).report, { applied: 0, last: null, result: 'none' });
    });
    for (const [name, bad, field] of [
        ['not an object', 'applied', 'config'],
        ['negative applied', { ...ok, applied: -1 }, 'config.applied'],
        ['fractional last', { ...ok, last: 1.5 }, 'config.last'],
        ['unknown result', { ...ok, result: 'done' }, 'config.result'],
        ['long reason', { ...ok, reason: 'x'.repeat(201) }, 'config.reason'],
        ['settings not an object', { ...ok, settings: [] }, 'config.settings'],
        ['huge settings', { ...ok, settings: { x: 'y'.repeat(5000) } }, 'config.settings'],
    ]) {
        it(`refuses ${name}`, () => assert.strictEqual(checkReport(bad).problem.field, field));
    }
});
