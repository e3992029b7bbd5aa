'use strict';
// Every picochain node's edit dialog in real Node-RED editors (Chromium) on each supported major
// (3.1, 4.1, 5.0: scripts/lib/node-red-versions.js) in English and French: each bad value typed
// into a dialog gets the red border (class input-error) and a catalog message, a good value
// clears it; the palette shows every node in one colour under a translated label; port labels
// and the statuses the runtime sends (runtime language = the browser's) show no raw catalog key.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { useEditor } = require('../support/editor');
const { nodeRedVersions } = require('../../scripts/lib/node-red-versions');
const { freePort } = require('../../scripts/lib/services');
const { readHtml } = require('../../scripts/lib/node-defaults');

const ROOT = path.join(__dirname, '..', '..');
/** A catalog key shown instead of its text, e.g. "picochain-history.outputs.chart". */
const RAW_KEY = /picochain-[a-z-]+\.[a-z0-9-]+\.?/;
// nodes whose editor is not yet on the shared validators: this list must stay empty
const PENDING = {};

/** Per node: the dialog's bad values (field -> [bad, good]) and how to open the dialog. */
const DIALOGS = [
    { type: 'picochain-mongo-config', id: 'db', config: true, fields: { uri: ['http://nope', 'mongodb://127.0.0.1:27017/'], database: ['a.b', 'picochain'], connectTimeout: ['5', '1000'] } },
    {
        type: 'picochain-history', id: 'history',
        fields: { range: ['yesterday', '24h'], collection: ['system.x', 'readings'], maxPoints: ['1', '300'], device: ['fridge.1', 'fridge-1'], sensor: ['a b', ''], timeout: ['0', '10'], metaField: ['time', 'meta'], timeField: ['9t', 'time'] },
    },
    {
        type: 'picochain-decode', id: 'decode',
        fields: { topicPattern: ['a/#/b', 'picochain/+site/+device/+kind'], maxBytes: ['10', '16384'], legacyTimeZone: ['Paris', 'Europe/Paris'], allowList: ['fridge.2', 'fridge-2'], tempMax: ['-70', '150'] },
    },
    {
        type: 'picochain-alert', id: 'alert',
        fields: { rateWindow: ['abc', '600'], renotify: ['-5', '1800'], keepFiring: ['1 week', '0'], silent: ['x', '600'], group: ['a/b', ''], stateCollection: ['system.x', 'alert_state'] },
    },
    {
        type: 'picochain-mongo-ts', id: 'writer',
        fields: { batchSize: ['0', '100'], collection: ['system.x', 'readings'], spoolSize: ['5', '512'], inFlight: ['17', '4'], timeField: ['count', 'time'], metaField: ['time', 'meta'] },
    },
    {
        type: 'picochain-broker', id: 'mq', config: true,
        fields: { broker: ['http://nope', 'mqtts://broker.example:8883'], port: ['70000', '1883'], clientId: ['two words', 'picochain-pantry'], sessionExpiry: ['-1', '604800'] },
    },
    { type: 'picochain-mqtt-in', id: 'in', fields: { topic: ['picochain/#/stats', 'picochain/+/+/stats'], shareGroup: ['a/b', 'nr'], unclaimed: ['0', '30'] } },
    {
        type: 'picochain-report', id: 'report',
        fields: { checks: ['16:00, 08:00', '08:00, 16:00'], fridgeHigh: ['-5', '5'], timeZone: ['Mars/Base', 'Europe/Paris'], locale: ['xx!', 'fr-FR'], tolerance: ['-1', '30'], retention: ['0', '3'], collection: ['system.x', 'foodlog'] },
    },
];

/** A node as the editor saves it: every default of its type, then `props`. */
function node(type, props) {
    const { defaults } = readHtml(path.join(ROOT, 'nodes', type, `${type}.html`))[type];
    return { type, ...defaults, ...props };
}

async function flows() {
    const dead = await freePort(); // nothing listens there: the database stays unreachable
    return [
        { id: 't1', type: 'tab', label: 'picochain' },
        node('picochain-mongo-config', { id: 'db', name: '', uri: `mongodb://127.0.0.1:${dead}/`, database: 'picochain', connectTimeout: 1000 }),
        node('picochain-mongo-config', { id: 'db-env', name: 'from env', uri: '${PICOCHAIN_TEST_UNSET_URI}', database: 'picochain' }),
        node('picochain-decode', { id: 'decode', z: 't1', legacyTimeZone: 'Europe/Paris', x: 150, y: 60, wires: [[], []] }),
        node('picochain-alert', { id: 'alert', z: 't1', x: 150, y: 120, wires: [[], [], []] }),
        node('picochain-mongo-ts', { id: 'writer', z: 't1', mongo: 'db', x: 150, y: 180, wires: [[]] }),
        node('picochain-broker', { id: 'mq', name: '', broker: '127.0.0.1', port: String(dead) }),
        node('picochain-mqtt-in', { id: 'in', z: 't1', broker: 'mq', x: 150, y: 360, wires: [[]] }),
        node('picochain-history', { id: 'history', z: 't1', mongo: 'db', device: 'fridge-1', x: 150, y: 240, wires: [[], []] }),
        node('picochain-history', { id: 'history-env', z: 't1', mongo: 'db-env', x: 150, y: 300, wires: [[], []] }),
        node('picochain-report', { id: 'report', z: 't1', mongo: 'db', auto: false, x: 150, y: 360, wires: [[], []] }),
    ];
}

const catalog = (type, lang) => JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'nodes', type, 'locales', lang, `${type}.json`), 'utf8'))[type];

for (const nodeRed of nodeRedVersions()) {
    for (const [locale, lang] of [['en-US', 'en-US'], ['fr-FR', 'fr']]) {
        describe(`picochain editors in Node-RED ${nodeRed.version}, ${locale} (Chromium)`, function () {
            this.timeout(120000);
            const editor = useEditor(async () => ({
                name: `editors-${nodeRed.major}-${lang}`, flows: await flows(), nodeRed,
                // the runtime speaks the browser's language, for the statuses it sends
                settings: { lang },
            }));
            let page;
            let errors;
            let close;
            before(async function () {
                ({ page, errors, close } = await editor.open(locale));
            });
            after(async function () {
                if (close) await close();
            });

            for (const d of DIALOGS) {
                it(`${d.type}: a red border and a catalog message for each bad value, none for a good one`, async function () {
                    if (PENDING[d.type]) { console.log(`      skipped: ${d.type}: ${PENDING[d.type]}`); this.skip(); }
                    const prefix = d.config ? '#node-config-input-' : '#node-input-';
                    await page.evaluate(({ id, config }) => {
                        const n = RED.nodes.node(id);
                        if (config) RED.editor.editConfig('', n.type, n.id);
                        else RED.editor.edit(n);
                    }, d);
                    await page.waitForSelector(`${prefix}${Object.keys(d.fields)[0]}`, { state: 'visible', timeout: 15000 });
                    for (const [field, [bad, good]] of Object.entries(d.fields)) {
                        const sel = `${prefix}${field}`;
                        await page.fill(sel, bad);
                        await page.dispatchEvent(sel, 'change');
                        await page.waitForSelector(`${sel}.input-error`, { timeout: 5000 }).catch(() => assert.fail(`${d.type}.${field} = "${bad}": no red border`));
                        // the message Node-RED shows beside it: the validator's catalog text
                        const message = await page.evaluate(({ id, type, field, bad }) => {
                            const n = RED.nodes.node(id);
                            return RED.nodes.getType(type).defaults[field].validate.call(n, bad, {});
                        }, { id: d.id, type: d.type, field, bad });
                        assert.strictEqual(typeof message, 'string', `${d.type}.${field} = "${bad}": validator gave ${JSON.stringify(message)}`);
                        assert.ok(message.length > 10 && !RAW_KEY.test(message), `${d.type}.${field}: message "${message}"`);
                        await page.fill(sel, good);
                        await page.dispatchEvent(sel, 'change');
                        await page.waitForSelector(`${sel}:not(.input-error)`, { timeout: 5000 }).catch(() => assert.fail(`${d.type}.${field} = "${good}": still a red border`));
                    }
                    // the editor's shade lies over the tray's buttons: click through jQuery as a user's click would
                    await page.evaluate((sel) => $(sel).trigger('click'), d.config ? '#node-config-dialog-cancel' : '#node-dialog-cancel');
                    await page.waitForSelector('.red-ui-tray', { state: 'detached', timeout: 10000 });
                    assert.deepStrictEqual(errors, []);
                });
            }

            it('the palette shows every picochain node in one colour under a translated label', async function () {
                const types = DIALOGS.filter((d) => !d.config && !PENDING[d.type]).map((d) => d.type);
                const shown = await page.evaluate((ts) => ts.map((t) => {
                    const el = document.querySelector(`#red-ui-palette-picochain .red-ui-palette-node[data-palette-type="${t}"]`);
                    return el && { label: el.querySelector('.red-ui-palette-label').textContent.trim(), color: getComputedStyle(el).backgroundColor };
                }), types);
                const color = await page.evaluate(() => {
                    const probe = document.createElement('div');
                    probe.style.backgroundColor = window.PicochainEditor.COLOR;
                    document.body.appendChild(probe);
                    const c = getComputedStyle(probe).backgroundColor;
                    probe.remove();
                    return c;
                });
                types.forEach((t, i) => {
                    assert.ok(shown[i], `${t} in the picochain palette`);
                    assert.ok(shown[i].label && !RAW_KEY.test(shown[i].label), `${t} palette label "${shown[i].label}"`);
                    // the palette puts each word of a label on its own line: compare the words
                    assert.strictEqual(shown[i].label.replace(/\s+/g, ' '), catalog(t, lang).label.palette, `${t} palette label in ${lang}`);
                    assert.strictEqual(shown[i].color, color, `${t} colour`);
                });
            });

            it('port labels and the statuses the runtime sends show no raw key, in the page language', async function () {
                const hist = catalog('picochain-history', lang);
                // the history nodes follow their database: unreachable, and misconfigured (unset variable)
                await page.waitForFunction(() => ['history', 'history-env'].every((id) => RED.nodes.node(id).status && RED.nodes.node(id).status.text), null, { timeout: 30000 });
                const seen = await page.evaluate((pending) => {
                    const out = [];
                    RED.nodes.eachNode((n) => {
                        if (!n.type.startsWith('picochain-') || pending.includes(n.type)) return;
                        const d = n._def;
                        for (let i = 0; i < (d.outputs || 0); i++) out.push([`${n.id} output ${i}`, d.outputLabels ? d.outputLabels.call(n, i) : '']);
                        if (d.inputs) out.push([`${n.id} input`, d.inputLabels ? d.inputLabels.call(n, 0) : '']);
                        out.push([`${n.id} label`, d.label.call(n)]);
                        if (n.status && n.status.text) out.push([`${n.id} status`, String(n.status.text)]);
                    });
                    return out;
                }, Object.keys(PENDING));
                for (const [where, text] of seen) {
                    assert.ok(typeof text === 'string' && text.length > 0, `${where}: "${text}"`);
                    assert.ok(!RAW_KEY.test(text), `${where}: raw key "${text}"`);
                }
                const statusOf = (id) => seen.find(([w]) => w === `${id} status`)[1];
                assert.ok([hist.status.connecting, hist.status['no-database']].includes(statusOf('history')), `history status "${statusOf('history')}"`);
                assert.strictEqual(statusOf('history-env'), hist.status['db-error']);
                const labels = Object.fromEntries(seen);
                assert.strictEqual(labels['history output 0'], hist.outputs.chart);
                assert.strictEqual(labels['history input'], hist.label.input);
            });
        });
    }
}
