'use strict';
// picochain-decode's bounds and identity rules (issue 10), table-driven: every numeric field has a
// plausible range, the same for JSON and binary; a payload device or site must match the topic's;
// "device": null is refused; legacy sensors need a known unit; ids are checked before any use.
const assert = require('assert');
const { encodeBinaryFrame } = require('../../dist/nodes/shared/codec');
const { Decoder, DecodeError } = require('../../dist/nodes/picochain-decode/core');

const NOW = new Date('2026-11-24T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const STATS = 'picochain/foodbank/fridge-1/stats';
const TTN_PATTERN = 'v3/+/devices/+device/+kind';

function frame(over = {}, sensorOver = {}) {
    return {
        v: 1, device: 'fridge-1', site: 'foodbank', seq: 42, ts: NOW_S - 60, synced: true, window: 60,
        sensors: [{ sensor: 'temperature', unit: '°C', count: 6, min: 3.91, max: 4.42, mean: 4.1, std: 0.18, slope: 0.05, last: 4.2, state: 0, ...sensorOver }],
        ...over,
    };
}
const bin = (over, sensorOver) => encodeBinaryFrame(frame(over, sensorOver));
const ttn = (deviceId, over = {}) => ({
    end_device_ids: { device_id: deviceId, application_ids: { application_id: 'foodbank' } },
    received_at: '2026-11-24T09:59:02.123Z',
    uplink_message: { f_port: 1, frm_payload: bin().toString('base64') },
    ...over,
});
const legacy = (over = {}) => ({ datetime: '2026-11-24 9:58:00', noeud: 'pico_1', capteur: 'temperature', metrique: 'brute', valeur: 4.5, ...over });

/** The outcome kind, or the error key and where; the decoder's counters must agree. */
function verdict(payload, topic = STATS, opts = {}) {
    const d = new Decoder(opts);
    try {
        const out = d.decode(payload, topic, NOW);
        assert.strictEqual(d.counters.err, 0);
        return { kind: out.kind, out };
    } catch (e) {
        assert.ok(e instanceof DecodeError, e.stack);
        assert.strictEqual(d.counters.err, 1, 'counted');
        assert.strictEqual(d.counters.errors[e.key], 1, 'counted under its key');
        assert.strictEqual(d.counters.ok + d.counters.status, 0, 'nothing produced');
        return { key: e.key, where: e.where, message: e.message };
    }
}

describe('picochain-decode rules: bounds and identities', function () {
    describe('the same plausible ranges for JSON and binary', function () {
        // [sensor values, expected: null (accepted) or [key, field]]; each row goes through both encodings
        const temp = { sensor: 'temperature', unit: '°C' };
        const hum = { sensor: 'humidity', unit: '%', min: 50, max: 60, mean: 55, last: 55, std: 1, slope: 0 };
        const door = { sensor: 'door', unit: undefined, min: 0, max: 1, mean: 0.2, last: 0, std: 0.4, slope: 0 };
        const rows = [
            ['a typical fridge window', temp, null],
            ['mean at the default upper limit 150 °C', { ...temp, max: 150, mean: 150, last: 150 }, null],
            ['mean 150.01 °C', { ...temp, max: 150.01, mean: 150.01, last: 150 }, ['implausible', 'max']],
            ['std at half the default range (105)', { ...temp, std: 105 }, null],
            ['std 105.01', { ...temp, std: 105.01 }, ['implausible', 'std']],
            ['std 700 (binary clamps it to 655.34)', { ...temp, std: 700 }, ['implausible', 'std']],
            ['std 1e308', { ...temp, std: 1e308 }, ['implausible', 'std']],
            ['slope 30 °C/min', { ...temp, slope: 30 }, null],
            ['slope 30.001 °C/min', { ...temp, slope: 30.001 }, ['implausible', 'slope']],
            ['slope 40 (binary clamps it to 32.767)', { ...temp, slope: 40 }, ['implausible', 'slope']],
            ['slope 1e308', { ...temp, slope: 1e308 }, ['implausible', 'slope']],
            ['slope -1e308', { ...temp, slope: -1e308 }, ['implausible', 'slope']],
            ['humidity 0 … 100 %', { ...hum, min: 0, max: 100 }, null],
            ['humidity -0.01 %', { ...hum, min: -0.01 }, ['implausible', 'min']],
            ['humidity std 50.01', { ...hum, std: 50.01 }, ['implausible', 'std']],
            ['a door open part of the window', door, null],
            ['a door at 1.01', { ...door, max: 1.01 }, ['implausible', 'max']],
            ['a door std 0.51', { ...door, std: 0.51 }, ['implausible', 'std']],
            ['count 0 with null statistics', { ...temp, count: 0, min: null, max: null, mean: null, std: null, slope: null, last: null }, null],
        ];
        const BYTE = { min: 12, max: 14, mean: 16, last: 18, std: 20, slope: 22 };
        for (const [name, s, want] of rows) {
            it(`${name}: ${want ? want.join(' at ') : 'accepted'} in JSON and in binary`, function () {
                const j = verdict(frame({}, s));
                const b = verdict(bin({}, s));
                if (want === null) {
                    assert.strictEqual(j.kind, 'readings', j.message);
                    assert.strictEqual(b.kind, 'readings', b.message);
                } else {
                    assert.deepStrictEqual([j.key, j.where], [want[0], `$.sensors[0].${want[1]}`], j.message);
                    assert.deepStrictEqual([b.key, b.where], [want[0], `byte ${BYTE[want[1]]}`], b.message);
                }
            });
        }
        it('the range message names value, unit and limits', function () {
            assert.match(verdict(frame({}, { slope: 31 })).message, /"slope" = 31 °C\/min is outside the plausible range -30 … 30 \(at \$\.sensors\[0\]\.slope\)/);
        });
    });

    describe('bad input from each new rule', function () {
        const table = [
            // [name, payload, topic, key, where, options]
            ['JSON device differs from the topic\'s', frame({ device: 'fridge-2' }), STATS, 'topic-mismatch', '$.device'],
            ['JSON site differs from the topic\'s', frame({ site: 'elsewhere' }), STATS, 'topic-mismatch', '$.site'],
            ['status birth naming another device', { state: 'online', device: 'fridge-2' }, 'picochain/foodbank/fridge-1/status', 'topic-mismatch', '$.device'],
            ['TTN device_id differs from the topic\'s (pattern with +device)', ttn('fridge-8'), 'v3/app@ttn/devices/fridge-7/up', 'topic-mismatch', '$.end_device_ids.device_id', { topicPattern: TTN_PATTERN }],
            ['legacy noeud differs from the topic\'s', legacy(), 'picochain/foodbank/pico_2/stats', 'topic-mismatch', '$.noeud'],
            ['"device": null', frame({ device: null }), STATS, 'type', '$.device'],
            ['"site": null', frame({ site: null }), STATS, 'type', '$.site'],
            ['"device": null in a status', { state: 'online', device: null }, 'picochain/foodbank/fridge-1/status', 'type', '$.device'],
            ['"device": null without a topic device', frame({ device: null }), 'elsewhere', 'type', '$.device'],
            ['the same bad device id in payload and topic', frame({ device: 'fridge.1' }), 'picochain/foodbank/fridge.1/stats', 'bad-id', '$.device'],
            ['a bad device id in the topic, checked before comparing it with the payload\'s', frame(), 'picochain/foodbank/fridge.1/stats', 'bad-id', 'topic'],
            ['a bad device id in the topic of a binary frame', bin(), 'picochain/foodbank/fridge.1/stats', 'bad-id', 'topic'],
            ['a bad site in the topic', bin(), 'picochain/food.bank/fridge-1/stats', 'bad-id', 'topic'],
            ['a cleared status on a topic with a bad device id', '', 'picochain/foodbank/a.b/status', 'bad-id', 'topic'],
            ['a 37-character TTN device id', ttn('x'.repeat(37)), 'v3/app@ttn/devices/x/up', 'bad-id', '$.end_device_ids.device_id'],
            ['a legacy sensor without a known unit', legacy({ capteur: 'luminosite' }), 'TOUCAN', 'unknown-sensor', '$.capteur'],
            ['a legacy door at 3', legacy({ capteur: 'door', valeur: 3 }), 'TOUCAN', 'implausible', '$.valeur'],
            ['a probe said to be in %', frame({}, { sensor: 'probe1', unit: '%' }), STATS, 'type', '$.sensors[0].unit'],
            ['a door with a unit', frame({}, { sensor: 'door', unit: '%', min: 0, max: 1, mean: 0.5, last: 1, std: 0.5, slope: 0 }), STATS, 'type', '$.sensors[0].unit'],
            ['a JSON-only sensor beyond the sanity bound', frame({}, { sensor: 'co2', unit: 'ppm', min: 400, max: 2e6, mean: 500, last: 500, std: 1, slope: 0 }), STATS, 'implausible', '$.sensors[0].max'],
            ['birth rssi +20 dBm', { state: 'online', rssi: 20 }, 'picochain/foodbank/fridge-1/status', 'range', '$.rssi'],
            ['birth boot counter beyond u32', { state: 'online', boot: 2 ** 32 }, 'picochain/foodbank/fridge-1/status', 'range', '$.boot'],
            ['TTN f_port 300', ttn('fridge-7', { uplink_message: { f_port: 300, frm_payload: bin().toString('base64') } }), 'v3/app@ttn/devices/fridge-7/up', 'range', '$.uplink_message.f_port'],
        ];
        for (const [name, payload, topic, key, where, opts] of table) {
            it(`${name} -> ${key} at ${where}`, function () {
                const v = verdict(payload, topic, opts);
                assert.deepStrictEqual([v.key, v.where], [key, where], v.message || v.kind);
            });
        }
        it('the mismatch message says which ids disagree', function () {
            assert.strictEqual(verdict(frame({ device: 'fridge-2' })).message,
                '"device" = "fridge-2" in the payload differs from "fridge-1" in the topic: a board may only publish as itself (at $.device)');
        });
        it('an unknown legacy sensor is named in its message', function () {
            assert.match(verdict(legacy({ capteur: 'luminosite' }), 'TOUCAN').message, /legacy sensor "luminosite" has no known unit/);
        });
        it('a temperature range beyond -100 … 300 °C is a configuration error', function () {
            assert.throws(() => new Decoder({ tempMin: -120 }), /not inside the plausible -100 … 300 °C/);
            assert.throws(() => new Decoder({ tempMax: 301 }), /not inside/);
            assert.doesNotThrow(() => new Decoder({ tempMin: -100, tempMax: 300 }));
        });
    });

    describe('what is accepted', function () {
        const table = [
            ['payload and topic agree', frame(), STATS],
            ['no topic match: the payload names the device', frame(), 'some/topic'],
            ['binary: device and site from the topic', bin(), 'picochain/foodbank/fridge-1/stats'],
            ['a 36-character TTN device id', ttn('x'.repeat(36)), 'v3/app@ttn/devices/x/up'],
            ['a 36-character device on the topic with +device', ttn('d'.repeat(36)), `v3/app@ttn/devices/${'d'.repeat(36)}/up`, { topicPattern: TTN_PATTERN }],
            ['legacy probe3 (°C)', legacy({ capteur: 'probe3' }), 'TOUCAN'],
            ['legacy door (no unit)', legacy({ capteur: 'door', valeur: 1 }), 'TOUCAN'],
            ['birth with rssi -61 dBm', { state: 'online', rssi: -61, boot: 4294967295 }, 'picochain/foodbank/fridge-1/status'],
            ['a known kind with its unit left out', frame({}, { unit: undefined }), STATS],
        ];
        for (const [name, payload, topic, opts] of table) {
            it(name, function () {
                const v = verdict(payload, topic, opts);
                assert.ok(v.kind === 'readings' || v.kind === 'status', v.message);
            });
        }
        it('units: a known kind always carries its own, a legacy probe °C and a door none', function () {
            assert.strictEqual(verdict(frame({}, { unit: null })).out.readings[0].unit, '°C', 'as a binary frame would say');
            assert.strictEqual(verdict(legacy({ capteur: 'probe3' }), 'TOUCAN').out.readings[0].unit, '°C');
            assert.strictEqual(verdict(legacy({ capteur: 'door', valeur: 1 }), 'TOUCAN').out.readings[0].unit, null);
        });
    });
});
