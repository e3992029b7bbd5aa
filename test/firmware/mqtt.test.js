// The firmware's MQTT CONNECT as a broker sees it (aedes in-process): credentials, clean session
// off, keepalive, the retained `offline` will; refused credentials keep the board retrying.
'use strict';
const assert = require('assert');
const net = require('net');
const aedes = require('aedes');
const { createPico } = require('../../sim/pico-host');
const { sleep } = require('../support/wait');


describe('firmware MQTT session setup (link.py) against aedes', function () {
    this.timeout(30000);
    let broker;
    let server;
    let port;
    const connects = [];
    const published = [];
    before(async () => {
        broker = await (aedes.createBroker ? aedes.createBroker() : aedes());
        broker.preConnect = (client, packet, done) => { connects.push(packet); done(null, true); };
        broker.authenticate = (client, user, pass, done) => done(null, user === 'board' && String(pass) === 's3cret');
        broker.on('publish', (packet, client) => { if (client) published.push(packet); });
        server = net.createServer(broker.handle);
        await new Promise((r) => server.listen(0, '127.0.0.1', r));
        port = server.address().port;
    });
    after(async () => {
        // bounded: a half-open board connection must not hold the hook
        const bounded = (fn) => Promise.race([new Promise((r) => fn(r)), sleep(2000)]);
        if (broker) await bounded((r) => broker.close(r));
        if (server) await bounded((r) => server.close(r));
    });

    /** A board of site "lab" logging in to this broker as user "board". */
    const labBoard = (device, password) => createPico({
        config: { device, site: 'lab', broker: { host: '127.0.0.1', port, user: 'board', password }, onewire_pin: null },
        hardware: { adcRaw: () => 14050 },
        clock: { speed: 60 },
        led: false,
    });

    it('connects with credentials, clean session off, keepalive 120 s and a retained QoS 1 `offline` will', async () => {
        const pico = await labBoard('fridge-a', 's3cret');
        try {
            await pico.start();
            const t0 = Date.now();
            while (!published.some((p) => p.topic === 'picochain/lab/fridge-a/stats') && Date.now() - t0 < 10000) await sleep(20);
            const c = connects.find((p) => p.clientId === 'fridge-a');
            assert.ok(c, 'a CONNECT from fridge-a');
            assert.strictEqual(c.protocolVersion, 4, 'MQTT 3.1.1');
            assert.strictEqual(c.clean, false);
            assert.strictEqual(c.keepalive, 120);
            assert.strictEqual(c.username, 'board');
            assert.strictEqual(String(c.password), 's3cret');
            assert.strictEqual(c.will.topic, 'picochain/lab/fridge-a/status');
            assert.strictEqual(String(c.will.payload), 'offline');
            assert.strictEqual(c.will.qos, 1);
            assert.strictEqual(c.will.retain, true);
            const birth = published.find((p) => p.topic === 'picochain/lab/fridge-a/status');
            assert.strictEqual(birth.retain, true);
            assert.strictEqual(birth.qos, 1);
            assert.strictEqual(JSON.parse(String(birth.payload)).state, 'online');
            const frame = published.find((p) => p.topic === 'picochain/lab/fridge-a/stats');
            assert.strictEqual(frame.qos, 1);
            assert.strictEqual(frame.retain, false);
        } finally {
            await pico.stop();
        }
    });

    it('refused credentials: the board keeps retrying with backoff and keeps its frames', async () => {
        const pico = await labBoard('fridge-b', 'wrong');
        try {
            await pico.start();
            await sleep(3000);
            const s = pico.stats();
            assert.strictEqual(s.running, true);
            assert.strictEqual(s.connected, false);
            assert.ok(s.linkFailures >= 3, `retried (${s.linkFailures})`);
            assert.ok(s.buffered >= 2, `frames kept (${s.buffered})`);
            assert.ok(pico.logs().some((l) => /connection refused, code 5/.test(l)), 'the CONNACK code is logged');
        } finally {
            await pico.stop();
        }
    });
});
