'use strict';
// The whole chain in a real browser: npm start's library (scripts/lib/chain.js) on free ports
// with FerretDB and the simulated fleet at 60x, driven by Chromium (playwright-core).
// Dashboards first (both kinds), then the editor (whose example imports change the flows).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { startChainProcess } = require('./support/chain');
const { chainSkipReason, launch, shot, watchChartFrames } = require('./support/browser');
const services = require('../../scripts/lib/services');
const { sleep } = require('../support/wait');

const ROOT = path.join(__dirname, '..', '..');
const OUR_TYPES = ['picochain-decode', 'picochain-mongo-ts', 'picochain-alert', 'picochain-history', 'picochain-mongo-config', 'picochain-board-config'];
const PALETTE_TYPES = OUR_TYPES.filter((t) => t !== 'picochain-mongo-config');
const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).sort();

describe('the chain in a browser (Chromium)', function () {
    this.timeout(120000);
    let chain;
    let browser;
    let page;
    let devices;
    let dataDir;
    const fridges = [];

    before(async function () {
        const why = chainSkipReason('picochain-history');
        if (why) { console.log(`      skipped: ${why}`); this.skip(); }
        const t0 = Date.now();
        chain = await startChainProcess({
            port: 0, mqttPort: 0, dbPort: 0, dataDir: (dataDir = services.tmpDir('chain')), devices: 4, speed: 60,
            scenario: null, alertForS: 3, logLevel: 'warn',
        });
        console.log(`      chain ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${chain.info.dbKind})`);
        devices = chain.info.devices.map((d) => d.id);
        assert.ok(devices.length === 4, `fleet devices: ${devices}`);
        fridges.push(...devices.filter((d) => d.startsWith('fridge')));
        browser = await launch();
        page = await browser.context.newPage();
        page.on('pageerror', (e) => console.log(`      page error: ${e.message.slice(0, 200)}`));
    });

    after(async function () {
        if (browser) await browser.close();
        if (chain) {
            const t = Date.now();
            await chain.stop();
            console.log(`      chain stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
        }
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    async function cardValues() {
        return page.$$eval('[data-pc=card]', (cards) => cards.map((c) => `${c.dataset.device}/${c.dataset.sensor}=${c.querySelector('[data-pc=value]').textContent.trim()}`));
    }

    async function overviewShowsLiveDevices(url, name) {
        await page.goto(url);
        await page.waitForFunction((n) => new Set([...document.querySelectorAll('[data-pc=card]')].map((c) => c.dataset.device)).size >= n, devices.length, { timeout: 60000 });
        const shown = new Set(await page.$$eval('[data-pc=card]', (cs) => cs.map((c) => c.dataset.device)));
        for (const d of devices) assert.ok(shown.has(d), `${d} has a card`);
        const before = await cardValues();
        // at 60x a board closes a window every real second: values move within a few seconds
        await page.waitForFunction((b) => {
            const now = [...document.querySelectorAll('[data-pc=card]')].map((c) => `${c.dataset.device}/${c.dataset.sensor}=${c.querySelector('[data-pc=value]').textContent.trim()}`);
            return now.some((v) => !b.includes(v));
        }, before, { timeout: 20000 });
        await shot(page, name);
    }

    async function historyShowsStoredPoints(url, name, waitForSelector) {
        const xs = watchChartFrames(page);
        // let the writer store some windows before the page asks for them
        await sleep(3000);
        // a fresh document (not just a hash change), so the socket and its first data are new
        await page.goto('about:blank');
        const loadedAt = Date.now();
        await page.goto(url);
        await page.waitForSelector(waitForSelector, { timeout: 30000 });
        const deadline = Date.now() + 30000;
        while (xs.filter((x) => x < loadedAt).length < 10 && Date.now() < deadline) await sleep(250);
        const older = xs.filter((x) => x < loadedAt).length;
        assert.ok(older >= 10, `chart points older than the page load: ${older} (of ${xs.length})`);
        await page.waitForTimeout(1500); // let the chart draw
        await shot(page, name);
        return older;
    }

    async function alertAppearsAndAck(url, name, device) {
        await page.goto(url);
        // a threshold or rate alert of the faulty cabinet (not a "silent" one)
        const row = `[data-pc=alert][data-device="${device}"]:not([data-rule=silent])`;
        await page.waitForSelector(row, { timeout: 90000 });
        await page.waitForSelector(`${row}[data-state=firing] [data-pc=ack]`, { timeout: 30000 });
        const id = await page.$eval(`${row}[data-state=firing]`, (r) => r.dataset.id);
        await shot(page, `${name}-firing`);
        await page.click(`[data-pc=alert][data-id="${id}"] [data-pc=ack]`);
        // read the shown state in the same look as the row's state attribute: a warning that
        // escalates to critical a moment later is no longer acknowledged (and is redrawn)
        const shown = await page.waitForFunction((alertId) => {
            const r = document.querySelector(`[data-pc=alert][data-id="${alertId}"][data-state=acknowledged]`);
            return r && r.querySelector('[data-pc=alert-state]').textContent.trim();
        }, id, { timeout: 20000 });
        const text = await shown.jsonValue();
        assert.strictEqual(text, 'acknowledged');
        await shot(page, name);
    }

    describe('node-red-dashboard (/ui)', function () {
        it('Overview shows every simulated device with values that change', async function () {
            // the faults for the Alerts tests, injected now so the alerts build up meanwhile
            await chain.inject(fridges[0], 'door');
            await chain.inject(fridges[1], 'door');
            await overviewShowsLiveDevices(`${chain.info.dashboardUrl}#!/0`, 'ui-overview');
        });
        it('History shows a chart with points read from the database (older than the page load)', async function () {
            await historyShowsStoredPoints(`${chain.info.dashboardUrl}#!/1`, 'ui-history', 'canvas');
            const rows = await page.$$eval('[data-pc=hourly] tr', (r) => r.length);
            assert.ok(rows > 1, `hourly statistics rows: ${rows - 1}`);
        });
        it('Fleet lists every device with its firmware version', async function () {
            await page.goto(`${chain.info.dashboardUrl}#!/3`);
            await page.waitForFunction((n) => document.querySelectorAll('[data-pc=device-row]').length >= n, devices.length, { timeout: 30000 });
            const fw = await page.$$eval('[data-pc=device-row] td:nth-child(3)', (tds) => tds.map((t) => t.textContent.trim()));
            assert.ok(fw.every((v) => /^\d+\.\d+/.test(v)), `firmware versions: ${fw}`);
            await shot(page, 'ui-fleet');
        });
        it('an injected fault (door left open) raises an alert on Alerts; acknowledge changes its state', async function () {
            await alertAppearsAndAck(`${chain.info.dashboardUrl}#!/2`, 'ui-alerts', fridges[0]);
        });
    });

    describe('FlowFuse Dashboard 2.0 (/dashboard)', function () {
        it('Overview shows every simulated device with values that change', async function () {
            await overviewShowsLiveDevices(`${chain.info.dashboard2Url}overview`, 'dashboard2-overview');
        });
        it('History shows a chart with points read from the database (older than the page load)', async function () {
            await historyShowsStoredPoints(`${chain.info.dashboard2Url}history`, 'dashboard2-history', 'canvas');
        });
        it('Fleet lists every device with its firmware version', async function () {
            await page.goto(`${chain.info.dashboard2Url}fleet`);
            await page.waitForFunction((n) => document.querySelectorAll('[data-pc=device-row]').length >= n, devices.length, { timeout: 30000 });
            await shot(page, 'dashboard2-fleet');
        });
        it('an injected fault raises an alert on Alerts; acknowledge changes its state', async function () {
            await alertAppearsAndAck(`${chain.info.dashboard2Url}alerts`, 'dashboard2-alerts', fridges[1]);
        });
        it('the pages follow the user\'s language choice (French), on both dashboards', async function () {
            await page.goto(`${chain.info.dashboard2Url}overview`);
            await page.click('[data-pc=lang]');
            await page.waitForFunction(() => [...document.querySelectorAll('[data-pc=online]')].some((e) => e.textContent.trim() === 'en ligne'), null, { timeout: 20000 });
            await shot(page, 'dashboard2-overview-fr');
            await page.goto('about:blank');
            await page.goto(`${chain.info.dashboardUrl}#!/0`);
            await page.waitForFunction(() => [...document.querySelectorAll('[data-pc=online]')].some((e) => e.textContent.trim() === 'en ligne'), null, { timeout: 20000 });
            await page.click('[data-pc=lang]'); // back to English
            await page.waitForFunction(() => [...document.querySelectorAll('[data-pc=online]')].some((e) => e.textContent.trim() === 'online'), null, { timeout: 20000 });
        });
    });

    describe('editor', function () {
        before(async function () {
            await page.goto(chain.info.editorUrl);
            await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType && RED.nodes.getType('picochain-decode') && document.querySelector('.red-ui-palette-node'), null, { timeout: 30000 });
            // the flows drawn: the loading overlay is gone
            await page.waitForSelector('#red-ui-workspace-chart .red-ui-flow-node', { timeout: 30000 });
            await page.waitForFunction(() => { const l = document.getElementById('red-ui-loading-progress'); return !l || l.offsetParent === null; }, null, { timeout: 30000 });
            await page.waitForTimeout(1000);
        });

        it('the palette shows the picochain category with its nodes', async function () {
            await page.waitForSelector('#red-ui-palette-container-picochain', { timeout: 10000 });
            const types = await page.$$eval('#red-ui-palette-container-picochain .red-ui-palette-node', (ns) => ns.map((n) => n.getAttribute('data-palette-type')));
            for (const t of PALETTE_TYPES) assert.ok(types.includes(t), `${t} in the picochain category (found ${types})`);
            await page.evaluate(() => document.querySelector('#red-ui-palette-container-picochain').scrollIntoView());
            await shot(page, 'editor');
        });

        for (const type of OUR_TYPES) {
            it(`the help of ${type} renders`, async function () {
                const file = path.join(ROOT, 'dist', 'nodes', type, 'locales', 'en-US', `${type}.html`);
                if (!fs.existsSync(file)) this.skip();
                const first = /<p>([\s\S]*?)<\/p>/.exec(fs.readFileSync(file, 'utf8'))[1].replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim().slice(0, 40);
                await page.evaluate((t) => RED.sidebar.help.show(t), type);
                await page.waitForFunction((s) => {
                    const el = document.querySelector('.red-ui-sidebar-help-stack .red-ui-help');
                    return el && el.textContent.replace(/\s+/g, ' ').includes(s);
                }, first, { timeout: 10000 });
                const headings = await page.$$eval('.red-ui-sidebar-help-stack .red-ui-help h3', (h) => h.map((e) => e.textContent.trim()));
                assert.ok(headings.length >= 2, `help sections: ${headings}`);
            });
        }

        it('Import › Examples lists the six picochain examples by name', async function () {
            const listed = await page.evaluate(async () => (await (await fetch('library/examples/flows/@picochain/node-red/')).json()).map((e) => e.fn));
            assert.deepStrictEqual(listed.sort(), EXAMPLES.map((f) => f.replace(/\.json$/, '')).sort());
        });

        for (const file of EXAMPLES) {
            it(`importing the example "${file.replace(/\.json$/, '')}" leaves no unknown node`, async function () {
                const result = await page.evaluate(async (name) => {
                    // the request the Import › Examples dialog makes, then the editor's import
                    const ns = await (await fetch(`library/examples/flows/@picochain/node-red/${encodeURIComponent(name)}`)).json();
                    // shared config nodes already in the workspace are replaced by their identical copies
                    const importMap = {};
                    for (const n of ns) if (RED.nodes.node(n.id) || RED.nodes.workspace(n.id)) importMap[n.id] = 'replace';
                    RED.view.importNodes(ns, { addFlow: false, importMap, notify: false });
                    const unknown = [];
                    RED.nodes.eachNode((n) => { if (n.type === 'unknown') unknown.push(n.name || n.id); });
                    RED.nodes.eachConfig((n) => { if (n.type === 'unknown') unknown.push(n.name || n.id); });
                    return { unknown, imported: ns.length };
                }, file.replace(/\.json$/, ''));
                assert.ok(result.imported > 3);
                assert.deepStrictEqual(result.unknown, []);
            });
        }

        it('deploy succeeds (the chain plus every example)', async function () {
            await page.click('#red-ui-header-button-deploy');
            const text = await page.waitForSelector('.red-ui-notification', { timeout: 20000 }).then((n) => n.textContent());
            assert.match(text, /Successfully deployed/i);
            // every node of the runtime is there and none reports a red status for a missing type
            const counts = await page.evaluate(() => { let n = 0; RED.nodes.eachNode(() => { n++; }); return n; });
            assert.ok(counts > 60);
            await shot(page, 'editor-deployed');
        });
    });
});
