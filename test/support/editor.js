'use strict';
// A real Node-RED 4 editor with this package installed, for the editor tests in Chromium: a fresh
// user dir (package.json linking the checkout, settings.js, flows.json), Node-RED on a free port,
// and one Chromium page per locale (test/browser/support/browser.js's launch).
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { freePort, waitForPort, stopChild, tmpDir } = require('../../scripts/lib/services');
const { browserSkipReason, launch } = require('../browser/support/browser');

const ROOT = path.join(__dirname, '..', '..');

/**
 * Starts Node-RED with `flows` in a user dir named after `name`; `settings` are merged into
 * settings.js (which always has flowFile, uiHost and the editor theme without projects or tours).
 * Returns { url, log(), open(locale), stop() }: open() loads the editor in a fresh Chromium in
 * `locale` and waits until every node of `flows` is in RED.nodes, and resolves with
 * { page, errors (page errors so far), close() }.
 */
async function startEditor({ name, flows, settings = {} }) {
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
        red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir, '-p', String(port), '-s', path.join(userDir, 'settings.js')], {
            stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
        });
        red.stdout.on('data', (d) => { log += d; });
        red.stderr.on('data', (d) => { log += d; });
        await waitForPort(port, '127.0.0.1', 45000, red);
        const url = `http://127.0.0.1:${port}/`;
        const ids = flows.filter((n) => n.z).map((n) => n.id);

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
 * driven) and stops it after them. Returns { open(locale) } as startEditor's.
 */
function useEditor(opts) {
    let editor;
    before(async function () {
        const why = browserSkipReason();
        if (why) { console.log(`      skipped: ${why}`); this.skip(); }
        editor = await startEditor(opts);
    });
    after(async function () {
        if (editor) await editor.stop();
    });
    return { open: (locale) => editor.open(locale) };
}

module.exports = { useEditor };
