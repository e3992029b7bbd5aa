'use strict';
// The package as a palette user gets it, end to end: `npm pack` in a fresh clone of the repo
// (prepare builds dist/ and resources/), the tarball installed with npm into a fresh Node-RED user
// dir, Node-RED 3.1, 4.1 and 5.0 started on it, and every example deployed: no missing type, every
// picochain node's status a catalog text, the sample inject buttons working. The dashboard
// examples are deployed once without their dashboard (Node-RED waits for exactly the dashboard's
// types, and the file names the module to install) and once with it.
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { nodeRedVersions } = require('../../scripts/lib/node-red-versions');
const { tmpDir } = require('../../scripts/lib/services');
const { startNodeRed } = require('../support/node-red-process');
const { until } = require('../support/wait');

const ROOT = path.join(__dirname, '..', '..');
const pkg = require(path.join(ROOT, 'package.json'));
const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).sort();
const DASHBOARDS = ['node-red-dashboard', '@flowfuse/node-red-dashboard'];
const needsDashboard = (nodes) => nodes.some((n) => /^ui[-_]/.test(n.type));
const catalog = (dir, type) => JSON.parse(fs.readFileSync(path.join(dir, 'dist', 'nodes', type, 'locales', 'en-US', `${type}.json`), 'utf8'))[type];

/** One or more of `type`'s en-US catalog status texts, placeholders filled with anything. */
function statusPattern(dir, type) {
    const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const alts = Object.values(catalog(dir, type).status).map((t) => esc(t).replace(/__[A-Za-z0-9_-]+__/g, '.+?'));
    return new RegExp(`^(?:${alts.join('|')})+$`);
}

describe('npm pack from a fresh clone, installed into fresh Node-RED 3.1, 4.1 and 5.0', function () {
    this.timeout(600000);
    let work;
    let installed; // a user dir's node_modules with the tarball installed, copied for each version
    let packed;

    before(function () {
        work = tmpDir('pack');
        const clone = path.join(work, 'clone');
        // what is committed, as a fresh clone has it; its dependencies as `npm ci` gives them
        execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], { stdio: 'ignore' });
        fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
        const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: clone, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        packed = JSON.parse(out.slice(out.indexOf('[')))[0];
        installed = path.join(work, 'installed');
        fs.mkdirSync(installed);
        fs.writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name: 'node-red-user', private: true }));
        execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(work, packed.filename)], { cwd: installed, stdio: 'ignore' });
    });
    after(function () {
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it('the tarball holds the built nodes, the editor script and the examples, and no sources', function () {
        const files = packed.files.map((f) => f.path);
        for (const file of Object.values(pkg['node-red'].nodes)) assert.ok(files.includes(file), `${file} (prepare builds it)`);
        assert.ok(files.includes('resources/editor.js'), 'resources/editor.js');
        for (const e of EXAMPLES) assert.ok(files.includes(`examples/${e}`), e);
        assert.deepStrictEqual(files.filter((f) => /^(nodes|test|scripts|flows)\//.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f))), []);
        const mod = path.join(installed, 'node_modules', ...pkg.name.split('/'));
        assert.ok(fs.existsSync(path.join(mod, 'node_modules', 'mongodb')) || fs.existsSync(path.join(installed, 'node_modules', 'mongodb')), 'mongodb installed with it');
    });

    // from the cache: a Node-RED in the repo's node_modules would also load the dashboards there
    for (const nodeRed of nodeRedVersions({ isolated: true })) {
        describe(`Node-RED ${nodeRed.version}`, function () {
            let userDir;
            let red;
            let mod;
            before(async function () {
                if (nodeRed.missing) {
                    if (process.env.CI) throw new Error(`${nodeRed.missing} (bash scripts/setup.sh test installs it)`);
                    console.log(`      skipped: ${nodeRed.missing}`);
                    this.skip();
                }
                userDir = path.join(work, `user-${nodeRed.version}`);
                fs.cpSync(installed, userDir, { recursive: true, verbatimSymlinks: true });
                mod = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
                red = await startNodeRed({ red: nodeRed.red, node: nodeRed.node, userDir });
            });
            after(async function () {
                if (red) await red.stop();
            });

            async function deployAndCheck(file) {
                const nodes = JSON.parse(fs.readFileSync(path.join(mod, 'examples', file), 'utf8'));
                const log = await red.deploy(nodes);
                assert.ok(!/missing type/i.test(log), `${file}: ${log}`);
                // the sample buttons a user presses first
                for (const n of nodes.filter((x) => x.type === 'inject')) await red.inject(n.id);
                const ours = nodes.filter((n) => n.type.startsWith('picochain-') && n.z);
                // a status soon on every picochain node that uses a database or got the samples
                const byId = new Map(nodes.map((n) => [n.id, n]));
                const reached = new Set();
                const walk = (id) => { if (reached.has(id) || !byId.has(id)) return; reached.add(id); for (const w of (byId.get(id).wires || []).flat()) walk(w); };
                nodes.filter((n) => n.type === 'inject').forEach((n) => walk(n.id));
                const expected = ours.filter((n) => n.mongo || reached.has(n.id));
                await until(() => expected.every((n) => red.statuses.get(n.id) && red.statuses.get(n.id).text), () => `${file}: statuses ${JSON.stringify(Object.fromEntries(red.statuses))}`, 20000);
                for (const n of ours) {
                    const s = red.statuses.get(n.id);
                    if (!s || !s.text) continue;
                    assert.match(String(s.text), statusPattern(mod, n.type), `${file}: ${n.type} status "${s.text}"`);
                }
            }

            for (const file of EXAMPLES) {
                it(`"${file.replace(/\.json$/, '')}" deploys with only this package${needsDashboard(JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'))) ? ': Node-RED waits for the dashboard the file names' : ', every status a clear text'}`, async function () {
                    const nodes = JSON.parse(fs.readFileSync(path.join(mod, 'examples', file), 'utf8'));
                    if (!needsDashboard(nodes)) return deployAndCheck(file);
                    const log = await red.deploy(nodes);
                    const waiting = (log.match(/Waiting for missing types[^\n]*\n((?:.*\s-\s.*\n?)+)/) || [])[1] || '';
                    const types = waiting.split('\n').map((l) => (l.match(/\s-\s(\S+)\s*$/) || [])[1]).filter(Boolean);
                    assert.ok(types.length > 0 && types.every((t) => /^ui[-_]/.test(t)), `only dashboard types missing: ${JSON.stringify(types)}\n${log}`);
                    const info = nodes.find((n) => n.type === 'global-config');
                    const module = nodes.some((n) => n.type.startsWith('ui-')) ? '@flowfuse/node-red-dashboard' : 'node-red-dashboard';
                    assert.ok(info && info.modules[module], `module information names ${module}`);
                });
            }

            it('with the dashboards installed too, the dashboard examples deploy with no missing type and clear statuses', async function () {
                await red.stop();
                // as `npm install` of both dashboards in the user dir gives them
                for (const d of DASHBOARDS) {
                    const to = path.join(userDir, 'node_modules', ...d.split('/'));
                    fs.mkdirSync(path.dirname(to), { recursive: true });
                    fs.symlinkSync(path.join(ROOT, 'node_modules', ...d.split('/')), to, 'dir');
                }
                red = await startNodeRed({ red: nodeRed.red, node: nodeRed.node, userDir });
                for (const file of EXAMPLES) {
                    if (needsDashboard(JSON.parse(fs.readFileSync(path.join(mod, 'examples', file), 'utf8')))) await deployAndCheck(file);
                }
            });
        });
    }
});
