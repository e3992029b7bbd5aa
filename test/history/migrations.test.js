'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { migrate, CONFIG_DEFAULTS, CURRENT_VERSION } = require('../../dist/nodes/picochain-history/migrations');
const { readHtml } = require('../../scripts/lib/node-defaults');

describe('picochain-history config migrations', function () {
    it('an unversioned (v0) config gets the defaults it lacks and keeps what it had', function () {
        const v0 = { id: 'h', type: 'picochain-history', mongo: 'cfg', device: 'fridge-1', range: '6h' };
        const c = migrate(v0);
        assert.strictEqual(c.version, CURRENT_VERSION);
        assert.strictEqual(c.device, 'fridge-1');
        assert.strictEqual(c.range, '6h');
        assert.strictEqual(c.format, 'ui_chart');
        assert.strictEqual(c.stats, 'mean,min,max');
        assert.strictEqual(c.hourly, true);
    });
    it('a current config is unchanged', function () {
        const cur = { ...CONFIG_DEFAULTS, mongo: 'cfg', format: 'points' };
        assert.deepStrictEqual(migrate(cur), cur);
    });
    it('the editor defaults are the migration defaults', function () {
        const html = path.join(__dirname, '../../nodes/picochain-history/picochain-history.html');
        const defs = readHtml(html)['picochain-history'].defaults;
        assert.deepStrictEqual(defs, { ...CONFIG_DEFAULTS });
        assert.ok(fs.existsSync(html));
    });
});
