'use strict';
// picochain-board-config in the Node-RED runtime with a real Mosquitto (plain and TLS): desired
// configs published retained and read back after a restart, acknowledgements from status
// messages, refusals to a Catch node, profiles, clear; passwords only over TLS and never shown.
// Its catalogs: fr mirrors en-US, every key the runtime uses exists.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');
const helper = require('node-red-node-test-helper');
const { startMosquitto, tmpDir } = require('../../scripts/lib/services');
const { makeTestCertificates, mosquittoTls } = require('../support/tls');
const { untilWith, sleep } = require('../support/wait');
const { lastStatus } = require('../support/node-red');

const NODES = ['picochain-broker', 'picochain-board-config'].map((n) => require(`../../dist/nodes/${n}/${n}.js`));
const until = untilWith({ ms: 15000, every: 20 });
const TYPE = 'picochain-board-config';
const DIST = path.join(__dirname, '..', '..', 'dist', 'nodes', TYPE);

helper.init(require.resolve('node-red'));

const SETTINGS = (tls) => ({ sample_s: 10, window_s: 60, send: 'stats', format: 'json', legacy: 'off', debug: false,
    thresholds: { default: { warn_high: 8, alarm_high: 10, warn_low: null, alarm_low: null, warn_slope: 0.5, alarm_slope: 1, hysteresis: 0.5, slope_hysteresis: 0.1 } },
    wifi: { ssid: 'foodbank' }, broker: { host: '10.0.0.2', port: tls ? 8883 : 1883, tls } });
const status = (device, config, extra = {}) => ({ payload: { device, site: 'lab', state: 'online', receivedAt: new Date(), config, ...extra } });

function flow(brokerProps) {
    return [
        { id: 't', type: 'tab' },
        { id: 'b1', type: 'picochain-broker', broker: '127.0.0.1', protocol: 'auto', ...brokerProps },
        { id: 'cfg', type: TYPE, z: 't', broker: 'b1', wires: [['ev'], ['st']] },
        { id: 'c1', type: 'catch', z: 't', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'ev', type: 'helper', z: 't' },
        { id: 'st', type: 'helper', z: 't' },
        { id: 'caught', type: 'helper', z: 't' },
    ];
}

/** Loads the flow; returns the node and what its outputs and the Catch node got. */
async function load(brokerProps) {
    await helper.load(NODES, flow(brokerProps));
    const out = { events: [], state: null, caught: [] };
    helper.getNode('ev').on('input', (m) => out.events.push(m.payload));
    helper.getNode('st').on('input', (m) => { out.state = m.payload; });
    helper.getNode('caught').on('input', (m) => out.caught.push(String(m.error.message).replace(/^Error: /, '')));
    const node = helper.getNode('cfg');
    out.board = (d) => (out.state ? out.state.devices.find((x) => x.device === d) : undefined);
    return { node, out };
}

async function watcher(url, filter, opts = {}) {
    const c = mqtt.connect(url, { reconnectPeriod: 0, clean: true, ...opts });
    const got = [];
    c.on('message', (topic, p, packet) => got.push({ topic, text: p.toString(), retain: packet.retain }));
    await new Promise((resolve, reject) => { c.once('connect', resolve); c.once('error', reject); });
    await c.subscribeAsync(filter, { qos: 1 });
    return { c, got };
}

describe('picochain-board-config in Node-RED (Mosquitto)', function () {
    this.timeout(60000);
    let broker;
    let userDir;
    const clients = [];
    before(async () => { broker = await startMosquitto(); });
    beforeEach(() => { userDir = tmpDir('nr-cfg'); helper.settings({ userDir }); });
    afterEach(async () => {
        await helper.unload();
        for (const c of clients.splice(0)) c.end(true);
        fs.rmSync(userDir, { recursive: true, force: true });
    });
    after(async () => { if (broker) await broker.cleanup(); });

    it('publishes a desired config retained, follows the board to applied, reads it back after a restart', async () => {
        const props = { port: String(broker.port), clientId: 'nr-cfg-1' };
        let { node, out } = await load(props);
        const w = await watcher(broker.url, 'picochain/lab/+/config');
        clients.push(w.c);
        node.receive(status('fridge-1', { applied: 0, last: null, result: 'none', settings: SETTINGS(false) }));
        await until(() => out.board('fridge-1'), 'the board in the state');
        assert.strictEqual(out.board('fridge-1').state, 'none');
        node.receive({ topic: 'set', payload: { device: 'fridge-1', config: { window_s: 300 } } });
        await until(() => w.got.length === 1, 'the desired config on the broker');
        assert.deepStrictEqual(JSON.parse(w.got[0].text), { v: 1, version: 1, config: { window_s: 300 } });
        assert.strictEqual(w.got[0].topic, 'picochain/lab/fridge-1/config');
        await until(() => out.board('fridge-1').state === 'pending', 'pending');
        assert.deepStrictEqual(out.events.map((e) => [e.event, e.device, e.version]), [['pending', 'fridge-1', 1]]);
        node.receive(status('fridge-1', { applied: 1, last: 1, result: 'applied', settings: { ...SETTINGS(false), window_s: 300 } }));
        await until(() => out.board('fridge-1').state === 'applied', 'applied');
        assert.deepStrictEqual(out.events.map((e) => e.event), ['pending', 'applied']);
        await until(() => /1 applied/.test((lastStatus(node) || {}).text || ''), () => `status ${JSON.stringify(lastStatus(node))}`);
        // a restart: the desired config comes back from the broker, the board's report from its status
        await helper.unload();
        ({ node, out } = await load(props));
        await until(() => out.board('fridge-1') && out.board('fridge-1').desired, 'desired config read back');
        assert.deepStrictEqual(out.board('fridge-1').desired.config, { window_s: 300 });
        assert.strictEqual(out.board('fridge-1').state, 'pending', 'until the board\'s status says otherwise');
        node.receive(status('fridge-1', { applied: 1, last: 1, result: 'applied', settings: SETTINGS(false) }));
        await until(() => out.board('fridge-1').state === 'applied', 'applied again');
        node.receive({ topic: 'set', payload: { device: 'fridge-1', config: { window_s: 120 } } });
        await until(() => w.got.length === 2, 'the next version');
        assert.strictEqual(JSON.parse(w.got[1].text).version, 2);
    });

    it('refuses to a Catch node what a board would refuse, and passwords over a connection without TLS; publishes nothing then', async () => {
        const { node, out } = await load({ port: String(broker.port), clientId: 'nr-cfg-2' });
        const w = await watcher(broker.url, 'picochain/lab/fridge-2/config');
        clients.push(w.c);
        node.receive(status('fridge-2', { applied: 0, last: null, result: 'none', settings: SETTINGS(false) }));
        node.receive({ topic: 'set', payload: { device: 'fridge-2', config: { window_s: 7200 } } });
        node.receive({ topic: 'set', payload: { device: 'fridge-2', config: { wifi: { ssid: 'x', password: 'hunter22' } } } });
        node.receive({ topic: 'set', payload: { device: 'nobody', config: {} } });
        node.receive({ topic: 'set', payload: 'fridge-2' });
        node.receive({ topic: 'devices', payload: [{ device: 'x y' }] });
        await until(() => out.caught.length === 5, () => `five refusals: ${out.caught}`);
        assert.deepStrictEqual(out.caught, [
            'fridge-2 would refuse it: window_s must be an integer from sample_s to 3600',
            'wifi.password is sent only over TLS, and this broker connection is not TLS',
            'The site of nobody is not known yet: give msg.payload.site (or wait for its status)',
            'msg.payload must be an object: {device or profile, site?, config}',
            'Device id "x y" must be 1-36 of A-Z a-z 0-9 _ -',
        ]);
        await sleep(300);
        assert.deepStrictEqual(w.got, [], 'nothing published');
        assert.ok(!JSON.stringify(helper.log().args).includes('hunter22'), 'the password is not in the log');
        await until(() => /5 bad inputs/.test((lastStatus(node) || {}).text || ''), () => `status ${JSON.stringify(lastStatus(node))}`);
    });

    it('a profile push from a registry\'s device list; clear removes the desired config from the broker', async () => {
        const { node, out } = await load({ port: String(broker.port), clientId: 'nr-cfg-3' });
        for (const d of ['fridge-5', 'fridge-6', 'freezer-5']) node.receive(status(d, { applied: 0, last: null, result: 'none', settings: SETTINGS(false) }));
        node.receive({ topic: 'devices', payload: [{ device: 'freezer-5', profile: 'fridge' }, { device: 'fridge-6', profile: 'spare' }] });
        node.receive({ topic: 'set', payload: { profile: 'fridge', config: { sample_s: 20, window_s: 120 } } });
        await until(() => out.events.length === 2, 'two pending');
        assert.deepStrictEqual(out.events.map((e) => e.device).sort(), ['freezer-5', 'fridge-5']);
        await until(() => out.board('fridge-6') && out.board('fridge-6').profile === 'spare', 'profiles in the state');
        node.receive({ topic: 'clear', payload: { profile: 'fridge' } });
        await sleep(300);
        const w = await watcher(broker.url, 'picochain/lab/+/config');
        clients.push(w.c);
        await sleep(500);
        assert.deepStrictEqual(w.got.filter((m) => /fridge-5|freezer-5/.test(m.topic)), [], 'no retained desired config left');
        await until(() => out.board('fridge-5').desired === null, 'cleared in the state');
    });

    describe('over TLS', function () {
        let tlsBroker;
        let dir;
        let certs;
        before(async () => { dir = tmpDir('cfg-tls'); certs = makeTestCertificates(dir); tlsBroker = await startMosquitto(mosquittoTls(certs)); });
        after(async () => { if (tlsBroker) await tlsBroker.cleanup(); fs.rmSync(dir, { recursive: true, force: true }); });

        it('sends a Wi-Fi password to a board on TLS, shows it as *** and keeps it when the page sends *** back', async () => {
            const { node, out } = await load({ port: String(tlsBroker.port), tls: true, caFile: certs.ca, clientId: 'nr-cfg-tls' });
            const w = await watcher(`mqtts://127.0.0.1:${tlsBroker.port}`, 'picochain/lab/+/config', { ca: fs.readFileSync(certs.ca) });
            clients.push(w.c);
            node.receive(status('fridge-7', { applied: 0, last: null, result: 'none', settings: SETTINGS(true) }));
            await until(() => out.board('fridge-7'), 'the board');
            assert.strictEqual(out.state.secretsAllowed, true);
            node.receive({ topic: 'set', payload: { device: 'fridge-7', config: { wifi: { ssid: 'foodbank-2', password: 'hunter22' } } } });
            await until(() => w.got.length === 1, 'published');
            assert.strictEqual(JSON.parse(w.got[0].text).config.wifi.password, 'hunter22', 'the board gets it, over TLS');
            await until(() => out.board('fridge-7').desired, 'desired in the state');
            const shown = out.board('fridge-7').desired.config;
            assert.deepStrictEqual(shown, { wifi: { ssid: 'foodbank-2', password: '***' } });
            node.receive({ topic: 'set', payload: { device: 'fridge-7', config: { ...shown, window_s: 120 } } });
            await until(() => w.got.length === 2, 'the next version');
            assert.deepStrictEqual(JSON.parse(w.got[1].text).config, { wifi: { ssid: 'foodbank-2', password: 'hunter22' }, window_s: 120 });
            assert.ok(!JSON.stringify([out.events, out.state, helper.log().args]).includes('hunter22'), 'never in the outputs or the log');
        });
    });
});

describe('picochain-board-config catalogs', function () {
    const catalog = (lang) => JSON.parse(fs.readFileSync(path.join(DIST, 'locales', lang, `${TYPE}.json`), 'utf8'))[TYPE];
    const flat = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? flat(v, `${p}${k}.`) : [[`${p}${k}`, v]]));
    const marks = (s) => (s.match(/__(.+?)__/g) || []).sort();

    it('fr has every en-US key with the same placeholders; every key the node and its editor use exists', () => {
        const en = new Map(flat(catalog('en-US')));
        const fr = new Map(flat(catalog('fr')));
        assert.deepStrictEqual([...fr.keys()].sort(), [...en.keys()].sort());
        for (const [k, v] of en) assert.deepStrictEqual(marks(fr.get(k)), marks(v), k);
        const src = ['picochain-board-config.ts', 'core.ts'].map((f) => fs.readFileSync(path.join(__dirname, '..', '..', 'nodes', TYPE, f), 'utf8')).join('\n');
        const used = [...src.matchAll(/\bt\('([a-z-]+\.[a-z0-9-]+)'/g)].map((m) => m[1])
            .concat([...src.matchAll(/BoardConfigError\('([a-z-]+)'/g)].map((m) => `errors.${m[1]}`))
            .concat([...fs.readFileSync(path.join(DIST, `${TYPE}.html`), 'utf8').matchAll(/picochain-board-config\.((?:label|status|errors)\.[a-z-]+|tip)\b/g)].map((m) => m[1]));
        assert.ok(used.length >= 15, `keys found: ${used.length}`);
        for (const k of used) assert.ok(en.has(k), `missing ${k}`);
    });

    it('fr help mirrors en-US help (same sections)', () => {
        const help = (lang) => fs.readFileSync(path.join(DIST, 'locales', lang, `${TYPE}.html`), 'utf8');
        const tags = (h) => (h.match(/<(h3|dt|li)\b/g) || []).join(',');
        assert.strictEqual(tags(help('fr')), tags(help('en-US')));
        assert.match(help('en-US'), /^<script[^>]*>\s*<p>[^<]+<\/p>/, 'a one-sentence first paragraph');
    });
});
