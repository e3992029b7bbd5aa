'use strict';
// picochain-alert's editor in a real Node-RED 4 editor (Chromium): the node sits in the picochain
// palette, a flow with a contradictory clear level is flagged invalid with the catalog message in
// the browser's language (en-US and fr), and the edit dialog opens with translated labels and the
// context stores of settings.js to choose from.
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { freePort, waitForPort, stopChild } = require('../../scripts/lib/services');

const root = path.join(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';

// A fresh user data dir per launch: playwright takes it as launchPersistentContext's argument.
function launchOptions(locale) {
    return {
        executablePath: CHROMIUM,
        headless: true,
        locale,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--no-first-run'],
    };
}

describe('picochain-alert editor in Node-RED 4 (Chromium)', function () {
    this.timeout(90000);
    let red;
    let port;
    let userDir;
    let browserDir;
    let chromium;
    let log = '';

    before(async function () {
        if (!fs.existsSync(CHROMIUM)) this.skip();
        ({ chromium } = require('playwright-core'));
        userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'picochain-alert-editor-'));
        browserDir = fs.mkdtempSync(path.join(os.tmpdir(), 'picochain-alert-chromium-'));
        fs.mkdirSync(path.join(userDir, 'node_modules', '@picochain'), { recursive: true });
        fs.symlinkSync(root, path.join(userDir, 'node_modules', '@picochain', 'node-red'), 'dir');
        fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'nr-user', dependencies: { '@picochain/node-red': '*' } }));
        fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = {
            flowFile: 'flows.json', uiHost: '127.0.0.1',
            contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } },
            editorTheme: { projects: { enabled: false }, tours: false },
        };`);
        fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify([
            { id: 't1', type: 'tab', label: 'alerts' },
            { id: 'good', type: 'picochain-alert', z: 't1', name: '', highWarning: '8', highWarningClear: '6', store: 'file', x: 200, y: 100, wires: [[], []] },
            { id: 'bad', type: 'picochain-alert', z: 't1', name: 'cold room', highWarning: '8', highWarningClear: '9', x: 200, y: 200, wires: [[], []] },
        ]));
        port = await freePort();
        red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir, '-p', String(port), '-s', path.join(userDir, 'settings.js')], {
            stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
        });
        red.stdout.on('data', (d) => { log += d; });
        red.stderr.on('data', (d) => { log += d; });
        await waitForPort(port, '127.0.0.1', 45000, red);
    });

    after(async function () {
        await stopChild(red);
        if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
        if (browserDir) fs.rmSync(browserDir, { recursive: true, force: true });
    });

    for (const [locale, want] of [
        ['en-US', { message: 'high-warning: the clear level (9) must be at or below the level (8)', rateWindow: 'Rate window', output: 'alert events' }],
        ['fr-FR', { message: 'high-warning : le seuil de levée (9) doit être inférieur ou égal au seuil (8)', rateWindow: 'Fenêtre de pente', output: "événements d'alerte" }],
    ]) {
        it(`flags the bad node and opens the edit dialog in ${locale}`, async function () {
            const context = await chromium.launchPersistentContext(path.join(browserDir, locale), launchOptions(locale));
            const errors = [];
            try {
                const page = context.pages()[0] || await context.newPage();
                page.on('pageerror', (e) => errors.push(String(e)));
                await page.goto(`http://127.0.0.1:${port}/`);
                await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('bad') && RED.nodes.node('good'), null, { timeout: 45000 });
                const state = await page.evaluate(() => {
                    const bad = RED.nodes.node('bad');
                    const good = RED.nodes.node('good');
                    const v = bad._def.defaults.highWarningClear.validate;
                    return {
                        badValid: bad.valid, goodValid: good.valid, goodErrors: good.validationErrors, badErrors: bad.validationErrors, message: v.call(bad, bad.highWarningClear, {}),
                        category: bad._def.category, output: bad._def.outputLabels.call(bad, 0),
                    };
                });
                assert.strictEqual(state.goodValid, true, JSON.stringify(state));
                assert.strictEqual(state.badValid, false);
                assert.strictEqual(state.message, want.message);
                assert.strictEqual(state.category, 'picochain');
                assert.strictEqual(state.output, want.output);
                assert.ok(await page.locator('#red-ui-palette-picochain .red-ui-palette-node[data-palette-type="picochain-alert"]').count() === 1, 'in the picochain palette');

                await page.evaluate(() => RED.editor.edit(RED.nodes.node('good')));
                await page.waitForSelector('#node-input-rateWindow', { state: 'visible', timeout: 15000 });
                assert.strictEqual((await page.textContent('label[for="node-input-rateWindow"]')).trim(), want.rateWindow);
                assert.strictEqual(await page.inputValue('#node-input-highWarning'), '8');
                const stores = await page.$$eval('#node-input-store option', (os) => os.map((o) => o.value));
                assert.deepStrictEqual(stores, ['', 'default', 'file']);
                assert.strictEqual(await page.inputValue('#node-input-store'), 'file');
                // typing a clear level above the level marks the field invalid in the open dialog
                await page.fill('#node-input-highWarningClear', '9');
                await page.dispatchEvent('#node-input-highWarningClear', 'change');
                await page.waitForSelector('#node-input-highWarningClear.input-error', { timeout: 5000 });
                assert.deepStrictEqual(errors, []);
            } finally {
                await context.close();
            }
        });
    }
});
