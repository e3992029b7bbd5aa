'use strict';
// picochain-history in the real runtime (node-red-node-test-helper) against a real FerretDB 1.24.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { MongoClient } = require('mongodb');
const { startFerretDB } = require('../../scripts/lib/services');
const historyNode = require('../../dist/nodes/picochain-history/picochain-history.js');
// the stored shape comes from the writer's own mapping, so history reads what picochain-mongo-ts writes
const { toDocument } = require('../../dist/nodes/picochain-mongo-ts/document');

const realConfigPath = path.join(__dirname, '../../dist/nodes/picochain-mongo-config/picochain-mongo-config.js');
const H = 3600000;

helper.init(require.resolve('node-red'));

describe('picochain-history node against FerretDB', function () {
    this.timeout(60000);
    let fdb;
    let client;
    let configNode;
    // set when the data is seeded, not when mocha loads this file (a full run reaches it minutes later)
    let now;
    let from;

    before(async function () {
        now = Date.now();
        from = now - 24 * H;
        fdb = await startFerretDB();
        client = await MongoClient.connect(fdb.uri);
        const col = client.db('picochain').collection('readings');
        const readings = [];
        // 24 h of 60 s windows for two sensors, temperature a ramp 0..(24*60-1)/100, humidity constant
        for (let i = 0; i < 24 * 60; i++) {
            const time = new Date(from + i * 60000 + 30000);
            readings.push({ device: 'fridge-1', sensor: 'temperature', site: 'test', unit: '°C', source: 'json-v1', time, window: 60, count: 6, min: i / 100 - 0.5, max: i / 100 + 0.5, mean: i / 100, std: 0.1, slope: 0, last: i / 100, seq: i, state: 0 });
            readings.push({ device: 'fridge-1', sensor: 'humidity', site: 'test', unit: '%', source: 'json-v1', time, window: 60, count: 6, min: 40, max: 60, mean: 50, std: 1, slope: 0, last: 50, seq: i, state: 0 });
        }
        readings.push({ device: 'fridge-2', sensor: 'temperature', time: new Date(now - H), count: 0, min: null, max: null, mean: null, fault: 'no-samples' });
        const fields = { timeField: 'time', metaField: 'meta' };
        await col.insertMany(readings.map((r, i) => toDocument(r, fields, new Date(now), i).doc));
        configNode = require(realConfigPath);
    });
    after(async function () {
        if (client) await client.close();
        if (fdb) await fdb.cleanup();
    });
    afterEach(async function () { await helper.unload(); });

    function flow(extra = {}) {
        return [
            { id: 'cfg', type: 'picochain-mongo-config', name: 'db', uri: fdb.uri, database: 'picochain' },
            { id: 'h', type: 'picochain-history', mongo: 'cfg', collection: 'readings', timeField: 'time', metaField: 'meta', range: '24h', maxPoints: 300, stats: 'mean,min,max', format: 'ui_chart', engine: 'auto', hourly: true, timeout: 10, wires: [['chart'], ['table']], ...extra },
            { id: 'chart', type: 'helper' },
            { id: 'table', type: 'helper' },
        ];
    }
    function load(extra) {
        return new Promise((resolve) => helper.load([configNode, historyNode], flow(extra), { cfg: { user: '', password: '' } }, resolve));
    }
    function ask(payload, extraMsg = {}) {
        const chart = helper.getNode('chart');
        const table = helper.getNode('table');
        return Promise.all([
            new Promise((r) => chart.once('input', r)),
            new Promise((r) => table.once('input', r)),
            helper.getNode('h').receive({ payload, ...extraMsg }),
        ]);
    }

    it('answers a 24 h request with ≤ 300 five-minute buckets per series, bucketing after a find on FerretDB', async function () {
        await load();
        const [c, t] = await ask({ device: 'fridge-1', sensor: 'temperature', range: '24h' });
        assert.strictEqual(c.history.engine, 'find');
        assert.strictEqual(c.history.bucketMs, 5 * 60000);
        console.log(`      24 h of 60 s windows (1440) -> ${c.history.buckets} buckets in ${c.history.ms} ms (engine ${c.history.engine}, chart + hourly buckets)`);
        assert.strictEqual(c.topic, 'fridge-1');
        const [chart] = c.payload;
        assert.deepStrictEqual(chart.series, ['temperature mean', 'temperature min', 'temperature max']);
        const mean = chart.data[0];
        assert.ok(mean.length >= 288 && mean.length <= 289, `${mean.length} buckets`);
        // every point older than the request: history, not live data
        assert.ok(mean.every((p) => p.x < now && p.x >= from - 5 * 60000));
        // a full bucket of the ramp: mean of 5 consecutive i/100 values
        const full = mean[10];
        const i0 = Math.ceil((full.x - from - 30000) / 60000);
        assert.ok(Math.abs(full.y - (i0 + 2) / 100) < 1e-6, `bucket mean ${full.y} for i0 ${i0}`);
        assert.ok(chart.data[1][10].y < full.y && chart.data[2][10].y > full.y);
        // hourly stats: 24 or 25 rows (partial first/last hour), newest first, changes of 0.6/h
        assert.ok(t.payload.length >= 24 && t.payload.length <= 25);
        assert.ok(t.payload[0].t > t.payload[1].t);
        const mid = t.payload[5];
        assert.strictEqual(mid.sensor, 'temperature');
        assert.strictEqual(mid.windows, 60);
        assert.strictEqual(mid.samples, 360);
        assert.ok(Math.abs(mid.change - 0.6) < 0.011, `change ${mid.change}`);
    });

    it('gives Dashboard 2.0 points with msg.action replace, all sensors when none is named', async function () {
        await load({ format: 'points', stats: 'mean' });
        const [c] = await ask('fridge-1', { range: '6h' });
        assert.strictEqual(c.action, 'replace');
        const series = [...new Set(c.payload.map((p) => p.series))];
        assert.deepStrictEqual(series, ['humidity mean', 'temperature mean']);
        assert.ok(c.payload.every((p) => typeof p.x === 'number' && typeof p.y === 'number'));
        assert.ok(c.payload.filter((p) => p.series === 'humidity mean').every((p) => p.y === 50));
    });

    it('keeps a failed window (no samples) out of the statistics but counts it', async function () {
        await load({ format: 'buckets' });
        const [c, t] = await ask({ device: 'fridge-2', range: '2h' });
        assert.strictEqual(c.payload.length, 1);
        assert.strictEqual(c.payload[0].mean, null);
        assert.strictEqual(c.payload[0].windows, 1);
        assert.strictEqual(t.payload[0].windows, 1);
    });

    it('the engine forced to "find" gives the same buckets as "auto"', async function () {
        // 2 h starting mid-bucket, so both partial end buckets hold readings (one every minute, at
        // :30): from an arbitrary start, one of them is empty when it is under 30 s long
        const Q = 15 * 60000;
        const start = Math.ceil((from + H) / Q) * Q + Q / 2;
        await load({ format: 'buckets', engine: 'find' });
        const [a] = await ask({ device: 'fridge-1', from: start, to: start + 2 * H, bucket: '15m' });
        await helper.unload();
        await load({ format: 'buckets', engine: 'auto' });
        const [b] = await ask({ device: 'fridge-1', from: start, to: start + 2 * H, bucket: '15m' });
        assert.deepStrictEqual(a.payload, b.payload);
        // 2 h from an unaligned start over 15 min buckets: 9 buckets for each of the 2 sensors
        assert.strictEqual(a.payload.length, 18);
    });

    it('a bad request fails through done(err) with a message a Catch node can show', async function () {
        await load();
        const h = helper.getNode('h');
        h.receive({ payload: { device: 'bad id!' } });
        const call = await new Promise((resolve) => {
            const t = setInterval(() => { if (h.error.called) { clearInterval(t); resolve(h.error.firstCall); } }, 20);
        });
        assert.match(String(call.args[0]), /not a valid id/);
    });

    it('a database that does not answer fails within the timeout instead of hanging', async function () {
        this.timeout(20000);
        const flowDef = flow({ timeout: 1 });
        flowDef[0].uri = 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=30000';
        await new Promise((resolve) => helper.load([configNode, historyNode], flowDef, { cfg: { user: '', password: '' } }, resolve));
        const h = helper.getNode('h');
        const t0 = Date.now();
        h.receive({ payload: { device: 'fridge-1' } });
        await new Promise((resolve) => {
            const t = setInterval(() => { if (h.error.called) { clearInterval(t); resolve(); } }, 20);
        });
        assert.ok(Date.now() - t0 < 5000);
        assert.match(String(h.error.firstCall.args[0]), /did not answer within 1 s|no-database/);
    });
});
