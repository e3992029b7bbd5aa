'use strict';
// npm run provision, then the real firmware (MicroPython) with the config.json and ca.pem it
// wrote: TLS to a real Mosquitto configured as docs/mosquitto.conf, the broker's certificate
// checked against the board's CA and host name, so a look-alike broker never gets the password.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const tls = require('tls');
const mqtt = require('mqtt');
const services = require('../../scripts/lib/services');
const brokerAuth = require('../../scripts/lib/broker-auth');
const { createPico } = require('../../sim/pico-host');
const { provision } = require('../../scripts/lib/provision');
const { makeCerts } = require('../support/certs');
const { firmwarePython } = require('../firmware/helpers');
const { startDocsMosquitto, addServerWithMosquittoPasswd } = require('../support/brokers');
const { until } = require('../support/wait');

const PROVISION = path.join(__dirname, '..', '..', 'scripts', 'provision.js');
const run = (args) => spawnSync(process.execPath, [PROVISION, ...args], { encoding: 'utf8' });

describe('npm run provision (scripts/provision.js)', function () {
    this.timeout(30000);
    let dataDir;
    let certs;
    before(() => {
        dataDir = services.tmpDir('provision');
        certs = makeCerts(path.join(dataDir, 'certs'));
    });
    after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    it('creates <site>/<device> in the password file and a config.json (0600) the firmware accepts, printing no password', async function () {
        const mosq = path.join(dataDir, 'etc-passwd');
        const r = run(['--site', 'foodbank', '--device', 'fridge-1', '--broker-host', 'broker.lan', '--ca', certs.ca.cert,
            '--wifi-ssid', 'foodbank-iot', '--wifi-password', 'wifi pass', '--data', dataDir, '--mosquitto-passwd', mosq]);
        assert.strictEqual(r.status, 0, r.stderr);
        const dir = path.join(dataDir, 'boards', 'foodbank', 'fridge-1');
        const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
        assert.deepStrictEqual({ ...config.broker, password: typeof config.broker.password },
            { host: 'broker.lan', port: 8883, tls: true, ca: 'ca.pem', user: 'foodbank/fridge-1', password: 'string' });
        assert.ok(config.broker.password.length >= 24);
        assert.deepStrictEqual([config.device, config.site, config.wifi.ssid, config.wifi.password], ['fridge-1', 'foodbank', 'foodbank-iot', 'wifi pass']);
        assert.strictEqual(fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'), certs.ca.pem);
        assert.ok(!r.stdout.includes(config.broker.password) && !r.stderr.includes(config.broker.password), 'the password is not printed');
        assert.match(r.stdout, /mpremote cp config\.json ca\.pem :/);
        for (const f of [path.join(dir, 'config.json'), brokerAuth.brokerFiles(dataDir).passwd, mosq]) {
            assert.strictEqual(fs.statSync(f).mode & 0o777, 0o600, f);
            if (f !== path.join(dir, 'config.json')) {
                const hash = brokerAuth.parsePasswd(fs.readFileSync(f, 'utf8')).get('foodbank/fridge-1');
                assert.ok(await brokerAuth.verifyPassword(config.broker.password, hash), `${f} holds the hash`);
                assert.ok(!fs.readFileSync(f, 'utf8').includes(config.broker.password));
            }
        }
        // the board's own validation, in real MicroPython
        const fw = await firmwarePython();
        fw.set('text', JSON.stringify(config));
        fw.exec('import config\ncfg = config.parse(text)');
        assert.deepStrictEqual(fw.py('[cfg["broker"]["tls"], cfg["broker"]["ca"], cfg["broker"]["user"]]'), [true, 'ca.pem', 'foodbank/fridge-1']);
    });

    it('refuses to overwrite a board unless --rotate, removes it with --revoke, and says what is wrong in one line', function () {
        const again = run(['--site', 'foodbank', '--device', 'fridge-1', '--broker-host', 'broker.lan', '--data', dataDir]);
        assert.strictEqual(again.status, 2);
        assert.match(again.stderr, /foodbank\/fridge-1 is already provisioned: --rotate/);
        const before = fs.readFileSync(brokerAuth.brokerFiles(dataDir).passwd, 'utf8');
        assert.strictEqual(run(['--site', 'foodbank', '--device', 'fridge-1', '--broker-host', 'broker.lan', '--data', dataDir, '--rotate']).status, 0);
        assert.notStrictEqual(fs.readFileSync(brokerAuth.brokerFiles(dataDir).passwd, 'utf8'), before, 'a new hash');
        for (const [args, re] of [
            [['--site', 'food bank', '--device', 'x', '--broker-host', 'h'], /--site must be 1-32 of/],
            [['--site', 'a', '--device', 'b'], /--broker-host is required/],
            [['--site', 'a', '--device', 'b', '--broker-host', 'h', '--ca', '/nonexistent.pem'], /--ca \/nonexistent\.pem: no such file/],
            [['--bogus'], /unknown option --bogus/],
        ]) {
            const r = run([...args, '--data', dataDir]);
            assert.strictEqual(r.status, 2, r.stderr);
            assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
            assert.match(r.stderr, re);
        }
        assert.strictEqual(run(['--revoke', '--site', 'foodbank', '--device', 'fridge-1', '--data', dataDir, '--mosquitto-passwd', path.join(dataDir, 'etc-passwd')]).status, 0);
        for (const f of [brokerAuth.brokerFiles(dataDir).passwd, path.join(dataDir, 'etc-passwd')]) assert.ok(!fs.readFileSync(f, 'utf8').includes('foodbank/fridge-1'), f);
        assert.match(run(['--revoke', '--site', 'foodbank', '--device', 'fridge-1', '--data', dataDir]).stderr, /not provisioned/);
    });

    it('keeps the owner and mode of an existing Mosquitto file (mosquitto must still read it)', function () {
        if (!(process.getuid && process.getuid() === 0)) this.skip(); // changing owners needs root
        const f = path.join(dataDir, 'owned-passwd');
        fs.writeFileSync(f, '', { mode: 0o640 });
        fs.chmodSync(f, 0o640);
        fs.chownSync(f, 1, 1);
        assert.strictEqual(run(['--site', 'foodbank', '--device', 'fridge-5', '--broker-host', 'h', '--data', dataDir, '--mosquitto-passwd', f]).status, 0);
        const st = fs.statSync(f);
        assert.deepStrictEqual([st.uid, st.gid, st.mode & 0o777], [1, 1, 0o640]);
    });

    it('the firmware refuses broker.tls without broker.ca, naming the key', async function () {
        const fw = await firmwarePython();
        fw.set('text', JSON.stringify({ device: 'd', broker: { host: 'h', tls: true } }));
        assert.throws(() => fw.exec('import config\nconfig.parse(text)'), /broker\.tls needs broker\.ca/);
    });
});

describe('firmware TLS with a provisioned board (real MicroPython, Mosquitto as docs/mosquitto.conf)', function () {
    this.timeout(60000);
    let dataDir;
    let certs;
    let broker;
    let board;
    before(async function () {
        dataDir = services.tmpDir('fwtls');
        certs = makeCerts(path.join(dataDir, 'certs'));
        const r = run(['--site', 'foodbank', '--device', 'fridge-7', '--broker-host', 'localhost', '--ca', certs.ca.cert, '--data', dataDir]);
        assert.strictEqual(r.status, 0, r.stderr);
        const dir = path.join(dataDir, 'boards', 'foodbank', 'fridge-7');
        board = { config: JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), ca: fs.readFileSync(path.join(dir, 'ca.pem')) };
        addServerWithMosquittoPasswd(brokerAuth.brokerFiles(dataDir).passwd, 'picochain-server', 'server-pw');
        broker = await startDocsMosquitto({ dataDir, certs });
    });
    after(async function () {
        if (broker) await broker.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** The provisioned board at 60x, its broker port replaced; `lines` collects its log. */
    const boot = (port, lines) => createPico({
        config: { ...board.config, broker: { ...board.config.broker, port }, onewire_pin: null, backoff: { base_ms: 200, max_ms: 1000, jitter: 0 } },
        files: { '/ca.pem': board.ca },
        hardware: { adcRaw: () => 14050 },
        clock: { speed: 60 },
        led: false,
        log: (l) => lines.push(l),
    });

    it('connects over TLS after checking the broker\'s certificate, and its frames and status arrive', async function () {
        const server = await mqtt.connectAsync(broker.url, { username: 'picochain-server', password: 'server-pw', reconnectPeriod: 0, ...broker.options });
        const got = [];
        server.on('message', (t) => got.push(t));
        await server.subscribeAsync('picochain/#', { qos: 1 });
        const lines = [];
        const pico = await boot(broker.port, lines);
        try {
            await pico.start();
            await until(() => got.includes('picochain/foodbank/fridge-7/stats') && got.includes('picochain/foodbank/fridge-7/status'), () => `frames over TLS; board log:\n${lines.join('\n')}`, 20000, { every: 50 });
        } finally {
            await pico.stop();
            await server.endAsync();
        }
    });

    it('the simulated fleet too: each board with its own provisioned identity, over TLS', async function () {
        const { startFleet } = require('../../sim/fleet');
        const server = await mqtt.connectAsync(broker.url, { username: 'picochain-server', password: 'server-pw', reconnectPeriod: 0, ...broker.options });
        const got = new Set();
        server.on('message', (t) => got.add(t));
        await server.subscribeAsync('picochain/#', { qos: 1 });
        const fleet = await startFleet({
            brokerUrl: `mqtts://localhost:${broker.port}`, caPem: certs.ca.pem, devices: 2, speed: 60, scenario: null, site: 'foodbank', monitor: false,
            credentials: (site, device) => { const p = provision({ dataDir, site, device, brokerHost: 'localhost', rotate: true }); return { user: p.username, password: p.password }; },
        });
        try {
            await broker.reload();
            const ids = fleet.devices.map((d) => d.id);
            await until(() => ids.every((d) => got.has(`picochain/foodbank/${d}/stats`)), () => `frames of ${ids}: ${[...got]}`, 60000, { every: 100 });
        } finally {
            await fleet.stop();
            await server.endAsync();
        }
    });

    /** A TLS server with `cert` that records every byte a client sends once the handshake is done. */
    async function lookAlike(cert) {
        const seen = { handshakes: 0, refused: 0, bytes: 0 };
        const srv = tls.createServer({ cert: fs.readFileSync(cert.cert), key: fs.readFileSync(cert.key) }, (s) => {
            seen.handshakes++;
            s.on('data', (d) => { seen.bytes += d.length; });
            s.on('error', () => {});
        });
        srv.on('tlsClientError', () => { seen.refused++; });
        await new Promise((r) => srv.listen(0, '127.0.0.1', r));
        return { seen, port: srv.address().port, close: () => new Promise((r) => srv.close(r)) };
    }

    for (const [what, pick] of [['another CA signed', (c) => c.rogueServer], ['our CA signed for another host name', (c) => c.otherHost]]) {
        it(`never sends its password to a broker whose certificate ${what}`, async function () {
            const fake = await lookAlike(pick(certs));
            const lines = [];
            const pico = await boot(fake.port, lines);
            try {
                await pico.start();
                // refused attempts, and a window closed meanwhile (60 board seconds, 1 s at 60x)
                await until(() => pico.stats().linkFailures >= 3 && pico.stats().buffered >= 1, () => `3 refused attempts and a frame; board log:\n${lines.join('\n')}`, 20000, { every: 50 });
                assert.strictEqual(pico.stats().connected, false);
                assert.ok(lines.some((l) => /TLS: broker certificate refused/.test(l)), lines.join('\n'));
                assert.strictEqual(fake.seen.bytes, 0, 'not one byte of MQTT (no CONNECT, no password) reached it');
            } finally {
                await pico.stop();
                await fake.close();
            }
        });
    }
});
