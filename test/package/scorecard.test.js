'use strict';
// The Flow Library scorecard: `node-red-dev validate` (the tool the catalogue runs) on this
// package gives every check a pass and no warning. Its two catalogue checks (P08 similar names,
// N01 node types taken) need catalogue.nodered.org: where it cannot be reached they see an empty
// catalogue (test/support/offline-catalogue.js) and the run says so.
const assert = require('assert');
const { spawnSync } = require('child_process');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');

describe('Flow Library scorecard (node-red-dev validate)', function () {
    this.timeout(180000);

    it('the README states the Node.js and Node-RED versions package.json declares, once each', function () {
        const pkg = require(path.join(ROOT, 'package.json'));
        const readme = require('fs').readFileSync(path.join(ROOT, 'README.md'), 'utf8');
        const node = [...readme.matchAll(/Node\.js ≥ (\d+(?:\.\d+)*)/g)].map((m) => m[1]);
        const red = [...readme.matchAll(/Node-RED ≥ (\d+(?:\.\d+)*)/g)].map((m) => m[1]);
        assert.deepStrictEqual(node, [pkg.engines.node.replace(/^>=/, '').replace(/\.0$/, '')]);
        assert.deepStrictEqual(red, [pkg['node-red'].version.replace(/^>=/, '').replace(/\.0$/, '')]);
    });

    it('passes every check with no warning', function () {
        const bin = path.join(path.dirname(require.resolve('node-red-dev/package.json')), 'bin', 'run');
        const r = spawnSync(process.execPath, ['-r', path.join(__dirname, '..', 'support', 'offline-catalogue.js'), bin, 'validate'], { cwd: ROOT, encoding: 'utf8' });
        const out = `${r.stdout}\n${r.stderr}`;
        assert.strictEqual(r.status, 0, out);
        assert.match(r.stdout, /^Complete$/m, out);
        assert.doesNotMatch(out, /Warning|Error|NOT Compatible|not at latest/i, out);
        for (const check of ['licensed', 'Repository/Bugs Link', 'Scoped Name', 'Node-RED Keyword', 'Compatible with Node-RED', 'Compatible NodeJS Version', 'unique names', 'Examples found for all nodes', 'dependencies', 'No incompatible packages', 'latest versions']) {
            assert.match(r.stdout, new RegExp(`✅ .*${check}`), `${check}:\n${out}`);
        }
        if (/offline-catalogue: .* unreachable/.test(r.stderr)) console.log('      note: catalogue.nodered.org unreachable: P08 (similar names) and N01 (node types taken) not checked');
    });
});
