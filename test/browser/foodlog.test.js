'use strict';
// The Food safety page of both dashboards in Chromium, against the whole chain (npm start's
// library: Node-RED with the shipped flows, the database): a month of a fridge whose compressor
// failed (test/report/fleet-month.js) in the database, the page shows it as the paper form does,
// a corrective action added to the excursion and the day signed from the page are in the log,
// and the PDF downloaded from the page says so.
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { MongoClient } = require('mongodb');
const { startChainProcess } = require('./support/chain');
const { chainSkipReason, launch, shot } = require('./support/browser');
const { layoutProblems } = require('./support/pages');
const services = require('../../scripts/lib/services');
const { id } = require('../../scripts/lib/make-flows');
const { toDocument } = require('../../dist/nodes/picochain-mongo-ts/document');
const F = require('../report/fleet-month');

describe('the Food safety page on both dashboards (Chromium)', function () {
    this.timeout(240000);
    let chain, browser, page, dataDir, client, db;
    const DAY = '[data-pc=day][data-date="2026-03-17"]';

    before(async function () {
        const why = chainSkipReason('picochain-report');
        if (why) { console.log(`      skipped: ${why}`); this.skip(); }
        // the month's times are Europe/Paris (fleet-month.js); the log keeps the server's zone
        chain = await startChainProcess({ env: { TZ: F.TZ }, port: 0, mqttPort: 0, dbPort: 0, dataDir: (dataDir = services.tmpDir('chain-foodlog')), devices: 0, logLevel: 'warn' });
        client = await MongoClient.connect(chain.info.mongodbUri);
        db = client.db(chain.info.database);
        // one fridge's month: the compressor failure of the 17th, a probe unplugged on the 5th
        await db.collection('devices').insertMany(F.registryDocs().filter((d) => d._id === 'fridge-2'));
        const readings = F.monthReadings().filter((r) => r.device === 'fridge-2');
        await db.collection('readings').insertMany(readings.map((r, i) => toDocument(r, { timeField: 'time', metaField: 'meta' }, new Date(), i).doc));
        await chain.receive(id('picochain-main:foodlog'), { topic: 'seal', payload: { until: '2026-03-31' } });
        const log = db.collection('foodlog');
        const t0 = Date.now();
        while (await log.countDocuments({ type: 'day' }) < 31) {
            if (Date.now() - t0 > 120000) throw new Error('the month was not sealed');
            await new Promise((r) => setTimeout(r, 500));
        }
        browser = await launch({ locale: 'en-GB' });
        page = await browser.context.newPage();
        page.on('pageerror', (e) => console.log(`      page error: ${e.message.slice(0, 200)}`));
        if (process.env.PICOCHAIN_TEST_VERBOSE) page.on('console', (m) => console.log(`      page: ${m.text().slice(0, 300)}`));
    });

    after(async function () {
        if (client) await client.close();
        if (browser) await browser.close();
        if (chain) await chain.stop();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    async function openMonth(url) {
        await page.goto('about:blank');
        await page.goto(url);
        await page.waitForSelector('[data-pc=foodlog-page] [data-pc=month]', { timeout: 60000 });
        await page.fill('[data-pc=month]', '2026-03');
        await page.dispatchEvent('[data-pc=month]', 'change');
        await shows(() => document.querySelectorAll('[data-pc=day]').length === 31, null, 'the 31 days of the month');
    }

    /**
     * Waits up to 60 s for `test(arg)` in the page; else fails with what the page (and the day
     * DAY, when arg is it) shows, and the chain's log.
     */
    async function shows(test, arg, what) {
        try {
            await page.waitForFunction(test, arg, { timeout: 60000 });
        } catch (err) {
            const text = (sel, n) => page.$eval(sel, (e, max) => e.textContent.replace(/\s+/g, ' ').slice(0, max), n).catch((e) => `(${e.message})`);
            const day = arg === DAY ? `; the day shows: ${await text(DAY, 1000)}` : '';
            throw new Error(`${what} not shown: ${err.message}${day}; the page shows: ${await text('[data-pc=foodlog-page]', 600)}\n${chain.log().slice(-2000)}`);
        }
    }

    it('Dashboard 2.0: the month as the form shows it; an action added to the excursion and the day signed from the page; the PDF downloaded', async function () {
        await openMonth(`${chain.info.dashboard2Url}foodsafety`);
        assert.strictEqual(await page.$eval('[data-pc=integrity]', (e) => e.dataset.intact), 'true');
        const row = await page.$eval(DAY, (r) => r.textContent.replace(/\s+/g, ' '));
        assert.match(row, /above 09:10–17:15 \(8 h 05 min\), peak 19\.3 °C/);
        assert.match(await page.$eval('[data-pc=day][data-date="2026-03-05"]', (r) => r.textContent), /03:00–04:00 \(1 h, probe fault\)/);
        // initials for a page without a login, then the action about the excursion
        await page.fill('[data-pc=initials]', 'JD');
        await page.dispatchEvent('[data-pc=initials]', 'change');
        await page.click(`${DAY} [data-pc=add-action]`);
        await page.fill(`${DAY} [data-pc=action-text]`, 'moved stock to freezer-1');
        // an answer arriving while someone types (here: the month asked again) keeps the text
        await page.evaluate(() => { window.pcRenders = 0; new MutationObserver(() => { window.pcRenders++; }).observe(document.querySelector('[data-pc=foodlog-page]'), { childList: true }); });
        await page.dispatchEvent('[data-pc=month]', 'change');
        await shows(() => window.pcRenders >= 2 && document.querySelectorAll('[data-pc=day]').length === 31, null, 'the month again');
        assert.strictEqual(await page.inputValue(`${DAY} [data-pc=action-text]`), 'moved stock to freezer-1');
        await page.click(`${DAY} [data-pc=action-save]`);
        await shows((sel) => /09:10 above: moved stock to freezer-1 \(JD\*/.test(document.querySelector(sel).textContent), DAY, 'the action');
        await page.click(`${DAY} [data-pc=sign-day]`);
        await shows((sel) => /JD\*, \d\d\/\d\d\/\d{4} \d\d:\d\d/.test(document.querySelector(sel).lastElementChild.textContent), DAY, 'the signature');
        assert.strictEqual(await page.$$eval(`${DAY} [data-pc=add-action]`, (b) => b.length), 0, 'the answered excursion offers no more action');
        assert.strictEqual(await layoutProblems(page), '');
        await page.$eval(DAY, (r) => r.scrollIntoView({ block: 'center' }));
        await shot(page, 'dashboard2-foodlog');
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-pc=pdf]')]);
        assert.strictEqual(download.suggestedFilename(), 'foodlog-fridge-2-probe1-2026-03.pdf');
        const file = path.join(dataDir, 'page.pdf');
        await download.saveAs(file);
        const text = execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
        assert.ok(text.includes('moved stock to freezer-1 (JD*'.replace(/\s+/g, '')), 'the PDF has the action');
        const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-pc=csv]')]);
        assert.strictEqual(csv.suggestedFilename(), 'foodlog-fridge-2-probe1-2026-03.csv');
    });

    it('node-red-dashboard: the same month, the action and the signature', async function () {
        await openMonth(`${chain.info.dashboardUrl}#!/4`);
        const row = await page.$eval(DAY, (r) => r.textContent.replace(/\s+/g, ' '));
        assert.match(row, /moved stock to freezer-1 \(JD\*/);
        assert.match(row, /JD\*, \d\d\/\d\d\/\d{4} \d\d:\d\d/);
        assert.strictEqual(await layoutProblems(page), '');
        await page.$eval(DAY, (r) => r.scrollIntoView({ block: 'center' }));
        await shot(page, 'ui-foodlog');
    });
});
