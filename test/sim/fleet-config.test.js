'use strict';
// Issue 13 "Done when": remote configuration through the whole chain with the real firmware.
// Simulated Picos (real firmware in MicroPython) and Node-RED (picochain-broker, picochain-mqtt-in,
// picochain-decode, picochain-board-config) on a real Mosquitto: a profile's windows go from 60 s
// to 300 s and the boards' next frames follow; invalid configs are refused (by the node before
// publishing, by the board when published anyway); a power cut in the middle of the flash write
// and the board comes back on a valid config, then applies the retained one.
const assert = require('assert');
const path = require('path');
const mqtt = require('mqtt');
const helper = require('node-red-node-test-helper');
const { startMosquitto } = require('../../scripts/lib/services');
const { untilWith } = require('../support/wait');

const ROOT = path.join(__dirname, '..', '..');
const NODES = ['picochain-broker', 'picochain-mqtt-in', 'picochain-decode', 'picochain-board-config']
    .map((n) => require(path.join(ROOT, 'dist', 'nodes', n, `${n}.js`)));
const SITE = 'cfg';
const until = untilWith({ ms: 60000, every: 100 });

helper.init(require.resolve('node-red'));

describe('simulated fleet: remote configuration through picochain-board-config', function () {
    this.timeout(240000);
    let broker;
    let fleet;
    let pub;
    const logs = [];
    const readings = []; // decoded readings with their message's format
    const events = [];
    const caught = [];
    let state = { devices: [] };

    before(async function () {
        broker = await startMosquitto();
        const flow = [
            { id: 't', type: 'tab' },
            { id: 'broker', type: 'picochain-broker', broker: '127.0.0.1', port: String(broker.port), clientId: 'nr-fleet-config', protocol: 'auto' },
            { id: 'in-stats', type: 'picochain-mqtt-in', z: 't', broker: 'broker', topic: `picochain/${SITE}/+/stats`, qos: '1', ack: 'received', datatype: 'buffer', wires: [['decode']] },
            { id: 'in-status', type: 'picochain-mqtt-in', z: 't', broker: 'broker', topic: `picochain/${SITE}/+/status`, qos: '1', ack: 'received', datatype: 'buffer', wires: [['decode']] },
            { id: 'decode', type: 'picochain-decode', z: 't', output: 'split', wires: [['readings'], ['config']] },
            { id: 'config', type: 'picochain-board-config', z: 't', broker: 'broker', wires: [['events'], ['state']] },
            { id: 'c1', type: 'catch', z: 't', scope: null, uncaught: false, wires: [['caught']] },
            { id: 'readings', type: 'helper', z: 't' },
            { id: 'events', type: 'helper', z: 't' },
            { id: 'state', type: 'helper', z: 't' },
            { id: 'caught', type: 'helper', z: 't' },
        ];
        await helper.load(NODES, flow);
        helper.getNode('readings').on('input', (m) => readings.push({ ...m.payload, format: m.format }));
        helper.getNode('events').on('input', (m) => events.push(m.payload));
        helper.getNode('state').on('input', (m) => { state = m.payload; });
        helper.getNode('caught').on('input', (m) => caught.push(String(m.error.message).replace(/^Error: /, ''))); // Node-RED gives err.toString()
        pub = mqtt.connect(broker.url, { clientId: 'test-hand-made', reconnectPeriod: 200 });
        await new Promise((r) => pub.once('connect', r));
        const { startFleet } = require('../../sim/fleet');
        fleet = await startFleet({ brokerUrl: broker.url, devices: 3, speed: 60, site: SITE, scenario: null, seed: 9, log: (l) => logs.push(l) });
    });

    afterEach(function () {
        if (this.currentTest && this.currentTest.state === 'failed') console.log(`last fleet log lines:\n${logs.slice(-40).join('\n')}`);
    });

    after(async function () {
        if (fleet) await fleet.stop();
        await helper.unload();
        if (pub) pub.end(true);
        if (broker) await broker.cleanup();
    });

    const input = (msg) => helper.getNode('config').receive(msg);
    const board = (device) => state.devices.find((d) => d.device === device) || {};
    const windowsOf = (device) => readings.filter((r) => r.device === device && r.sensor === 'probe1');

    it('knows every board and its reported settings from the status messages', async () => {
        assert.deepStrictEqual(fleet.devices.map((d) => d.id), ['fridge-1', 'fridge-2', 'freezer-1']);
        await until(() => ['fridge-1', 'fridge-2', 'freezer-1'].every((d) => board(d).reported && board(d).reported.settings),
            () => `a config report from every board: ${JSON.stringify(state.devices.map((d) => [d.device, d.reported && d.reported.result]))}`, 120000);
        for (const d of state.devices) {
            assert.strictEqual(d.state, 'none');
            assert.strictEqual(d.reported.settings.window_s, 60);
            assert.strictEqual(d.online, true);
        }
        assert.strictEqual(board('freezer-1').profile, 'freezer');
        assert.strictEqual(state.secretsAllowed, false);
    });

    it('a profile push: both fridges go from 60 s to 300 s windows, acknowledge it, and their next frames follow', async () => {
        const t0 = Date.now();
        input({ topic: 'set', payload: { profile: 'fridge', config: { window_s: 300 } } });
        await until(() => ['fridge-1', 'fridge-2'].every((d) => events.some((e) => e.device === d && e.event === 'applied' && e.version === 1)),
            () => `applied by both fridges: ${JSON.stringify(events)}`);
        assert.deepStrictEqual(events.filter((e) => e.event === 'pending').map((e) => e.device).sort(), ['fridge-1', 'fridge-2']);
        console.log(`      acknowledged in ${Date.now() - t0} ms (60x)`);
        await until(() => ['fridge-1', 'fridge-2'].every((d) => windowsOf(d).filter((r) => r.window === 300).length >= 2), 'two 300 s windows from each fridge', 60000);
        for (const d of ['fridge-1', 'fridge-2']) {
            const w = windowsOf(d);
            const i = w.findIndex((r) => r.window === 300);
            assert.ok(w.slice(0, i).every((r) => r.window <= 60), `${d}: 60 s windows, then 300 s: ${w.map((r) => r.window)}`);
            assert.ok(w.slice(i).every((r) => r.window === 300 && r.count === 30), `${d}: 300 s windows of 30 samples`);
            assert.strictEqual(board(d).state, 'applied');
            assert.strictEqual(board(d).reported.settings.window_s, 300);
        }
        assert.ok(windowsOf('freezer-1').every((r) => r.window === 60), 'the freezer is not in the profile');
    });

    it('an invalid config is refused: by the node before publishing, by the board when published anyway', async () => {
        input({ topic: 'set', payload: { device: 'fridge-2', config: { window_s: 7200 } } });
        await until(() => caught.length >= 1, 'the node refusing it');
        assert.strictEqual(caught[0], 'fridge-2 would refuse it: window_s must be an integer from sample_s to 3600');
        assert.strictEqual(board('fridge-2').desired.version, 1, 'nothing published');
        // an old server, or a hand-made message, publishes it anyway: the board refuses it
        await new Promise((r) => pub.publish(`picochain/${SITE}/fridge-2/config`, JSON.stringify({ v: 1, version: 2, config: { window_s: 300, sample_s: 0.5 } }), { qos: 1, retain: true }, r));
        await until(() => events.some((e) => e.device === 'fridge-2' && e.event === 'refused'), 'the board refusing it');
        const ev = events.find((e) => e.device === 'fridge-2' && e.event === 'refused');
        assert.deepStrictEqual([ev.version, ev.reason], [2, 'sample_s must be a number from 1 to 3600']);
        await until(() => board('fridge-2').state === 'refused', 'the state output (sent at most every 250 ms)');
        assert.deepStrictEqual([board('fridge-2').desired.version, board('fridge-2').reason, board('fridge-2').reported.applied], [2, 'sample_s must be a number from 1 to 3600', 1]);
        const n = windowsOf('fridge-2').length;
        await until(() => windowsOf('fridge-2').length >= n + 1, 'more windows');
        assert.ok(windowsOf('fridge-2').slice(n).every((r) => r.window === 300), 'still on the last good settings');
        // the page's next push starts above the refused version
        input({ topic: 'set', payload: { device: 'fridge-2', config: { window_s: 300, sample_s: 15 } } });
        await until(() => board('fridge-2').state === 'applied' && board('fridge-2').reported.applied === 3, 'version 3 applied');
    });

    it('a power cut in the middle of the flash write: the board comes back on a valid config, then applies the retained one', async () => {
        await fleet.inject('freezer-1', 'power', { duringWrite: 'remote.json', fraction: 0.5, duration: '2m' });
        const births = () => fleet.status().find((s) => s.id === 'freezer-1').boots;
        const bootsBefore = births();
        input({ topic: 'set', payload: { device: 'freezer-1', config: { window_s: 120, format: 'binary' } } });
        await until(() => logs.some((l) => l.includes('freezer-1') && l.includes('power cut during a write of remote.json')), 'the cut');
        await until(() => births() > bootsBefore, 'the board booting again');
        await until(() => events.some((e) => e.device === 'freezer-1' && e.event === 'applied'), () => `applied after the power cut: ${JSON.stringify(events.filter((e) => e.device === 'freezer-1'))}`);
        assert.deepStrictEqual(events.filter((e) => e.device === 'freezer-1').map((e) => [e.event, e.version]), [['pending', 1], ['applied', 1]]);
        await until(() => windowsOf('freezer-1').filter((r) => r.window === 120).length >= 2, '120 s binary windows');
        const last = windowsOf('freezer-1').slice(-2);
        assert.ok(last.every((r) => r.format === 'binary-v1' && r.window === 120), JSON.stringify(last));
        assert.ok(caught.length === 1, `no other error: ${caught}`);
    });
});
