'use strict';
// Issue 4 "Done when": simulated Picos, each the real firmware in its own MicroPython instance,
// publish through a real Mosquitto; Node-RED's own `mqtt in` node hands the frames to
// picochain-decode, and its readings come from every board. Also: a board that crashes or loses
// power comes back without taking the others down.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { startMosquitto } = require('../../scripts/lib/services');
const { untilWith } = require('../support/wait');

const ROOT = path.join(__dirname, '..', '..');
const HOST = path.join(ROOT, 'sim', 'pico-host.js');
const DECODE = path.join(ROOT, 'dist', 'nodes', 'picochain-decode', 'picochain-decode.js');
const DECODE_SRC = path.join(ROOT, 'nodes', 'picochain-decode', 'picochain-decode.ts');
const BOOT_WAIT_MS = 90000; // five MicroPython instances boot on two cores, then a window each

helper.init(require.resolve('node-red'));

/** Readings out of any decode output message: one reading, or an array of them. */
function readingsOf(msg) {
    const p = msg && msg.payload;
    const list = Array.isArray(p) ? p : [p];
    return list.filter((r) => r && typeof r === 'object' && typeof r.device === 'string' && typeof r.sensor === 'string');
}

const until = untilWith({ every: 200 });

describe('simulated fleet → Mosquitto → mqtt in → picochain-decode', function () {
    this.timeout(180000);
    let broker;
    let fleet;
    const logs = [];

    before(async function () {
        if (!fs.existsSync(HOST)) this.skip(); // the MicroPython harness (sim/pico-host.js) is not in this checkout
        if (!fs.existsSync(DECODE) && !fs.existsSync(DECODE_SRC)) this.skip(); // picochain-decode is not in this checkout
        assert.ok(fs.existsSync(DECODE), 'dist/nodes/picochain-decode is missing: run `node scripts/build.js` (npm test does)');
        broker = await startMosquitto();
    });

    afterEach(async function () {
        if (fleet) { await fleet.stop(); fleet = null; }
        await helper.unload();
        if (this.currentTest && this.currentTest.state === 'failed') {
            console.log(`last fleet log lines:\n${logs.slice(-60).join('\n')}`);
        }
        logs.length = 0;
    });

    after(async function () {
        if (broker) await broker.cleanup();
    });

    /** Loads mqtt-broker + mqtt in + picochain-decode, every decode output into one helper node. */
    async function loadFlow(site, datatype) {
        const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');
        const decodeNode = require(DECODE);
        const flow = [
            { id: 'broker', type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(broker.port),
                clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
            { id: 'in', type: 'mqtt in', name: '', topic: `picochain/${site}/#`, qos: '1', datatype,
                broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['decode']] },
            // decode options left at their defaults except one message per reading
            { id: 'decode', type: 'picochain-decode', name: '', output: 'split', wires: [['out'], ['status']] },
            { id: 'out', type: 'helper' },
            { id: 'status', type: 'helper' },
        ];
        await helper.load([mqttNodes, decodeNode], flow);
        const out = helper.getNode('out');
        const byDevice = new Map();
        out.on('input', (msg) => {
            for (const r of readingsOf(msg)) {
                if (!byDevice.has(r.device)) byDevice.set(r.device, []);
                byDevice.get(r.device).push(r);
            }
        });
        byDevice.status = new Map(); // device -> last decoded status message (output 2)
        helper.getNode('status').on('input', (msg) => byDevice.status.set(msg.device, msg.payload));
        return byDevice;
    }

    async function start(site, devices, extra = {}) {
        const { startFleet } = require('../../sim/fleet');
        fleet = await startFleet({
            brokerUrl: broker.url, devices, speed: 60, site, scenario: null, seed: 4,
            log: (line) => logs.push(line), ...extra,
        });
        return fleet;
    }

    it('sees readings from all 5 simulated Picos, with plausible fridge and freezer temperatures', async function () {
        const byDevice = await loadFlow('five', 'buffer');
        await start('five', 5);
        const ids = fleet.devices.map((d) => d.id);
        assert.deepStrictEqual(ids, ['fridge-1', 'fridge-2', 'freezer-1', 'fridge-3', 'fridge-4']);
        // two windows from every board: the second proves the main loop keeps going
        await until(() => ids.every((id) => new Set((byDevice.get(id) || []).map((r) => r.seq)).size >= 2),
            () => `2 windows from each of ${ids.join(', ')}; got ${ids.map((id) => `${id}:${(byDevice.get(id) || []).length}`).join(' ')}`, BOOT_WAIT_MS);
        for (const id of ids) {
            const rs = byDevice.get(id);
            for (const r of rs) {
                assert.strictEqual(r.site, 'five');
                assert.ok(r.time instanceof Date || typeof r.time === 'string', `${id} reading has a time`);
                assert.strictEqual(typeof r.window, 'number');
            }
            const probe = rs.filter((r) => r.sensor.startsWith('probe') && r.count > 0);
            assert.ok(probe.length > 0, `${id} sends its cabinet probe (sensors: ${[...new Set(rs.map((r) => r.sensor))].join(', ')})`);
            const [lo, hi] = id.startsWith('freezer') ? [-30, -8] : [-2, 12];
            for (const r of probe) assert.ok(r.mean >= lo && r.mean <= hi, `${id} ${r.sensor} mean ${r.mean} °C outside ${lo}..${hi}`);
            const board = rs.filter((r) => r.sensor === 'temperature' && r.count > 0);
            for (const r of board) assert.ok(r.mean > 5 && r.mean < 40, `${id} onboard sensor reads the room: ${r.mean} °C`);
            const st = byDevice.status.get(id);
            assert.ok(st, `${id} published its retained birth status`);
        }
    });

    it('shows a failed compressor as warning then alarm, in binary frames at 600×', async function () {
        const byDevice = await loadFlow('alarm', 'buffer');
        // 600×: a model hour in 6 s; the fridge warms ~3 °C an hour from the start
        await start('alarm', 2, { speed: 600, format: 'binary', scenario: { faults: [{ at: 0, device: 'fridge-1', fault: 'compressor' }] } });
        const probe = (id) => (byDevice.get(id) || []).filter((r) => r.sensor === 'probe1');
        await until(() => probe('fridge-1').some((r) => r.state === 2),
            () => `an alarm from fridge-1 (last: ${JSON.stringify(probe('fridge-1').slice(-1)[0] || null)})`, BOOT_WAIT_MS);
        const states = probe('fridge-1').map((r) => r.state);
        const firstWarn = states.indexOf(1); const firstAlarm = states.indexOf(2);
        assert.ok(firstWarn >= 0 && firstWarn < firstAlarm, `warning before alarm: ${states.join('')}`);
        const alarm = probe('fridge-1')[firstAlarm];
        assert.strictEqual(alarm.source, 'binary-v1');
        assert.ok(alarm.mean >= 9.5, `alarm at ${alarm.mean} °C (threshold 10, hysteresis 0.5)`);
        assert.ok(probe('fridge-2').length > 0 && probe('fridge-2').every((r) => r.state !== 2), 'the healthy fridge never alarms');
    });

    it('replays the windows of a Wi-Fi outage in order, and reports an unplugged probe', async function () {
        const byDevice = await loadFlow('outage', 'buffer');
        await start('outage', 2);
        const probe = (id) => (byDevice.get(id) || []).filter((r) => r.sensor === 'probe1');
        await until(() => probe('fridge-1').length >= 2 && probe('fridge-2').length >= 2, 'two windows from each board', BOOT_WAIT_MS);
        await fleet.inject('fridge-1', 'wifi', { duration: '8m' }); // 8 model minutes = 8 s real
        await fleet.inject('fridge-2', 'probe', { duration: '4m' });
        const seqAtCut = Math.max(...probe('fridge-1').map((r) => r.seq));
        await until(() => probe('fridge-1').some((r) => r.seq >= seqAtCut + 12), 'fridge-1 windows after the outage', 60000);
        // every window, in seq order, none lost: the ring held them during the outage. A frame whose
        // PUBACK the cut swallowed may come twice (QoS 1); decode flags the second as a replay.
        const all = probe('fridge-1');
        const firsts = all.filter((r, i) => all.findIndex((x) => x.seq === r.seq) === i);
        assert.ok(all.filter((r) => !firsts.includes(r)).every((r) => r.replay === true), 'a duplicate is marked replay');
        const seqs = firsts.map((r) => r.seq);
        assert.deepStrictEqual(seqs, seqs.map((_, i) => seqs[0] + i), `fridge-1 seqs ${all.map((r) => r.seq).join(',')}`);
        const times = firsts.map((r) => new Date(r.time).getTime());
        assert.ok(times.every((t, i) => i === 0 || t - times[i - 1] === 60000),
            `original window timestamps, 60 s apart: gaps ${times.slice(1).map((t, i) => (t - times[i]) / 1000).join(',')} s (seqs ${seqs.join(',')})`);
        const st = fleet.status().find((d) => d.id === 'fridge-1');
        assert.ok(st.pico.replayed >= 5, `fridge-1 replayed ${st.pico.replayed} frames`);
        // the unplugged probe: windows without samples, with a fault, then samples again
        const p2 = probe('fridge-2');
        const empty = p2.filter((r) => r.count === 0);
        assert.ok(empty.length >= 2, `fridge-2 windows without samples: ${p2.map((r) => r.count).join(',')}`);
        assert.ok(empty.every((r) => r.mean === null && typeof r.fault === 'string'), JSON.stringify(empty[0]));
        await until(() => probe('fridge-2').slice(-1)[0].count === 6, 'fridge-2 probe back', 30000);
    });

    it('keeps the fleet running when one board crashes or loses power, and brings it back', async function () {
        const byDevice = await loadFlow('robust', 'buffer');
        await start('robust', 3);
        const ids = fleet.devices.map((d) => d.id);
        const windows = (id) => new Set((byDevice.get(id) || []).map((r) => r.seq)).size;
        await until(() => ids.every((id) => windows(id) >= 1), 'a window from every board', BOOT_WAIT_MS);
        fleet.crash('fridge-1'); // its worker dies as an uncaught error would
        await fleet.inject('fridge-2', 'power', { duration: '3m' }); // RAM lost, reboots after 3 model min
        const before = Object.fromEntries(ids.map((id) => [id, (byDevice.get(id) || []).length]));
        await until(() => (byDevice.get('freezer-1') || []).length >= before['freezer-1'] + 4, 'freezer-1 keeps publishing', 30000);
        await until(() => ids.every((id) => (byDevice.get(id) || []).length > before[id]),
            () => `every board publishing again (${ids.map((id) => `${id}:${(byDevice.get(id) || []).length - before[id]}`).join(' ')})`, BOOT_WAIT_MS);
        const st = Object.fromEntries(fleet.status().map((d) => [d.id, d]));
        assert.strictEqual(st['fridge-1'].workerRestarts, 1);
        // the restarted worker's cabinet is where it would have been: the model is deterministic
        const snap = await new Promise((resolve) => fleet.once('state', function on(id, s) {
            if (id === 'fridge-1') resolve(s); else fleet.once('state', on);
        }));
        const { ThermalModel } = require('../../sim/thermal');
        const replay = new ThermalModel({ kind: 'fridge', seed: 4 }).advanceTo(snap.t); // board 0 of seed 4
        assert.strictEqual(snap.airC, replay.airC);
        // boots comes with the worker's state report (every real second): it may lag the first frames
        await until(() => fleet.status().find((d) => d.id === 'fridge-2').boots >= 2,
            () => `fridge-2 booted again after the power cut (boots ${fleet.status().find((d) => d.id === 'fridge-2').boots})`, 10000);
    });
});
