'use strict';
// A real Node-RED editor with this package installed, for the editor tests in Chromium: a fresh
// user dir (package.json linking the checkout, settings.js, flows.json), Node-RED on a free port
// (the devDependency 4.1, or another version of scripts/lib/node-red-versions.js), and one
// Chromium page per locale (test/browser/support/browser.js's launch).
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { freePort, waitForPort, stopChild, tmpDir } = require('../../scripts/lib/services');
const { browserSkipReason, launch } = require('../browser/support/browser');

const ROOT = path.join(__dirname, '..', '..');

/**
 * Starts Node-RED with `flows` in a user dir named after `name`; `settings` are merged into
 * settings.js (which always has flowFile, uiHost and the editor theme without projects or tours).
 * `nodeRed` ({ red, node }: red.js and the Node.js binary to run it with) defaults to the
 * devDependency. Returns { url, log(), open(locale), stop() }: open() loads the editor in a fresh
 * Chromium in `locale` and waits until every node of `flows` is in RED.nodes, and resolves with
 * { page, errors (page errors so far), close() }.
 */
async function startEditor({ name, flows, settings = {}, nodeRed = {} }) {
    const userDir = tmpDir(`${name}-editor`);
    let red;
    let log = '';
    const stop = async () => {
        await stopChild(red);
        fs.rmSync(userDir, { recursive: true, force: true });
    };
    try {
        fs.mkdirSync(path.join(userDir, 'node_modules', '@picochain'), { recursive: true });
        fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', '@picochain', 'node-red'), 'dir');
        fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'nr-user', dependencies: { '@picochain/node-red': '*' } }));
        const all = { flowFile: 'flows.json', uiHost: '127.0.0.1', ...settings, editorTheme: { projects: { enabled: false }, tours: false } };
        fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(all, null, 4)};\n`);
        fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
        const port = await freePort();
        red = spawn(nodeRed.node || process.execPath, [nodeRed.red || require.resolve('node-red/red.js'), '-u', userDir, '-p', String(port), '-s', path.join(userDir, 'settings.js')], {
            stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
        });
        red.stdout.on('data', (d) => { log += d; });
        red.stderr.on('data', (d) => { log += d; });
        await waitForPort(port, '127.0.0.1', 45000, red);
        const url = `http://127.0.0.1:${port}/`;
        // every node of the flows, config nodes included (RED.nodes.node finds both)
        const ids = flows.filter((n) => n.type !== 'tab').map((n) => n.id);

        async function open(locale) {
            const browser = await launch({ locale });
            const errors = [];
            try {
                const page = browser.context.pages()[0] || await browser.context.newPage();
                page.on('pageerror', (e) => errors.push(String(e)));
                await page.goto(url);
                await page.waitForFunction((want) => window.RED && RED.nodes && want.every((id) => RED.nodes.node(id)), ids, { timeout: 45000 });
                return { page, errors, close: () => browser.close() };
            } catch (e) {
                await browser.close();
                throw e;
            }
        }
        return { url, log: () => log, open, stop };
    } catch (e) {
        await stop();
        throw new Error(`${e.message}\n${log}`);
    }
}

/**
 * For a describe(): starts the editor before its tests (or skips them where Chromium cannot be
 * driven, or `opts.nodeRed.missing` says that Node-RED version is not installed; under CI both
 * fail instead) and stops it after them. `opts` may be a function giving them (run in before()).
 * Returns { open(locale), log() } as startEditor's.
 */
function useEditor(opts) {
    let editor;
    before(async function () {
        const o = typeof opts === 'function' ? await opts() : opts;
        const missing = o.nodeRed && o.nodeRed.missing;
        if (missing && process.env.CI) throw new Error(`editor tests cannot run under CI: ${missing} (bash scripts/setup.sh test installs it)`);
        const why = browserSkipReason() || missing;
        if (why) { console.log(`      skipped: ${why}`); this.skip(); }
        editor = await startEditor(o);
    });
    after(async function () {
        if (editor) await editor.stop();
    });
    return { open: (locale) => editor.open(locale), log: () => (editor ? editor.log() : '') };
}

module.exports = { useEditor };
