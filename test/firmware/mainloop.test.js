// The firmware's real main loop (firmware/main.py, asyncio) in MicroPython, publishing to a real
// Mosquitto, on an accelerated clock: windows, outages, replay, last will, birth, config errors.
'use strict';
const assert = require('assert');
const mqtt = require('mqtt');
const { createPico } = require('../../sim/pico-host');
const { startMosquitto, freePort } = require('../../scripts/lib/services');
const { sleep, untilWith } = require('../support/wait');
const { tcpProxy, withoutRepeats } = require('./helpers');

const until = untilWith({ every: 25 });
const SPEED = 60; // one 60 s window per real second

function subscriber(url, topic) {
    const got = [];
    const c = mqtt.connect(url, { clientId: `test-${process.pid}-${Date.now()}`, clean: false, reconnectPeriod: 200 });
    c.on('message', (t, m, packet) => got.push({ topic: t, text: m.toString('utf8'), bytes: m, retain: packet.retain, at: Date.now() }));
    return new Promise((resolve, reject) => {
        c.once('error', reject);
        c.once('connect', () => c.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve({ c, got }))));
    });
}

function boardConfig(port, extra = {}) {
    return {
        device: 'fridge-1', site: 'lab',
        wifi: { ssid: 'test', password: 'x' },
        broker: { host: '127.0.0.1', port, keepalive_s: 60 },
        sample_s: 10, window_s: 60,
        // short backoff so reconnection after an outage takes a few real ms at 60x
        backoff: { base_ms: 1000, max_ms: 20000, jitter: 0.5 },
        ...extra,
    };
}

describe('firmware main loop against a real Mosquitto (accelerated clock)', function () {
    this.timeout(60000);
    let broker;
    let sub;
    let pico;

    before(async () => { broker = await startMosquitto(); });
    after(async () => { if (broker) await broker.cleanup(); });
    afterEach(async () => {
        if (pico) { await pico.stop(); pico = null; }
        if (sub) { sub.c.end(true); sub = null; }
    });

    it('delivers every window once (exact QoS 1 repeats aside), in order, with original seq and ts across a silent broker, a refused broker and a Wi-Fi loss', async () => {
        sub = await subscriber(broker.url, 'picochain/lab/fridge-1/#');
        const proxy = await tcpProxy(broker.port);
        let wifi = true;
        const t0 = 1764000000000; // the board's wall clock at start (2025-11-24T16:00:00Z)
        pico = await createPico({
            config: boardConfig(proxy.port),
            hardware: {
                adcRaw: () => 14050, // about 23.6 °C
                probes: [{ rom: '28aa000000000001', readC: () => 4.25 }],
                wifiUp: () => wifi,
            },
            clock: { speed: SPEED, wallStartMs: t0 },
        });
        const bootS = pico.now() / 1000;
        await pico.start();
        // a frame resent under load (PUBACK lost or late) arrives again byte for byte: one delivery;
        // a different frame under a seq already seen, or a missing window, still fails the seqs check
        const stats = () => withoutRepeats(sub.got.filter((m) => m.topic.endsWith('/stats'))).map((m) => ({ ...JSON.parse(m.text), at: m.at }));
        const diag = () => `got seqs ${stats().map((f) => f.seq)}; board ${JSON.stringify(pico.stats())}`;
        await until(() => stats().length >= 3, () => `3 windows before the outage ${diag()}`, 15000);

        // 1) the broker goes silent (connections stay open, nothing comes back: no PUBACK, no
        //    CONNACK, no PINGRESP), then 2) refuses connections, for about 3 windows each
        const cutAt = pico.stats().seq;
        proxy.mode('blackhole');
        await sleep(3000);
        assert.ok(pico.stats().buffered >= 2, `frames wait in the ring (buffered ${pico.stats().buffered})`);
        proxy.mode('refuse');
        await sleep(3000);
        const during = pico.stats();
        assert.ok(during.buffered >= 4, `frames wait in the ring during the outage (buffered ${during.buffered})`);
        assert.strictEqual(during.connected, false);
        proxy.mode('pass');
        await until(() => pico.stats().buffered === 0 && pico.stats().connected, () => `replay after the broker came back ${diag()}`, 15000);
        await until(() => stats().length >= pico.stats().seq, () => `the subscriber to catch up ${diag()}`, 10000);

        // 3) Wi-Fi drops for about 3 windows: the broker publishes the last will
        wifi = false;
        await sleep(3000);
        assert.ok(pico.stats().buffered >= 2, 'frames wait in the ring while Wi-Fi is down');
        wifi = true;
        await until(() => pico.stats().buffered === 0 && pico.stats().connected, () => `replay after Wi-Fi came back ${diag()}`, 15000);
        const lastSeq = pico.stats().seq; // windows closed so far: 0 .. lastSeq-1
        await until(() => stats().length >= lastSeq, () => `every window at the subscriber ${diag()}`, 10000);
        proxy.close();

        const frames = stats();
        const seqs = frames.map((f) => f.seq);
        assert.deepStrictEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i), `each window once, in order: ${seqs}`);
        assert.ok(seqs.length >= lastSeq);
        assert.ok(lastSeq >= cutAt + 8, `windows kept closing during the outages (${cutAt} -> ${lastSeq})`);
        // original timestamps: the board's window ends, exactly 60 s apart, whenever they were delivered
        for (let i = 1; i < frames.length; i++) {
            const d = frames[i].ts - frames[i - 1].ts;
            assert.strictEqual(d, 60, `ts step ${d} s between seq ${i - 1} and ${i}`);
        }
        assert.ok(frames.every((f) => f.synced === true && f.window === 60), 'synced 60 s windows');
        assert.ok(bootS >= t0 / 1000, 'the board clock starts at wallStartMs');
        assert.ok(frames[0].ts - bootS >= 60 && frames[0].ts - bootS <= 120, `first window ends 60 s after boot (${frames[0].ts - bootS})`);
        // replayed frames arrived minutes after their window ended, in board time, ts unchanged
        const boardS = (realMs) => (pico.clock.wallStartMs + (realMs - pico.clock.epochMs) * SPEED) / 1000;
        const late = frames.filter((f) => f.seq >= cutAt && f.seq < cutAt + 3); // closed in the outage
        assert.ok(late.length === 3);
        for (const f of late) assert.ok(boardS(f.at) - f.ts > 120, `seq ${f.seq} replayed ${boardS(f.at) - f.ts} s after its window`);
        for (const f of frames) {
            assert.strictEqual(f.sensors.length, 2);
            const [onboard, probe] = f.sensors;
            assert.strictEqual(onboard.sensor, 'temperature');
            assert.strictEqual(onboard.count, 6);
            assert.strictEqual(probe.sensor, 'probe1');
            assert.strictEqual(probe.mean, 4.25);
            assert.strictEqual(probe.std, 0);
            assert.strictEqual(probe.state, 0);
            assert.strictEqual(onboard.state, 2, 'onboard 23.6 °C is above the 10 °C alarm bound');
        }
        // status: births after each connection, `offline` from the will while Wi-Fi was down
        const status = sub.got.filter((m) => m.topic.endsWith('/status')).map((m) => m.text);
        const births = status.filter((t) => t.startsWith('{')).map((t) => JSON.parse(t));
        assert.ok(births.length >= 3, `a birth per connection (${births.length})`);
        assert.ok(births.every((b) => b.state === 'online' && b.fw === '1.0.0' && b.boot >= 1));
        assert.ok(births.some((b) => b.buffered >= 4), 'a birth reports the backlog it is about to replay');
        assert.ok(status.includes('offline'), 'the last will was published when the board dropped off');
        const st = pico.stats();
        assert.ok(st.replayed >= 6, `replayed ${st.replayed}`);
        assert.strictEqual(st.dropped, 0);
    });

    it('replays after the broker process itself restarts (persistent session)', async () => {
        pico = await createPico({
            config: { ...boardConfig(broker.port), device: 'fridge-9', onewire_pin: null },
            hardware: { adcRaw: () => 14050, probes: [] },
            clock: { speed: SPEED },
        });
        await pico.start();
        await until(() => pico.stats().published >= 2, 'two frames published', 15000);
        await broker.stop();
        let buffered;
        try {
            await sleep(3000);
            buffered = pico.stats().buffered;
        } finally {
            await broker.restart(); // the next tests need it, whatever happened
        }
        assert.ok(buffered >= 2, `frames wait in the ring (${buffered})`);
        // watch the broker side: a subscriber from now on sees the board's replay
        sub = await subscriber(broker.url, 'picochain/lab/fridge-9/stats');
        await until(() => pico.stats().buffered === 0 && pico.stats().connected, 'replay after the restart', 15000);
        const st = pico.stats();
        assert.strictEqual(st.dropped, 0);
        assert.ok(st.replayed >= buffered, `replayed ${st.replayed} >= ${buffered}`);
        assert.strictEqual(st.published, st.windows, 'every closed window was PUBACKed by the broker');
    });

    it('sends binary frames and raw samples when configured, and the retained status stays `offline` after stop', async () => {
        sub = await subscriber(broker.url, 'picochain/lab/fridge-2/#');
        pico = await createPico({
            config: { ...boardConfig(broker.port), device: 'fridge-2', format: 'binary', send: 'both', onewire_pin: null },
            hardware: { adcRaw: () => 14050, probes: [] },
            clock: { speed: SPEED },
        });
        await pico.start();
        await until(() => sub.got.filter((m) => m.topic.endsWith('/stats')).length >= 2, 'two binary windows', 15000);
        const bin = sub.got.filter((m) => m.topic.endsWith('/stats'));
        for (const m of bin) {
            assert.strictEqual(m.bytes.length, 24, 'one 24-byte record (onboard sensor only)');
            assert.strictEqual(m.bytes[0] >> 4, 1, 'version 1');
            assert.strictEqual(m.bytes[1], 0, 'sensor temperature');
            assert.strictEqual(m.bytes.readUInt16LE(10), 6, 'count');
        }
        assert.strictEqual(bin[1].bytes.readUInt16LE(2), bin[0].bytes.readUInt16LE(2) + 1, 'seq + 1');
        const raw = sub.got.filter((m) => m.topic.endsWith('/raw'));
        assert.ok(raw.length >= 12, `raw frames every sample (${raw.length})`);
        assert.ok(raw.every((m) => m.bytes.length === 24 && m.bytes.readUInt16LE(8) === 0), 'raw: window 0');
        await pico.stop();
        pico = null;
        // a fresh subscriber gets the retained status: the goodbye `offline`
        const late = await subscriber(broker.url, 'picochain/lab/fridge-2/status');
        await until(() => late.got.length > 0, 'retained status', 5000);
        assert.strictEqual(late.got[0].text, 'offline');
        assert.strictEqual(late.got[0].retain, true);
        late.c.end(true);
    });

    it('window boundaries with a probe failing mid-run: partial windows, an empty window with its fault', async () => {
        sub = await subscriber(broker.url, 'picochain/lab/fridge-7/stats');
        let reads = 0; // the first read is the bus scan at boot, then one per sample
        pico = await createPico({
            config: { ...boardConfig(broker.port), device: 'fridge-7', window_s: 30 },
            hardware: {
                adcRaw: () => 14050,
                probes: [{ rom: '28aa000000000007', readC: () => { reads++; return reads >= 12 && reads <= 18 ? null : 3.5; } }],
            },
            clock: { speed: SPEED },
        });
        await pico.start();
        const frames = () => sub.got.map((m) => JSON.parse(m.text));
        await until(() => frames().length >= 7, 'seven 30 s windows', 20000);
        const probe = frames().map((f) => f.sensors.find((x) => x.sensor === 'probe1'));
        const onboard = frames().map((f) => f.sensors.find((x) => x.sensor === 'temperature'));
        // samples 11..17 fail: windows of 3 samples -> counts 3 3 3 1 0 1 3
        assert.deepStrictEqual(probe.slice(0, 7).map((p) => p.count), [3, 3, 3, 1, 0, 1, 3]);
        assert.deepStrictEqual(onboard.slice(0, 7).map((p) => p.count), [3, 3, 3, 3, 3, 3, 3], 'the onboard sensor is unaffected');
        const empty = probe[4];
        assert.deepStrictEqual([empty.min, empty.max, empty.mean, empty.std, empty.slope, empty.last], [null, null, null, null, null, null]);
        assert.strictEqual(empty.fault, 'no-samples');
        assert.ok(probe[3].fault === undefined && probe[3].mean === 3.5 && probe[3].std === 0 && probe[3].slope === null, 'a one-sample window');
        assert.deepStrictEqual(frames().slice(0, 7).map((f) => f.window), [30, 30, 30, 30, 30, 30, 30]);
        const ts = frames().map((f) => f.ts);
        for (let i = 1; i < 7; i++) assert.ok(Math.abs(ts[i] - ts[i - 1] - 30) <= 1, 'windows end 30 s apart (to the rounding of ts)');
    });

    it('a power cut keeps the flash ring: the next boot replays the spilled frames, boot count + 1', async () => {
        const port = await freePort(); // first boot: no broker at all
        const ringCfg = { size: 2, flash: true, flash_batch: 2, flash_files: 8 };
        const hw = { adcRaw: () => 14050, probes: [] };
        let first = await createPico({ config: { ...boardConfig(port), device: 'fridge-8', onewire_pin: null, ring: ringCfg }, hardware: hw, clock: { speed: SPEED } });
        await first.start();
        await until(() => (first.stats().windows || 0) >= 7, 'seven windows buffered', 15000);
        const flash = first.files();
        first.kill(); // power cut: RAM (the 2 newest frames and the unspilled batch) is lost
        first = null;
        const spilled = Object.keys(flash).filter((f) => f.startsWith('/spool/'));
        assert.ok(spilled.length >= 2, `batch files on flash (${spilled})`);
        assert.strictEqual(flash['/boots'].toString(), '1');
        sub = await subscriber(broker.url, 'picochain/lab/fridge-8/#');
        pico = await createPico({ config: { ...boardConfig(broker.port), device: 'fridge-8', onewire_pin: null, ring: ringCfg }, files: flash, hardware: hw, clock: { speed: SPEED } });
        await pico.start();
        const delivered = () => withoutRepeats(sub.got.filter((m) => m.topic.endsWith('/stats'))); // exact QoS 1 repeats are one delivery
        await until(() => delivered().length >= spilled.length * 2, 'the flash frames', 15000);
        const seqs = delivered().map((m) => JSON.parse(m.text).seq);
        // the first boot's oldest frames come first, in order, then the new boot counts from 0 again
        assert.deepStrictEqual(seqs.slice(0, spilled.length * 2), Array.from({ length: spilled.length * 2 }, (_, i) => i));
        const birth = JSON.parse(sub.got.find((m) => m.topic.endsWith('/status')).text);
        assert.strictEqual(birth.boot, 2);
        assert.ok(birth.buffered >= spilled.length * 2, `the birth announces the backlog (${birth.buffered})`);
    });

    it('without NTP: frames say synced false and carry seconds since boot', async () => {
        sub = await subscriber(broker.url, 'picochain/lab/fridge-6/#');
        pico = await createPico({
            config: { ...boardConfig(broker.port), device: 'fridge-6', onewire_pin: null },
            hardware: { adcRaw: () => 14050, probes: [] },
            clock: { speed: SPEED },
            ntp: false,
        });
        await pico.start();
        // distinct frames: a QoS 1 frame whose PUBACK was late (a loaded host at 60×) comes again as it was
        const stats = () => withoutRepeats(sub.got.filter((m) => m.topic.endsWith('/stats'))).map((m) => JSON.parse(m.text));
        await until(() => stats().length >= 2, 'two windows', 15000);
        const [a, b] = stats();
        assert.strictEqual(a.synced, false);
        assert.ok(a.ts >= 60 && a.ts <= 120, `ts ${a.ts} = seconds since boot`);
        // one window later: stamped from the schedule, so however late a busy host ran the board at 60×
        assert.strictEqual(b.ts - a.ts, 60, `windows ${a.ts} → ${b.ts}`);
        const birth = JSON.parse(sub.got.find((m) => m.topic.endsWith('/status')).text);
        assert.strictEqual(birth.synced, false);
    });

    it('legacy mode publishes the original TOUCAN messages (QoS 0)', async () => {
        sub = await subscriber(broker.url, 'TOUCAN');
        pico = await createPico({
            config: { ...boardConfig(broker.port), device: 'pico_1', legacy: 'raw', onewire_pin: null },
            hardware: { adcRaw: () => 14050, probes: [] },
            clock: { speed: SPEED, wallStartMs: Date.UTC(2024, 2, 12, 14, 5, 0) },
        });
        await pico.start();
        await until(() => sub.got.length >= 3, 'three TOUCAN messages', 15000);
        const m = JSON.parse(sub.got[0].text);
        assert.deepStrictEqual(Object.keys(m), ['datetime', 'noeud', 'capteur', 'metrique', 'valeur']);
        assert.strictEqual(m.noeud, 'pico_1');
        assert.strictEqual(m.capteur, 'temperature');
        assert.strictEqual(m.metrique, 'brute');
        // minutes and seconds as the board wrote them: no zero padding (the accelerated clock may have passed 14:05 on a busy machine)
        assert.match(m.datetime, /^2024-3-12 14:([1-9]?\d):([1-9]?\d)$/, 'the original hand-made date, no zero padding');
        assert.ok(Math.abs(m.valeur - (27 - (14050 * 3.3 / 65535 - 0.706) / 0.001721)) < 1e-4);
    });

    it('legacy messages are not buffered while offline (the window frames keep the ring)', async () => {
        const port = await freePort();
        pico = await createPico({
            config: { ...boardConfig(port), device: 'pico_2', legacy: 'raw', onewire_pin: null },
            hardware: { adcRaw: () => 14050, probes: [] },
            clock: { speed: SPEED },
            led: false,
        });
        await pico.start();
        await until(() => (pico.stats().windows || 0) >= 2, 'two windows', 10000);
        const s = pico.stats();
        assert.strictEqual(s.buffered, s.windows, 'only window frames wait in the ring');
        assert.ok(s.legacySkipped >= 6, `legacy messages skipped (${s.legacySkipped})`);
    });

    /** Starts `pico` with no broker to reach (the link just retries); `exit` is what onExit got, null until then. */
    async function startEndingBoard() {
        const ended = { exit: null };
        pico = await createPico({
            config: boardConfig(await freePort()),
            hardware: { adcRaw: () => 14050, probes: [] },
            clock: { speed: SPEED },
            onExit: (e) => { ended.exit = e; },
        });
        await pico.start();
        return ended;
    }

    it('the emulated watchdog resets a board whose sampler hangs', async () => {
        const ended = await startEndingBoard();
        await sleep(500);
        assert.strictEqual(ended.exit, null, 'fed while the sampler runs');
        // hang the sampler: its next sensor read never returns
        pico.runPython('import main\nasync def _hang():\n    import asyncio\n    await asyncio.Event().wait()\nmain._app.sensors.read = _hang');
        await until(() => ended.exit !== null, 'the watchdog reset', 10000);
        assert.strictEqual(ended.exit.code, 'WDT');
    });

    it('a task that crashes ends main() with its error (on the board: reset), reported to onExit', async () => {
        const ended = await startEndingBoard();
        await sleep(300);
        pico.runPython('import main\nasync def _boom():\n    raise ValueError("sensor exploded")\nmain._app.sensors.read = _boom');
        await until(() => ended.exit !== null, 'main() to end', 10000);
        assert.ok(ended.exit instanceof Error);
        assert.match(ended.exit.message, /sensor exploded/);
        assert.notStrictEqual(ended.exit.code, 'WDT', 'the crash ends main() at once, before the watchdog');
    });

    it('a missing config.json: clear console message and the config LED pattern, no crash', async () => {
        const lines = [];
        pico = await createPico({ config: null, hardware: {}, clock: { speed: 10 }, log: (l) => lines.push(l) });
        await pico.start();
        await sleep(600);
        assert.ok(lines.some((l) => /CONFIG ERROR: no config.json on the board/.test(l)), lines.join('\n'));
        const st = pico.stats();
        assert.strictEqual(st.running, true, 'the firmware keeps running (blinking), it does not crash');
        assert.ok(st.ledChanges >= 4, `the LED blinks the config pattern (${st.ledChanges} changes)`);
    });
});
