'use strict';
// The fleet runner's pure parts (scenarios, board mix, firmware config, clock start), the config
// checked by the real firmware's own parser in MicroPython, and the command line (help, bad
// flags, a run against Mosquitto that Ctrl-C stops cleanly).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const fleetLib = require('../../sim/fleet');

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'sim', 'cli.js');
const HOST = path.join(ROOT, 'sim', 'pico-host.js');
const broker = fleetLib.parseBrokerUrl('mqtt://127.0.0.1:1883');

function run(args, { timeoutMs = 10000, input, onLine } = {}) {
    return new Promise((resolve) => {
        const c = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = ''; let err = '';
        c.stdout.on('data', (d) => { out += d; if (onLine) onLine(out, c); });
        c.stderr.on('data', (d) => { err += d; });
        if (input !== undefined) c.stdin.end(input);
        const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
        c.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err }); });
    });
}

describe('sim fleet: scenarios, board mix, firmware config', function () {
    it('mixes 2 fridges : 1 freezer with ids counted per kind', function () {
        assert.deepStrictEqual(fleetLib.defaultDevices(6).map((d) => d.id),
            ['fridge-1', 'fridge-2', 'freezer-1', 'fridge-3', 'fridge-4', 'freezer-2']);
        const more = fleetLib.defaultDevices(4, [{ id: 'fridge-7', kind: 'fridge' }, { id: 'cellar', kind: 'freezer' }]);
        assert.deepStrictEqual(more.map((d) => d.id), ['fridge-7', 'cellar', 'freezer-1', 'fridge-8']);
        assert.deepStrictEqual(fleetLib.defaultDevices(1, [{ id: 'a', kind: 'fridge' }, { id: 'b', kind: 'fridge' }]).map((d) => d.id), ['a']);
    });

    it('loads every shipped scenario, and the default one makes a fridge compressor fail', function () {
        const dir = path.join(ROOT, 'sim', 'scenarios');
        for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
            const sc = fleetLib.loadScenario(path.join(dir, f));
            assert.ok(sc.devices.length > 0, f);
            for (const fault of sc.faults) assert.ok(sc.devices.some((d) => d.id === fault.device), `${f}: ${fault.device}`);
        }
        const def = fleetLib.loadScenario(undefined);
        assert.strictEqual(def.devices.length, 6);
        const comp = def.faults.find((f) => f.fault === 'compressor');
        assert.ok(comp && /^fridge-/.test(comp.device), 'a fridge compressor fails');
        assert.deepStrictEqual(fleetLib.loadScenario(null), { devices: [], faults: [] });
    });

    it('refuses bad scenarios with a message naming the problem', function () {
        assert.throws(() => fleetLib.loadScenario({ devices: [{ id: 'a b' }] }), /device id "a b"/);
        assert.throws(() => fleetLib.loadScenario({ devices: [{ id: 'a' }, { id: 'a' }] }), /listed twice/);
        assert.throws(() => fleetLib.loadScenario({ devices: [{ id: 'a', kind: 'oven' }] }), /kind must be/);
        assert.throws(() => fleetLib.loadScenario({ faults: [{ fault: 'meteor', device: 'a' }] }), /fault "meteor" unknown/);
        assert.throws(() => fleetLib.loadScenario({ faults: [{ fault: 'door', device: 'a', at: 'soon' }] }), /bad duration/);
        assert.throws(() => fleetLib.loadScenario('/nonexistent/x.json'), /scenario \/nonexistent\/x.json/);
    });

    it('refuses bad options before starting anything', async function () {
        const { startFleet } = fleetLib;
        await assert.rejects(startFleet({}), /brokerUrl is required/);
        await assert.rejects(startFleet({ brokerUrl: 'mqtt://127.0.0.1:1', devices: 0 }), /devices must be/);
        await assert.rejects(startFleet({ brokerUrl: 'mqtt://127.0.0.1:1', format: 'xml' }), /format must be/);
        await assert.rejects(startFleet({ brokerUrl: 'mqtt://127.0.0.1:1', site: 'a/b' }), /site/);
        await assert.rejects(startFleet({ brokerUrl: 'not a url' }), /Invalid URL/);
    });

    it('makes valid DS18B20 ROM codes (family 0x28, Dallas CRC-8), distinct per probe', function () {
        const crc8 = (bytes) => {
            let crc = 0;
            for (let b of bytes) for (let i = 0; i < 8; i++) { const mix = (crc ^ b) & 1; crc >>= 1; if (mix) crc ^= 0x8C; b >>= 1; }
            return crc;
        };
        const roms = ['fridge-1', 'fridge-2'].flatMap((d) => [1, 2].map((i) => fleetLib.romCode(d, i)));
        assert.strictEqual(new Set(roms).size, 4);
        for (const hex of roms) {
            const b = Buffer.from(hex, 'hex');
            assert.strictEqual(b.length, 8);
            assert.strictEqual(b[0], 0x28);
            assert.strictEqual(crc8(b), 0, `${hex} CRC`);
        }
    });

    it('starts the boards\' clock a day back by default, so "last 24 h" views show it at once', function () {
        const now = Date.now();
        assert.ok(Math.abs(fleetLib.wallStart(undefined, 60) - (now - 24 * 3600e3)) < 1000);
        assert.ok(Math.abs(fleetLib.wallStart(undefined, 600) - (now - 24 * 3600e3)) < 1000);
        assert.ok(Math.abs(fleetLib.wallStart(undefined, 1) - now) < 1000);
        assert.ok(Math.abs(fleetLib.wallStart('now', 60) - now) < 1000);
        assert.ok(Math.abs(fleetLib.wallStart('2d', 60) - (now - 2 * 86400e3)) < 1000);
        assert.strictEqual(fleetLib.wallStart('2026-01-01T00:00:00Z', 60), Date.parse('2026-01-01T00:00:00Z'));
    });

    it('writes a firmware config with the cabinet\'s thresholds, that the real firmware accepts', async function () {
        const cfg = fleetLib.deviceConfig({
            id: 'freezer-1', kind: 'freezer', site: 'demo', broker, format: 'binary',
            roms: [fleetLib.romCode('freezer-1', 1)], extra: { window_s: 120 },
        });
        assert.strictEqual(cfg.thresholds.default.alarm_high, -12);
        assert.strictEqual(cfg.window_s, 120);
        assert.deepStrictEqual(cfg.broker, { host: '127.0.0.1', port: 1883, tls: false, user: null, password: null });
        if (!fs.existsSync(HOST) || !fs.existsSync(path.join(ROOT, 'firmware', 'config.py'))) this.skip();
        const { createPython } = require(HOST);
        const py = await createPython({ config: cfg });
        py.mp.runPython('import config\n_c = config.load()\n_t = _c["thresholds"]["default"]["alarm_high"]\n_f = _c["format"]');
        assert.strictEqual(py.mp.globals.get('_t'), -12);
        assert.strictEqual(py.mp.globals.get('_f'), 'binary');
        // an unknown key is refused by the firmware, so the fleet must not invent any
        const bad = await createPython({ config: { ...cfg, colour: 'blue' } });
        bad.mp.runPython('import config\ntry:\n    config.load()\n    _e = None\nexcept config.ConfigError as e:\n    _e = str(e)');
        assert.match(bad.mp.globals.get('_e'), /unknown key colour/);
    });

    it('reads the seq of JSON and binary frames', function () {
        assert.strictEqual(fleetLib.frameSeq(Buffer.from('{"v":1,"seq":42}')), 42);
        const bin = Buffer.alloc(24); bin[0] = 0x18; bin.writeUInt16LE(7, 2);
        assert.strictEqual(fleetLib.frameSeq(bin), 7);
        assert.strictEqual(fleetLib.frameSeq(Buffer.from('offline')), null);
    });
});

describe('sim command line', function () {
    this.timeout(60000);

    it('prints its help', async function () {
        const r = await run(['--help']);
        assert.strictEqual(r.code, 0);
        for (const flag of ['--devices', '--speed', '--broker', '--scenario', '--format', '--site']) assert.ok(r.out.includes(flag), flag);
    });

    it('exits 2 with a message on a bad flag', async function () {
        const r = await run(['--devices', 'many']);
        assert.strictEqual(r.code, 2);
        assert.match(r.err, /--devices needs a positive integer/);
        const r2 = await run(['--frobnicate']);
        assert.strictEqual(r2.code, 2);
        assert.match(r2.err, /unknown option --frobnicate/);
    });

    it('runs boards against Mosquitto, takes commands on stdin, and stops cleanly on Ctrl-C', async function () {
        if (!fs.existsSync(HOST)) this.skip();
        const { startMosquitto } = require('../../scripts/lib/services');
        const mosq = await startMosquitto();
        try {
            let sent = false;
            const r = await run(['--devices', '2', '--broker', mosq.url, '--scenario', 'none', '--site', 'clitest', '--status-every', '1'], {
                timeoutMs: 50000,
                onLine: (out, child) => {
                    // once both boards publish, inject a fault by stdin, then Ctrl-C
                    if (!sent && /fridge-2\s.*windows\s+[1-9]/.test(out) && /fridge-1\s.*windows\s+[1-9]/.test(out)) {
                        sent = true;
                        child.stdin.write('inject fridge-1 door 5m\n');
                        setTimeout(() => child.kill('SIGINT'), 1500);
                    }
                },
            });
            assert.ok(sent, `boards never published:\n${r.out.slice(-2000)}\n${r.err}`);
            assert.strictEqual(r.code, 0, r.err);
            assert.match(r.out, /fridge-1 fault door at .* for 0h05m/);
            assert.match(r.out, /fleet stopped/);
        } finally {
            await mosq.cleanup();
        }
    });
});
