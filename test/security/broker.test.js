'use strict';
// Broker identities: the same password and ACL files (written by npm run provision and by the
// real mosquitto_passwd) enforced by the embedded broker of npm start and by a real Mosquitto
// configured as docs/mosquitto.conf. Every case runs against both.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');
const services = require('../../scripts/lib/services');
const brokerAuth = require('../../scripts/lib/broker-auth');
const { provision, revoke } = require('../../scripts/lib/provision');
const { makeCerts } = require('../support/certs');
const { startDocsMosquitto, startEmbedded, addServerWithMosquittoPasswd } = require('../support/brokers');
const { until } = require('../support/wait');

const SITE = 'foodbank';
const SERVER = { user: 'picochain-server', password: 'server pass with spaces' };

describe('broker identities: password hashes and ACL rules (scripts/lib/broker-auth.js)', function () {
    it('reads hashes written by mosquitto_passwd, and writes ones of the same $7$ format', async function () {
        const dir = services.tmpDir('passwd');
        const file = path.join(dir, 'passwd');
        fs.writeFileSync(file, '');
        require('child_process').execFileSync('mosquitto_passwd', ['-b', file, 'foodbank/fridge-1', 'p4ss:word']);
        const hash = brokerAuth.parsePasswd(fs.readFileSync(file, 'utf8')).get('foodbank/fridge-1');
        assert.match(hash, /^\$7\$101\$/);
        assert.strictEqual(await brokerAuth.verifyPassword('p4ss:word', hash), true);
        assert.strictEqual(await brokerAuth.verifyPassword('p4ss:wordx', hash), false);
        const ours = brokerAuth.hashPassword('secret');
        assert.match(ours, /^\$7\$10000\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
        assert.strictEqual(await brokerAuth.verifyPassword('secret', ours), true);
        assert.strictEqual(await brokerAuth.verifyPassword('', '$7$10000$$'), false);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('evaluates the shipped ACL as Mosquitto does: boards under their own topics, the server reads and writes only desired configs', function () {
        const acl = brokerAuth.parseAcl(`${fs.readFileSync(brokerAuth.DOCS_ACL, 'utf8')}\nuser foodbank/old-1\ntopic write TOUCAN\n`);
        const who = (username) => ({ username, clientId: username });
        const table = [
            ['foodbank/fridge-1', 'write', 'picochain/foodbank/fridge-1/stats', true],
            ['foodbank/fridge-1', 'write', 'picochain/foodbank/fridge-1/status', true],
            ['foodbank/fridge-1', 'write', 'picochain/foodbank/fridge-2/status', false],
            ['foodbank/fridge-1', 'write', 'picochain/other/fridge-1/stats', false],
            ['foodbank/fridge-1', 'write', 'picochain/foodbank/fridge-1', false], // only the kinds a board publishes
            ['foodbank/fridge-1', 'write', 'picochain/foodbank/fridge-1/config', false], // its configuration comes from the server
            ['foodbank/fridge-1', 'read', 'picochain/foodbank/fridge-1/config', true],
            ['foodbank/fridge-1', 'read', 'picochain/foodbank/fridge-2/config', false],
            ['foodbank/fridge-1', 'write', 'TOUCAN', false],
            ['foodbank/fridge-1', 'read', 'picochain/foodbank/fridge-2/stats', false],
            ['foodbank/old-1', 'write', 'TOUCAN', true],
            ['picochain-server', 'read', 'picochain/foodbank/fridge-2/stats', true],
            ['picochain-server', 'read', 'TOUCAN', true],
            ['picochain-server', 'write', 'picochain/foodbank/fridge-2/stats', false],
            ['picochain-server', 'write', 'picochain/foodbank/fridge-2/config', true],
            ['picochain-server', 'write', 'picochain/picochain-server/x/stats', false],
            ['picochain-server', 'write', 'TOUCAN', false],
            ['a+b', 'write', 'picochain/a+b/x', false],
        ];
        for (const [u, want, topic, expected] of table) assert.strictEqual(brokerAuth.allowed(acl, who(u), want, topic), expected, `${u} ${want} ${topic}`);
        const subs = [
            ['foodbank/fridge-1', 'picochain/foodbank/fridge-1/config', true],
            ['foodbank/fridge-1', 'picochain/foodbank/fridge-1/#', false],
            ['foodbank/fridge-1', 'picochain/foodbank/fridge-1/+', false],
            ['foodbank/fridge-1', '#', false],
            ['foodbank/fridge-1', 'picochain/+/fridge-1/#', false],
            ['foodbank/fridge-1', 'picochain/foodbank/#', false],
            ['picochain-server', 'picochain/+/+/stats', true],
            ['picochain-server', '#', false],
        ];
        for (const [u, filter, expected] of subs) assert.strictEqual(brokerAuth.subscribeAllowed(acl, who(u), filter), expected, `${u} subscribe ${filter}`);
    });
});

for (const kind of ['aedes', 'mosquitto']) {
    describe(`broker identities enforced by the ${kind === 'aedes' ? 'embedded broker (npm start)' : 'Mosquitto of docs/mosquitto.conf'}`, function () {
        this.timeout(60000);
        let dataDir;
        let broker;
        let boards;
        let server;
        let got;
        let sentinels = 0;

        const connect = (user, password, opts = {}) => mqtt.connectAsync(broker.url, {
            username: user, password, reconnectPeriod: 0, connectTimeout: 8000, protocolVersion: 4, clean: true, ...broker.options, ...opts,
        });
        /** The error of a refused CONNECT, or null when it was accepted. */
        const refusal = (user, password, opts) => connect(user, password, opts).then((c) => { c.end(true); return null; }, (e) => e);
        const closed = (c) => new Promise((r) => { if (c.disconnected || !c.connected) r(); else c.once('close', r); });
        /** Publishes; resolves on PUBACK or when the broker drops the connection for it. */
        const tryPublish = (c, topic, payload, opts = { qos: 1 }) => Promise.race([c.publishAsync(topic, payload, opts).catch(() => {}), closed(c)]);
        /** A frame from fridge-1 on its own topic, awaited at the server: whatever was published before has been routed. */
        async function sentinel() {
            const text = `sentinel-${++sentinels}`;
            const c = await connect(boards['fridge-1'].username, boards['fridge-1'].password);
            await c.publishAsync(`picochain/${SITE}/fridge-1/stats`, text, { qos: 1 });
            await until(() => got.some((m) => m.payload === text), `${text} at the server`, 10000);
            await c.endAsync();
        }
        const received = (pred) => got.filter(pred).map((m) => `${m.topic} ${m.payload}`);

        before(async function () {
            dataDir = services.tmpDir('brokerid');
            const certs = makeCerts(path.join(dataDir, 'certs'));
            boards = {};
            for (const [device, legacy] of [['fridge-1', false], ['fridge-2', false], ['old-1', true]]) {
                boards[device] = provision({ dataDir, site: SITE, device, brokerHost: '127.0.0.1', ca: certs.ca.cert, legacy });
            }
            addServerWithMosquittoPasswd(brokerAuth.brokerFiles(dataDir).passwd, SERVER.user, SERVER.password);
            broker = kind === 'aedes' ? await startEmbedded({ dataDir }) : await startDocsMosquitto({ dataDir, certs });
            server = await connect(SERVER.user, SERVER.password, { clean: true });
            got = [];
            server.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
            const granted = await server.subscribeAsync({ 'picochain/#': { qos: 1 }, TOUCAN: { qos: 0 } });
            assert.deepStrictEqual(granted.map((g) => g.qos), [1, 0]);
        });
        after(async function () {
            if (server) server.end(true);
            if (broker) await broker.stop();
            if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
        });

        it('refuses clients without a user, with a wrong password or an unknown user', async function () {
            assert.ok(await refusal(undefined, undefined), 'anonymous');
            assert.match(String(await refusal(boards['fridge-1'].username, 'wrong')), /Bad username or password|Not authorized/);
            assert.ok(await refusal('foodbank/fridge-9', boards['fridge-1'].password), 'unknown user with another board\'s password');
            assert.ok(await refusal('fridge-1', boards['fridge-1'].password), 'the device id alone is not the user name');
        });

        it('delivers a board\'s frames and status on its own topics to the server', async function () {
            const c = await connect(boards['fridge-2'].username, boards['fridge-2'].password);
            await c.publishAsync(`picochain/${SITE}/fridge-2/stats`, 'own frame', { qos: 1 });
            await c.publishAsync(`picochain/${SITE}/fridge-2/status`, '{"state":"online"}', { qos: 1, retain: true });
            await until(() => received((m) => m.topic.startsWith(`picochain/${SITE}/fridge-2/`)).length === 2, 'both messages', 10000);
            await c.endAsync();
        });

        it('a board can write neither another board\'s readings nor its status (no retained offline left behind)', async function () {
            const c = await connect(boards['fridge-1'].username, boards['fridge-1'].password);
            await tryPublish(c, `picochain/${SITE}/fridge-2/stats`, 'forged frame');
            if (c.connected) await tryPublish(c, `picochain/${SITE}/fridge-2/status`, 'offline', { qos: 1, retain: true });
            if (c.connected) await tryPublish(c, `picochain/other-site/fridge-1/stats`, 'other site');
            c.end(true);
            await sentinel();
            assert.deepStrictEqual(received((m) => /forged|offline|other site/.test(m.payload)), []);
            // a new subscriber to fridge-2's status gets its own retained birth, not a forged offline
            const late = await connect(SERVER.user, SERVER.password);
            const retained = [];
            late.on('message', (t, p) => retained.push(p.toString()));
            await late.subscribeAsync(`picochain/${SITE}/fridge-2/status`, { qos: 1 });
            await until(() => retained.length > 0, 'the retained status', 5000);
            assert.deepStrictEqual(retained, ['{"state":"online"}']);
            await late.endAsync();
            // the server connection was taken over by `late` (one session per identity): reconnect
            if (!server.connected) {
                server = await connect(SERVER.user, SERVER.password);
                server.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
                await server.subscribeAsync({ 'picochain/#': { qos: 1 }, TOUCAN: { qos: 0 } });
            }
        });

        it('a board subscribed to # or to another board\'s topics receives none of their messages', async function () {
            const spy = await connect(boards['fridge-1'].username, boards['fridge-1'].password);
            const seen = [];
            spy.on('message', (t) => seen.push(t));
            const granted = await spy.subscribeAsync({ '#': { qos: 1 }, [`picochain/+/fridge-2/#`]: { qos: 1 }, [`picochain/${SITE}/fridge-1/config`]: { qos: 1 } })
                .catch((e) => e.packet.granted.map((qos, i) => ({ qos, i })));
            // the embedded broker refuses the wider filters outright; Mosquitto grants them and filters each message
            if (broker.kind === 'aedes') assert.deepStrictEqual(granted.map((g) => g.qos), [128, 128, 1]);
            const other = await connect(boards['fridge-2'].username, boards['fridge-2'].password);
            await other.publishAsync(`picochain/${SITE}/fridge-2/stats`, 'private', { qos: 1 });
            await until(() => got.some((m) => m.payload === 'private'), 'the frame at the server', 10000);
            // what it may read: its own desired configuration, written by the server
            await server.publishAsync(`picochain/${SITE}/fridge-1/config`, '{"v":1,"version":1,"config":{}}', { qos: 1 });
            await until(() => seen.includes(`picochain/${SITE}/fridge-1/config`), 'its own configuration', 10000);
            assert.ok(!seen.some((t) => !t.startsWith(`picochain/${SITE}/fridge-1/`)), seen.join(', '));
            await other.endAsync();
            await spy.endAsync();
        });

        it('a board cannot leave a last will on another board\'s status, nor take over its session', async function () {
            const victim = await connect(boards['fridge-2'].username, boards['fridge-2'].password, { clientId: 'fridge-2', clean: false, will: { topic: `picochain/${SITE}/fridge-2/status`, payload: 'offline', qos: 1, retain: true } });
            let victimClosed = false;
            victim.on('close', () => { victimClosed = true; });
            // fridge-1 with fridge-2's client id and a will on fridge-2's status, then a cut connection
            const err = await connect(boards['fridge-1'].username, boards['fridge-1'].password, { clientId: 'fridge-2', will: { topic: `picochain/${SITE}/fridge-2/status`, payload: 'offline-forged', qos: 1, retain: true } })
                .then((c) => { c.stream.destroy(); return null; }, (e) => e);
            if (broker.kind === 'aedes') assert.match(String(err), /Not authorized/);
            await sentinel();
            assert.deepStrictEqual(received((m) => m.payload === 'offline-forged' || m.payload === 'offline'), []);
            assert.strictEqual(victimClosed, false, 'fridge-2 kept its connection');
            victim.stream.destroy(); // no DISCONNECT: its own will is published, on its own topic
            await until(() => got.some((m) => m.payload === 'offline' && m.topic === `picochain/${SITE}/fridge-2/status`), 'fridge-2\'s own will', 10000);
        });

        it('the server identity reads everything and publishes nothing', async function () {
            const s2 = await connect(SERVER.user, SERVER.password);
            for (const t of [`picochain/${SITE}/fridge-1/stats`, 'picochain/picochain-server/x/stats', 'TOUCAN']) {
                if (s2.connected) await tryPublish(s2, t, 'from the server');
            }
            s2.end(true);
            // s2 took the server's session (same identity): subscribe again with a fresh one
            server = await connect(SERVER.user, SERVER.password);
            server.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
            await server.subscribeAsync({ 'picochain/#': { qos: 1 }, TOUCAN: { qos: 0 } });
            await sentinel();
            assert.deepStrictEqual(received((m) => m.payload === 'from the server'), []);
        });

        it('only boards provisioned with --legacy publish TOUCAN', async function () {
            const modern = await connect(boards['fridge-1'].username, boards['fridge-1'].password);
            await tryPublish(modern, 'TOUCAN', '{"noeud":"fridge-2","forged":true}', { qos: 0 });
            modern.end(true);
            const legacy = await connect(boards['old-1'].username, boards['old-1'].password);
            await legacy.publishAsync('TOUCAN', '{"noeud":"old-1"}', { qos: 0 });
            await until(() => got.some((m) => m.topic === 'TOUCAN' && m.payload.includes('old-1')), 'the legacy message', 10000);
            await legacy.endAsync();
            await sentinel();
            assert.deepStrictEqual(received((m) => m.payload.includes('forged')), []);
        });

        it('a board provisioned while the broker runs is admitted; a revoked one is disconnected and refused', async function () {
            const fresh = provision({ dataDir, site: SITE, device: 'freezer-3', brokerHost: '127.0.0.1' });
            await broker.reload();
            const c = await until(() => connect(fresh.username, fresh.password).catch(() => null), 'freezer-3 admitted', 10000, { every: 200 });
            let gone = false;
            c.on('close', () => { gone = true; });
            revoke({ dataDir, site: SITE, device: 'freezer-3' });
            await broker.reload();
            await until(() => gone, 'the revoked board disconnected', 10000, { every: 100 });
            assert.ok(await refusal(fresh.username, fresh.password), 'and refused afterwards');
            // a rotated password replaces the old one
            const old = boards['fridge-2'].password;
            const rotated = provision({ dataDir, site: SITE, device: 'fridge-2', brokerHost: '127.0.0.1', rotate: true });
            await broker.reload();
            await until(async () => (await refusal(rotated.username, old)) !== null, 'the old password refused', 10000, { every: 200 });
            const ok = await connect(rotated.username, rotated.password);
            await ok.endAsync();
        });
    });
}
