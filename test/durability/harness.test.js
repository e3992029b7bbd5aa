'use strict';
// The durability harness checks itself, so a fault test cannot pass because the harness stopped
// seeing loss: the checker finds a missing and a duplicate reading it was given, and the boards
// count as acknowledged exactly the readings of frames the broker PUBACKed.
const assert = require('assert');
const { MongoClient } = require('mongodb');
const services = require('../../scripts/lib/services');
const { Store, startBoards } = require('./harness');
const { readingKey, T0_S, WINDOW_S } = require('./harness/boards');

describe('durability harness', function () {
    this.timeout(60000);
    let ferret;
    let mosquitto;
    before(async function () { [ferret, mosquitto] = await Promise.all([services.startFerretDB(), services.startMosquitto()]); });
    after(async function () {
        if (ferret) await ferret.cleanup();
        if (mosquitto) await mosquitto.cleanup();
    });

    it('the checker counts missing and duplicate readings by device, sensor and time', async function () {
        const client = new MongoClient(ferret.uri);
        await client.connect();
        const t = (i) => new Date((T0_S + i * WINDOW_S) * 1000);
        const doc = (device, sensor, i) => ({ time: t(i), meta: { device, sensor } });
        // no unique _id: a native time-series collection could hold the same reading twice
        await client.db('harness').collection('readings').insertMany([
            doc('b-1', 'temperature', 0), doc('b-1', 'temperature', 1), doc('b-1', 'temperature', 1),
            doc('b-2', 'probe1', 0), doc('probe-0001', 'temperature', 0),
        ]);
        await client.close();
        const acked = new Map([
            [readingKey('b-1', 'temperature', t(0).getTime()), 1], [readingKey('b-1', 'temperature', t(1).getTime()), 2],
            [readingKey('b-2', 'probe1', t(1).getTime()), 3],
        ]);
        const store = new Store(ferret.uri, 'harness');
        try {
            const r = await store.check(acked, (d) => d.startsWith('probe-'));
            assert.deepStrictEqual({ missing: r.missing, duplicates: r.duplicates, extra: r.extra, stored: r.stored },
                { missing: 1, duplicates: 1, extra: 1, stored: 4 });
            assert.deepStrictEqual(r.missingSample, [readingKey('b-2', 'probe1', t(1).getTime())]);
            assert.strictEqual(await store.count(), 5);
            const w = await store.waitComplete(acked, { stallMs: 1500, every: 200 });
            assert.deepStrictEqual([w.complete, w.stalled], [false, true]);
        } finally {
            await store.close();
        }
    });

    it('boards publish QoS 1 frames and record the readings of acknowledged frames only', async function () {
        const fleet = await startBoards({ url: mosquitto.url, count: 3, prefix: 'h', sensors: ['temperature', 'humidity'] });
        try {
            await fleet.burst(4);
            assert.strictEqual(await fleet.settle(10000), 0);
            assert.deepStrictEqual(fleet.counts(), { boards: 3, frames: 12, readings: 24, ackedFrames: 12, ackedReadings: 24, pending: 0 });
            assert.ok(fleet.acked.has(readingKey('h-0002', 'humidity', (T0_S + 3 * WINDOW_S) * 1000)));
            // broker gone: frames wait unacknowledged, and are sent once it is back
            await mosquitto.stop();
            fleet.boards[0].publishOne();
            assert.strictEqual(await fleet.settle(1000), 1);
            assert.strictEqual(fleet.acked.size, 24);
            await mosquitto.restart();
            assert.strictEqual(await fleet.settle(15000), 0);
            assert.strictEqual(fleet.acked.size, 26);
        } finally {
            await fleet.end();
        }
    });
});
