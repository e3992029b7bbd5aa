'use strict';
// The guard in a real browser (Chromium): one login (HTTP Basic) for the editor, both dashboards
// and their websockets; the viewer sees the dashboards but its acknowledgements are refused; an
// admin's acknowledgement carries who made it (msg.payload.by), from the server, on both dashboards.
const assert = require('assert');
const fs = require('fs');
const WebSocket = require('ws');
const services = require('../../scripts/lib/services');
const { startChainProcess } = require('../browser/support/chain');
const { browserSkipReason, launch } = require('../browser/support/browser');
const { until } = require('../support/wait');

const ADMIN = { username: 'admin', password: 'Editor pass' };
const VIEWER = { username: 'viewer', password: 'Viewer pass' };

describe('logins in a browser: editor, dashboards, websockets, viewer, who acknowledges', function () {
    this.timeout(180000);
    let chain;
    let dataDir;
    let fridges;
    const acks = [];
    let ws;

    before(async function () {
        const why = !services.ferretdbPath() ? 'FerretDB is not built' : browserSkipReason();
        if (why) { console.log(`      skipped: ${why}`); this.skip(); }
        const env = { NODE_RED_PASSWORD: ADMIN.password, PICOCHAIN_VIEWER_PASSWORD: VIEWER.password };
        const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
        Object.assign(process.env, env); // inherited by the chain's process
        try {
            chain = await startChainProcess({ port: 0, mqttPort: 0, dbPort: 0, dataDir: (dataDir = services.tmpDir('logins')), devices: 2, speed: 60, scenario: null, alertForS: 3, debugAcks: true, logLevel: 'warn' });
        } finally {
            for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
        }
        fridges = chain.info.devices.map((d) => d.id).filter((d) => d.startsWith('fridge'));
        assert.strictEqual(fridges.length, 2, String(fridges));
        // alerts to acknowledge (one per dashboard), building up meanwhile
        for (const f of fridges) await chain.inject(f, 'door');
        // the acknowledgements as the debug sidebar gets them (editor websocket, as admin)
        ws = new WebSocket(`${chain.info.editorUrl.replace('http', 'ws')}comms`, { headers: { Authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` } });
        ws.on('message', (d) => { for (const m of JSON.parse(String(d))) if (m.topic === 'debug' && m.data.name === 'acks') acks.push(JSON.parse(m.data.msg)); });
        await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
        ws.send(JSON.stringify({ subscribe: 'debug' }));
    });
    after(async function () {
        if (ws) ws.close();
        if (chain) await chain.stop();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** Opens the Alerts page at `url` and clicks Acknowledge on a firing alert of `device`; returns its id. */
    async function clickAck(page, url, device) {
        await page.goto(url);
        const row = `[data-pc=alert][data-device="${device}"][data-state=firing]:not([data-rule=silent])`;
        await page.waitForSelector(`${row} [data-pc=ack]`, { timeout: 90000 }).catch(async (e) => {
            const rows = await page.$$eval('[data-pc=alert]', (rs) => rs.map((r) => JSON.stringify(r.dataset) + ' ' + r.textContent.replace(/\s+/g, ' ').slice(0, 120)));
            const info = await page.evaluate(() => ({ url: location.href, pcs: [...document.querySelectorAll('[data-pc]')].map((x) => x.dataset.pc).slice(0, 30), title: document.title, body: document.body.innerText.slice(0, 400) }));
            throw new Error(`${e.message}\nrows: ${rows.join('\n')}\n${JSON.stringify(info)}\nlog: ${chain.log().slice(-2500)}`);
        });
        const id = await page.$eval(row, (r) => r.dataset.id);
        await page.click(`[data-pc=alert][data-id="${id}"] [data-pc=ack]`);
        // acknowledging asks what was done (recorded in the food-safety log)
        await page.fill(`[data-pc=alert][data-id="${id}"] [data-pc=ack-action]`, 'moved stock to another cabinet');
        await page.click(`[data-pc=alert][data-id="${id}"] [data-pc=ack-save]`);
        return id;
    }

    it('the viewer: both dashboards live over their websockets, the editor refused, its acknowledgements refused', async function () {
        const b = await launch({ httpCredentials: VIEWER });
        try {
            const page = await b.context.newPage();
            const sockets = [];
            page.on('websocket', (w) => sockets.push(w.url()));
            for (const url of [`${chain.info.dashboardUrl}#!/0`, `${chain.info.dashboard2Url}overview`]) {
                await page.goto(url);
                await page.waitForSelector('[data-pc=card]', { timeout: 60000 });
            }
            assert.ok(sockets.some((u) => /\/ui\/socket\.io\/.*transport=websocket/.test(u)), `node-red-dashboard websocket: ${sockets}`);
            assert.ok(sockets.some((u) => /\/dashboard\/socket\.io\/.*transport=websocket/.test(u)), `Dashboard 2.0 websocket: ${sockets}`);
            const editor = await page.goto(chain.info.editorUrl);
            assert.strictEqual(editor.status(), 403);
            const before = chain.log().length;
            await clickAck(page, `${chain.info.dashboardUrl}#!/2`, fridges[0]);
            await until(() => /acknowledgement refused: viewer is a viewer \(read-only\)/.test(chain.log().slice(before)), () => `the refusal in the log:\n${chain.log().slice(-1500)}`, 20000, { every: 100 });
            await clickAck(page, `${chain.info.dashboard2Url}alerts`, fridges[1]);
            await until(() => (chain.log().slice(before).match(/acknowledgement refused: viewer/g) || []).length >= 2, 'the second refusal', 20000, { every: 100 });
            assert.deepStrictEqual(acks, [], 'no acknowledgement went on to the alert nodes');
        } finally {
            await b.close();
        }
    });

    it('the admin: the editor with no second login; acknowledgements on both dashboards carry "by": "admin"', async function () {
        const b = await launch({ httpCredentials: ADMIN });
        try {
            const page = await b.context.newPage();
            await page.goto(chain.info.editorUrl);
            await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType && RED.nodes.getType('picochain-decode') && document.querySelector('.red-ui-palette-node'), null, { timeout: 60000 });
            assert.strictEqual(await page.evaluate(() => RED.settings.user && RED.settings.user.username), 'admin');
            assert.strictEqual(await page.isVisible('#node-dialog-login'), false, 'no Node-RED login dialog');
            const id1 = await clickAck(page, `${chain.info.dashboardUrl}#!/2`, fridges[0]);
            await until(() => acks.some((m) => m.payload.id === id1), 'the node-red-dashboard acknowledgement', 20000, { every: 100 });
            assert.strictEqual(acks.find((m) => m.payload.id === id1).payload.by, 'admin');
            const id2 = await clickAck(page, `${chain.info.dashboard2Url}alerts`, fridges[1]);
            await until(() => acks.some((m) => m.payload.id === id2), 'the Dashboard 2.0 acknowledgement', 20000, { every: 100 });
            const d2 = acks.find((m) => m.payload.id === id2);
            assert.strictEqual(d2.payload.by, 'admin');
            assert.ok(d2._client && d2._client.socketId, 'from a Dashboard 2.0 socket');
        } finally {
            await b.close();
        }
    });
});
