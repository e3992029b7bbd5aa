'use strict';
// picochain-decode core, no Node-RED: every format, every kind of bad input, sequence tracking,
// and every reading checked against nodes/shared/reading.schema.json.
const assert = require('assert');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats');
const vectors = require('../vectors/frames.json');
const schema = require('../../nodes/shared/reading.schema.json');
const core = require('../../dist/nodes/picochain-decode/core');
const { encodeBinaryFrame, encodeJsonFrame } = require('../../dist/nodes/shared/codec');

const { Decoder, DecodeError, SeqTracker, parseLegacyDate, parseUtcOffset, parseTimeZone, compileTopicPattern, topicPatternProblem, looksLikeText, checkTree } = core;

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validateReading = ajv.compile(schema);

const NOW = new Date('2026-11-24T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const TTN_TOPIC = 'v3/foodbank@ttn/devices/fridge-7/up';
const WIDE = { tempMin: -100, tempMax: 300 }; // the widest plausible °C range (nodes/shared/reading.ts PLAUSIBLE)
// The clamping vector holds ±400 °C on purpose: refused in both encodings (its own test below).
const CLAMPED = (v) => v.frame.device === 'oven-1';

/** Dates to ISO strings, as a reading crosses JSON; then the schema must accept it. */
function assertSchema(reading) {
    const plain = JSON.parse(JSON.stringify(reading));
    const ok = validateReading(plain);
    assert.ok(ok, `schema: ${JSON.stringify(validateReading.errors)} for ${JSON.stringify(plain)}`);
}

function frame(over = {}, sensorOver = {}) {
    return {
        v: 1, device: 'fridge-1', site: 'foodbank', seq: 42, ts: NOW_S - 60, synced: true, window: 60,
        sensors: [{ sensor: 'temperature', unit: '°C', count: 6, min: 3.91, max: 4.42, mean: 4.1, std: 0.18, slope: 0.05, last: 4.2, state: 0, ...sensorOver }],
        ...over,
    };
}

function binFrame(over = {}, sensorOver = {}) {
    const f = frame(over, sensorOver);
    return encodeBinaryFrame(f);
}

function ttn(payloadB64, over = {}, upOver = {}) {
    return {
        end_device_ids: { device_id: 'fridge-7', application_ids: { application_id: 'foodbank' } },
        received_at: '2026-11-24T09:59:02.123Z',
        uplink_message: { f_port: 1, frm_payload: payloadB64, ...upOver },
        ...over,
    };
}

function legacy(over = {}) {
    return { datetime: '2024-3-12 14:5:10.25', noeud: 'pico_1', capteur: 'temperature', metrique: 'brute', valeur: 21.4, ...over };
}

function decodeOne(payload, topic = 'picochain/foodbank/fridge-1/stats', opts = {}) {
    return new Decoder(opts).decode(payload, topic, NOW);
}

function assertRejects(payload, key, where, opts = {}, topic = 'picochain/foodbank/fridge-1/stats') {
    const d = new Decoder(opts);
    let caught = null;
    try {
        d.decode(payload, topic, NOW);
    } catch (e) {
        caught = e;
    }
    assert.ok(caught, `expected ${key} to be thrown`);
    assert.ok(caught instanceof DecodeError, `not a DecodeError: ${caught && caught.stack}`);
    assert.strictEqual(caught.key, key, caught.message);
    if (where instanceof RegExp) assert.match(caught.message, where);
    else if (where !== undefined) assert.ok(caught.message.endsWith(`(at ${where})`), `"${caught.message}" should end with (at ${where})`);
    assert.strictEqual(d.counters.err, 1);
    assert.strictEqual(d.counters.errors[key], 1);
    assert.strictEqual(d.counters.ok, 0);
    return caught;
}

describe('picochain-decode core', function () {
    describe('shared vectors (test/vectors/frames.json) through the JSON and the binary path', function () {
        for (const v of vectors.filter((x) => !CLAMPED(x))) {
            // a board publishes on its own topic: the frame's site, or site-x for frames without one
            const topic = `picochain/${v.frame.site ?? 'site-x'}/${v.frame.device}/stats`;
            it(`JSON text of "${v.name}" gives the frame's readings, schema-valid`, function () {
                const out = new Decoder(WIDE).decode(v.json, topic, NOW);
                assert.strictEqual(out.kind, 'readings');
                assert.strictEqual(out.format, 'json-v1');
                assert.strictEqual(out.device, v.frame.device);
                assert.strictEqual(out.site, v.frame.site === undefined ? 'site-x' : v.frame.site);
                assert.strictEqual(out.readings.length, v.frame.sensors.length);
                out.readings.forEach((r, i) => {
                    const s = v.frame.sensors[i];
                    assert.strictEqual(r.device, v.frame.device);
                    assert.strictEqual(r.sensor, s.sensor);
                    assert.strictEqual(r.unit, s.unit);
                    assert.strictEqual(r.window, v.frame.window);
                    assert.strictEqual(r.count, s.count);
                    assert.strictEqual(r.seq, v.frame.seq);
                    assert.strictEqual(r.state, s.state === undefined ? null : s.state);
                    assert.strictEqual(r.source, 'json-v1');
                    for (const k of ['min', 'max', 'mean', 'std', 'slope', 'last']) {
                        // JSON carries at most 4 decimals
                        const want = s[k] === null ? null : Math.round(s[k] * 1e4) / 1e4;
                        if (want === null) assert.strictEqual(r[k], null, k);
                        else assert.ok(Math.abs(r[k] - want) < 1e-9, `${k} ${r[k]} vs ${want}`);
                    }
                    if (s.fault !== undefined) assert.strictEqual(r.fault, s.fault);
                    if (v.frame.synced) {
                        assert.strictEqual(r.time.getTime(), v.frame.ts * 1000);
                        assert.strictEqual(r.deviceTime.getTime(), v.frame.ts * 1000);
                    } else {
                        assert.strictEqual(r.time.getTime(), NOW.getTime(), 'unsynced: receive time');
                        assert.strictEqual(r.deviceTime, null);
                    }
                    assert.strictEqual(r.receivedAt.getTime(), NOW.getTime());
                    assertSchema(r);
                });
            });
            if (v.hex === null) continue;
            it(`binary bytes of "${v.name}" give the same readings within the binary resolution`, function () {
                const out = new Decoder(WIDE).decode(Buffer.from(v.hex, 'hex'), topic, NOW);
                const fromJson = new Decoder(WIDE).decode(v.json, topic, NOW);
                assert.strictEqual(out.format, 'binary-v1');
                assert.strictEqual(out.device, v.frame.device, 'device from the topic');
                assert.strictEqual(out.site, v.frame.site ?? 'site-x', 'site from the topic');
                out.readings.forEach((r, i) => {
                    const j = fromJson.readings[i];
                    for (const k of ['sensor', 'unit', 'window', 'count', 'seq', 'state', 'fault']) assert.strictEqual(r[k], j[k], k);
                    assert.strictEqual(r.time.getTime(), j.time.getTime());
                    assert.strictEqual(r.source, 'binary-v1');
                    for (const [k, lo, hi, res] of [['min', -327.67, 327.67, 0.005], ['max', -327.67, 327.67, 0.005], ['mean', -327.67, 327.67, 0.005], ['last', -327.67, 327.67, 0.005], ['std', 0, 655.34, 0.005], ['slope', -32.767, 32.767, 0.0005]]) {
                        if (j[k] === null) {
                            assert.strictEqual(r[k], null, k);
                            continue;
                        }
                        const want = Math.min(hi, Math.max(lo, j[k]));
                        assert.ok(Math.abs(r[k] - want) <= res + 1e-9, `${k}: ${r[k]} vs ${want}`);
                    }
                    assertSchema(r);
                });
            });
            it(`hex text of "${v.name}" is read as a binary frame`, function () {
                const out = new Decoder(WIDE).decode(v.hex, topic, NOW);
                assert.strictEqual(out.format, 'binary-v1');
                assert.strictEqual(out.readings.length, v.frame.sensors.length);
            });
        }
        it('the clamping vector (±400 °C) is rejected as implausible in JSON and in binary, under the default and the widest range', function () {
            const v = vectors.find(CLAMPED);
            for (const opts of [{}, WIDE]) {
                assertRejects(v.json, 'implausible', '$.sensors[0].min', opts, 'picochain/s/oven-1/stats');
                assertRejects(Buffer.from(v.hex, 'hex'), 'implausible', 'byte 12', opts, 'picochain/s/oven-1/stats');
            }
        });
    });

    describe('input shapes', function () {
        it('accepts a Buffer of JSON text, a string and an already parsed object alike', function () {
            const f = frame();
            const outs = [Buffer.from(JSON.stringify(f)), JSON.stringify(f), f].map((p) => decodeOne(p));
            for (const o of outs) {
                assert.strictEqual(o.format, 'json-v1');
                assert.deepStrictEqual(o.readings, outs[0].readings);
            }
        });
        it('sizes an object payload exactly when its quick upper bound is over the limit', function () {
            // 3000 characters: bound 6 x 3000 > 16 KiB, real JSON size about 3.3 KiB
            assert.strictEqual(decodeOne(frame({ note: 'x'.repeat(3000) })).kind, 'readings');
            assertRejects(frame({ note: 'x'.repeat(17000) }), 'oversize', '$');
        });
        it('takes device and site from the topic when the JSON frame has none', function () {
            const f = frame();
            delete f.device;
            delete f.site;
            const out = decodeOne(f, 'picochain/shop/fridge-9/stats');
            assert.strictEqual(out.device, 'fridge-9');
            assert.strictEqual(out.site, 'shop');
        });
        it('takes the payload device when the topic does not name one', function () {
            assert.strictEqual(decodeOne(frame(), 'some/other/topic').device, 'fridge-1');
        });
        it('uses an edited topic pattern', function () {
            const f = encodeBinaryFrame(frame());
            const out = decodeOne(f, 'org/acme/+/devices/cold-3', { topicPattern: 'org/+site/+/devices/+device' });
            assert.strictEqual(out.device, 'cold-3');
            assert.strictEqual(out.site, 'acme');
        });
        it('reads a raw frame (window 0) and a frame without optional fields', function () {
            const f = { v: 1, device: 'd1', seq: 1, ts: NOW_S, window: 0, sensors: [{ sensor: 'probe3', count: 1, min: 2, max: 2, mean: 2, std: 0, slope: null, last: 2 }] };
            const [r] = decodeOne(f, 'picochain/foodbank/d1/raw').readings;
            assert.strictEqual(r.window, 0);
            assert.strictEqual(r.unit, '°C', 'unit from the sensor kind');
            assert.strictEqual(r.state, null);
            assert.strictEqual(r.site, 'foodbank', 'site from the topic');
            assertSchema(r);
        });
        it('forced binary format accepts base64 text', function () {
            const b64 = binFrame().toString('base64');
            const out = decodeOne(b64, 'fridge-1', { format: 'binary-v1', topicPattern: '+device' });
            assert.strictEqual(out.format, 'binary-v1');
        });
    });

    describe('The Things Stack v3 uplinks', function () {
        it('decodes frm_payload with device, site and received_at from the uplink', function () {
            const out = decodeOne(ttn(binFrame({ synced: true }).toString('base64')), 'v3/foodbank@ttn/devices/fridge-7/up');
            assert.strictEqual(out.kind, 'readings');
            assert.strictEqual(out.format, 'ttn-v3');
            assert.strictEqual(out.device, 'fridge-7');
            assert.strictEqual(out.site, 'foodbank');
            const [r] = out.readings;
            assert.strictEqual(r.source, 'ttn-v3');
            assert.strictEqual(r.receivedAt.toISOString(), '2026-11-24T09:59:02.123Z');
            assert.strictEqual(r.mean, 4.1);
            assertSchema(r);
        });
        it('an unsynced frame takes received_at as its time', function () {
            const out = decodeOne(ttn(binFrame({ synced: false, ts: 95 }).toString('base64')), TTN_TOPIC);
            assert.strictEqual(out.readings[0].time.toISOString(), '2026-11-24T09:59:02.123Z');
            assert.strictEqual(out.readings[0].deviceTime, null);
        });
        it('ignores other ports and uplinks without payload, with a warning outcome', function () {
            const d = new Decoder();
            const a = d.decode(ttn(binFrame().toString('base64'), {}, { f_port: 2 }), 'v3/x/devices/fridge-7/up', NOW);
            assert.strictEqual(a.kind, 'ignored');
            assert.match(a.message, /port 2 ignored/);
            const b = d.decode({ end_device_ids: { device_id: 'fridge-7' }, join_accept: {} }, 'v3/x/devices/fridge-7/join', NOW);
            assert.strictEqual(b.kind, 'ignored');
            assert.strictEqual(d.counters.ignored, 2);
            assert.strictEqual(d.counters.err, 0);
        });
        it('says where a broken binary frame inside the uplink is', function () {
            assertRejects(ttn(binFrame().subarray(0, 20).toString('base64')), 'truncated', '$.uplink_message.frm_payload byte 0', {}, TTN_TOPIC);
            assertRejects(ttn(binFrame({ window: 4000 }).toString('base64')), 'range', '$.uplink_message.frm_payload byte 8', {}, TTN_TOPIC);
            assertRejects(ttn('not base64!'), 'base64', '$.uplink_message.frm_payload', {}, TTN_TOPIC);
            assertRejects(ttn(binFrame().toString('base64'), { received_at: 'yesterday' }), 'bad-date', '$.received_at', {}, TTN_TOPIC);
            assertRejects(ttn(binFrame().toString('base64'), { received_at: '2031-01-01T00:00:00Z' }), 'future', '$.received_at', {}, TTN_TOPIC);
            assertRejects(ttn(binFrame().toString('base64'), { received_at: '2019-01-01T00:00:00Z' }), 'ancient', '$.received_at', {}, TTN_TOPIC);
            assertRejects(ttn(binFrame().toString('base64'), { end_device_ids: { device_id: 'a.b' } }), 'bad-id', '$.end_device_ids.device_id', {}, TTN_TOPIC);
        });
    });

    describe('legacy TOUCAN messages', function () {
        it('reads the original message as one raw reading', function () {
            const out = decodeOne(JSON.stringify(legacy()), 'TOUCAN');
            assert.strictEqual(out.format, 'legacy');
            const [r] = out.readings;
            assert.deepStrictEqual(
                { device: r.device, sensor: r.sensor, unit: r.unit, window: r.window, count: r.count, min: r.min, max: r.max, mean: r.mean, last: r.last, std: r.std, seq: r.seq, state: r.state },
                { device: 'pico_1', sensor: 'temperature', unit: '°C', window: 0, count: 1, min: 21.4, max: 21.4, mean: 21.4, last: 21.4, std: 0, seq: null, state: null },
            );
            assert.strictEqual(r.time.toISOString(), '2024-03-12T14:05:10.250Z');
            assert.strictEqual(out.seqInfo.event, 'none');
            assertSchema(r);
        });
        for (const [metrique, window] of [['brute', 0], ['moy_10_sec', 10], ['moy_30_sec', 30], ['moy_1_min', 60], ['moy_60_min', 3600]]) {
            it(`metrique ${metrique} -> window ${window} s`, function () {
                const [r] = decodeOne(legacy({ metrique }), 'TOUCAN').readings;
                assert.strictEqual(r.window, window);
                assert.strictEqual(r.std, window === 0 ? 0 : null);
                assertSchema(r);
            });
        }
        it('humidite becomes humidity in %', function () {
            const [r] = decodeOne(legacy({ capteur: 'humidite', valeur: 55 }), 'TOUCAN').readings;
            assert.strictEqual(r.sensor, 'humidity');
            assert.strictEqual(r.unit, '%');
        });
        it('applies the configured UTC offset to dates without a zone, not to dates with one', function () {
            const d = new Decoder({ legacyTimeZone: '+01:00' });
            assert.strictEqual(d.decode(legacy({ datetime: '2024-3-12 14:5:10' }), 'TOUCAN', NOW).readings[0].time.toISOString(), '2024-03-12T13:05:10.000Z');
            assert.strictEqual(d.decode(legacy({ datetime: '2024-3-12T14:5:10Z' }), 'TOUCAN', NOW).readings[0].time.toISOString(), '2024-03-12T14:05:10.000Z');
        });
        it('rejects what even a lenient reading cannot accept', function () {
            assertRejects(legacy({ datetime: '12/03/2024' }), 'bad-date', '$.datetime', {}, 'TOUCAN');
            assertRejects(legacy({ metrique: 'moy_61_min' }), 'range', '$.metrique', {}, 'TOUCAN');
            assertRejects(legacy({ metrique: 'max_10_sec' }), 'type', '$.metrique', {}, 'TOUCAN');
            assertRejects(legacy({ valeur: '21.4' }), 'type', '$.valeur', {}, 'TOUCAN');
            assertRejects(legacy({ valeur: 900 }), 'implausible', '$.valeur', {}, 'TOUCAN');
            assertRejects(legacy({ noeud: 'pico 1' }), 'bad-id', '$.noeud', {}, 'TOUCAN');
            assertRejects(legacy({ datetime: '2019-12-31 23:59:59' }), 'ancient', '$.datetime', {}, 'TOUCAN');
        });
    });

    describe('lenient legacy dates', function () {
        const table = [
            ['2024-03-12 14:05:10', 0, '2024-03-12T14:05:10.000Z'],
            ['2024-3-2 4:5:6', 0, '2024-03-02T04:05:06.000Z'],
            ['2024-3-12 14:5:10.25', 0, '2024-03-12T14:05:10.250Z'],
            ['2024-3-12 14:5:10.123456', 0, '2024-03-12T14:05:10.123Z'],
            ['2024-3-12 14:5', 0, '2024-03-12T14:05:00.000Z'],
            ['2024-3-12', 0, '2024-03-12T00:00:00.000Z'],
            ['2024-3-12T14:05:10', 0, '2024-03-12T14:05:10.000Z'],
            [' 2024-3-12  14:05:10 ', 0, '2024-03-12T14:05:10.000Z'],
            ['2024-3-12 14:05:10', 60, '2024-03-12T13:05:10.000Z'],
            ['2024-3-12 14:05:10', -330, '2024-03-12T19:35:10.000Z'],
            ['2024-3-12 14:05:10+02:00', 60, '2024-03-12T12:05:10.000Z'],
            ['2024-3-12 14:05:10Z', 60, '2024-03-12T14:05:10.000Z'],
            ['2024-2-29 1:1:1', 0, '2024-02-29T01:01:01.000Z'],
            // a named zone follows daylight saving time (the original system ran in France)
            ['2024-1-15 12:0:0', 'Europe/Paris', '2024-01-15T11:00:00.000Z'],
            ['2024-7-15 12:0:0', 'Europe/Paris', '2024-07-15T10:00:00.000Z'],
            ['2024-3-31 1:59:59', 'Europe/Paris', '2024-03-31T00:59:59.000Z'],
            ['2024-3-31 3:0:0', 'Europe/Paris', '2024-03-31T01:00:00.000Z'],
            ['2024-10-27 1:30:0', 'Europe/Paris', '2024-10-26T23:30:00.000Z'],
            ['2024-10-27 4:0:0', 'Europe/Paris', '2024-10-27T03:00:00.000Z'],
            ['2024-7-15 12:0:0', 'America/New_York', '2024-07-15T16:00:00.000Z'],
            ['2024-7-15 12:0:0+00:00', 'Europe/Paris', '2024-07-15T12:00:00.000Z'],
        ];
        for (const [text, off, iso] of table) {
            it(`"${text}" at ${off} min -> ${iso}`, function () {
                assert.strictEqual(parseLegacyDate(text, off).toISOString(), iso);
            });
        }
        for (const bad of ['2023-2-29 1:1:1', '2024-13-1 0:0:0', '2024-4-31 0:0:0', '2024-3-12 24:00:00', '2024-3-12 14:60:00', 'yesterday', '', '2024/3/12 1:2:3']) {
            it(`"${bad}" is refused`, function () {
                assert.strictEqual(parseLegacyDate(bad, 0), null);
            });
        }
        for (const [text, min] of [['+01:00', 60], ['-05:30', -330], ['+2', 120], ['+0530', 330], ['Z', 0], ['', 0], ['UTC+1', 60], ['+15:00', null], ['Europe/Paris', null]]) {
            it(`offset "${text}" -> ${min}`, function () {
                assert.strictEqual(parseUtcOffset(text), min);
            });
        }
        for (const [text, zone] of [['+01:00', 60], ['Europe/Paris', 'Europe/Paris'], ['America/Argentina/Buenos_Aires', 'America/Argentina/Buenos_Aires'], ['Paris', null], ['Europe/Atlantis', null], ['../etc', null]]) {
            it(`time zone setting "${text}" -> ${zone}`, function () {
                assert.strictEqual(parseTimeZone(text), zone);
            });
        }
        it('a Decoder with a named zone reads legacy dates in it', function () {
            const d = new Decoder({ legacyTimeZone: 'Europe/Paris' });
            assert.strictEqual(d.decode(legacy({ datetime: '2024-7-1 8:0:0' }), 'TOUCAN', NOW).readings[0].time.toISOString(), '2024-07-01T06:00:00.000Z');
        });
    });

    describe('device status messages', function () {
        it('decodes the retained birth JSON on a status topic', function () {
            const birth = { state: 'online', fw: '1.0.0', ip: '10.0.0.7', rssi: -61, boot: 3, buffered: 0, replayed: 12, dropped: 0, synced: true };
            const out = decodeOne(JSON.stringify(birth), 'picochain/foodbank/fridge-1/status');
            assert.strictEqual(out.kind, 'status');
            assert.deepStrictEqual(out.status, { device: 'fridge-1', site: 'foodbank', receivedAt: NOW, ...birth });
        });
        it('decodes the plain-text last will "offline", as string or Buffer', function () {
            for (const p of ['offline', Buffer.from('offline')]) {
                const out = decodeOne(p, 'picochain/foodbank/fridge-1/status');
                assert.deepStrictEqual(out.status, { device: 'fridge-1', site: 'foodbank', state: 'offline', receivedAt: NOW });
            }
        });
        it('recognises status messages even with a forced format', function () {
            assert.strictEqual(decodeOne(Buffer.from('offline'), 'picochain/foodbank/fridge-1/status', { format: 'binary-v1' }).kind, 'status');
            assert.strictEqual(decodeOne('{"state":"online"}', 'picochain/foodbank/fridge-1/status', { format: 'legacy' }).kind, 'status');
        });
        it('ignores an empty retained message (a cleared status)', function () {
            const out = decodeOne(Buffer.alloc(0), 'picochain/foodbank/fridge-1/status');
            assert.strictEqual(out.kind, 'ignored');
            assert.strictEqual(out.key, 'status-cleared');
        });
        it('rejects a bad state or field types, and a device off the allow-list', function () {
            assertRejects('{"state":"sleeping"}', 'type', '$.state', {}, 'picochain/foodbank/fridge-1/status');
            assertRejects('{"state":"online","boot":-1}', 'type', '$.boot', {}, 'picochain/foodbank/fridge-1/status');
            assertRejects('offline', 'unknown-device', 'topic', { allowedDevices: ['fridge-2'] }, 'picochain/foodbank/fridge-1/status');
            assertRejects('offline', 'no-device', /no device id/, {}, 'elsewhere');
        });
    });

    describe('bad input: rejected with what and where, nothing returned', function () {
        const stats = 'picochain/foodbank/fridge-1/stats';
        const big = JSON.stringify(frame({ pad: 'x'.repeat(17000) }));
        const table = [
            // [name, payload, key, where, options]
            ['text that is not JSON', '{"v":1,', 'not-json', /is not JSON/],
            ['JSON that is not an object', '[1,2]', 'not-object', '$'],
            ['a number payload', 42, 'type', '$'],
            ['NaN in JSON text', '{"v":1,"seq":NaN}', 'non-finite', 'character 13'],
            ['Infinity in JSON text', '{"v":1,"seq":1,"x":-Infinity}', 'non-finite', /-Infinity \(at character/],
            ['NaN in an object payload', frame({}, { mean: NaN }), 'non-finite', '$.sensors[0].mean'],
            ['Infinity in an object payload', frame({ ts: Infinity }), 'non-finite', '$.ts'],
            ['missing v', (() => { const f = frame(); delete f.v; return f; })(), 'missing', '$'],
            ['unknown JSON version', frame({ v: 2 }), 'version', '$.v'],
            ['version as a string', frame({ v: '1' }), 'version', '$.v'],
            ['unknown binary version', (() => { const b = binFrame(); b[0] = (2 << 4) | (b[0] & 0x0f); return b; })(), 'version', 'byte 0'],
            ['truncated binary', binFrame().subarray(0, 23), 'truncated', 'byte 0'],
            ['binary with a trailing partial record', Buffer.concat([binFrame(), Buffer.alloc(5, 0x11)]), 'truncated', 'byte 24'],
            ['binary with an unknown sensor kind', (() => { const b = binFrame(); b[1] = 7 << 5; return b; })(), 'binary', 'byte 1'],
            ['seq as a string', frame({ seq: '42' }), 'type', '$.seq'],
            ['seq not an integer', frame({ seq: 4.5 }), 'type', '$.seq'],
            ['seq over uint16', frame({ seq: 65536 }), 'range', '$.seq'],
            ['negative seq', frame({ seq: -1 }), 'range', '$.seq'],
            ['window over 3600 s', frame({ window: 3601 }), 'range', '$.window'],
            ['binary window over 3600 s', binFrame({ window: 7200 }), 'range', 'byte 8'],
            ['synced not a boolean', frame({ synced: 'yes' }), 'type', '$.synced'],
            ['sensors not an array', frame({ sensors: {} }), 'type', '$.sensors'],
            ['no sensors', frame({ sensors: [] }), 'range', '$.sensors'],
            ['more than 32 sensors', frame({ sensors: Array.from({ length: 33 }, (_, i) => ({ sensor: `s${i}`, count: 0 })) }), 'range', '$.sensors'],
            ['a sensor entry that is not an object', frame({ sensors: [5] }), 'type', '$.sensors[0]'],
            ['count negative', frame({}, { count: -1 }), 'range', '$.sensors[0].count'],
            ['count over uint16', frame({}, { count: 70000 }), 'range', '$.sensors[0].count'],
            ['count as a string', frame({}, { count: '6' }), 'type', '$.sensors[0].count'],
            ['a statistic as a string', frame({}, { max: '4.42' }), 'type', '$.sensors[0].max'],
            ['negative std', frame({}, { std: -0.1 }), 'range', '$.sensors[0].std'],
            ['state 3', frame({}, { state: 3 }), 'range', '$.sensors[0].state'],
            ['state as text', frame({}, { state: 'ok' }), 'type', '$.sensors[0].state'],
            ['implausible temperature (max)', frame({}, { max: 151 }), 'implausible', '$.sensors[0].max'],
            ['implausible temperature (last)', frame({}, { last: -61 }), 'implausible', '$.sensors[0].last'],
            ['implausible binary mean', binFrame({}, { mean: 200 }), 'implausible', 'byte 16'],
            ['humidity above 100 %', frame({}, { sensor: 'humidity', unit: '%', min: 50, max: 101, mean: 60, last: 60 }), 'implausible', '$.sensors[0].max'],
            ['a temperature range set lower', frame({}, { max: 9 }), 'implausible', '$.sensors[0].max', { tempMin: 0, tempMax: 8 }],
            ['timestamp more than a day ahead', frame({ ts: NOW_S + 86400 + 60 }), 'future', '$.ts'],
            ['binary timestamp more than a day ahead', binFrame({ ts: NOW_S + 2 * 86400 }), 'future', 'byte 4'],
            ['timestamp before 2020', frame({ ts: Date.UTC(2019, 11, 31) / 1000 }), 'ancient', '$.ts'],
            ['a $ key at the top', { ...frame(), $where: 1 }, 'forbidden-key', '$["$where"]'],
            ['a $ key deep inside', frame({}, { extra: { nested: [{ $gt: 1 }] } }), 'forbidden-key', '$.sensors[0].extra.nested[0]["$gt"]'],
            ['a dotted key in JSON text', JSON.stringify({ ...frame(), 'a.b': 1 }), 'forbidden-key', '$["a.b"]'],
            ['a key with $ inside', frame({ meta: { price$: 1 } }), 'forbidden-key', '$.meta["price$"]'],
            ['nesting too deep', frame({ deep: JSON.parse('['.repeat(20) + ']'.repeat(20)) }), 'too-deep', /nested deeper than 16 levels/],
            ['oversize text', big, 'oversize', '$'],
            ['oversize Buffer', Buffer.from(big), 'oversize', '$'],
            ['oversize object', JSON.parse(big), 'oversize', '$'],
            ['over a configured size', JSON.stringify(frame()), 'oversize', '$', { maxBytes: 100 }],
            ['bad device id in the payload', frame({ device: 'fridge 1' }), 'bad-id', '$.device'],
            ['device id too long (37 characters)', frame({ device: 'x'.repeat(37) }), 'bad-id', '$.device'],
            ['device as a number', frame({ device: 7 }), 'type', '$.device'],
            ['bad site', frame({ site: 'a/b' }), 'bad-id', '$.site'],
            ['bad sensor name', frame({}, { sensor: 'temp.1' }), 'bad-id', '$.sensors[0].sensor'],
            ['duplicate sensor', frame({ sensors: [frame().sensors[0], frame().sensors[0]] }), 'duplicate-sensor', '$.sensors[1].sensor'],
            ['unit too long', frame({}, { unit: 'x'.repeat(17) }), 'type', '$.sensors[0].unit'],
            ['device not in the allow-list', frame(), 'unknown-device', '$.device', { allowedDevices: ['fridge-2', 'fridge-3'] }],
            ['unrecognised object', { hello: 'world' }, 'unknown-format', '$'],
            ['forced legacy on a frame', frame(), 'missing', '$', { format: 'legacy' }],
            ['forced binary on an object', frame(), 'type', '$', { format: 'binary-v1' }],
        ];
        for (const [name, payload, key, where, opts] of table) {
            it(`${name} -> ${key}`, function () {
                assertRejects(payload, key, where, opts, stats);
            });
        }
        it('binary frame without device anywhere -> no-device, naming the pattern', function () {
            const e = assertRejects(binFrame(), 'no-device', /topic "other\/topic" does not match "picochain\/\+site\/\+device\/\+kind"/, {}, 'other/topic');
            assert.ok(e.where);
        });
        it('good messages around bad ones are unaffected, and bad frames leave the sequence state alone', function () {
            const d = new Decoder();
            const outs = [];
            const payloads = [frame({ seq: 1 }), frame({ seq: 2, window: 9999 }), '{oops', frame({ seq: 2 }), frame({ seq: 3, v: 9 }), frame({ seq: 3 })];
            for (const p of payloads) {
                try {
                    outs.push(d.decode(p, stats, NOW));
                } catch (e) {
                    outs.push(e.key);
                }
            }
            assert.deepStrictEqual(outs.map((o) => (typeof o === 'string' ? o : o.seqInfo.event)), ['first', 'range', 'not-json', 'next', 'version', 'next']);
            assert.deepStrictEqual({ ok: d.counters.ok, err: d.counters.err, gaps: d.counters.gaps }, { ok: 3, err: 3, gaps: 0 });
        });
    });

    describe('sequence tracking', function () {
        // [seq, ts offset] in, event and gap out
        const scenarios = {
            'in order': [[[1, 1], 'first', 0], [[2, 2], 'next', 0], [[3, 3], 'next', 0]],
            'a gap of two windows': [[[10, 10], 'first', 0], [[13, 13], 'gap', 2], [[14, 14], 'next', 0]],
            'uint16 wrap 65535 -> 0 is no gap': [[[65534, 1], 'first', 0], [[65535, 2], 'next', 0], [[0, 3], 'next', 0], [[1, 4], 'next', 0]],
            'a gap across the wrap': [[[65533, 1], 'first', 0], [[2, 6], 'gap', 4]],
            'a redelivered frame is a replay': [[[5, 5], 'first', 0], [[6, 6], 'next', 0], [[6, 6], 'replay', 0], [[7, 7], 'next', 0]],
            'a replay of an older frame after newer ones': [[[5, 5], 'first', 0], [[6, 6], 'next', 0], [[7, 7], 'next', 0], [[5, 5], 'replay', 0]],
            'a late frame fills a gap': [[[5, 5], 'first', 0], [[8, 8], 'gap', 2], [[6, 6], 'late', 0], [[6, 6], 'replay', 0], [[9, 9], 'next', 0]],
            'a reboot restarts the counter (same seq, new ts)': [[[0, 100], 'first', 0], [[1, 160], 'next', 0], [[2, 220], 'next', 0], [[0, 400], 'reset', 0], [[1, 460], 'next', 0]],
            'a reboot far into the sequence': [[[5000, 100], 'first', 0], [[5001, 160], 'next', 0], [[0, 400], 'reset', 0], [[1, 460], 'next', 0]],
        };
        for (const [name, steps] of Object.entries(scenarios)) {
            it(name, function () {
                const t = new SeqTracker();
                for (const [[seq, ts], event, gap] of steps) {
                    const info = t.observe('dev', seq, 1764000000 + ts);
                    assert.deepStrictEqual(info, { event, gap, replay: event === 'replay' }, `seq ${seq}`);
                }
            });
        }
        it('tracks raw-sample frames (window 0, their own counter on the board) apart from window frames', function () {
            const d = new Decoder();
            const ev = (f) => d.decode(f, undefined, NOW).seqInfo.event;
            assert.strictEqual(ev(frame({ seq: 100 })), 'first');
            assert.strictEqual(ev(frame({ seq: 5000, window: 0, ts: NOW_S - 50 })), 'first');
            assert.strictEqual(ev(frame({ seq: 5001, window: 0, ts: NOW_S - 40 })), 'next');
            assert.strictEqual(ev(frame({ seq: 101, ts: NOW_S })), 'next');
            assert.strictEqual(d.counters.resets + d.counters.gaps, 0);
        });
        it('a birth message with a new boot counter drops the device\'s sequence state', function () {
            const d = new Decoder();
            const ev = (f) => d.decode(f, undefined, NOW).seqInfo.event;
            const birth = (boot) => d.decode({ state: 'online', boot }, 'picochain/foodbank/fridge-1/status', NOW);
            birth(3);
            assert.strictEqual(ev(frame({ seq: 10, ts: 100, synced: false })), 'first');
            assert.strictEqual(ev(frame({ seq: 11, ts: 160, synced: false })), 'next');
            birth(3); // a reconnection, same boot: state kept
            assert.strictEqual(ev(frame({ seq: 13, ts: 280, synced: false })), 'gap');
            birth(4); // rebooted: counters start again, and an unsynced clock too
            assert.strictEqual(ev(frame({ seq: 11, ts: 160, synced: false })), 'first', 'not taken for a replay');
            assert.strictEqual(d.counters.reboots, 1);
            assert.strictEqual(d.counters.replays, 0);
        });
        it('keeps devices apart', function () {
            const t = new SeqTracker();
            t.observe('a', 1, 1);
            t.observe('b', 100, 1);
            assert.strictEqual(t.observe('a', 2, 2).event, 'next');
            assert.strictEqual(t.observe('b', 101, 2).event, 'next');
        });
        it('is bounded: the least recently seen device is forgotten first', function () {
            const t = new SeqTracker(3);
            for (const d of ['a', 'b', 'c']) t.observe(d, 1, 1);
            t.observe('a', 2, 2); // a is now the most recent
            t.observe('d', 1, 1); // evicts b
            assert.strictEqual(t.size, 3);
            assert.strictEqual(t.observe('b', 2, 2).event, 'first', 'b was forgotten');
            assert.strictEqual(t.observe('a', 3, 3).event, 'next', 'a was kept');
        });
        it('holds 10 000 devices by default and no more', function () {
            const t = new SeqTracker();
            for (let i = 0; i < 10050; i++) t.observe(`d${i}`, 1, 1);
            assert.strictEqual(t.size, 10000);
        });
        it('marks every reading of a replayed frame and counts gaps, replays, resets', function () {
            const d = new Decoder();
            const two = { sensors: [frame().sensors[0], { ...frame().sensors[0], sensor: 'probe1' }] };
            d.decode(frame({ seq: 1, ...two }), undefined, NOW);
            const again = d.decode(frame({ seq: 1, ...two }), undefined, NOW);
            assert.strictEqual(again.seqInfo.replay, true);
            assert.deepStrictEqual(again.readings.map((r) => r.replay), [true, true]);
            for (const r of again.readings) assertSchema(r);
            const gap = d.decode(frame({ seq: 5, ts: NOW_S }), undefined, NOW);
            assert.strictEqual(gap.seqInfo.gap, 3);
            assert.strictEqual(gap.readings[0].replay, undefined, 'only replays are marked');
            assert.deepStrictEqual(
                { ok: d.counters.ok, replays: d.counters.replays, gaps: d.counters.gaps, missing: d.counters.missing, readings: d.counters.readings },
                { ok: 3, replays: 1, gaps: 1, missing: 3, readings: 5 },
            );
        });
        it('can be switched off', function () {
            const d = new Decoder({ trackSeq: false });
            d.decode(frame(), undefined, NOW);
            const out = d.decode(frame(), undefined, NOW);
            assert.deepStrictEqual(out.seqInfo, { event: 'none', gap: 0, replay: false });
        });
    });

    describe('helpers', function () {
        it('topic patterns: named wildcards, + and #', function () {
            assert.deepStrictEqual(compileTopicPattern('picochain/+site/+device/+kind').match('picochain/a/b/stats'), { site: 'a', device: 'b', kind: 'stats' });
            assert.strictEqual(compileTopicPattern('picochain/+site/+device/+kind').match('picochain/a/b'), null);
            assert.strictEqual(compileTopicPattern('picochain/+site/+device/+kind').match(undefined), null);
            assert.deepStrictEqual(compileTopicPattern('x/+/+device/#').match('x/1/dev/a/b'), { device: 'dev' });
            assert.deepStrictEqual(compileTopicPattern('x/+device/#').match('x/dev'), { device: 'dev' });
            assert.deepStrictEqual(compileTopicPattern('a.b/+device').match('a.b/z'), { device: 'z' });
            assert.strictEqual(compileTopicPattern('a.b/+device').match('aXb/z'), null, 'dots are literal');
            for (const bad of ['', 'a/#/b', 'a/b+/c', 'a/+dev-ice', 'a#']) assert.ok(topicPatternProblem(bad), bad);
            assert.throws(() => new Decoder({ topicPattern: 'a/#/b' }), /topic pattern/);
        });
        it('refuses bad options at construction', function () {
            assert.throws(() => new Decoder({ format: 'xml' }), /unknown format/);
            assert.throws(() => new Decoder({ maxBytes: 0 }), /maxBytes/);
            assert.throws(() => new Decoder({ tempMin: 10, tempMax: 5 }), /temperature range/);
            assert.throws(() => new Decoder({ legacyTimeZone: 'Paris' }), /time zone "Paris" is neither/);
            assert.throws(() => new Decoder({ allowedDevices: ['ok', 'not ok'] }), /allow-list/);
        });
        it('tells text from binary', function () {
            assert.strictEqual(looksLikeText(Buffer.from('{"v":1}\n')), true);
            assert.strictEqual(looksLikeText(Buffer.from('offline')), true);
            assert.strictEqual(looksLikeText(Buffer.from('été', 'utf8')), true);
            assert.strictEqual(looksLikeText(binFrame()), false);
            assert.strictEqual(looksLikeText(Buffer.from([0x7b, 0xff, 0x7d])), false, 'invalid UTF-8');
        });
        it('checkTree accepts normal nesting and Dates', function () {
            checkTree({ a: [1, { b: new Date(), c: null, d: 'x.y' }] });
        });
        it('round-trips a frame through both encoders with identical readings (JSON exact)', function () {
            const f = frame({ seq: 9 });
            const a = decodeOne(encodeJsonFrame(f)).readings[0];
            const b = decodeOne(encodeBinaryFrame(f)).readings[0];
            assert.strictEqual(a.mean, b.mean);
            assert.strictEqual(a.time.getTime(), b.time.getTime());
        });
    });
});
