'use strict';
// The guard in a real browser (Chromium): one login (HTTP Basic) for the editor, both dashboards
// and their websockets; the viewer sees the dashboards but its acknowledgements are refused; an
// admin's acknowledgement carries who made it (msg.payload.by), from the server, on both dashboards.
// An Alerts page opened later shows the active alerts at once, whatever another page sent, and
// without the dashboard's replay of its last messages (the page asks the flow for them).
const assert = require('assert');
const fs = require('fs');
const WebSocket = require('ws');
const services = require('../../scripts/lib/services');
const { startChainProcess } = require('../browser/support/chain');
const { browserSkipReason, launch } = require('../browser/support/browser');
const { until, sleep } = require('../support/wait');
const { id: flowId } = require('../../scripts/lib/make-flows');

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

    const firingRow = (device) => `[data-pc=alert][data-device="${device}"][data-state=firing]:not([data-rule=silent])`;

    /** Waits until the Alerts page in `page` lists a firing alert of `device` that can be acknowledged. */
    async function waitFiring(page, device, timeout) {
        await page.waitForSelector(`${firingRow(device)} [data-pc=ack]`, { timeout }).catch(async (e) => {
            const rows = await page.$$eval('[data-pc=alert]', (rs) => rs.map((r) => JSON.stringify(r.dataset) + ' ' + r.textContent.replace(/\s+/g, ' ').slice(0, 120)));
            const info = await page.evaluate(() => ({ url: location.href, pcs: [...document.querySelectorAll('[data-pc]')].map((x) => x.dataset.pc).slice(0, 30), title: document.title, body: document.body.innerText.slice(0, 400) }));
            throw new Error(`${e.message}\nrows: ${rows.join('\n')}\n${JSON.stringify(info)}\nlog: ${chain.log().slice(-2500)}`);
        });
    }

    /** Clicks Acknowledge on the firing alert of `device` in the Alerts page `page` and says what was done; returns its id. */
    async function ackOn(page, device) {
        const id = await page.$eval(firingRow(device), (r) => r.dataset.id);
        await page.click(`[data-pc=alert][data-id="${id}"] [data-pc=ack]`);
        // acknowledging asks what was done (recorded in the food-safety log)
        await page.fill(`[data-pc=alert][data-id="${id}"] [data-pc=ack-action]`, 'moved stock to another cabinet');
        await page.click(`[data-pc=alert][data-id="${id}"] [data-pc=ack-save]`);
        return id;
    }

    /** Opens the Alerts page at `url` and clicks Acknowledge on a firing alert of `device` (it may still be pending); returns its id. */
    async function clickAck(page, url, device) {
        await page.goto(url);
        await waitFiring(page, device, 90000);
        return ackOn(page, device);
    }

    /**
     * Keeps from the Alerts page in `page` every message of its template but those addressed to
     * this page alone: neither the dashboards' replay of their last message to a page that connects
     * (node-red-dashboard: after "ui-replay-state"; Dashboard 2.0: the answer to "widget-load") nor
     * what goes to every page reaches it, as when the replay is lost, late or stale. Returns what
     * was kept away. Both dashboards use their websocket from the start (no long-polling first) so
     * that it all passes here.
     */
    async function onlyAnswers(page) {
        const ids = [flowId('picochain-ui1:alerts'), flowId('picochain-ui2:alerts')];
        await page.addInitScript(() => {
            let io;
            Object.defineProperty(window, 'io', {
                configurable: true,
                get() { return io; },
                set(v) { io = Object.assign((o) => v(Object.assign({}, o, { transports: ['websocket'] })), v); },
            });
        });
        await page.route('**/dashboard/_setup', async (route) => {
            const res = await route.fetch();
            const setup = await res.json();
            await route.fulfill({ response: res, json: { ...setup, socketio: { ...setup.socketio, transports: ['websocket'] } } });
        });
        const withheld = [];
        await page.routeWebSocket(/socket\.io/, (ws) => {
            const server = ws.connectToServer();
            let sid = null;
            server.onMessage((m) => {
                if (typeof m === 'string' && m.startsWith('40{')) sid = JSON.parse(m.slice(2)).sid;
                if (typeof m === 'string' && m.startsWith('42[')) {
                    const [event, a] = JSON.parse(m.slice(2));
                    // node-red-dashboard: ["update-value", {id, msg}]; Dashboard 2.0: ["widget-load:<id>", msg] and ["msg-input:<id>", msg]
                    const [id, msg] = event === 'update-value' ? [a && a.id, a && a.msg] : [String(event).split(':')[1], a];
                    const to = msg && (msg.socketid || (msg._client && msg._client.socketId));
                    if (ids.includes(id) && (String(event).startsWith('widget-load:') || to !== sid)) { withheld.push(event); return; }
                }
                ws.send(m);
            });
        });
        return withheld;
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

    it('an Alerts page opened later shows the active alerts at once, on both dashboards: not what another page sent, nor only from a replay', async function () {
        const b = await launch({ httpCredentials: VIEWER });
        try {
            const refused = () => (chain.log().match(/acknowledgement refused: viewer/g) || []).length;
            for (const url of [`${chain.info.dashboardUrl}#!/2`, `${chain.info.dashboard2Url}alerts`]) {
                const device = fridges[0];
                const first = await b.context.newPage();
                await first.goto(url);
                await waitFiring(first, device, 90000);
                const other = await b.context.newPage();
                await other.goto(url);
                await waitFiring(other, device, 15000);
                // an acknowledgement that changes nothing (refused: a viewer's)
                const before = refused();
                await ackOn(first, device);
                await until(() => refused() > before, () => `the refusal in the log:\n${chain.log().slice(-1500)}`, 20000, { every: 100 });
                await sleep(1000);
                assert.ok(await other.$(firingRow(device)), `${url}: the page open meanwhile still lists the alert`);
                // opened afterwards: the alert at once, with and without the dashboard's replay
                const fresh = await b.context.newPage();
                await fresh.goto(url);
                await waitFiring(fresh, device, 15000);
                const bare = await b.context.newPage();
                const withheld = await onlyAnswers(bare);
                await bare.goto(url);
                await waitFiring(bare, device, 15000);
                assert.ok(withheld.length >= 1, `${url}: the replay was kept away`);
                for (const p of [first, other, fresh, bare]) await p.close();
            }
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
