'use strict';
// nodes/shared/node-status.ts and errors.ts (added with picochain-decode, used by every wrapper).
const assert = require('assert');
const { compactCount, ThrottledStatus } = require('../../dist/nodes/shared/node-status');
const { toError } = require('../../dist/nodes/shared/errors');
const { sleep } = require('../support/wait');


describe('shared node-status and errors helpers', function () {
    it('compactCount keeps counters short', function () {
        const table = [[0, '0'], [999, '999'], [1000, '1k'], [1234, '1.2k'], [12345, '12k'], [999999, '999k'], [1234567, '1.2M'], [2.5e9, '2.5G'], [-1500, '-1.5k']];
        for (const [n, s] of table) assert.strictEqual(compactCount(n), s, String(n));
        assert.ok(`ok ${compactCount(999999)} · err ${compactCount(999999)}`.length < 20);
    });

    it('ThrottledStatus: first update at once, a burst coalesced into its last value, nothing after close', async function () {
        const seen = [];
        const s = new ThrottledStatus({ status: (v) => seen.push(v.text) }, 50);
        s.set({ text: 'a' });
        s.set({ text: 'b' });
        s.set({ text: 'c' });
        assert.deepStrictEqual(seen, ['a']);
        await sleep(80);
        assert.deepStrictEqual(seen, ['a', 'c']);
        s.set({ text: 'd' });
        s.set({ text: 'e' });
        s.close();
        await sleep(80);
        s.set({ text: 'f' });
        assert.ok(!seen.includes('e') && !seen.includes('f'), `after close: ${seen}`);
    });

    it('ThrottledStatus.flush applies a pending update now', function () {
        const seen = [];
        const s = new ThrottledStatus({ status: (v) => seen.push(v.text) }, 10000);
        s.set({ text: 'a' });
        s.set({ text: 'b' });
        s.flush();
        assert.deepStrictEqual(seen, ['a', 'b']);
        s.close();
    });

    it('toError keeps Errors and wraps anything else', function () {
        const e = new TypeError('x');
        assert.strictEqual(toError(e), e);
        assert.strictEqual(toError('boom').message, 'boom');
        assert.strictEqual(toError({ code: 1 }).message, '{"code":1}');
        const cyclic = {};
        cyclic.self = cyclic;
        assert.ok(toError(cyclic) instanceof Error);
    });
});
