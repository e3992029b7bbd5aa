'use strict';
// picochain-decode behind Node-RED's own `mqtt in` node and a real Mosquitto: JSON and binary
// frames as the node delivers them (auto-detect turns JSON into objects, keeps binary as Buffer,
// or Buffers throughout), a retained birth message on subscribe, and a real MQTT last will.
const assert = require('assert');
const mqtt = require('mqtt');
const helper = require('node-red-node-test-helper');
const { startMosquitto } = require('../../scripts/lib/services');
const decodeNode = require('../../dist/nodes/picochain-decode/picochain-decode.js');
const { encodeBinaryFrame, encodeJsonFrame } = require('../../dist/nodes/shared/codec');
const { sleep, untilWith } = require('../support/wait');
const { collect } = require('../support/node-red');

const until = untilWith({ ms: 10000, every: 20 });

helper.init(require.resolve('node-red'));

const NOW_S = Math.floor(Date.now() / 1000);

function frame(device, seq) {
    return {
        v: 1, device, site: 'depot', seq, ts: NOW_S - 120 + seq, synced: true, window: 60,
        sensors: [{ sensor: 'temperature', unit: '°C', count: 6, min: 3.9, max: 4.4, mean: 4.1, std: 0.18, slope: 0.05, last: 4.2, state: 0 }],
    };
}

function connect(url, opts = {}) {
    return new Promise((resolve, reject) => {
        const c = mqtt.connect(url, { reconnectPeriod: 0, ...opts });
        c.once('connect', () => resolve(c));
        c.once('error', reject);
    });
}

const publish = (c, topic, payload, opts = { qos: 1 }) => new Promise((resolve, reject) => c.publish(topic, payload, opts, (e) => (e ? reject(e) : resolve())));

describe('picochain-decode behind mqtt in and Mosquitto', function () {
    this.timeout(30000);
    let broker;
    const clients = [];

    before(async function () {
        broker = await startMosquitto();
    });
    afterEach(async function () {
        await helper.unload();
        for (const c of clients.splice(0)) c.end(true);
    });
    after(async function () {
        if (broker) await broker.cleanup();
    });

    async function loadFlow(datatype) {
        const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');
        const flow = [
            { id: 'f1', type: 'tab', label: 'mqtt' },
            { id: 'broker', type: 'mqtt-broker', z: 'f1', name: 'mosquitto', broker: '127.0.0.1', port: String(broker.port), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
            { id: 'in', type: 'mqtt in', z: 'f1', name: '', topic: 'picochain/+/+/+', qos: '1', datatype, broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['decode']] },
            { id: 'decode', type: 'picochain-decode', z: 'f1', name: '', wires: [['rd'], ['st']] },
            { id: 'rd', type: 'helper', z: 'f1' },
            { id: 'st', type: 'helper', z: 'f1' },
            { id: 'c1', type: 'catch', z: 'f1', scope: ['decode'], uncaught: false, wires: [['caught']] },
            { id: 'caught', type: 'helper', z: 'f1' },
        ];
        await helper.load([mqttNodes, decodeNode], flow);
        const out = collect({ readings: 'rd', status: 'st', caught: 'caught' });
        const brokerNode = helper.getNode('broker');
        await until(() => brokerNode.connected, 'Node-RED connected to Mosquitto');
        return out;
    }

    for (const datatype of ['auto-detect', 'buffer']) {
        it(`decodes JSON and binary frames, rejects a bad one, keeps order (mqtt in datatype ${datatype})`, async function () {
            const out = await loadFlow(datatype);
            await sleep(200); // subscription in place
            const c = await connect(broker.url);
            clients.push(c);
            await publish(c, 'picochain/depot/fridge-a/stats', encodeJsonFrame(frame('fridge-a', 1)));
            await publish(c, 'picochain/depot/fridge-b/stats', encodeBinaryFrame(frame('fridge-b', 7)));
            await publish(c, 'picochain/depot/fridge-b/stats', encodeBinaryFrame(frame('fridge-b', 7)).subarray(0, 20));
            await publish(c, 'picochain/depot/fridge-a/stats', encodeJsonFrame(frame('fridge-a', 3)));
            await until(() => out.readings.length === 3 && out.caught.length === 1, '3 readings and 1 error');
            assert.deepStrictEqual(out.readings.map((m) => [m.payload.device, m.payload.seq, m.payload.source, m.seqGap]), [
                ['fridge-a', 1, 'json-v1', 0], ['fridge-b', 7, 'binary-v1', 0], ['fridge-a', 3, 'json-v1', 1],
            ]);
            assert.strictEqual(out.readings[1].payload.site, 'depot');
            assert.match(out.caught[0].error.message, /truncated binary frame/);
            if (datatype === 'auto-detect') assert.strictEqual(typeof out.readings[0].raw, 'object', 'mqtt in parsed the JSON');
            else assert.ok(Buffer.isBuffer(out.readings[0].raw));
        });
    }

    it('turns a retained birth message and a real last will into device status', async function () {
        // the board: last will "offline" (retained), birth message after connecting (retained)
        const board = await connect(broker.url, {
            clientId: 'pico-fridge-c', keepalive: 2,
            will: { topic: 'picochain/depot/fridge-c/status', payload: 'offline', qos: 1, retain: true },
        });
        await publish(board, 'picochain/depot/fridge-c/status', JSON.stringify({ state: 'online', fw: '1.0.0', ip: '10.0.0.9', rssi: -60, boot: 2, buffered: 0, replayed: 0, dropped: 0, synced: true }), { qos: 1, retain: true });

        const out = await loadFlow('auto-detect');
        await until(() => out.status.length === 1, 'the retained birth message');
        const birth = out.status[0];
        assert.strictEqual(birth.retain, true);
        assert.deepStrictEqual([birth.payload.device, birth.payload.site, birth.payload.state, birth.payload.fw, birth.payload.boot], ['fridge-c', 'depot', 'online', '1.0.0', 2]);

        // the board drops off without DISCONNECT: Mosquitto publishes its will
        board.stream.destroy();
        await until(() => out.status.length === 2, 'the last will');
        const will = out.status[1];
        assert.deepStrictEqual([will.payload.device, will.payload.state, will.topic], ['fridge-c', 'offline', 'picochain/depot/fridge-c/status']);
        assert.strictEqual(out.readings.length, 0);
        assert.strictEqual(out.caught.length, 0);
        board.end(true);
    });
});
