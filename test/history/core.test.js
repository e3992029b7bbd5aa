'use strict';
const assert = require('assert');
const core = require('../../dist/nodes/picochain-history/core');

const H = 3600000;
const T0 = Date.UTC(2026, 10, 24, 0, 0, 0);
const w = (ms, sensor, mean, extra = {}) => ({ time: new Date(T0 + ms), sensor, count: 6, min: mean - 1, max: mean + 1, mean, ...extra });

describe('picochain-history core', function () {
    describe('parseRequest', function () {
        const defaults = { range: '24h', maxPoints: 300 };
        const now = T0 + 24 * H;
        it('takes device, sensor and range, picks a round bucket', function () {
            const r = core.parseRequest({ device: 'fridge-1', sensor: 'temperature', range: '24h' }, defaults, now);
            assert.deepStrictEqual(r, { device: 'fridge-1', sensor: 'temperature', from: T0, to: now, bucketMs: 5 * 60000 });
        });
        it('reads "*" and "" as every sensor and uses the default device and range', function () {
            const r = core.parseRequest({ sensor: '*' }, { ...defaults, device: 'f2', range: '6h' }, now);
            assert.strictEqual(r.sensor, null);
            assert.strictEqual(r.device, 'f2');
            assert.strictEqual(r.to - r.from, 6 * H);
        });
        it('accepts from/to as ISO text and an explicit bucket', function () {
            const r = core.parseRequest({ device: 'a', from: new Date(T0).toISOString(), to: T0 + H, bucket: '10m' }, defaults, now);
            assert.strictEqual(r.from, T0);
            assert.strictEqual(r.bucketMs, 600000);
        });
        for (const [what, input, code] of [
            ['no device', {}, 'bad-device'],
            ['a bad device id', { device: 'a b' }, 'bad-device'],
            ['a bad sensor', { device: 'a', sensor: '$x' }, 'bad-sensor'],
            ['a bad range', { device: 'a', range: 'yesterday' }, 'bad-range'],
            ['from after to', { device: 'a', from: T0 + H, to: T0 }, 'bad-range'],
            ['a bad date', { device: 'a', from: 'soon' }, 'bad-time'],
            ['too many buckets', { device: 'a', range: '366d', bucket: '10s' }, 'bad-points'],
            ['a range over a year', { device: 'a', range: '400d' }, 'bad-range'],
        ]) {
            it(`refuses ${what}`, function () {
                assert.throws(() => core.parseRequest(input, defaults, now), (e) => e instanceof core.HistoryError && e.code === code);
            });
        }
    });

    it('chooseBucketMs keeps at most maxPoints buckets on round lengths', function () {
        assert.strictEqual(core.chooseBucketMs(24 * H, 300), 5 * 60000);
        assert.strictEqual(core.chooseBucketMs(H, 300), 30000);
        assert.strictEqual(core.chooseBucketMs(7 * 24 * H, 300), H);
        assert.strictEqual(core.chooseBucketMs(365 * 24 * H, 100), 4 * 24 * H);
    });

    describe('bucketDocs', function () {
        it('gives min/max extremes and the count-weighted mean per sensor and bucket, sorted', function () {
            const b = core.bucketDocs([
                w(0, 'temperature', 4, { count: 6 }),
                w(60000, 'temperature', 6, { count: 2 }),
                w(H + 1, 'temperature', 10),
                w(30000, 'humidity', 50),
            ], H);
            assert.deepStrictEqual(b, [
                { t: T0, sensor: 'humidity', min: 49, max: 51, mean: 50, windows: 1, samples: 6 },
                { t: T0, sensor: 'temperature', min: 3, max: 7, mean: 4.5, windows: 2, samples: 8 },
                { t: T0 + H, sensor: 'temperature', min: 9, max: 11, mean: 10, windows: 1, samples: 6 },
            ]);
        });
        it('counts failed windows (count 0, null stats) without using their values', function () {
            const b = core.bucketDocs([w(0, 'probe1', 4), { time: new Date(T0 + 1000), sensor: 'probe1', count: 0, min: null, max: null, mean: null }], H);
            assert.deepStrictEqual(b, [{ t: T0, sensor: 'probe1', min: 3, max: 5, mean: 4, windows: 2, samples: 6 }]);
        });
        it('weighs legacy readings with unknown count as one sample', function () {
            const b = core.bucketDocs([w(0, 't', 1, { count: null }), w(1, 't', 3, { count: null })], H);
            assert.strictEqual(b[0].mean, 2);
            assert.strictEqual(b[0].samples, 2);
        });
        it('aligns buckets on UTC multiples of the bucket length', function () {
            assert.strictEqual(core.bucketStart(T0 + 7 * 60000 + 5, 5 * 60000), T0 + 5 * 60000);
            assert.strictEqual(core.bucketStart(-1, 1000), -1000);
        });
    });

    it('toStoredWindow reads a writer document with custom field names', function () {
        const d = core.toStoredWindow({ ts: new Date(T0), m: { sensor: 'temperature', device: 'x' }, count: 6, min: 1, max: 3, mean: 2 }, { timeField: 'ts', metaField: 'm' });
        assert.deepStrictEqual(d, { time: new Date(T0), sensor: 'temperature', count: 6, min: 1, max: 3, mean: 2 });
        assert.strictEqual(core.toStoredWindow({ m: {} }, { timeField: 'ts', metaField: 'm' }), null);
    });

    it('fromPipelineDocs gives what bucketDocs gives for the same data', function () {
        const docs = [w(0, 't', 4, { count: 6 }), w(60000, 't', 6, { count: 2 })];
        const viaPipeline = core.fromPipelineDocs([{ _id: { sensor: 't', t: T0 }, min: 3, max: 7, wsum: 4 * 6 + 6 * 2, wn: 8, windows: 2, samples: 8 }]);
        assert.deepStrictEqual(viaPipeline, core.bucketDocs(docs, H));
    });

    it('buildFilter and buildBucketPipeline use the configured field names', function () {
        const req = { device: 'f', sensor: 'temperature', from: T0, to: T0 + H, bucketMs: 60000 };
        const f = core.buildFilter(req, { timeField: 'ts', metaField: 'm' });
        assert.deepStrictEqual(f, { 'm.device': 'f', 'm.sensor': 'temperature', ts: { $gte: new Date(T0), $lt: new Date(T0 + H) } });
        const p = core.buildBucketPipeline(req, { timeField: 'ts', metaField: 'm' });
        assert.deepStrictEqual(p[0], { $match: f });
        assert.strictEqual(p[1].$group._id.sensor, '$m.sensor');
    });

    it('isNotImplemented recognises FerretDB\'s answer and nothing else', function () {
        assert.ok(core.isNotImplemented({ code: 238, message: 'The operator $subtract is not implemented yet' }));
        assert.ok(!core.isNotImplemented({ code: 13, message: 'Unauthorized' }));
        assert.ok(!core.isNotImplemented(new Error('connection refused')));
    });

    describe('chart shapes', function () {
        const buckets = core.bucketDocs([w(0, 'temperature', 4), w(H, 'temperature', 5), w(0, 'humidity', 50)], H);
        it('toUiChart: one replace-all object with a series per sensor and statistic', function () {
            const c = core.toUiChart(buckets, { device: 'f', stats: ['mean', 'max'] });
            assert.strictEqual(c.length, 1);
            assert.deepStrictEqual(c[0].series, ['humidity mean', 'humidity max', 'temperature mean', 'temperature max']);
            assert.deepStrictEqual(c[0].data[2], [{ x: T0, y: 4 }, { x: T0 + H, y: 5 }]);
            assert.deepStrictEqual(c[0].labels, ['']);
        });
        it('toChartPoints: flat {x, y, series} points', function () {
            const p = core.toChartPoints(buckets, { device: 'f', stats: ['min'], label: (s, st) => `${s}/${st}` });
            assert.deepStrictEqual(p, [{ x: T0, y: 49, series: 'humidity/min' }, { x: T0, y: 3, series: 'temperature/min' }, { x: T0 + H, y: 4, series: 'temperature/min' }]);
        });
        it('hourlyRows: newest first with the change of the mean since the previous hour', function () {
            const rows = core.hourlyRows(buckets, 'f');
            assert.strictEqual(rows[0].hour, new Date(T0 + H).toISOString());
            assert.strictEqual(rows[0].change, 1);
            assert.strictEqual(rows.find((r) => r.sensor === 'humidity').change, null);
        });
        it('parseStats accepts lists and refuses nonsense', function () {
            assert.deepStrictEqual(core.parseStats('mean, min,mean'), ['mean', 'min']);
            assert.throws(() => core.parseStats('median'), core.HistoryError);
        });
    });
});
