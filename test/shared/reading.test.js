'use strict';
// nodes/shared/reading.ts: the one per-field Reading check. The schema file is generated from the
// same table, the schema and the check agree on every rule the schema can express, and the
// decoder, the writer (picochain-mongo-ts document.ts) and the alert node refuse the same readings.
const assert = require('assert');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats');
const schemaFile = require('../../nodes/shared/reading.schema.json');
const shared = require('../../dist/nodes/shared/reading');
const { toDocument, ReadingError } = require('../../dist/nodes/picochain-mongo-ts/document');
const { checkAlertReading, AlertInputError } = require('../../dist/nodes/picochain-alert/core');
const { Decoder, DecodeError } = require('../../dist/nodes/picochain-decode/core');

const { readingJsonSchema, fieldProblem, checkReading, ReadingCheckError, statLimits, READING_FIELDS, READING_RULES, PLAUSIBLE } = shared;

const NOW = new Date('2026-11-24T10:00:00.000Z');
const T = new Date(NOW.getTime() - 60000);
const ajv = new Ajv2020({ strict: true });
addFormats(ajv);
const validate = ajv.compile(schemaFile);

function reading(over = {}) {
    return {
        device: 'fridge-1', site: 'foodbank', sensor: 'temperature', unit: '°C', time: T, deviceTime: T, receivedAt: NOW,
        window: 60, count: 6, min: 3.9, max: 4.4, mean: 4.1, std: 0.18, slope: 0.05, last: 4.2, seq: 7, state: 0, source: 'json-v1',
        ...over,
    };
}

describe('shared Reading check (nodes/shared/reading.ts)', function () {
    it('reading.schema.json is the schema generated from READING_RULES (node scripts/reading-schema.js rewrites it)', function () {
        assert.deepStrictEqual(schemaFile, JSON.parse(JSON.stringify(readingJsonSchema())));
        assert.deepStrictEqual(Object.keys(schemaFile.properties), [...READING_FIELDS]);
    });

    // One field changed per row; the schema sees the reading as it crosses JSON. A "co2" sensor in
    // "ppm" has only the sanity bound (PLAUSIBLE.other), which is what the schema states too.
    const generic = { sensor: 'co2', unit: 'ppm' };
    const rows = [
        ['a valid reading', {}, true],
        ['a 36-character device id (The Things Stack)', { device: 'x'.repeat(36) }, true],
        ['a 37-character device id', { device: 'x'.repeat(37) }, false],
        ['a device with a dot', { device: 'a.b' }, false],
        ['device null', { device: null }, false],
        ['site null', { site: null }, true],
        ['a 33-character sensor name', { sensor: 's'.repeat(33), unit: null }, false],
        ['unit of 17 characters', { ...generic, unit: 'x'.repeat(17) }, false],
        ['window 3601', { window: 3601 }, false],
        ['window 1.5', { window: 1.5 }, false],
        ['count 65536', { count: 65536 }, false],
        ['count -1', { count: -1 }, false],
        ['seq 65536', { seq: 65536 }, false],
        ['seq null', { seq: null }, true],
        ['state 3', { state: 3 }, false],
        ['state null', { state: null }, true],
        ['std -0.1', { ...generic, std: -0.1 }, false],
        ['std 1e308 (generic sensor)', { ...generic, std: 1e308 }, false],
        ['slope 1e308 (generic sensor)', { ...generic, slope: 1e308 }, false],
        ['slope -1e308 (generic sensor)', { ...generic, slope: -1e308 }, false],
        ['mean 1e6 (generic sensor, the bound)', { ...generic, mean: 1e6 }, true],
        ['mean 1000001 (generic sensor)', { ...generic, mean: 1000001 }, false],
        ['a statistic as a string', { ...generic, max: '4.4' }, false],
        ['fault of 65 characters', { fault: 'f'.repeat(65) }, false],
        ['source carrier-pigeon', { source: 'carrier-pigeon' }, false],
        ['replay "yes"', { replay: 'yes' }, false],
    ];
    for (const [name, over, ok] of rows) {
        it(`${name}: check and schema both ${ok ? 'accept' : 'refuse'}`, function () {
            const r = reading(over);
            let refusedBy = null;
            try {
                checkReading(r, { now: NOW });
            } catch (e) {
                assert.ok(e instanceof ReadingCheckError, e.stack);
                refusedBy = e.message;
            }
            assert.strictEqual(refusedBy === null, ok, `check: ${refusedBy}`);
            assert.strictEqual(validate(JSON.parse(JSON.stringify(r))), ok, `schema: ${JSON.stringify(validate.errors)}`);
        });
    }

    const limits = [
        // [sensor, unit, temperature setting, level, std, slope]
        ['temperature', '°C', undefined, [-100, 300], [0, 200], [-30, 30]],
        ['probe7', '°C', [-60, 150], [-60, 150], [0, 105], [-30, 30]],
        ['humidity', '%', undefined, [0, 100], [0, 50], [-30, 30]],
        ['door2', null, undefined, [0, 1], [0, 0.5], [-30, 30]],
        ['ambient', '°C', [0, 8], [0, 8], [0, 4], [-30, 30]],
        ['co2', 'ppm', undefined, [-1e6, 1e6], [0, 1e6], [-1e6, 1e6]],
        // a known kind keeps its range whatever unit a payload claims
        ['temperature', '%', undefined, [-100, 300], [0, 200], [-30, 30]],
    ];
    for (const [sensor, unit, temp, level, std, slope] of limits) {
        it(`plausible range of ${sensor} (${unit})${temp ? ` with ${temp.join(' … ')} °C` : ''}`, function () {
            const l = statLimits(sensor, unit, temp);
            assert.deepStrictEqual([l.level, l.std, l.slope].map((x) => [...x]), [level, std, slope]);
        });
    }

    it('every plausible range lies strictly inside what a binary frame can carry (±327.67, slope ±32.767)', function () {
        for (const [cls, p] of Object.entries(PLAUSIBLE)) {
            if (cls === 'other') continue;
            assert.ok(p.level[0] > -327.67 && p.level[1] < 327.67, cls);
            assert.ok((p.level[1] - p.level[0]) / 2 < 655.34, `${cls} std`);
            assert.ok(p.slope < 32.767, `${cls} slope`);
        }
    });

    it('fieldProblem names the rule and the limits', function () {
        assert.strictEqual(fieldProblem('count', 6), null);
        assert.deepStrictEqual(pick(fieldProblem('count', 70000)), { rule: 'range', min: 0, max: 65535 });
        assert.deepStrictEqual(pick(fieldProblem('mean', 151, { sensor: 'temperature', unit: '°C', temperature: [-60, 150] })), { rule: 'implausible', min: -60, max: 150 });
        assert.strictEqual(fieldProblem('unit', '%', { sensor: 'probe1' }).rule, 'type', 'a probe is in °C');
        assert.strictEqual(fieldProblem('unit', 'ppm', { sensor: 'co2' }), null);
        assert.strictEqual(fieldProblem('device', undefined).rule, 'missing');
        assert.strictEqual(fieldProblem('mean', NaN).rule, 'not-finite');
        assert.strictEqual(fieldProblem('time', '2019-12-31T23:59:59Z', { now: NOW }).rule, 'range');
        assert.strictEqual(fieldProblem('time', new Date(NOW.getTime() + 86400000 + 1000), { now: NOW }).rule, 'range');
        assert.strictEqual(fieldProblem('time', new Date(NOW.getTime() + 3600000), { now: NOW }), null);
        for (const f of READING_FIELDS) assert.ok(READING_RULES[f].expected.length > 0, f);
    });

    it('checkReading revives dates, fills absent optional fields and drops unknown properties', function () {
        const c = checkReading({ device: 'd1', sensor: 's1', time: T.toISOString(), extra: 1 }, { now: NOW });
        assert.ok(c.time instanceof Date && c.time.getTime() === T.getTime());
        assert.strictEqual(c.receivedAt.getTime(), NOW.getTime());
        assert.deepStrictEqual(
            { site: c.site, unit: c.unit, window: c.window, count: c.count, mean: c.mean, seq: c.seq, state: c.state, source: c.source, deviceTime: c.deviceTime },
            { site: null, unit: null, window: 0, count: null, mean: null, seq: null, state: null, source: null, deviceTime: null },
        );
        assert.ok(!('extra' in c) && !('fault' in c));
        assert.throws(() => checkReading({ ...reading(), device: '' }, { now: NOW, path: 'payload[1]' }), /^ReadingCheckError: payload\[1\]\.device "" must be 1 to 36 letters/);
        assert.throws(() => checkReading('hello', { now: NOW, path: 'payload' }), /payload is not a reading object/);
    });

    // The same bad reading, refused by the writer, the alert node and (as a frame) the decoder.
    const consumers = [
        ['std 1e308', { std: 1e308 }, 'std'],
        ['slope 1e308', { slope: 1e308 }, 'slope'],
        ['slope -1e308', { slope: -1e308 }, 'slope'],
        ['mean 400 °C', { mean: 400 }, 'mean'],
        ['humidity 101 %', { sensor: 'humidity', unit: '%', min: 50, max: 101, mean: 60, last: 60, std: 1, slope: 0 }, 'max'],
        ['a door open 2 times over', { sensor: 'door', unit: null, min: 0, max: 2, mean: 0.5, last: 0, std: 0.4, slope: 0 }, 'max'],
        ['a probe in %', { sensor: 'probe1', unit: '%' }, 'unit'],
        ['count 70000', { count: 70000 }, 'count'],
    ];
    for (const [name, over, field] of consumers) {
        it(`${name}: refused by the writer, the alert node and the decoder, naming ${field}`, function () {
            const r = reading(over);
            assert.throws(() => toDocument(r, { timeField: 'time', metaField: 'meta' }, NOW, 0), (e) => e instanceof ReadingError && e.message.includes(field));
            assert.throws(() => checkAlertReading(r, NOW.getTime()), (e) => e instanceof AlertInputError && e.message.includes(`reading.${field}`));
            const frame = { v: 1, device: r.device, site: r.site, seq: 1, ts: Math.floor(T.getTime() / 1000), window: 60, sensors: [{ ...r, device: undefined }] };
            for (const k of ['device', 'site', 'time', 'deviceTime', 'receivedAt', 'window', 'seq', 'source']) delete frame.sensors[0][k];
            assert.throws(() => new Decoder({ tempMin: -100, tempMax: 300 }).decode(frame, 'picochain/foodbank/fridge-1/stats', NOW),
                (e) => e instanceof DecodeError && e.where === `$.sensors[0].${field}`);
        });
    }
});

function pick(p) {
    return { rule: p.rule, min: p.min, max: p.max };
}
