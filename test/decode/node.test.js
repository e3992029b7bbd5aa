'use strict';
// picochain-decode in the real Node-RED runtime (node-red-node-test-helper): outputs, errors seen
// by a catch node, status text, topic pattern, TTN, legacy, device status, config migration.
const assert = require('assert');
const helper = require('node-red-node-test-helper');
const decodeNode = require('../../dist/nodes/picochain-decode/picochain-decode.js');
const { encodeBinaryFrame } = require('../../dist/nodes/shared/codec');
const { sleep, until } = require('../support/wait');
const { collect, lastStatus } = require('../support/node-red');

helper.init(require.resolve('node-red'));

const NOW_S = Math.floor(Date.now() / 1000);

function frame(over = {}, sensorOver = {}) {
    return {
        v: 1, device: 'fridge-1', site: 'foodbank', seq: 42, ts: NOW_S - 60, synced: true, window: 60,
        sensors: [{ sensor: 'temperature', unit: '°C', count: 6, min: 3.91, max: 4.42, mean: 4.1, std: 0.18, slope: 0.05, last: 4.2, state: 0, ...sensorOver }],
        ...over,
    };
}
const twoSensors = (over = {}) => frame({ sensors: [frame().sensors[0], { ...frame().sensors[0], sensor: 'probe1', mean: 3.5 }], ...over });

function flow(props = {}) {
    return [
        { id: 'f1', type: 'tab', label: 'decode' },
        { id: 'd1', type: 'picochain-decode', z: 'f1', name: 'decode', version: 1, wires: [['rd'], ['st']], ...props },
        { id: 'rd', type: 'helper', z: 'f1' },
        { id: 'st', type: 'helper', z: 'f1' },
        { id: 'c1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'f1' },
    ];
}

/** Loads the flow and collects what each helper receives. */
async function load(props) {
    await helper.load(decodeNode, flow(props));
    return { node: helper.getNode('d1'), out: collect({ readings: 'rd', status: 'st', caught: 'caught' }) };
}

describe('picochain-decode node (Node-RED runtime)', function () {
    afterEach(async function () {
        await helper.unload();
    });

    it('sends one reading for a JSON frame, keeping topic, raw payload and adding device/seq fields', async function () {
        const { out } = await load();
        const text = JSON.stringify(frame());
        helper.getNode('d1').receive({ topic: 'picochain/foodbank/fridge-1/stats', payload: text, _keep: 'me' });
        await until(() => out.readings.length === 1, 'a reading');
        const m = out.readings[0];
        assert.strictEqual(m.topic, 'picochain/foodbank/fridge-1/stats');
        assert.strictEqual(m.raw, text);
        assert.strictEqual(m._keep, 'me', 'other msg properties pass through');
        assert.strictEqual(m.payload.device, 'fridge-1');
        assert.strictEqual(m.payload.sensor, 'temperature');
        assert.ok(m.payload.time instanceof Date);
        assert.strictEqual(m.payload.time.getTime(), (NOW_S - 60) * 1000);
        assert.deepStrictEqual(
            { device: m.device, site: m.site, format: m.format, seq: m.seq, seqGap: m.seqGap, replay: m.replay, seqEvent: m.seqEvent },
            { device: 'fridge-1', site: 'foodbank', format: 'json-v1', seq: 42, seqGap: 0, replay: false, seqEvent: 'first' },
        );
        assert.strictEqual(out.status.length, 0);
        assert.strictEqual(out.caught.length, 0);
    });

    it('decodes a binary Buffer with the device from the topic; an array for a multi-sensor frame', async function () {
        const { out } = await load();
        const buf = encodeBinaryFrame(twoSensors());
        helper.getNode('d1').receive({ topic: 'picochain/shop/cold-2/stats', payload: buf });
        await until(() => out.readings.length === 1, 'a message');
        const m = out.readings[0];
        assert.ok(Array.isArray(m.payload));
        assert.deepStrictEqual(m.payload.map((r) => [r.device, r.site, r.sensor, r.source]), [['cold-2', 'shop', 'temperature', 'binary-v1'], ['cold-2', 'shop', 'probe1', 'binary-v1']]);
        assert.ok(Buffer.isBuffer(m.raw));
    });

    it('output "array" always sends an array; "split" sends one message per reading with parts', async function () {
        let { out } = await load({ output: 'array' });
        helper.getNode('d1').receive({ payload: frame() });
        await until(() => out.readings.length === 1, 'a message');
        assert.ok(Array.isArray(out.readings[0].payload));
        assert.strictEqual(out.readings[0].payload.length, 1);
        await helper.unload();

        ({ out } = await load({ output: 'split' }));
        helper.getNode('d1').receive({ topic: 't', payload: twoSensors() });
        await until(() => out.readings.length === 2, 'two messages');
        assert.deepStrictEqual(out.readings.map((m) => m.payload.sensor), ['temperature', 'probe1']);
        assert.deepStrictEqual(out.readings.map((m) => [m.parts.index, m.parts.count]), [[0, 2], [1, 2]]);
        assert.strictEqual(out.readings[0].parts.id, out.readings[1].parts.id);
        assert.notStrictEqual(out.readings[0]._msgid, undefined);
        assert.deepStrictEqual(out.readings.map((m) => m.topic), ['t', 't']);
    });

    it('rejects bad messages with done(err): a catch node gets the error, nothing is sent, good ones around pass', async function () {
        const { node, out } = await load();
        const d1 = helper.getNode('d1');
        d1.receive({ payload: frame({ seq: 1 }) });
        d1.receive({ payload: '{"v":1,' });
        d1.receive({ payload: frame({ seq: 2, window: 4000 }) });
        d1.receive({ payload: encodeBinaryFrame(frame()).subarray(0, 23), topic: 'picochain/a/b/stats' });
        d1.receive({ payload: frame({ seq: 3, $where: 'x' }) });
        d1.receive({ payload: frame({ seq: 2 }) });
        await until(() => out.caught.length === 4 && out.readings.length === 2, '4 errors and 2 readings');
        assert.deepStrictEqual(out.readings.map((m) => m.payload.seq), [1, 2]);
        const texts = out.caught.map((m) => m.error.message);
        assert.match(texts[0], /payload is not JSON/);
        assert.match(texts[1], /"window" = 4000 is out of range 0 … 3600 \(at \$\.window\)/);
        assert.match(texts[2], /truncated binary frame: .*23 bytes.*\(at byte 0\)/);
        assert.match(texts[3], /key "\$where" is not allowed.*\(at \$\["\$where"\]\)/);
        assert.strictEqual(out.caught[0].error.source.id, 'd1');
        assert.strictEqual(out.caught[1].payload.window, 4000, 'the catch node gets the offending msg');
        assert.strictEqual(node.counters.err, 4);
        assert.strictEqual(node.counters.ok, 2);
        assert.deepStrictEqual(node.counters.errors, { 'not-json': 1, range: 1, truncated: 1, 'forbidden-key': 1 });
        await until(() => lastStatus(node) && /err 4/.test(lastStatus(node).text), 'status with 4 errors');
        assert.deepStrictEqual(lastStatus(node), { fill: 'green', shape: 'dot', text: 'ok 2 · err 4' });
    });

    it('refuses a board publishing as another (payload device or site differs from the topic) and "device": null, keeping good frames', async function () {
        const { node, out } = await load();
        const topic = 'picochain/foodbank/fridge-1/stats';
        node.receive({ topic, payload: JSON.stringify(frame({ seq: 1 })) });
        node.receive({ topic, payload: JSON.stringify(frame({ seq: 2, device: 'fridge-2' })) });
        node.receive({ topic, payload: JSON.stringify(frame({ seq: 3, site: 'other-site' })) });
        node.receive({ topic, payload: JSON.stringify(frame({ seq: 4, device: null })) });
        node.receive({ topic, payload: JSON.stringify(frame({ seq: 5 })) });
        await until(() => out.caught.length === 3 && out.readings.length === 2, '3 errors and 2 readings');
        assert.deepStrictEqual(out.readings.map((m) => [m.payload.device, m.payload.seq]), [['fridge-1', 1], ['fridge-1', 5]]);
        const texts = out.caught.map((m) => m.error.message);
        assert.match(texts[0], /"device" = "fridge-2" in the payload differs from "fridge-1" in the topic.*\(at \$\.device\)/);
        assert.match(texts[1], /"site" = "other-site" in the payload differs from "foodbank" in the topic.*\(at \$\.site\)/);
        assert.match(texts[2], /"device" must be an id .*got null \(at \$\.device\)/);
        assert.deepStrictEqual(node.counters.errors, { 'topic-mismatch': 2, type: 1 });
        await until(() => lastStatus(node) && lastStatus(node).text === 'ok 2 · err 3', 'status ok 2 · err 3');
    });

    it('reports each error through the node (call:error) with the message', async function () {
        const { node } = await load();
        const seen = new Promise((resolve) => node.on('call:error', (call) => resolve(call)));
        node.receive({ payload: frame({}, { mean: 999 }) });
        const call = await seen;
        assert.match(String(call.args[0]), /"mean" = 999 °C is outside the plausible range -60 … 150 \(at \$\.sensors\[0\]\.mean\)/);
    });

    it('shows a yellow ring after a rejected message, a green dot after a good one, under 20 characters', async function () {
        const { node } = await load();
        node.receive({ payload: 'nope' });
        await until(() => lastStatus(node) !== undefined, 'a status');
        assert.deepStrictEqual(lastStatus(node), { fill: 'yellow', shape: 'ring', text: 'ok 0 · err 1' });
        node.receive({ payload: frame() });
        await until(() => lastStatus(node).fill === 'green', 'green status (throttled)');
        assert.strictEqual(lastStatus(node).text, 'ok 1 · err 1');
        assert.ok(lastStatus(node).text.length < 20);
    });

    it('counts gaps and replays per device and marks replays', async function () {
        const { node, out } = await load();
        for (const seq of [10, 11, 14, 14]) node.receive({ payload: frame({ seq, ts: NOW_S - 600 + seq }) });
        await until(() => out.readings.length === 4, '4 readings');
        assert.deepStrictEqual(out.readings.map((m) => [m.seqEvent, m.seqGap, m.replay]), [['first', 0, false], ['next', 0, false], ['gap', 2, false], ['replay', 0, true]]);
        assert.strictEqual(out.readings[3].payload.replay, true);
        assert.strictEqual(out.readings[2].payload.replay, undefined);
        assert.deepStrictEqual({ gaps: node.counters.gaps, missing: node.counters.missing, replays: node.counters.replays }, { gaps: 1, missing: 2, replays: 1 });
    });

    it('uses an edited topic pattern for the device id', async function () {
        const { out } = await load({ topicPattern: 'sites/+site/cold/+device' });
        helper.getNode('d1').receive({ topic: 'sites/depot/cold/f-9', payload: encodeBinaryFrame(frame()) });
        await until(() => out.readings.length === 1, 'a reading');
        assert.strictEqual(out.readings[0].payload.device, 'f-9');
        assert.strictEqual(out.readings[0].payload.site, 'depot');
    });

    it('decodes a The Things Stack v3 uplink, and warns about other ports without an error', async function () {
        const { node, out } = await load();
        const up = (port) => ({
            end_device_ids: { device_id: 'fridge-7', application_ids: { application_id: 'foodbank' } },
            received_at: new Date(Date.now() - 1000).toISOString(),
            uplink_message: { f_port: port, frm_payload: encodeBinaryFrame(frame()).toString('base64') },
        });
        node.receive({ topic: 'v3/foodbank@ttn/devices/fridge-7/up', payload: JSON.stringify(up(1)) });
        await until(() => out.readings.length === 1, 'a reading');
        assert.strictEqual(out.readings[0].payload.source, 'ttn-v3');
        assert.strictEqual(out.readings[0].payload.device, 'fridge-7');
        assert.strictEqual(out.readings[0].format, 'ttn-v3');
        const warned = new Promise((resolve) => node.on('call:warn', (call) => resolve(call)));
        node.receive({ topic: 'v3/foodbank@ttn/devices/fridge-7/up', payload: up(2) });
        assert.match(String((await warned).args[0]), /port 2 ignored/);
        await sleep(50);
        assert.strictEqual(out.readings.length, 1);
        assert.strictEqual(out.caught.length, 0);
        assert.strictEqual(node.counters.ignored, 1);
    });

    it('decodes a legacy TOUCAN message', async function () {
        const { out } = await load({ legacyTimeZone: 'Europe/Paris' });
        const legacy = '{"datetime":"2024-3-12 14:5:10.25","noeud":"pico_1","capteur":"humidite","metrique":"moy_10_min","valeur":55.5}';
        helper.getNode('d1').receive({ topic: 'TOUCAN', payload: Buffer.from(legacy) });
        await until(() => out.readings.length === 1, 'a reading');
        const r = out.readings[0].payload;
        assert.deepStrictEqual([r.device, r.sensor, r.unit, r.window, r.mean, r.source], ['pico_1', 'humidity', '%', 600, 55.5, 'legacy']);
        assert.strictEqual(r.time.toISOString(), '2024-03-12T13:05:10.250Z');
        assert.strictEqual(out.readings[0].seq, null);
    });

    it('sends device status (birth and last will) on output 2', async function () {
        const { out } = await load();
        const d1 = helper.getNode('d1');
        d1.receive({ topic: 'picochain/foodbank/fridge-1/status', payload: Buffer.from('{"state":"online","fw":"1.0.0","boot":3,"dropped":0}'), retain: true });
        d1.receive({ topic: 'picochain/foodbank/fridge-1/status', payload: Buffer.from('offline'), retain: true });
        await until(() => out.status.length === 2, 'two status messages');
        assert.strictEqual(out.readings.length, 0);
        const [birth, will] = out.status;
        assert.deepStrictEqual(
            { device: birth.payload.device, site: birth.payload.site, state: birth.payload.state, fw: birth.payload.fw, boot: birth.payload.boot },
            { device: 'fridge-1', site: 'foodbank', state: 'online', fw: '1.0.0', boot: 3 },
        );
        assert.ok(birth.payload.receivedAt instanceof Date);
        assert.strictEqual(will.payload.state, 'offline');
        assert.strictEqual(will.device, 'fridge-1');
        assert.strictEqual(will.topic, 'picochain/foodbank/fridge-1/status');
        assert.strictEqual(will.retain, true);
    });

    it('enforces the allow-list and the max size from the editor', async function () {
        const { out } = await load({ allowList: 'fridge-2, fridge-3', maxBytes: '300' });
        const d1 = helper.getNode('d1');
        d1.receive({ payload: frame({ device: 'fridge-2' }) });
        d1.receive({ payload: frame({ device: 'fridge-1' }) });
        d1.receive({ payload: twoSensors({ device: 'fridge-3' }) });
        await until(() => out.caught.length === 2 && out.readings.length === 1, '1 reading, 2 errors');
        assert.match(out.caught[0].error.message, /device "fridge-1" is not in the allow-list \(at \$\.device\)/);
        assert.match(out.caught[1].error.message, /payload is 3\d\d bytes, over the 300-byte limit/);
    });

    it('a bad configuration is reported at start and fails every message', async function () {
        const { node, out } = await load({ topicPattern: 'a/#/b' });
        await until(() => lastStatus(node) !== undefined, 'a status');
        assert.deepStrictEqual(lastStatus(node), { fill: 'red', shape: 'ring', text: 'config error' });
        node.receive({ payload: frame() });
        await until(() => out.caught.length === 1, 'an error');
        assert.match(out.caught[0].error.message, /topic pattern "a\/#\/b": # must be the last level/);
        assert.strictEqual(out.readings.length, 0);
    });

    it('migrates a config saved without version (missing properties take their defaults)', async function () {
        const { node, out } = await load({ version: undefined, format: 'auto', topicPattern: undefined, output: undefined, maxBytes: undefined, tempMin: undefined, tempMax: undefined, trackSeq: undefined });
        node.receive({ topic: 'picochain/s/dev-1/stats', payload: encodeBinaryFrame(frame({ seq: 1 })) });
        node.receive({ topic: 'picochain/s/dev-1/stats', payload: encodeBinaryFrame(frame({ seq: 1 })) });
        await until(() => out.readings.length === 2, '2 readings');
        assert.strictEqual(out.readings[0].payload.device, 'dev-1', 'default topic pattern');
        assert.strictEqual(out.readings[1].replay, true, 'sequence tracking on by default');
        assert.ok(!Array.isArray(out.readings[0].payload), 'default output: one reading');
        assert.strictEqual(out.caught.length, 0);
    });

    it('reads the pre-rename legacyUtcOffset property when legacyTimeZone is left at its default', async function () {
        const { out } = await load({ legacyTimeZone: '+00:00', legacyUtcOffset: '+01:00' });
        helper.getNode('d1').receive({ topic: 'TOUCAN', payload: '{"datetime":"2024-3-12 14:5:10","noeud":"pico_1","capteur":"temperature","metrique":"brute","valeur":5}' });
        await until(() => out.readings.length === 1, 'a reading');
        assert.strictEqual(out.readings[0].payload.time.toISOString(), '2024-03-12T13:05:10.000Z');
    });

    it('closes promptly and stops updating the status', async function () {
        const { node } = await load();
        node.receive({ payload: frame() });
        node.receive({ payload: 'bad' }); // coalesced by the throttle, pending at close
        let after = 0;
        let closed = false;
        node.status = () => {
            if (closed) after++;
        };
        const t0 = Date.now();
        await helper.unload();
        closed = true;
        assert.ok(Date.now() - t0 < 1000, 'close took under a second');
        await sleep(400);
        assert.strictEqual(after, 0, 'no status update after close');
    });
});
