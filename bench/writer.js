#!/usr/bin/env node
// Benchmark: readings/s stored by picochain-mongo-ts (batched insertMany, in the real Node-RED
// runtime) against the baseline of one insertOne per message, both on the same FerretDB 1.24
// (SQLite) started here, in the same run. Prints both rates and the ratio. Runs in well under 60 s.
// Usage: node scripts/build.js && node bench/writer.js [--readings 20000] [--baseline-seconds 8]
'use strict';
const path = require('path');
const { MongoClient } = require('mongodb');
const helper = require('node-red-node-test-helper');
const { startFerretDB } = require('../scripts/lib/services');
const root = path.join(__dirname, '..');
const configNode = require(path.join(root, 'dist/nodes/picochain-mongo-config/picochain-mongo-config.js'));
const writerNode = require(path.join(root, 'dist/nodes/picochain-mongo-ts/picochain-mongo-ts.js'));
const { toDocument } = require(path.join(root, 'dist/nodes/picochain-mongo-ts/document.js'));

const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const READINGS = arg('readings', 20000);
const BASELINE_S = arg('baseline-seconds', 8);
const T0 = Date.now() - 86400 * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function reading(i) {
    const time = new Date(T0 + i * 1000);
    return {
        device: `fridge-${i % 20}`, site: 'foodbank', sensor: 'temperature', unit: '°C', time, deviceTime: time,
        receivedAt: new Date(time.getTime() + 100), window: 60, count: 6, min: 3.9, max: 4.4, mean: 4.1, std: 0.18,
        slope: 0.05, last: 4.2, seq: i % 65536, state: 0, source: 'json-v1',
    };
}

async function batched(uri, db, batchSize) {
    helper.init(require.resolve('node-red'));
    await helper.load([configNode, writerNode], [
        { id: 'f1', type: 'tab' },
        { id: 'cfg', type: 'picochain-mongo-config', uri, database: db, connectTimeout: 5000 },
        { id: 'w', type: 'picochain-mongo-ts', z: 'f1', mongo: 'cfg', collection: 'readings', batchSize, batchDelay: 100,
            bufferSize: Math.max(READINGS, batchSize), overflow: 'reject', outputs: 1, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'f1' },
    ]);
    const w = helper.getNode('w');
    // the test helper wraps every node's send/status/log in recording sinon spies (1.5 s of CPU
    // and most of the GC for 20000 messages): put the runtime's own methods back for the measure
    for (const m of ['send', 'status', 'log', 'warn', 'error', 'debug', 'trace']) {
        const fn = helper._NodePrototype && helper._NodePrototype[m];
        if (fn && typeof fn.restore === 'function') fn.restore();
    }
    let done = 0;
    helper.getNode('out').on('input', () => { done++; });
    while (!w.stats().online) await sleep(20);
    const t0 = process.hrtime.bigint();
    // feed like a busy MQTT input: in chunks, yielding to the event loop between them
    for (let i = 0; i < READINGS; i += 500) {
        for (let j = i; j < Math.min(READINGS, i + 500); j++) w.receive({ payload: reading(j) });
        await new Promise((r) => setImmediate(r));
    }
    const fed = Number(process.hrtime.bigint() - t0) / 1e9;
    while (done < READINGS) await sleep(5);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const stats = w.stats();
    await helper.unload();
    return { rate: READINGS / s, seconds: s, batches: stats.batches, written: stats.written, fed };
}

async function oneInsertPerMessage(uri, db, concurrency) {
    const client = new MongoClient(uri);
    await client.connect();
    const coll = client.db(db).collection('baseline');
    const fields = { timeField: 'time', metaField: 'meta' };
    const deadline = Date.now() + BASELINE_S * 1000;
    let n = 0;
    const t0 = process.hrtime.bigint();
    const worker = async () => {
        while (Date.now() < deadline) {
            const i = n++;
            await coll.insertOne(toDocument(reading(i), fields, new Date()).doc);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const stored = await coll.countDocuments();
    await client.close();
    return { rate: stored / s, seconds: s, stored };
}

(async () => {
    const started = Date.now();
    const ferret = await startFerretDB();
    try {
        console.log(`FerretDB ${ferret.version} (SQLite) on ${ferret.uri}; ${READINGS} readings, one message each`);
        const seq = await oneInsertPerMessage(ferret.uri, 'bench_base1', 1);
        console.log(`baseline insertOne per message, sequential:   ${seq.rate.toFixed(0).padStart(7)} readings/s (${seq.stored} in ${seq.seconds.toFixed(1)} s)`);
        const par = await oneInsertPerMessage(ferret.uri, 'bench_base16', 16);
        console.log(`baseline insertOne per message, 16 in flight: ${par.rate.toFixed(0).padStart(7)} readings/s (${par.stored} in ${par.seconds.toFixed(1)} s)`);
        const b = await batched(ferret.uri, 'bench_batched', 100);
        console.log(`picochain-mongo-ts, batch 100 (insertMany):   ${b.rate.toFixed(0).padStart(7)} readings/s (${b.written} in ${b.seconds.toFixed(1)} s, ${b.batches} batches)`);
        console.log(`ratio batched / insertOne sequential: ${(b.rate / seq.rate).toFixed(1)}x; batched / insertOne 16 in flight: ${(b.rate / par.rate).toFixed(1)}x`);
        console.log(JSON.stringify({ bench: 'writer', readings: READINGS, batchedPerS: Math.round(b.rate), insertOneSeqPerS: Math.round(seq.rate),
            insertOnePar16PerS: Math.round(par.rate), ratioSeq: +(b.rate / seq.rate).toFixed(2), ratioPar16: +(b.rate / par.rate).toFixed(2),
            totalSeconds: +((Date.now() - started) / 1000).toFixed(1) }));
    } finally {
        await ferret.cleanup();
    }
    process.exit(0);
})().catch((err) => {
    console.error(err);
    process.exit(1);
});
