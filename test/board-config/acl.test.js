'use strict';
// The broker ACL firmware/PROTOCOL.md gives for remote configuration, read from that file and
// loaded into a real Mosquitto with per-device users: only the server's identity writes desired
// configurations, a board reads its own and nobody else's, and still publishes its own topics.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');
const { execFileSync } = require('child_process');
const { startMosquitto, tmpDir } = require('../../scripts/lib/services');
const { sleep, untilWith } = require('../support/wait');

const until = untilWith({ ms: 10000, every: 20 });
const PROTOCOL = path.join(__dirname, '..', '..', 'firmware', 'PROTOCOL.md');

/** The ACL block of PROTOCOL.md ("**Broker ACL.**" then a fenced block). */
function documentedAcl() {
    const text = fs.readFileSync(PROTOCOL, 'utf8');
    const m = /\*\*Broker ACL\.\*\*[\s\S]*?```\n([\s\S]*?)```/.exec(text);
    assert.ok(m, 'PROTOCOL.md has a Broker ACL block');
    return m[1];
}

describe('remote configuration: the documented broker ACL (Mosquitto)', function () {
    this.timeout(30000);
    let broker;
    let dir;
    const clients = [];
    // boards log in as <site>/<device> (npm run provision)
    const USERS = { 'lab/fridge-1': 'pw-f1', 'lab/fridge-2': 'pw-f2', 'picochain-server': 'pw-server' };

    before(async () => {
        dir = tmpDir('acl');
        const pw = path.join(dir, 'passwd');
        for (const [i, [u, p]] of Object.entries(USERS).entries()) execFileSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', pw, u, p], { stdio: 'ignore' });
        fs.writeFileSync(path.join(dir, 'acl'), documentedAcl());
        broker = await startMosquitto({ extraConfig: ['allow_anonymous false', `password_file ${pw}`, `acl_file ${path.join(dir, 'acl')}`] });
    });
    after(async () => {
        for (const c of clients) c.end(true);
        if (broker) await broker.cleanup();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    async function client(user) {
        const c = mqtt.connect(broker.url, { username: user, password: USERS[user], clientId: `${user.replace('/', '-')}-${clients.length}`, reconnectPeriod: 0, protocolVersion: 5 });
        clients.push(c);
        c.got = [];
        c.on('message', (topic, p) => c.got.push({ topic, text: p.toString() }));
        await new Promise((resolve, reject) => { c.once('connect', resolve); c.once('error', reject); });
        return c;
    }

    it('the server writes a board\'s desired config; that board reads it, another board cannot', async () => {
        const server = await client('picochain-server');
        await server.publishAsync('picochain/lab/fridge-1/config', '{"v":1,"version":1,"config":{}}', { qos: 1, retain: true });
        const f1 = await client('lab/fridge-1');
        const f2 = await client('lab/fridge-2');
        await f1.subscribeAsync('picochain/lab/fridge-1/config', { qos: 1 });
        await f2.subscribeAsync('picochain/lab/fridge-1/config', { qos: 1 });
        await until(() => f1.got.length === 1, 'fridge-1 gets its desired config');
        await sleep(300);
        assert.deepStrictEqual(f2.got, [], 'fridge-2 does not read fridge-1\'s');
    });

    it('a board cannot write a desired config (its own or another\'s), and still publishes its frames and status', async () => {
        const server = await client('picochain-server');
        await server.subscribeAsync('picochain/#', { qos: 1 });
        const f1 = await client('lab/fridge-1');
        for (const t of ['picochain/lab/fridge-1/config', 'picochain/lab/fridge-2/config']) {
            // MQTT 5: the broker answers "not authorised" (reason 135) and drops the message
            await assert.rejects(f1.publishAsync(t, '{"v":1,"version":99,"config":{"window_s":3600}}', { qos: 1 }), (e) => e.code === 135);
        }
        await f1.publishAsync('picochain/lab/fridge-1/stats', 'frame', { qos: 1 });
        await f1.publishAsync('picochain/lab/fridge-1/status', 'offline', { qos: 1, retain: true });
        await until(() => server.got.some((m) => m.topic.endsWith('/status')), 'the status');
        assert.deepStrictEqual(server.got.filter((m) => !m.text.startsWith('{"v":1,"version":1')).map((m) => m.topic), ['picochain/lab/fridge-1/stats', 'picochain/lab/fridge-1/status']);
    });
});
