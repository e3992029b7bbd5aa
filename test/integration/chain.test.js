'use strict';
// The chain end to end in the real Node-RED runtime: Mosquitto → Node-RED's own `mqtt in` →
// picochain-decode → picochain-mongo-ts → FerretDB 1.24, and → picochain-alert. Documents are read
// back with the mongodb driver. One test kills FerretDB mid-stream, restarts it, and finds every
// reading exactly once.
const assert = require('assert');
const fs = require('fs');
const helper = require('node-red-node-test-helper');
const mqtt = require('mqtt');
const { MongoClient } = require('mongodb');
const { startMosquitto, startFerretDB, tmpDir } = require('../../scripts/lib/services');
const { encodeBinaryFrame, encodeJsonFrame } = require('../../dist/nodes/shared/codec');
const { sleep, untilWith } = require('../support/wait');
const { collect } = require('../support/node-red');

const until = untilWith({ ms: 20000, every: 50 });

helper.init(require.resolve('node-red'));
const nodes = [
    require('@node-red/nodes/core/network/10-mqtt.js'),
    require('@node-red/nodes/core/common/25-catch.js'),
    require('../../dist/nodes/picochain-decode/picochain-decode.js'),
    require('../../dist/nodes/picochain-mongo-config/picochain-mongo-config.js'),
    require('../../dist/nodes/picochain-mongo-ts/picochain-mongo-ts.js'),
    require('../../dist/nodes/picochain-alert/picochain-alert.js'),
];

const T0 = Math.floor(Date.now() / 1000) - 6 * 3600;

function frame(device, seq, mean) {
    return {
        v: 1, device, site: 'foodbank', seq, ts: T0 + seq * 60, synced: true, window: 60,
        sensors: [{ sensor: 'temperature', unit: '°C', count: 6, min: mean - 0.2, max: mean + 0.2, mean, std: 0.1, slope: 0.01, last: mean, state: 0 }],
    };
}

describe('the chain: Mosquitto → mqtt in → decode → mongo-ts (FerretDB) and → alert', function () {
    this.timeout(120000);
    let broker;
    let ferret;
    let client;
    let pub;
    let dbCounter = 0;
    // the Node-RED user directory, where the writer keeps its spool
    const userDir = tmpDir('chain-user');

    before(async function () {
        [broker, ferret] = await Promise.all([startMosquitto(), startFerretDB()]);
        client = new MongoClient(ferret.uri, { serverSelectionTimeoutMS: 5000 });
        await client.connect();
        pub = mqtt.connect(broker.url, { clientId: 'test-publisher' });
        await new Promise((resolve, reject) => { pub.once('connect', resolve); pub.once('error', reject); });
    });
    after(async function () {
        if (pub) pub.end(true);
        if (client) await client.close();
        if (ferret) await ferret.cleanup();
        if (broker) await broker.cleanup();
        fs.rmSync(userDir, { recursive: true, force: true });
    });
    afterEach(async function () {
        await helper.unload();
    });

    const publish = (topic, payload) => new Promise((resolve, reject) => pub.publish(topic, payload, { qos: 1 }, (e) => (e ? reject(e) : resolve())));

    async function loadChain() {
        const db = `chain${process.pid}_${++dbCounter}`;
        const flow = [
            { id: 'f1', type: 'tab', label: 'chain' },
            { id: 'broker', type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(broker.port), clientid: `nr-${db}`, autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
            { id: 'in', type: 'mqtt in', z: 'f1', topic: 'picochain/+/+/+', qos: '1', datatype: 'buffer', broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['decode']] },
            { id: 'legacy', type: 'mqtt in', z: 'f1', topic: 'TOUCAN', qos: '0', datatype: 'auto-detect', broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['decode']] },
            { id: 'decode', type: 'picochain-decode', z: 'f1', wires: [['writer', 'alert', 'readings'], ['alert', 'statuses']] },
            { id: 'cfg', type: 'picochain-mongo-config', uri: ferret.uri, database: db, connectTimeout: 1000, tls: false },
            { id: 'writer', type: 'picochain-mongo-ts', z: 'f1', mongo: 'cfg', collection: 'readings', timeField: 'time', metaField: 'meta', granularity: 'minutes',
                retention: 0, batchSize: 50, batchDelay: 200, inFlight: 4, spoolSize: 16, whenFull: 'block', outputs: 1, version: 2, wires: [['written']] },
            { id: 'alert', type: 'picochain-alert', z: 'f1', value: 'mean', highWarning: '8', highWarningClear: '6', forTime: '0', offline: true, version: 1, wires: [['events'], []] },
            { id: 'c1', type: 'catch', z: 'f1', scope: ['decode', 'writer', 'alert'], uncaught: false, wires: [['caught']] },
            { id: 'readings', type: 'helper', z: 'f1' },
            { id: 'statuses', type: 'helper', z: 'f1' },
            { id: 'written', type: 'helper', z: 'f1' },
            { id: 'events', type: 'helper', z: 'f1' },
            { id: 'caught', type: 'helper', z: 'f1' },
        ];
        helper.settings({ userDir });
        await helper.load(nodes, flow);
        const out = collect({ readings: 'readings', statuses: 'statuses', written: 'written', events: 'events', caught: 'caught' });
        await until(() => helper.getNode('broker').connected, 'Node-RED connected to Mosquitto');
        await sleep(300); // subscriptions granted
        return { out, coll: client.db(db).collection('readings'), writer: helper.getNode('writer') };
    }

    it('stores JSON, binary and legacy readings once, rejects bad input without losing good data, and alerts', async function () {
        const { out, coll } = await loadChain();
        for (let seq = 0; seq < 20; seq++) {
            await publish('picochain/foodbank/fridge-1/stats', encodeJsonFrame(frame('fridge-1', seq, 4 + (seq === 10 ? 5.5 : 0))));
            await publish('picochain/foodbank/fridge-2/stats', encodeBinaryFrame(frame('fridge-2', seq, -18)));
            if (seq === 5) {
                await publish('picochain/foodbank/fridge-1/stats', '{"v":1,"device":"fridge-1","seq":');
                await publish('picochain/foodbank/fridge-1/stats', '{"v":1,"device":"fridge-1","seq":99,"ts":1764000000,"window":60,"sensors":[{"sensor":"temperature","count":6,"min":1,"max":2,"mean":1.5,"std":0.1,"slope":0,"last":1,"$where":1}]}');
                await publish('picochain/foodbank/fridge-2/stats', encodeBinaryFrame(frame('fridge-2', 99, -18)).subarray(0, 20));
            }
        }
        // a redelivered frame (same seq and ts): passed on marked as replay, stored once
        await publish('picochain/foodbank/fridge-1/stats', encodeJsonFrame(frame('fridge-1', 3, 4)));
        pub.publish('TOUCAN', JSON.stringify({ datetime: '2024-3-12 14:5:10.25', noeud: 'pico_1', capteur: 'humidite', metrique: 'brute', valeur: 61.5 }));
        await publish('picochain/foodbank/fridge-2/status', 'offline');

        await until(() => out.caught.length === 3, `3 errors caught (got ${out.caught.length})`);
        await until(async () => (await coll.countDocuments({})) === 41, 'all 41 distinct readings stored');
        const errors = out.caught.map((m) => m.error.message).join('\n');
        assert.match(errors, /JSON/i);
        assert.match(errors, /\$where/);
        assert.match(errors, /byte/);
        const replayed = out.readings.filter((m) => [].concat(m.payload).some((r) => r.replay));
        assert.strictEqual(replayed.length, 1, 'the redelivered frame is marked as a replay');

        const docs = await coll.find({ 'meta.device': 'fridge-2' }).sort({ time: 1 }).toArray();
        assert.strictEqual(docs.length, 20);
        assert.ok(docs.every((d) => d.time instanceof Date && typeof d.mean === 'number'));
        assert.deepStrictEqual(docs.map((d) => d.seq), [...Array(20).keys()]);
        assert.strictEqual(docs[0].time.getTime(), T0 * 1000);
        const legacy = await coll.findOne({ 'meta.device': 'pico_1' });
        assert.strictEqual(legacy.meta.sensor, 'humidity');
        assert.strictEqual(legacy.mean, 61.5);
        assert.strictEqual(legacy.time.toISOString(), '2024-03-12T14:05:10.250Z');

        await until(() => out.events.some((m) => m.payload.event === 'resolved'), 'the high alert fires and resolves');
        const fired = out.events.filter((m) => m.payload.event === 'fired');
        const high = fired.find((m) => m.payload.device === 'fridge-1');
        assert.ok(high, 'fridge-1 fired');
        assert.strictEqual(high.payload.value, 9.5);
        assert.strictEqual(high.payload.severity, 'warning');
        await until(() => out.events.some((m) => m.payload.event === 'fired' && m.payload.device === 'fridge-2'), 'the last will raises "device silent"');
        assert.strictEqual(out.statuses.at(-1).payload.state, 'offline');
    });

    it('FerretDB killed mid-stream and restarted: every reading stored exactly once, in order', async function () {
        const { out, coll, writer } = await loadChain();
        const N = 150;
        for (let seq = 0; seq < N; seq++) {
            await publish('picochain/foodbank/fridge-3/stats', encodeJsonFrame(frame('fridge-3', seq, 4)));
            if (seq === 50) {
                await until(async () => (await coll.countDocuments({})) > 0, 'first readings stored');
                await ferret.stop({ kill: true });
            }
            if (seq === 100) {
                await until(() => /spooled \d+/.test(JSON.stringify(writer.status.lastCall && writer.status.lastCall.args[0])),
                    // what the writer knew then, should it not say so (a failure here was seen once in CI and not since)
                    () => `status says spooled; statuses ${JSON.stringify(writer.status.getCalls().slice(-6).map((c) => c.args[0]))}, `
                        + `writer ${JSON.stringify(writer.stats())}, readings decoded ${out.readings.length}`, 15000);
                await ferret.restart();
            }
            // a QoS 1 redelivery of a frame sent just before the outage
            if (seq === 120) await publish('picochain/foodbank/fridge-3/stats', encodeJsonFrame(frame('fridge-3', 49, 4)));
        }
        await until(async () => (await coll.countDocuments({})) === N, `${N} readings after the restart`, 60000);
        await sleep(500);
        const docs = await coll.find({}).sort({ time: 1 }).toArray();
        assert.strictEqual(docs.length, N);
        assert.deepStrictEqual(docs.map((d) => d.seq), [...Array(N).keys()]);
        assert.strictEqual(out.caught.length, 0, out.caught.map((m) => m.error.message).join('\n'));
        // one output message per batch written: topic "stored", the counts of the batch
        assert.ok(out.written.length > 0 && out.written.every((m) => m.topic === 'stored'));
        const sum = (f) => out.written.reduce((a, m) => a + m.payload[f], 0);
        // (a batch stored just before the kill whose answer was lost comes back as duplicates on retry)
        assert.ok(sum('written') <= N && sum('written') + sum('duplicates') >= N + 1, `written ${sum('written')}, duplicates ${sum('duplicates')}`);
        assert.strictEqual(writer.stats().pending, 0);
    });
});
