'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { translator } = require('../../dist/nodes/shared/catalog');

describe('shared catalog: RED._ with the node\'s en-US catalog as fallback', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picochain-catalog-'));
    fs.mkdirSync(path.join(dir, 'locales', 'en-US'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'locales', 'en-US', 'x-node.json'), JSON.stringify({ 'x-node': { msg: { high: '__device__ at __value____unit__, above __threshold____unit__' } } }));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const keyOnly = (key) => key; // what the test helper's RED._ does

    it('fills placeholders that stand side by side', function () {
        const t = translator(keyOnly, dir, 'x-node');
        assert.strictEqual(t('msg.high', { device: 'fridge-1', value: 9.5, unit: ' °C', threshold: 8 }), 'fridge-1 at 9.5 °C, above 8 °C');
    });
    it('prefers what RED._ returns, and gives the full key for an unknown one', function () {
        const t = translator((key) => (key === 'x-node.msg.high' ? 'traduit' : key), dir, 'x-node');
        assert.strictEqual(t('msg.high'), 'traduit');
        assert.strictEqual(translator(keyOnly, dir, 'x-node')('msg.nope'), 'x-node.msg.nope');
    });
});
