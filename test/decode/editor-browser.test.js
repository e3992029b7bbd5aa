'use strict';
// picochain-decode's editor in a real Node-RED 4 editor (Chromium): palette entry and label,
// invalid settings flagged with the catalog message in the browser's language (en-US and fr),
// the edit dialog's translated labels, defaults and live validation, and the help text.
const assert = require('assert');
const { useEditor } = require('../support/editor');

describe('picochain-decode editor in Node-RED 4 (Chromium)', function () {
    this.timeout(90000);
    const editor = useEditor({
        name: 'decode',
        flows: [
            { id: 't1', type: 'tab', label: 'decode' },
            { id: 'good', type: 'picochain-decode', z: 't1', name: '', format: 'auto', topicPattern: 'picochain/+site/+device/+kind', output: 'auto', maxBytes: 16384, tempMin: -60, tempMax: 150, legacyTimeZone: '+01:00', allowList: '', trackSeq: true, version: 1, x: 200, y: 100, wires: [[], []] },
            { id: 'bad', type: 'picochain-decode', z: 't1', name: 'cold room', format: 'auto', topicPattern: 'a/#/b', output: 'auto', maxBytes: 16384, tempMin: -60, tempMax: 150, legacyTimeZone: '+01:00', allowList: 'fridge-1, fridge.2', trackSeq: true, version: 1, x: 200, y: 200, wires: [[], []] },
        ],
    });

    for (const [locale, want] of [
        ['en-US', {
            topic: 'Use MQTT levels with named wildcards, e.g. picochain/+site/+device/+kind (# only last)',
            allow: '"fridge.2" is not a device id (1 to 36 letters, digits, _ or -)',
            palette: 'decode', label: 'picochain decode', outputs: ['readings', 'device status'], format: 'Format', output: 'Output',
            help: 'Validates and normalises picochain sensor frames',
        }],
        ['fr-FR', {
            topic: 'Niveaux MQTT avec jokers nommés, p. ex. picochain/+site/+device/+kind (# seulement en dernier)',
            allow: "« fridge.2 » n'est pas un identifiant de boîtier (1 à 36 lettres, chiffres, _ ou -)",
            palette: 'décodage', label: 'décodage picochain', outputs: ['mesures', 'état des boîtiers'], format: 'Format', output: 'Sortie',
            help: 'Valide et normalise les trames de capteurs picochain',
        }],
    ]) {
        it(`flags bad settings and opens the edit dialog in ${locale}`, async function () {
            const { page, errors, close } = await editor.open(locale);
            try {
                const state = await page.evaluate(() => {
                    const bad = RED.nodes.node('bad');
                    const good = RED.nodes.node('good');
                    const d = bad._def;
                    return {
                        goodValid: good.valid, goodErrors: good.validationErrors, badValid: bad.valid, badErrors: bad.validationErrors, bt: bad.topicPattern, ba: bad.allowList,
                        topic: d.defaults.topicPattern.validate.call(bad, bad.topicPattern, {}),
                        allow: d.defaults.allowList.validate.call(bad, bad.allowList, {}),
                        // a The Things Stack device id may have 36 characters; °C limits are −100 … 300
                        ttsId: d.defaults.allowList.validate.call(bad, 'x'.repeat(36), {}),
                        hot: d.defaults.tempMax.validate.call(bad, '301', {}),
                        cold: d.defaults.tempMin.validate.call(bad, '-101', {}),
                        edges: [d.defaults.tempMin.validate.call(bad, '-100', {}), d.defaults.tempMax.validate.call(bad, '300', {})],
                        category: d.category, palette: d.paletteLabel.call(d),
                        label: d.label.call(good), named: d.label.call(bad),
                        outputs: [0, 1].map((i) => d.outputLabels.call(good, i)),
                    };
                });
                assert.ok(state.goodValid === true, `good node invalid: ${JSON.stringify(state)}`);
                assert.ok(state.badValid === false, `bad node valid: ${JSON.stringify(state)}`);
                assert.strictEqual(state.topic, want.topic);
                assert.strictEqual(state.allow, want.allow);
                assert.strictEqual(state.ttsId, true);
                assert.deepStrictEqual(state.edges, [true, true]);
                assert.strictEqual(typeof state.hot, 'string', 'tempMax 301 flagged');
                assert.strictEqual(typeof state.cold, 'string', 'tempMin -101 flagged');
                assert.strictEqual(state.category, 'picochain');
                assert.strictEqual(state.palette, want.palette);
                assert.strictEqual(state.label, want.label);
                assert.strictEqual(state.named, 'cold room');
                assert.deepStrictEqual(state.outputs, want.outputs);
                assert.strictEqual(await page.locator('#red-ui-palette-picochain .red-ui-palette-node[data-palette-type="picochain-decode"]').count(), 1, 'in the picochain palette');

                await page.evaluate(() => RED.editor.edit(RED.nodes.node('good')));
                await page.waitForSelector('#node-input-topicPattern', { state: 'visible', timeout: 15000 });
                assert.strictEqual((await page.textContent('label[for="node-input-format"]')).trim(), want.format);
                assert.strictEqual((await page.textContent('label[for="node-input-output"]')).trim(), want.output);
                assert.strictEqual(await page.inputValue('#node-input-legacyTimeZone'), '+01:00');
                assert.strictEqual(await page.inputValue('#node-input-maxBytes'), '16384');
                assert.strictEqual(await page.isChecked('#node-input-trackSeq'), true);
                const formats = await page.$$eval('#node-input-format option', (os) => os.map((o) => o.value));
                assert.deepStrictEqual(formats, ['auto', 'json-v1', 'binary-v1', 'ttn-v3', 'legacy']);
                // live validation in the open dialog
                await page.fill('#node-input-tempMax', '-70');
                await page.dispatchEvent('#node-input-tempMax', 'change');
                await page.waitForSelector('#node-input-tempMax.input-error', { timeout: 5000 });
                await page.fill('#node-input-legacyTimeZone', 'Paris');
                await page.dispatchEvent('#node-input-legacyTimeZone', 'change');
                await page.waitForSelector('#node-input-legacyTimeZone.input-error', { timeout: 5000 });

                const help = await page.evaluate(() => $('script[data-help-name="picochain-decode"]').html() || '');
                assert.ok(help.includes(want.help), `help in ${locale}: ${help.slice(0, 120)}`);
                assert.deepStrictEqual(errors, []);
            } finally {
                await close();
            }
        });
    }
});
