'use strict';
// Board settings on the Fleet page of both dashboards, in Chromium, against the whole chain (npm
// start's library: Node-RED, aedes, the database, the simulated fleet running the real firmware at
// 60x): each board's config state, an edit checked in the page with the boards' rules, a push to
// one board and to a profile, and the acknowledgement arriving.
const assert = require('assert');
const { observerLogin } = require('../support/identities');
const fs = require('fs');
const mqtt = require('mqtt');
const { startChainProcess } = require('./support/chain');
const { chainSkipReason, launch, shot } = require('./support/browser');
const services = require('../../scripts/lib/services');


describe('board settings on the Fleet pages (Chromium)', function () {
    this.timeout(180000);
    let chain;
    let browser;
    let page;
    let dataDir;
    let watch;
    const seen = [];

    before(async function () {
        const why = chainSkipReason('picochain-board-config');
        if (why) { console.log(`      skipped: ${why}`); this.skip(); }
        chain = await startChainProcess({ port: 0, mqttPort: 0, dbPort: 0, dataDir: (dataDir = services.tmpDir('chain-cfg')), devices: 3, speed: 60, scenario: null, logLevel: 'warn' });
        assert.deepStrictEqual(chain.info.devices.map((d) => d.id), ['fridge-1', 'fridge-2', 'freezer-1']);
        // the embedded broker admits known identities only: a read-only observer
        watch = mqtt.connect(chain.info.mqttUrl, { reconnectPeriod: 500, ...observerLogin(dataDir) });
        watch.on('message', (topic, p) => seen.push({ topic, text: p.toString() }));
        await new Promise((r) => watch.once('connect', r));
        await watch.subscribeAsync('picochain/+/+/status', { qos: 1 });
        browser = await launch();
        page = await browser.context.newPage();
        page.on('pageerror', (e) => console.log(`      page error: ${e.message.slice(0, 200)}`));
    });

    afterEach(async function () {
        if (this.currentTest && this.currentTest.state === 'failed' && chain) {
            console.log(`      chain log:\n${chain.log().slice(-3000)}`);
            const boards = await chain.status().catch(() => []);
            console.log(`      boards: ${JSON.stringify(boards.map((b) => ({ id: b.id, running: b.running, boots: b.boots, pico: b.pico && { configVersion: b.pico.configVersion, configResult: b.pico.configResult, connected: b.pico.connected, mqttConnects: b.pico.mqttConnects, linkFailures: b.pico.linkFailures } })))}`);
            const rows = async () => JSON.stringify(await page.$$eval('[data-pc=config-row]', (rs) => rs.map((r) => r.textContent.replace(/\s+/g, ' ').trim())).catch(() => []));
            if (page) console.log(`      rows: ${await rows()}`);
            console.log(`      statuses seen on the broker: ${JSON.stringify(seen.map((m) => [m.topic, m.text.slice(m.text.indexOf('"config"'), m.text.indexOf('"config"') + 60)]))}`);
        }
    });

    after(async function () {
        if (watch) watch.end(true);
        if (browser) await browser.close();
        if (chain) await chain.stop();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const row = (device) => `[data-pc=config-row][data-device="${device}"]`;
    const rowState = (device) => page.$eval(row(device), (r) => ({ state: r.dataset.state, applied: r.dataset.applied, text: r.textContent.replace(/\s+/g, ' ').trim() }));

    /** Types into a form field the way a user does (the page checks on every change). */
    async function type(field, value) {
        await page.fill(`[data-pc=cfg-${field}]`, String(value));
    }

    async function editAndPush(device, { fields, invalid, profile }) {
        await page.waitForSelector(row(device), { timeout: 60000 });
        await page.waitForFunction((sel) => document.querySelector(sel).dataset.state === 'none' || document.querySelector(sel).dataset.state === 'applied', row(device), { timeout: 60000 });
        await page.click(`${row(device)} [data-pc=config-edit]`);
        await page.waitForSelector('[data-pc=config-form]');
        // an invalid value: the page says why, in the boards' words, and will not push; then the value shown before
        for (const [field, value, reason] of invalid) {
            const shown = await page.inputValue(`[data-pc=cfg-${field}]`);
            await type(field, value);
            const problem = await page.waitForSelector('[data-pc=config-problem]', { timeout: 5000 }).then((e) => e.textContent());
            assert.ok(problem.includes(reason), `"${problem}" names ${reason}`);
            assert.ok(await page.$eval('[data-pc=config-push]', (b) => b.disabled), 'push disabled while invalid');
            await type(field, shown);
        }
        for (const [field, value] of fields) await type(field, value);
        await page.waitForFunction(() => !document.querySelector('[data-pc=config-problem]'), null, { timeout: 5000 });
        if (profile) await page.check('[data-pc=cfg-target-profile]');
        await page.click('[data-pc=config-push]');
        await page.waitForSelector('[data-pc=config-sent]', { timeout: 5000 });
    }

    async function acknowledged(device, version, windowS) {
        await page.waitForFunction(({ sel, v }) => { const r = document.querySelector(sel); return r && r.dataset.state === 'applied' && r.dataset.applied === String(v); },
            { sel: row(device), v: version }, { timeout: 60000 });
        const s = await rowState(device);
        assert.ok(s.text.includes(String(windowS)), `${device} reports ${windowS} s windows: ${s.text}`);
        return s;
    }

    it('node-red-dashboard: a board\'s window goes from 60 s to 300 s; an invalid window is refused in the page first', async function () {
        await page.goto(`${chain.info.dashboardUrl}#!/3`);
        await page.waitForFunction(() => document.querySelectorAll('[data-pc=config-row]').length >= 3, null, { timeout: 90000 });
        const before = await rowState('fridge-1');
        assert.strictEqual(before.state, 'none');
        await editAndPush('fridge-1', {
            invalid: [['window_s', 7200, 'window_s must be an integer from sample_s to 3600'], ['th-hysteresis', '-1', 'thresholds.default.hysteresis must be a number >= 0']],
            fields: [['window_s', 300]],
        });
        // the acknowledgement arrives: pending, then applied with the board's own report of 300 s
        await acknowledged('fridge-1', 1, 300);
        await shot(page, 'ui-fleet-config');
        const stats = await chain.status();
        assert.ok(stats, 'the chain still answers');
    });

    it('Dashboard 2.0: a profile push reaches every fridge, each acknowledges it; the freezer is untouched', async function () {
        await page.goto('about:blank');
        await page.goto(`${chain.info.dashboard2Url}fleet`);
        await page.waitForFunction(() => document.querySelectorAll('[data-pc=config-row]').length >= 3, null, { timeout: 60000 });
        await editAndPush('fridge-2', {
            invalid: [['sample_s', 0.5, 'sample_s must be a number from 1 to 3600'], ['th-warn_high', 12, 'thresholds.default.warn_high must not be above alarm_high']],
            fields: [['sample_s', 20], ['th-warn_high', 7], ['window_s', 120]],
            profile: true,
        });
        await acknowledged('fridge-2', 1, 120);
        await acknowledged('fridge-1', 2, 120);
        const freezer = await rowState('freezer-1');
        assert.strictEqual(freezer.state, 'none');
        assert.ok(freezer.text.includes('60'), freezer.text);
        await shot(page, 'dashboard2-fleet-config');
        // the page follows the user's language choice like the other pages
        await page.evaluate(() => localStorage.setItem('picochain-lang', 'fr'));
        await page.reload();
        await page.waitForFunction((sel) => { const b = document.querySelector(sel); return b && b.textContent.trim() === 'appliquée'; }, `${row('fridge-2')} [data-pc=config-state]`, { timeout: 30000 });
        await page.evaluate(() => localStorage.removeItem('picochain-lang'));
    });
});
