'use strict';
// The package as a user gets it: what npm pack ships, every node's editor files and translations,
// and the nodes loading in a real Node-RED 4 started from the repo.
const assert = require('assert');
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { freePort, waitForPort, stopChild } = require('../../scripts/lib/services');

const root = path.join(__dirname, '..', '..');
const pkg = require(path.join(root, 'package.json'));
const nodeFiles = pkg['node-red'].nodes;

function keysOf(obj, prefix = '') {
    return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === 'object' ? keysOf(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

describe('package', function () {
    it('declares what Node-RED and npm need', function () {
        assert.ok(pkg.keywords.includes('node-red'));
        assert.strictEqual(pkg['node-red'].version, '>=3.1.0');
        assert.ok(pkg.engines.node);
        assert.ok(pkg.license && pkg.repository);
        assert.ok(pkg.dependencies.mongodb, 'mongodb is a runtime dependency');
        assert.ok(!pkg.dependencies['node-red'], 'node-red is not a runtime dependency');
    });

    for (const [type, file] of Object.entries(nodeFiles)) {
        describe(type, function () {
            const js = path.join(root, file);
            const dir = path.dirname(js);
            it('is built with its editor html and icon beside it', function () {
                assert.ok(fs.existsSync(js), `${file} missing (build first)`);
                assert.ok(fs.existsSync(path.join(dir, `${type}.html`)), 'editor html');
                const icons = path.join(dir, 'icons');
                assert.ok(fs.existsSync(icons) && fs.readdirSync(icons).length > 0, 'icons/');
            });
            it('has English and French labels with the same keys', function () {
                const en = JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US', `${type}.json`), 'utf8'));
                const fr = JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'fr', `${type}.json`), 'utf8'));
                assert.deepStrictEqual(keysOf(fr).sort(), keysOf(en).sort());
                const frValues = keysOf(fr).length;
                assert.ok(frValues > 3, 'catalog is not empty');
            });
            it('has help text in English and French, opening with a one-sentence summary', function () {
                for (const lang of ['en-US', 'fr']) {
                    const help = fs.readFileSync(path.join(dir, 'locales', lang, `${type}.html`), 'utf8');
                    assert.match(help, new RegExp(`data-help-name=["']${type}["']`), `${lang} help names the type`);
                    assert.match(help, /<p>[^<]{10,}/, `${lang} help opens with a paragraph`);
                }
            });
        });
    }

    it('npm pack ships dist, html, locales and examples, and nothing from test/', function () {
        this.timeout(60000);
        const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        const files = JSON.parse(out)[0].files.map((f) => f.path);
        for (const file of Object.values(nodeFiles)) assert.ok(files.includes(file), file);
        assert.ok(files.some((f) => /^dist\/nodes\/.+\/locales\/fr\/.+\.html$/.test(f)), 'fr help');
        assert.ok(files.some((f) => /^dist\/nodes\/.+\.html$/.test(f)), 'editor html');
        assert.ok(files.some((f) => /^examples\/.+\.json$/.test(f)), 'examples');
        assert.ok(files.includes('dist/nodes/shared/reading.schema.json'), 'reading schema');
        assert.deepStrictEqual(files.filter((f) => /^(test|bench|sim|scripts|\.ci)\//.test(f)), []);
        assert.deepStrictEqual(files.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f)), [], 'no TypeScript sources');
    });

    it('loads every node in a real Node-RED 4 started from the repo', async function () {
        this.timeout(60000);
        const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'picochain-nr-'));
        // what `npm install @picochain/node-red` in the user directory gives, without copying
        fs.mkdirSync(path.join(userDir, 'node_modules', '@picochain'), { recursive: true });
        fs.symlinkSync(root, path.join(userDir, 'node_modules', '@picochain', 'node-red'), 'dir');
        fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'nr-user', dependencies: { '@picochain/node-red': '*' } }));
        const port = await freePort();
        const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir, '-p', String(port), '--safe'], {
            stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
        });
        let log = '';
        red.stdout.on('data', (d) => { log += d; });
        red.stderr.on('data', (d) => { log += d; });
        try {
            await waitForPort(port, '127.0.0.1', 45000, red);
            const body = await new Promise((resolve, reject) => {
                http.get({ host: '127.0.0.1', port, path: '/nodes', headers: { Accept: 'application/json' } }, (res) => {
                    let s = '';
                    res.on('data', (d) => { s += d; });
                    res.on('end', () => resolve(s));
                }).on('error', reject);
            });
            const sets = JSON.parse(body).filter((s) => s.module === '@picochain/node-red');
            const types = sets.flatMap((s) => s.types);
            for (const type of Object.keys(nodeFiles)) assert.ok(types.includes(type), `${type} not registered:\n${log}`);
            for (const s of sets) assert.ok(!s.err, `${s.name}: ${s.err}`);
            assert.ok(sets.every((s) => s.enabled), 'all enabled');
        } finally {
            await stopChild(red);
            fs.rmSync(userDir, { recursive: true, force: true });
        }
    });
});
