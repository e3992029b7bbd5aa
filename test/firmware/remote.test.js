// Remote configuration in the real firmware (firmware/remote.py through main.py's loop), in
// MicroPython against a real Mosquitto at 60x: the shared vectors, live changes, refusals, a power
// cut at each point of the flash write, new broker and Wi-Fi settings with their fallback.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');
const { createPico } = require('../../sim/pico-host');
const { startMosquitto, freePort } = require('../../scripts/lib/services');
const { sleep, untilWith } = require('../support/wait');
const { firmwarePython, tcpProxy, withoutRepeats } = require('./helpers');
const VECTORS = require('../vectors/config.json');

const until = untilWith({ ms: 15000, every: 25 });
const SPEED = 60; // one 60 s window per real second
const SITE = 'lab';

/** Value at a dotted path ("thresholds.default.warn_high"). */
const at = (o, p) => p.split('.').reduce((a, k) => (a === null || a === undefined ? undefined : a[k]), o);

describe('remote configuration: the config checks in MicroPython agree with the shared vectors', function () {
    this.timeout(30000);
    let fw;
    before(async () => {
        fw = await firmwarePython();
        // MicroPython parses the vectors itself (1e400 must reach it as inf, not as JSON.stringify's null)
        fw.mp.globals.set('__vtext', fs.readFileSync(path.join(__dirname, '..', 'vectors', 'config.json'), 'utf8'));
        fw.exec('import config\nV = json.loads(__vtext)');
    });

    VECTORS.cases.forEach((c, i) => {
        it(`${c.name}: ${c.error === null ? 'accepted' : c.error}`, () => {
            fw.exec(`c = V["cases"][${i}]\nb = c.get("base", V["base"])\no = c["remote"]`);
            fw.exec(`try:
    __s = config.settings(config.build(b, o, ${c.tls ? 'True' : 'False'}))
    __e = None
except config.ConfigError as e:
    __s = None
    __e = str(e)`);
            assert.strictEqual(fw.py('__e'), c.error);
            const s = fw.py('__s');
            for (const [p, v] of Object.entries(c.expect || {})) assert.deepStrictEqual(at(s, p), v, p);
            if (c.error === null) assert.ok(!JSON.stringify(s).includes('s3cret') && !('password' in s.wifi), 'no secret in the reported settings');
        });
    });
});

describe('remote configuration: stored state at boot (remote.py, no network)', function () {
    this.timeout(30000);
    const SITE_CFG = { device: 'd', broker: { host: 'h' } };

    async function bootWith(files) {
        const fw = await firmwarePython({ files: { '/config.json': JSON.stringify(SITE_CFG), ...files } });
        fw.exec('import remote, config, os\nr = remote.Remote(config.load_site(), lambda m: None)\ncfg = r.boot()');
        const stored = () => fw.py("remote.read_json('remote.json')");
        return { fw, cfg: fw.py('cfg'), r: fw.py('[r.version, r.last, r.result, r.reason]'), stored, ls: fw.py("sorted(os.listdir('/'))") };
    }

    it('a torn remote.json.new (power cut mid-write) is removed and the last good remote.json used', async () => {
        const good = { version: 3, config: { window_s: 300 }, ok: true, prev: null, last: { version: 3, result: 'applied', reason: null } };
        const b = await bootWith({ '/remote.json': JSON.stringify(good), '/remote.json.new': '{"version": 4, "config": {"wind' });
        assert.strictEqual(b.cfg.window_s, 300);
        assert.deepStrictEqual(b.r.slice(0, 3), [3, 3, 'applied']);
        assert.ok(!b.ls.includes('remote.json.new'), `leftover removed: ${b.ls}`);
    });

    it('an unreadable remote.json boots config.json alone', async () => {
        const b = await bootWith({ '/remote.json': '{"version": 3, "con' });
        assert.strictEqual(b.cfg.window_s, 60);
        assert.deepStrictEqual(b.r.slice(0, 3), [0, null, 'none']);
    });

    it('a stored config that config.json no longer allows is set aside and reported', async () => {
        const st = { version: 5, config: { window_s: 5 }, ok: true, last: { version: 5, result: 'applied' } };
        const fw = await firmwarePython({ files: { '/config.json': JSON.stringify({ ...SITE_CFG, sample_s: 10 }), '/remote.json': JSON.stringify(st) } });
        fw.exec('import remote, config\nr = remote.Remote(config.load_site(), print)\ncfg = r.boot()');
        assert.strictEqual(fw.py("cfg['window_s']"), 60);
        assert.deepStrictEqual(fw.py('[r.version, r.last, r.result, r.reason]'), [0, 5, 'refused', 'stored version 5 no longer valid: window_s must be an integer from sample_s to 3600']);
    });

    it('a config under which the board keeps restarting before a first window is rolled back to the one before', async () => {
        const st = { version: 7, config: { window_s: 120 }, ok: false, boots: 0, prev: { version: 6, config: { window_s: 300 } }, last: { version: 7, result: 'applied' } };
        let files = { '/remote.json': JSON.stringify(st) };
        const seen = [];
        for (let boot = 1; boot <= 3; boot++) {
            const b = await bootWith(files);
            seen.push([b.cfg.window_s, b.r[0], b.r[2]]);
            files = { '/remote.json': JSON.stringify(b.stored()) };
        }
        // boots 1 and 2 still run version 7 (counted); the third goes back to version 6
        assert.deepStrictEqual(seen, [[120, 7, 'applied'], [120, 7, 'applied'], [300, 6, 'refused']]);
        const last = JSON.parse(files['/remote.json']);
        assert.strictEqual(last.version, 6);
        assert.strictEqual(last.ok, true);
        assert.deepStrictEqual(last.last, { version: 7, result: 'refused', reason: 'version 7 rolled back: the board restarted 2 times with it' });
    });
});

describe('remote configuration: the real main loop against Mosquitto (60x)', function () {
    this.timeout(90000);
    let broker;
    let ctl; // the server's side: publishes desired configs, reads status and frames
    const got = [];
    const boards = [];
    const devicesUsed = new Set();

    before(async () => {
        broker = await startMosquitto();
        ctl = mqtt.connect(broker.url, { clientId: `remote-test-${process.pid}`, clean: true, reconnectPeriod: 200 });
        ctl.on('message', (topic, payload, packet) => got.push({ topic, text: payload.toString('utf8'), retain: packet.retain, at: Date.now() }));
        await new Promise((resolve, reject) => { ctl.once('error', reject); ctl.once('connect', resolve); });
        await new Promise((resolve, reject) => ctl.subscribe([`picochain/${SITE}/+/stats`, `picochain/${SITE}/+/status`], { qos: 1 }, (e) => (e ? reject(e) : resolve())));
    });
    afterEach(async () => { while (boards.length) await boards.pop().stop(); });
    after(async () => {
        if (ctl) {
            // leave no retained config behind on the broker
            for (const d of devicesUsed) await new Promise((r) => ctl.publish(`picochain/${SITE}/${d}/config`, '', { qos: 1, retain: true }, r));
            await new Promise((r) => ctl.end(false, {}, r));
        }
        if (broker) await broker.cleanup();
    });

    const push = (device, version, config, extra = {}) => {
        devicesUsed.add(device);
        return new Promise((resolve, reject) => ctl.publish(`picochain/${SITE}/${device}/config`, JSON.stringify({ v: 1, version, config, ...extra }), { qos: 1, retain: true }, (e) => (e ? reject(e) : resolve())));
    };
    const frames = (device) => got.filter((m) => m.topic === `picochain/${SITE}/${device}/stats`).map((m) => JSON.parse(m.text));
    // frames without exact repeats: a QoS 1 frame whose PUBACK a dropped connection lost is sent
    // again, byte for byte (same seq and ts); a different frame under a seen seq still shows
    const delivered = (device) => withoutRepeats(got.filter((m) => m.topic === `picochain/${SITE}/${device}/stats`)).map((m) => JSON.parse(m.text));
    const reports = (device) => got.filter((m) => m.topic === `picochain/${SITE}/${device}/status` && m.text.startsWith('{')).map((m) => JSON.parse(m.text).config).filter(Boolean);
    const lastReport = (device) => reports(device).slice(-1)[0] || {};

    async function board(device, { port = broker.port, extra = {}, files, hardware = {} } = {}) {
        const pico = await createPico({
            config: {
                device, site: SITE, wifi: { ssid: 'foodbank', password: 'wifi-secret' },
                broker: { host: '127.0.0.1', port, keepalive_s: 60 }, onewire_pin: null,
                backoff: { base_ms: 1000, max_ms: 8000, jitter: 0.5 }, ...extra,
            },
            files,
            hardware: { adcRaw: () => 14050, probes: [], ...hardware },
            clock: { speed: SPEED },
        });
        boards.push(pico);
        await pico.start();
        return pico;
    }
    const stored = (pico) => { const f = pico.files()['/remote.json']; return f ? JSON.parse(f.toString()) : {}; };

    it('a running board goes from 60 s to 300 s windows: its next frames follow, the status reports version 1 applied', async () => {
        const pico = await board('fridge-1');
        await until(() => frames('fridge-1').length >= 2, 'two 60 s windows');
        await push('fridge-1', 1, { window_s: 300 });
        await until(() => lastReport('fridge-1').applied === 1, () => `the applied report (${JSON.stringify(reports('fridge-1'))})`);
        const rep = lastReport('fridge-1');
        assert.strictEqual(rep.result, 'applied');
        assert.strictEqual(rep.last, 1);
        assert.strictEqual(rep.settings.window_s, 300);
        assert.strictEqual(rep.settings.wifi.ssid, 'foodbank');
        assert.ok(!JSON.stringify(rep).includes('wifi-secret'), 'no secret in the report');
        // what the report adds to each birth, as the board writes it (firmware/README.md, bandwidth)
        const raw = got.filter((m) => m.topic === `picochain/${SITE}/fridge-1/status` && m.text.startsWith('{')).slice(-1)[0].text;
        const start = raw.indexOf('"config"');
        let end = raw.indexOf('{', start);
        for (let depth = 0; ; end++) { if (raw[end] === '{') depth++; if (raw[end] === '}' && --depth === 0) break; }
        const added = end + 1 - start + 2; // "config": {...} and its ", " separator
        assert.ok(added > 300 && added < 520, `config report ${added} bytes`);
        await until(() => delivered('fridge-1').filter((f) => f.window === 300).length >= 3, 'three 300 s windows', 20000);
        const fs = delivered('fridge-1');
        assert.deepStrictEqual(fs.map((f) => f.seq), fs.map((_, i) => i), 'one seq per window, no gap');
        const first300 = fs.findIndex((f) => f.window === 300);
        assert.ok(fs.slice(0, first300).every((f) => f.window <= 60), `60 s windows, then 300 s ones: ${fs.map((f) => f.window)}`);
        for (let i = 1; i < fs.length; i++) {
            // every frame's ts is its window's end: the step to the next is that next window's length
            assert.strictEqual(fs[i].ts - fs[i - 1].ts, fs[i].window, `ts step ${fs[i].ts - fs[i - 1].ts} for a ${fs[i].window} s window`);
        }
        for (const f of fs.slice(first300)) if (f.window === 300) assert.strictEqual(f.sensors[0].count, 30, '30 samples of 10 s');
        const st = stored(pico);
        assert.strictEqual(st.version, 1);
        assert.deepStrictEqual(st.config, { window_s: 300 });
        assert.strictEqual(st.ok, true, 'confirmed once a window closed with it');
        assert.strictEqual(pico.stats().configVersion, 1);
    });

    it('invalid, secret-carrying, identity-changing and stale configs are refused with their reason; the board keeps its last good settings', async () => {
        const pico = await board('fridge-2');
        await until(() => frames('fridge-2').length >= 1, 'a first window');
        const refusedAs = async (version, config, reason) => {
            await push('fridge-2', version, config);
            await until(() => lastReport('fridge-2').last === version, () => `the report on version ${version}: ${JSON.stringify(lastReport('fridge-2'))}`);
            assert.deepStrictEqual({ ...lastReport('fridge-2'), settings: undefined }, { applied: lastReport('fridge-2').applied, last: version, result: 'refused', reason, settings: undefined });
        };
        await refusedAs(1, { window_s: 7200 }, 'window_s must be an integer from sample_s to 3600');
        await refusedAs(2, { wifi: { ssid: 'x', password: 'y' } }, 'wifi.password is sent only over TLS');
        await refusedAs(3, { device: 'fridge-3' }, "device is the board's identity: set it in config.json");
        await refusedAs(4, { thresholds: { probe1: { warn_high: 'hot' } } }, 'thresholds.probe1.warn_high must be a number or null');
        assert.strictEqual(lastReport('fridge-2').applied, 0, 'nothing applied');
        await push('fridge-2', 6, { sample_s: 20, window_s: 120 });
        await until(() => lastReport('fridge-2').applied === 6, 'version 6 applied');
        await refusedAs(5, { window_s: 300 }, 'version 5 is older than the applied version 6');
        await refusedAs(6, { window_s: 300 }, 'version 6 was applied with other settings');
        // 7 s samples: a 120 s window would really cover 126 s
        await refusedAs(7, { sample_s: 7, window_s: 120 }, 'window_s must be a whole multiple of sample_s');
        await until(() => frames('fridge-2').filter((f) => f.window === 120).length >= 2, 'the good settings run on');
        const n = frames('fridge-2').length;
        await until(() => frames('fridge-2').length >= n + 2, 'more windows');
        assert.ok(frames('fridge-2').slice(n).every((f) => f.window === 120 && f.sensors[0].count === 6), '120 s windows of 20 s samples');
        // a message no server should send is refused without a version
        devicesUsed.add('fridge-2');
        await new Promise((r) => ctl.publish(`picochain/${SITE}/fridge-2/config`, 'not json', { qos: 1, retain: true }, r));
        await until(() => lastReport('fridge-2').reason === 'config message is not valid JSON', 'refused garbage');
        assert.strictEqual(lastReport('fridge-2').last, null);
        await new Promise((r) => ctl.publish(`picochain/${SITE}/fridge-2/config`, JSON.stringify({ v: 1, version: 7, config: { window_s: 60 }, pad: 'x'.repeat(5000) }), { qos: 1, retain: true }, r));
        await until(() => lastReport('fridge-2').reason === 'config message over 4096 bytes', 'refused oversize message');
        assert.ok(pico.stats().connected, 'the link stayed up through all of it');
        const st = stored(pico);
        assert.strictEqual(st.version, 6);
        assert.deepStrictEqual(st.config, { sample_s: 20, window_s: 120 });
    });

    it('the refusal survives a restart: the retained refused version is not tried again', async () => {
        let pico = await board('fridge-5');
        await push('fridge-5', 2, { window_s: 30, sample_s: 60 });
        await until(() => lastReport('fridge-5').result === 'refused', 'refused');
        const flash = pico.files();
        await pico.stop();
        boards.length = 0;
        const before = reports('fridge-5').length;
        pico = await board('fridge-5', { files: flash });
        await until(() => reports('fridge-5').length > before, 'the birth after the restart');
        await until(() => frames('fridge-5').length >= 3, 'windows');
        await sleep(500);
        const after = reports('fridge-5').slice(before);
        assert.ok(after.every((r) => r.result === 'refused' && r.last === 2 && r.applied === 0), JSON.stringify(after));
        assert.ok(pico.logs().filter((l) => l.includes('refused')).length === 0, 'not checked again after the restart');
    });

    it('a failure while handling a desired config is reported as a refusal and never resets the board', async () => {
        const pico = await board('fridge-8');
        await until(() => frames('fridge-8').length >= 1, 'running');
        // stands for any bug on that path: without the guard the retained message would reset the board at every boot
        pico.runPython("import config\ndef _boom(*a):\n    raise TypeError('boom')\nconfig.build = _boom");
        await push('fridge-8', 1, { window_s: 120 });
        await until(() => lastReport('fridge-8').result === 'refused', 'refused');
        assert.match(lastReport('fridge-8').reason, /^not handled: TypeError\('boom'/);
        const n = frames('fridge-8').length;
        await until(() => frames('fridge-8').length >= n + 2, 'windows go on');
        assert.ok(pico.running && pico.stats().wdtResets === 0, 'no reset');
    });

    for (const cut of [
        // keeps: the version the flash holds after the cut, window: its window_s
        { what: 'mid-write of the new file (half its bytes)', op: 'write', fraction: 0.5, prev: true, keeps: 1, window: 120 },
        { what: 'after the write, before the rename', op: 'rename', when: 'before', prev: true, keeps: 1, window: 120 },
        { what: 'right after the rename', op: 'rename', when: 'after', prev: true, keeps: 2, window: 300 },
        { what: 'mid-write of the very first remote config', op: 'write', fraction: 0.3, prev: false, keeps: 0, window: 60 },
    ]) {
        it(`a power cut ${cut.what}: the board comes back with a valid config, then applies the retained one`, async () => {
            const dev = `fridge-p${cut.op[0]}${cut.when ? cut.when[0] : ''}${cut.prev ? 1 : 0}`;
            let pico = await board(dev);
            if (cut.prev) {
                await push(dev, 1, { window_s: 120 });
                await until(() => pico.running && stored(pico).ok === true, 'version 1 applied and confirmed');
            } else {
                await until(() => frames(dev).length >= 1, 'running');
            }
            const cutDone = pico.cutPowerAt({ path: 'remote.json', op: cut.op, fraction: cut.fraction, when: cut.when });
            await push(dev, 2, { window_s: 300, format: 'binary' });
            const flash = await cutDone;
            boards.length = 0;
            // what the flash holds: config.json untouched, remote.json whole (old or new), maybe a torn .new
            assert.strictEqual(JSON.parse(flash['/config.json'].toString()).device, dev);
            const kept = flash['/remote.json'] ? JSON.parse(flash['/remote.json'].toString()) : null;
            assert.strictEqual(kept ? kept.version : 0, cut.keeps);
            if (cut.op === 'write') assert.ok(flash['/remote.json.new'], 'the torn new file is there');
            const births = reports(dev).length;
            pico = await board(dev, { files: flash });
            await until(() => reports(dev).length > births, 'a birth after the power cut');
            const boot = reports(dev)[births];
            assert.strictEqual(boot.applied, cut.keeps, `booted on the last good config: ${JSON.stringify(boot)}`);
            assert.strictEqual(boot.settings.window_s, cut.window);
            await until(() => lastReport(dev).applied === 2, 'the retained version 2 applied');
            await until(() => got.filter((m) => m.topic === `picochain/${SITE}/${dev}/stats` && !m.text.startsWith('{')).length >= 1, 'binary frames');
            assert.ok(!pico.files()['/remote.json.new'], 'no leftover');
            assert.strictEqual(stored(pico).version, 2);
        });
    }

    it('new broker settings: a failing test connection is refused and the board stays; a working one is switched to', async () => {
        const a = await tcpProxy(broker.port);
        const b = await tcpProxy(broker.port);
        const dead = await freePort();
        try {
            const pico = await board('fridge-6', { port: a.port });
            await until(() => frames('fridge-6').length >= 1, 'frames through proxy A');
            await push('fridge-6', 1, { broker: { port: dead } });
            await until(() => lastReport('fridge-6').result === 'refused', 'refused after the test connection');
            assert.match(lastReport('fridge-6').reason, new RegExp(`^test connection to 127\\.0\\.0\\.1:${dead} failed: `));
            assert.ok(reports('fridge-6').some((r) => r.result === 'testing' && r.last === 1), 'reported "testing" first');
            assert.strictEqual(a.accepted, 1, 'the session through A was never dropped');
            await push('fridge-6', 2, { broker: { port: b.port } });
            await until(() => lastReport('fridge-6').applied === 2, 'switched to B');
            assert.strictEqual(lastReport('fridge-6').settings.broker.port, b.port);
            const nB = b.bytesUp;
            await until(() => b.bytesUp > nB + 500 && a.open === 0, 'frames now go through B, A is closed');
            const fs = delivered('fridge-6');
            assert.deepStrictEqual(fs.map((f) => f.seq), fs.map((_, i) => i), 'no window lost across the switch');
            assert.strictEqual(stored(pico).config.broker.port, b.port);
        } finally { a.close(); b.close(); }
    });

    it('new Wi-Fi settings that do not join: back on the old network after the trial, refused; ones that join are kept', async () => {
        const joinable = new Set(['foodbank', 'foodbank-2']);
        const pico = await board('fridge-7', { hardware: { wifiJoin: (ssid) => joinable.has(ssid) } });
        await until(() => frames('fridge-7').length >= 1, 'running');
        await push('fridge-7', 1, { wifi: { ssid: 'neighbour' } });
        // the trial lasts 120 board seconds (2 real s at 60x), then the old network comes back
        await until(() => lastReport('fridge-7').result === 'refused', 'refused after the trial', 20000);
        assert.match(lastReport('fridge-7').reason, /^no connection with the new Wi-Fi settings in 120 s \(.*\): back on the previous ones$/);
        assert.strictEqual(lastReport('fridge-7').settings.wifi.ssid, 'foodbank');
        await push('fridge-7', 2, { wifi: { ssid: 'foodbank-2' } });
        await until(() => lastReport('fridge-7').applied === 2, 'the joinable network kept');
        assert.strictEqual(lastReport('fridge-7').settings.wifi.ssid, 'foodbank-2');
        const n = pico.stats().windows;
        await until(() => pico.stats().buffered === 0 && delivered('fridge-7').length >= n, 'every window delivered');
        const fs = delivered('fridge-7');
        assert.deepStrictEqual(fs.map((f) => f.seq), fs.map((_, i) => i), 'windows of the outage replayed in order');
    });
});
