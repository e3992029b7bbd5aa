'use strict';
// picochain-broker's connection.publish() (what picochain-board-config sends desired configs with)
// against a real Mosquitto: it waits while the broker is away, resolves once the broker has the
// message, connects when no subscriber did, and says so when the connection closes first.
const assert = require('assert');
const mqtt = require('mqtt');
const { startMosquitto } = require('../../scripts/lib/services');
const { BrokerConnection } = require('../../dist/nodes/picochain-broker/connection');
const { parseBrokerSettings } = require('../../dist/nodes/picochain-broker/core');
const { untilWith, sleep } = require('../support/wait');

const until = untilWith({ ms: 15000, every: 20 });

/** What a fresh subscriber gets as the retained message of `topic` (null: none). */
async function retained(url, topic) {
    const c = mqtt.connect(url, { reconnectPeriod: 0, clean: true });
    try {
        await new Promise((resolve, reject) => { c.once('connect', resolve); c.once('error', reject); });
        const got = new Promise((resolve) => c.on('message', (t, p, packet) => resolve({ text: p.toString(), retain: packet.retain })));
        await c.subscribeAsync(topic, { qos: 1 });
        return await Promise.race([got, sleep(500).then(() => null)]);
    } finally { c.end(true); }
}

describe('picochain-broker connection.publish (Mosquitto)', function () {
    this.timeout(60000);
    let broker;
    const conns = [];
    before(async () => { broker = await startMosquitto(); });
    afterEach(async () => { for (const c of conns.splice(0)) await c.close(); });
    after(async () => { if (broker) await broker.cleanup(); });

    const connection = (clientId) => {
        const { settings } = parseBrokerSettings({ broker: '127.0.0.1', port: broker.port, clientId }, 'n1', {});
        const c = new BrokerConnection(settings);
        conns.push(c);
        return c;
    };

    it('connects by itself (no subscriber) and resolves once the broker keeps the retained message', async () => {
        const c = connection('pub-1');
        await c.publish('picochain/lab/fridge-1/config', '{"v":1,"version":1,"config":{}}', { qos: 1, retain: true });
        assert.strictEqual(c.state, 'connected');
        assert.strictEqual(c.pendingPublishes, 0);
        assert.deepStrictEqual(await retained(broker.url, 'picochain/lab/fridge-1/config'), { text: '{"v":1,"version":1,"config":{}}', retain: true });
    });

    it('waits while the broker is down and delivers when it is back', async () => {
        const c = connection('pub-2');
        await c.publish('picochain/lab/x/config', 'first', { qos: 1, retain: true });
        await broker.stop();
        let done = false;
        let p;
        try {
            await until(() => c.state !== 'connected', 'the connection sees the broker gone');
            p = c.publish('picochain/lab/fridge-2/config', 'while away', { qos: 1, retain: true }).then(() => { done = true; });
            await sleep(1500);
            assert.strictEqual(done, false, 'not resolved while the broker is down');
            assert.strictEqual(c.pendingPublishes, 1);
        } finally { await broker.restart(); }
        await p;
        assert.strictEqual(c.pendingPublishes, 0);
        assert.deepStrictEqual(await retained(broker.url, 'picochain/lab/fridge-2/config'), { text: 'while away', retain: true });
    });

    it('sends a message again when the connection drops before its PUBACK', async () => {
        const { tcpProxy } = require('../firmware/helpers');
        const proxy = await tcpProxy(broker.port);
        try {
            const { settings } = parseBrokerSettings({ broker: '127.0.0.1', port: proxy.port, clientId: 'pub-4' }, 'n1', {});
            const c = new BrokerConnection(settings);
            conns.push(c);
            await c.publish('picochain/lab/warm/config', 'warm-up', { qos: 1, retain: true });
            proxy.mode('blackhole'); // the PUBLISH goes nowhere, no PUBACK comes back
            let done = false;
            const p = c.publish('picochain/lab/fridge-4/config', 'lost once', { qos: 1, retain: true }).then(() => { done = true; });
            await sleep(500);
            assert.strictEqual(done, false);
            proxy.mode('refuse'); // the connection drops
            await until(() => c.state !== 'connected', 'dropped');
            proxy.mode('pass');
            await p;
            assert.deepStrictEqual(await retained(broker.url, 'picochain/lab/fridge-4/config'), { text: 'lost once', retain: true });
        } finally { proxy.close(); }
    });

    it('rejects what is still waiting when the connection is closed, and any publish after', async () => {
        const { settings } = parseBrokerSettings({ broker: '127.0.0.1', port: await require('../../scripts/lib/services').freePort(), clientId: 'pub-3' }, 'n1', {});
        const c = new BrokerConnection(settings);
        const p = c.publish('picochain/lab/y/config', 'never', { qos: 1, retain: true });
        await sleep(200);
        await c.close();
        await assert.rejects(p, /closed before the broker had the message/);
        await assert.rejects(c.publish('a/b', 'x'), /closed/);
    });
});
