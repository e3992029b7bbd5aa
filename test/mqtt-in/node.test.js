'use strict';
// picochain-broker + picochain-mqtt-in in the Node-RED runtime with picochain-decode and
// picochain-mongo-ts: Mosquitto and FerretDB are real. Each QoS 1 message is acknowledged once its
// readings are in the writer's spool; what nobody stores is acknowledged after the timeout.
const assert = require('assert');
const fs = require('fs');
const mqtt = require('mqtt');
const helper = require('node-red-node-test-helper');
const { MongoClient } = require('mongodb');
const { startMosquitto, startFerretDB, tmpDir } = require('../../scripts/lib/services');
const { startAedes } = require('../../scripts/lib/embedded-broker');
const brokerAuth = require('../../scripts/lib/broker-auth');

/** The embedded broker's identities with one server user (scripts/lib/broker-auth.js). */
function serverIdentity(user, password) {
    const dir = tmpDir('ids');
    return new brokerAuth.BrokerIdentities({ passwd: `${dir}/passwd`, acl: `${dir}/acl`, extra: { [user]: { password, acl: brokerAuth.serverAcl(user) } } });
}
const { encodeJsonFrame } = require('../../dist/nodes/shared/codec');
const { untilWith, sleep } = require('../support/wait');

const NODES = ['picochain-broker', 'picochain-mqtt-in', 'picochain-decode', 'picochain-mongo-config', 'picochain-mongo-ts']
    .map((n) => require(`../../dist/nodes/${n}/${n}.js`));
const until = untilWith({ ms: 20000, every: 25 });

helper.init(require.resolve('node-red'));

const NOW_S = Math.floor(Date.now() / 1000);
function frame(device, seq) {
    const s = (sensor, mean) => ({ sensor, unit: '°C', count: 6, min: mean - 0.2, max: mean + 0.2, mean, std: 0.1, slope: 0, last: mean, state: 0 });
    return { v: 1, device, site: 'lab', seq, ts: NOW_S - 3600 + seq * 60, synced: true, window: 60, sensors: [s('probe1', 4 + seq / 100), s('probe2', 3)] };
}

async function publisher(url, opts = {}) {
    const c = mqtt.connect(url, { reconnectPeriod: 0, ...opts });
    await new Promise((resolve, reject) => { c.once('connect', resolve); c.once('error', reject); });
    return c;
}

function chainFlow({ port, clientId, uri, db, unclaimed = 30, topic = 'picochain/+/+/stats', withWriter = true }) {
    const flow = [
        { id: 't', type: 'tab' },
        { id: 'broker', type: 'picochain-broker', broker: '127.0.0.1', port: String(port), clientId, protocol: 'auto' },
        { id: 'in', type: 'picochain-mqtt-in', z: 't', broker: 'broker', topic, qos: '1', ack: 'stored', unclaimed, datatype: 'buffer', wires: [withWriter ? ['decode'] : ['sink']] },
        { id: 'sink', type: 'helper', z: 't' },
    ];
    if (withWriter) {
        flow.push(
            { id: 'decode', type: 'picochain-decode', z: 't', output: 'split', wires: [['writer'], ['status']] },
            { id: 'status', type: 'helper', z: 't' },
            { id: 'mongo', type: 'picochain-mongo-config', uri, database: db },
            { id: 'writer', type: 'picochain-mongo-ts', z: 't', mongo: 'mongo', collection: 'readings', batchSize: 50, batchDelay: 100, outputs: 0, wires: [] },
        );
    }
    return flow;
}

describe('picochain-mqtt-in in Node-RED: acknowledged once stored', function () {
    this.timeout(90000);
    let broker;
    let ferret;
    let userDir;
    const clients = [];
    before(async function () {
        [broker, ferret] = await Promise.all([startMosquitto(), startFerretDB()]);
    });
    beforeEach(function () {
        userDir = tmpDir('nr-user');
        helper.settings({ userDir });
    });
    afterEach(async function () {
        await helper.unload();
        for (const c of clients.splice(0)) c.end(true);
        fs.rmSync(userDir, { recursive: true, force: true });
    });
    after(async function () {
        await Promise.all([broker && broker.cleanup(), ferret && ferret.cleanup()]);
    });

    it('stores every reading and acknowledges every message; nothing comes back after a restart', async function () {
        const db = `mqttin_${Date.now()}`;
        const flow = chainFlow({ port: broker.port, clientId: 'nr-chain-1', uri: ferret.uri, db });
        await helper.load(NODES, flow);
        const inNode = helper.getNode('in');
        await until(() => inNode.stats().connection.subscribed > 0, 'subscribed');
        const pub = await publisher(broker.url);
        clients.push(pub);
        for (let i = 0; i < 60; i++) await pub.publishAsync(`picochain/lab/fridge-${i % 3}/stats`, encodeJsonFrame(frame(`fridge-${i % 3}`, i)), { qos: 1 });
        const client = await MongoClient.connect(ferret.uri);
        try {
            const coll = client.db(db).collection('readings');
            await until(async () => (await coll.countDocuments()) === 120, '120 readings stored');
            await until(() => inNode.stats().held === 0 && inNode.stats().stored === 60, 'all 60 messages acknowledged after storing');
            assert.strictEqual(inNode.stats().unclaimed, 0);
            // a restart with the same client id: the broker has nothing left to send
            await helper.unload();
            helper.settings({ userDir });
            await helper.load(NODES, flow);
            const again = helper.getNode('in');
            await until(() => again.stats().state === 'connected', 'connected again');
            await sleep(1000);
            assert.strictEqual(again.stats().connection.sessionPresent, true, 'the session was kept');
            assert.strictEqual(again.stats().connection.received, 0, 'no message was left unacknowledged');
            assert.strictEqual(await coll.countDocuments(), 120);
        } finally {
            await client.close();
        }
    });

    it('a message nothing takes is sent again twice, then acknowledged after the unclaimed timeout, with a warning', async function () {
        await helper.load(NODES, chainFlow({ port: broker.port, clientId: 'nr-unclaimed', withWriter: false, unclaimed: 1 }));
        const inNode = helper.getNode('in');
        const sink = helper.getNode('sink');
        const got = [];
        sink.on('input', (m) => got.push(m));
        await until(() => inNode.stats().connection.subscribed > 0, 'subscribed');
        const pub = await publisher(broker.url);
        clients.push(pub);
        await pub.publishAsync('picochain/lab/fridge-9/stats', encodeJsonFrame(frame('fridge-9', 1)), { qos: 1 });
        await until(() => got.length === 1, 'the message');
        assert.strictEqual(typeof got[0]._delivery, 'string');
        assert.ok(Buffer.isBuffer(got[0].payload));
        assert.strictEqual(inNode.stats().held, 1, 'held while it may still be stored');
        // no node said anything about it (no decoder): sent again twice, a second apart, then given up
        await until(() => inNode.stats().held === 0, 'acknowledged after three timeouts of 1 s', 8000);
        assert.strictEqual(inNode.stats().unclaimed, 1);
        assert.strictEqual(inNode.stats().resent, 2);
        assert.strictEqual(got.length, 3, 'the message and its two resends');
        assert.deepStrictEqual(got.map((m) => m._delivery), [got[0]._delivery, got[0]._delivery, got[0]._delivery]);
        await until(() => inNode.warn.getCalls().some((c) => /1 messages acknowledged without a writer/.test(String(c.args[0]))), 'a warning');
    });

    it('status messages (nothing to store) are acknowledged at once', async function () {
        const db = `mqttin_status_${Date.now()}`;
        await helper.load(NODES, chainFlow({ port: broker.port, clientId: 'nr-status', uri: ferret.uri, db, topic: 'picochain/+/+/status' }));
        const inNode = helper.getNode('in');
        const status = helper.getNode('status');
        const got = [];
        status.on('input', (m) => got.push(m));
        await until(() => inNode.stats().connection.subscribed > 0, 'subscribed');
        const pub = await publisher(broker.url);
        clients.push(pub);
        await pub.publishAsync('picochain/lab/fridge-1/status', 'offline', { qos: 1 });
        await until(() => got.length === 1 && inNode.stats().held === 0, 'decoded and acknowledged');
        assert.strictEqual(got[0].payload.state, 'offline');
        assert.strictEqual(inNode.stats().stored, 1);
    });
});

describe('picochain-mqtt-in in Node-RED: a refused connection', function () {
    this.timeout(30000);
    afterEach(async function () { await helper.unload(); });

    it('shows a red "not authorised" status and logs the reason, never the password', async function () {
        const aedes = await startAedes({ host: '127.0.0.1', port: 0, identities: serverIdentity('server', 'good') });
        try {
            const flow = [
                { id: 't', type: 'tab' },
                { id: 'broker', type: 'picochain-broker', broker: '127.0.0.1', port: String(aedes.port), clientId: 'nr-auth' },
                { id: 'in', type: 'picochain-mqtt-in', z: 't', broker: 'broker', topic: 'picochain/+/+/stats', wires: [[]] },
            ];
            await helper.load(NODES, flow, { broker: { user: 'server', password: 'S3cr3t-wrong' } });
            const inNode = helper.getNode('in');
            const brokerNode = helper.getNode('broker');
            await until(() => inNode.stats().state === 'error', 'refused');
            await until(() => {
                const calls = inNode.status.getCalls();
                const last = calls.length && calls[calls.length - 1].args[0];
                return last && last.fill === 'red' && last.text === 'not authorised';
            }, 'red status');
            const texts = [...inNode.status.getCalls(), ...brokerNode.warn.getCalls(), ...brokerNode.log.getCalls(), ...brokerNode.error.getCalls()]
                .map((c) => JSON.stringify(c.args));
            assert.ok(brokerNode.warn.getCalls().some((c) => /bad user name or password/.test(String(c.args[0]))), texts.join('\n'));
            assert.ok(!texts.join('\n').includes('S3cr3t-wrong'), 'the password appears nowhere');
        } finally {
            await helper.unload();
            await aedes.stop();
        }
    });
});
