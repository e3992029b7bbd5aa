'use strict';
// picochain-alert's editor in a real Node-RED 4 editor (Chromium): the node sits in the picochain
// palette, a flow with a contradictory clear level is flagged invalid with the catalog message in
// the browser's language (en-US and fr), and the edit dialog opens with translated labels and the
// context stores of settings.js to choose from.
const assert = require('assert');
const { useEditor } = require('../support/editor');

describe('picochain-alert editor in Node-RED 4 (Chromium)', function () {
    this.timeout(90000);
    const editor = useEditor({
        name: 'alert',
        flows: [
            { id: 't1', type: 'tab', label: 'alerts' },
            { id: 'good', type: 'picochain-alert', z: 't1', name: '', highWarning: '8', highWarningClear: '6', store: 'file', x: 200, y: 100, wires: [[], []] },
            { id: 'bad', type: 'picochain-alert', z: 't1', name: 'cold room', highWarning: '8', highWarningClear: '9', x: 200, y: 200, wires: [[], []] },
        ],
        settings: { contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } } },
    });

    for (const [locale, want] of [
        ['en-US', { message: 'high-warning: the clear level (9) must be at or below the level (8)', rateWindow: 'Rate window', output: 'alert events' }],
        ['fr-FR', { message: 'high-warning : le seuil de levée (9) doit être inférieur ou égal au seuil (8)', rateWindow: 'Fenêtre de pente', output: "événements d'alerte" }],
    ]) {
        it(`flags the bad node and opens the edit dialog in ${locale}`, async function () {
            const { page, errors, close } = await editor.open(locale);
            try {
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
                await close();
            }
        });
    }
});
