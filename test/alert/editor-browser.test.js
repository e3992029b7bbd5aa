'use strict';
// picochain-alert's editor in a real Node-RED 4 editor (Chromium): the node sits in the picochain
// palette, a flow with a contradictory clear level is flagged invalid with the catalog message in
// the browser's language (en-US and fr), and the edit dialog lists the rules per profile with
// translated labels, the context stores of settings.js, and refuses an edited contradiction.
const assert = require('assert');
const { useEditor } = require('../support/editor');

const rule = (o) => ({ profile: 'fridge', sensors: '', unit: '°C', kind: 'high', value: 'mean', warning: '5', warningClear: '4.5', warningFor: '3600',
    critical: '8', criticalClear: '7', criticalFor: '1800', states: '', severity: 'warning', ...o });

describe('picochain-alert editor in Node-RED 4 (Chromium)', function () {
    this.timeout(90000);
    const editor = useEditor({
        name: 'alert',
        flows: [
            { id: 't1', type: 'tab', label: 'alerts' },
            { id: 'good', type: 'picochain-alert', z: 't1', name: '', rules: [rule(), rule({ profile: 'freezer', warning: '-15', warningClear: '-16', critical: '', criticalClear: '', criticalFor: '' })], store: 'file', version: 2, x: 200, y: 100, wires: [[], [], []] },
            { id: 'bad', type: 'picochain-alert', z: 't1', name: 'cold room', rules: [rule({ warningClear: '9' })], version: 2, x: 200, y: 200, wires: [[], [], []] },
        ],
        settings: { contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } } },
    });

    for (const [locale, want] of [
        ['en-US', { message: 'rule 1, warning: the clear level (9) must be at or below the fire level (5)', rateWindow: 'Rate window', output: 'alert events', profile: 'freezer' }],
        ['fr-FR', { message: 'règle 1, warning : le seuil de levée (9) doit être inférieur ou égal au seuil (5)', rateWindow: 'Fenêtre de pente', output: "événements d'alerte", profile: 'congélateur' }],
    ]) {
        it(`flags the bad node and edits the rules in ${locale}`, async function () {
            const { page, errors, close } = await editor.open(locale);
            try {
                const state = await page.evaluate(() => {
                    const bad = RED.nodes.node('bad');
                    const good = RED.nodes.node('good');
                    const v = bad._def.defaults.rules.validate;
                    return {
                        badValid: bad.valid, goodValid: good.valid, message: v.call(bad, bad.rules, {}),
                        category: bad._def.category, output: bad._def.outputLabels.call(bad, 0), outputs: bad._def.outputs,
                    };
                });
                assert.strictEqual(state.goodValid, true, JSON.stringify(state));
                assert.strictEqual(state.badValid, false);
                assert.strictEqual(state.message, want.message);
                assert.strictEqual(state.category, 'picochain');
                assert.strictEqual(state.output, want.output);
                assert.strictEqual(state.outputs, 3);
                assert.ok(await page.locator('#red-ui-palette-picochain .red-ui-palette-node[data-palette-type="picochain-alert"]').count() === 1, 'in the picochain palette');

                await page.evaluate(() => RED.editor.edit(RED.nodes.node('good')));
                await page.waitForSelector('#node-input-rateWindow', { state: 'visible', timeout: 15000 });
                assert.strictEqual((await page.textContent('label[for="node-input-rateWindow"]')).trim(), want.rateWindow);
                const rows = page.locator('#node-input-rule-container > li');
                assert.strictEqual(await rows.count(), 2);
                assert.strictEqual(await rows.nth(0).locator('.pc-r-warning').inputValue(), '5');
                assert.strictEqual(await rows.nth(1).locator('.pc-r-profile option:checked').textContent(), want.profile);
                const stores = await page.$$eval('#node-input-store option', (os) => os.map((o) => o.value));
                assert.deepStrictEqual(stores, ['', 'default', 'file']);
                assert.strictEqual(await page.inputValue('#node-input-store'), 'file');
                // a clear level above the fire level, saved: the node is flagged invalid
                await rows.nth(0).locator('.pc-r-warningClear').fill('9');
                await page.evaluate(() => $('#node-dialog-ok').trigger('click'));
                await page.waitForFunction(() => RED.nodes.node('good').valid === false, null, { timeout: 5000 });
                assert.strictEqual(await page.evaluate(() => RED.nodes.node('good').rules[0].warningClear), '9');
                assert.deepStrictEqual(errors, []);
            } finally {
                await close();
            }
        });
    }
});
