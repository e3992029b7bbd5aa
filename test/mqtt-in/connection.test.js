'use strict';
// picochain-broker's connection (persistent session, held PUBACKs) against real brokers:
// Mosquitto (MQTT 5, TLS with our own CA) and the embedded aedes with its disk persistence.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');
const { startMosquitto, tmpDir } = require('../../scripts/lib/services');
const { startAedes } = require('../../scripts/lib/embedded-broker');
const brokerAuth = require('../../scripts/lib/broker-auth');

/** The embedded broker's identities with one server user (scripts/lib/broker-auth.js). */
function serverIdentity(user, password) {
    const dir = tmpDir('ids');
    return new brokerAuth.BrokerIdentities({ passwd: `${dir}/passwd`, acl: `${dir}/acl`, extra: { [user]: { password, acl: brokerAuth.serverAcl(user) } } });
}
const { BrokerConnection, MESSAGES_PER_TURN } = require('../../dist/nodes/picochain-broker/connection');
const { parseBrokerSettings } = require('../../dist/nodes/picochain-broker/core');
const { untilWith, sleep } = require('../support/wait');
const { makeTestCertificates, mosquittoTls } = require('../support/tls');

const until = untilWith({ ms: 15000, every: 20 });

function connection(props, creds, logs = []) {
    const { settings, error } = parseBrokerSettings(props, 'testnode1', creds);
    assert.ifError(error);
    return new BrokerConnection(settings, { log: (level, text) => logs.push(`${level} ${text}`) });
}

/** A subscriber that records messages and leaves their acknowledgement to the test. */
function recorder(filter = 'lab/#') {
    const got = [];
    return { got, sub: { filter, qos: 1, shareGroup: '', ackAfterStore: true, onMessage: (m) => got.push(m) } };
}

async function publisher(url, opts = {}) {
    const c = mqtt.connect(url, { reconnectPeriod: 0, ...opts });
    await new Promise((resolve, reject) => { c.once('connect', resolve); c.once('error', reject); });
    return c;
}

describe('picochain-broker connection against Mosquitto (MQTT 5)', function () {
    this.timeout(60000);
    let broker;
    const open = [];
    before(async function () { broker = await startMosquitto(); });
    afterEach(async function () { for (const c of open.splice(0)) await (c.close ? c.close() : new Promise((r) => c.end(true, r))); });
    after(async function () { if (broker) await broker.cleanup(); });

    it('holds each PUBACK until acknowledged: unacknowledged messages come back after a reconnect, acknowledged ones do not', async function () {
        const props = { broker: '127.0.0.1', port: broker.port, clientId: 'held-acks' };
        const logs = [];
        let conn = connection(props, {}, logs);
        let r = recorder();
        conn.subscribe(r.sub);
        await until(() => conn.stats.subscribed > 0, 'subscribed');
        assert.strictEqual(conn.protocolVersion, 5);
        const pub = await publisher(broker.url);
        open.push(pub);
        for (let i = 0; i < 6; i++) await pub.publishAsync(`lab/${i}`, `m${i}`, { qos: 1 });
        await until(() => r.got.length === 6, 'six messages');
        assert.strictEqual(conn.heldAcks, 6);
        for (const m of r.got.slice(0, 3)) m.ack();
        r.got[4].ack(); // out of order: must wait for the fourth
        await until(() => conn.heldAcks === 3, 'three PUBACKs out');
        await conn.close();

        conn = connection(props, {}, logs);
        open.push(conn);
        r = recorder();
        conn.subscribe(r.sub);
        await until(() => r.got.length === 3, 'the three unacknowledged messages again');
        assert.deepStrictEqual(r.got.map((m) => [m.topic, m.dup]), [['lab/3', true], ['lab/4', true], ['lab/5', true]]);
        assert.strictEqual(conn.stats.sessionPresent, true);
        assert.ok(logs.some((l) => /session resumed/.test(l)), logs.join('\n'));
        for (const m of r.got) m.ack();
        await until(() => conn.heldAcks === 0, 'all acknowledged');
    });

    it('keeps the session while away: messages published meanwhile arrive on reconnect', async function () {
        const props = { broker: '127.0.0.1', port: broker.port, clientId: 'away-session' };
        let conn = connection(props);
        let r = recorder('away/#');
        conn.subscribe(r.sub);
        await until(() => conn.stats.subscribed > 0, 'subscribed');
        await conn.close();
        const pub = await publisher(broker.url);
        open.push(pub);
        for (let i = 0; i < 20; i++) await pub.publishAsync(`away/${i}`, `m${i}`, { qos: 1 });
        conn = connection(props);
        open.push(conn);
        r = recorder('away/#');
        conn.subscribe(r.sub);
        await until(() => r.got.length === 20, 'the 20 messages published while away');
        assert.deepStrictEqual(r.got.map((m) => m.topic), Array.from({ length: 20 }, (_, i) => `away/${i}`));
        for (const m of r.got) m.ack();
    });

    it('a backlog arriving at once is handed to the nodes a slice at a time, so the flow works on it meanwhile, in order', async function () {
        const props = { broker: '127.0.0.1', port: broker.port, clientId: 'paced-backlog' };
        let conn = connection(props);
        conn.subscribe(recorder('paced/#').sub);
        await until(() => conn.stats.subscribed > 0, 'subscribed');
        await conn.close();
        const pub = await publisher(broker.url);
        open.push(pub);
        const N = 3000;
        await Promise.all(Array.from({ length: N }, (_, i) => pub.publishAsync(`paced/${i}`, `m${i}`, { qos: 1 })));
        conn = connection(props);
        open.push(conn);
        // what a flow does with a message happens in a later turn of the event loop (Node-RED
        // delivers each send with setImmediate): count the messages handed over before the first
        // of those turns comes, and the longest run of messages with no turn in between
        const topics = [];
        let run = 0;
        let longestRun = 0;
        let beforeFirstTurn = null;
        conn.subscribe({ filter: 'paced/#', qos: 1, shareGroup: '', ackAfterStore: true, onMessage: (m) => {
            topics.push(m.topic);
            longestRun = Math.max(longestRun, ++run);
            setImmediate(() => {
                run = 0;
                if (beforeFirstTurn === null) beforeFirstTurn = topics.length;
                m.ack();
            });
        } });
        await until(() => topics.length === N && conn.heldAcks === 0, `the ${N} messages, each acknowledged`);
        assert.deepStrictEqual(topics, Array.from({ length: N }, (_, i) => `paced/${i}`), 'in order');
        assert.ok(longestRun <= MESSAGES_PER_TURN, `at most ${MESSAGES_PER_TURN} messages without a turn of the event loop, not ${longestRun}`);
        assert.ok(beforeFirstTurn <= MESSAGES_PER_TURN, `the flow saw the first message after ${beforeFirstTurn} were handed over`);
    });

    it('a node restarting (redeploy): messages for its filter are held for the node replacing it, or come back after a reconnect', async function () {
        const props = { broker: '127.0.0.1', port: broker.port, clientId: 'orphans' };
        let conn = connection(props);
        const first = recorder('orph/#');
        conn.subscribe(first.sub);
        await until(() => conn.stats.subscribed > 0, 'subscribed');
        const pub = await publisher(broker.url);
        open.push(pub);
        conn.unsubscribe(first.sub); // the node closes for a redeploy; its replacement is not there yet
        for (let i = 0; i < 3; i++) await pub.publishAsync(`orph/${i}`, `m${i}`, { qos: 1 });
        await until(() => conn.stats.received === 3, 'three messages while no node holds the filter');
        assert.strictEqual(first.got.length, 0);
        assert.strictEqual(conn.heldAcks, 3, 'held, not acknowledged');
        assert.strictEqual(conn.completableAcks, 0, 'nothing a node could complete');
        const second = recorder('orph/#');
        conn.subscribe(second.sub);
        assert.deepStrictEqual(second.got.map((m) => m.topic), ['orph/0', 'orph/1', 'orph/2'], 'handed to the new node');
        second.got[0].ack();
        await until(() => conn.heldAcks === 2, 'the first acknowledged');
        // the connection closes before the rest is stored: they come back
        conn.unsubscribe(second.sub);
        await pub.publishAsync('orph/3', 'm3', { qos: 1 });
        await until(() => conn.stats.received === 4, 'a fourth while restarting');
        await conn.close();
        conn = connection(props);
        open.push(conn);
        const third = recorder('orph/#');
        conn.subscribe(third.sub);
        await until(() => third.got.length === 3, 'the three unacknowledged again');
        assert.deepStrictEqual(third.got.map((m) => m.topic).sort(), ['orph/1', 'orph/2', 'orph/3']);
        for (const m of third.got) m.ack();
    });

    it('QoS 0 messages and ack-on-arrival subscribers are not held', async function () {
        const conn = connection({ broker: '127.0.0.1', port: broker.port, clientId: 'no-hold' });
        open.push(conn);
        const got = [];
        conn.subscribe({ filter: 'q0/#', qos: 1, shareGroup: '', ackAfterStore: false, onMessage: (m) => got.push(m) });
        await until(() => conn.stats.subscribed > 0, 'subscribed');
        const pub = await publisher(broker.url);
        open.push(pub);
        await pub.publishAsync('q0/a', 'x', { qos: 0 });
        await pub.publishAsync('q0/b', 'y', { qos: 1 });
        await until(() => got.length === 2, 'two messages');
        assert.deepStrictEqual(got.map((m) => m.ack), [null, null]);
        assert.strictEqual(conn.heldAcks, 0);
    });
});

describe('picochain-broker connection against the embedded aedes broker', function () {
    this.timeout(60000);
    it('falls back to MQTT 3.1.1, and the session survives a restart of the broker (disk persistence)', async function () {
        const dir = tmpDir('aedes');
        let broker = await startAedes({ host: '127.0.0.1', port: 0, persistenceDir: dir });
        const port = broker.port;
        const logs = [];
        const props = { broker: '127.0.0.1', port, clientId: 'aedes-session' };
        let conn = connection(props, {}, logs);
        let r = recorder();
        conn.subscribe(r.sub);
        try {
            await until(() => conn.stats.subscribed > 0, 'subscribed');
            assert.strictEqual(conn.protocolVersion, 4);
            assert.ok(logs.some((l) => /speaks MQTT 3.1.1, not 5/.test(l)), logs.join('\n'));
            const pub = await publisher(`mqtt://127.0.0.1:${port}`);
            for (let i = 0; i < 4; i++) await pub.publishAsync(`lab/${i}`, `m${i}`, { qos: 1 });
            await until(() => r.got.length === 4, 'four messages');
            r.got[0].ack(); // the other three stay unacknowledged
            await until(() => conn.heldAcks === 3, 'one PUBACK out');
            await conn.close();
            for (let i = 4; i < 6; i++) await pub.publishAsync(`lab/${i}`, `m${i}`, { qos: 1 });
            pub.end(true);
            await broker.stop();
            broker = await startAedes({ host: '127.0.0.1', port, persistenceDir: dir });
            conn = connection(props, {}, logs);
            r = recorder();
            conn.subscribe(r.sub);
            await until(() => r.got.length === 5, 'three unacknowledged + two queued while away, after the broker restarted');
            assert.deepStrictEqual(r.got.map((m) => m.topic).sort(), ['lab/1', 'lab/2', 'lab/3', 'lab/4', 'lab/5']);
            for (const m of r.got) m.ack();
        } finally {
            await conn.close();
            await broker.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it('a wrong password: state "error" with the reason, a warning without the secret, then connects once fixed', async function () {
        const broker = await startAedes({ host: '127.0.0.1', port: 0, identities: serverIdentity('server', 'right-pass') });
        const logs = [];
        const bad = connection({ broker: '127.0.0.1', port: broker.port, clientId: 'auth-1' }, { user: 'server', password: 'Wr0ng-s3cret' }, logs);
        const states = [];
        bad.on('state', (s, reason) => states.push([s, reason]));
        bad.subscribe(recorder().sub);
        try {
            await until(() => bad.state === 'error', 'refused');
            assert.strictEqual(bad.reason, 'bad user name or password');
            assert.strictEqual(bad.failureKind, 'auth');
            assert.ok(logs.some((l) => /^warn the broker refused the connection: bad user name or password/.test(l)), logs.join('\n'));
            assert.ok(!logs.join('\n').includes('Wr0ng-s3cret'), 'no password in the log');
            await bad.close();
            const good = connection({ broker: '127.0.0.1', port: broker.port, clientId: 'auth-1' }, { user: 'server', password: 'right-pass' });
            good.subscribe(recorder().sub);
            await until(() => good.state === 'connected', 'connected with the right password');
            await good.close();
        } finally {
            await bad.close();
            await broker.stop();
        }
    });
});

describe('picochain-broker connection over TLS (Mosquitto, our own CA)', function () {
    this.timeout(60000);
    let broker;
    let dir;
    before(async function () {
        dir = tmpDir('tls');
        broker = await startMosquitto(mosquittoTls(makeTestCertificates(dir)));
    });
    after(async function () {
        if (broker) await broker.cleanup();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('connects when the broker\'s certificate is signed by the given CA, refuses it otherwise (TLS reason)', async function () {
        const good = connection({ broker: '127.0.0.1', port: broker.port, tls: true, caFile: path.join(dir, 'ca.crt'), clientId: 'tls-good' });
        good.subscribe(recorder().sub);
        await until(() => good.state === 'connected', 'TLS connection with our CA');
        await good.close();
        const bad = connection({ broker: '127.0.0.1', port: broker.port, tls: true, caFile: path.join(dir, 'other.crt'), clientId: 'tls-bad' });
        bad.subscribe(recorder().sub);
        await until(() => bad.state === 'error', 'refused: the certificate is not from that CA');
        assert.strictEqual(bad.failureKind, 'tls');
        await bad.close();
    });
});
