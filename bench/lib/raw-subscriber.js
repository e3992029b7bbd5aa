#!/usr/bin/env node
// The raw ceiling the pipeline bench compares picochain with: a hand-written mqtt.js subscriber
// (persistent session, QoS 1) that turns each JSON frame v1 into the documents picochain-mongo-ts
// writes (same fields, same `_id`, the index it keeps) and stores them with unordered insertMany, batches of 500 (or
// what arrived in 100 ms), at most 4 batches in flight. No validation, no spool: a floor of the
// work any subscriber must do. Run by bench/pipeline.js in its own process (its CPU is measured):
//   node bench/lib/raw-subscriber.js <mqtt url> <mongodb uri> <database> [client id] [topic]   → prints READY
// (bench/scale.js runs two with one `$share/...` topic: a baseline per instance of a share group)
'use strict';
const mqtt = require('mqtt');
const { MongoClient } = require('mongodb');
const { prepareIndexes } = require('../../dist/nodes/picochain-mongo-ts/store');

const [url, uri, database, clientId = 'bench-raw-subscriber', filter = 'picochain/+/+/stats'] = process.argv.slice(2);
const BATCH = 500;
const IN_FLIGHT = 4;
const FLUSH_MS = 100;

(async () => {
    const mongo = new MongoClient(uri);
    await mongo.connect();
    const coll = mongo.db(database).collection('readings');
    // the history index picochain-mongo-ts keeps where the server would use it (not on FerretDB 1.x,
    // which scans for that query): the same storage work
    await prepareIndexes(coll, 0, { timeField: 'time', metaField: 'meta' });
    let batch = [];
    let inFlight = 0;
    const flush = () => {
        while (batch.length && inFlight < IN_FLIGHT) {
            const docs = batch.slice(0, BATCH);
            batch = batch.slice(docs.length);
            inFlight++;
            coll.insertMany(docs, { ordered: false })
                .catch((e) => { if (e.code !== 11000) process.stderr.write(`insertMany: ${e.message}\n`); })
                .finally(() => { inFlight--; if (batch.length >= BATCH) flush(); });
        }
    };
    setInterval(flush, FLUSH_MS);
    const client = mqtt.connect(url, { clientId, clean: false });
    client.on('message', (topic, payload) => {
        const receivedAt = new Date();
        const f = JSON.parse(payload);
        const time = new Date(f.ts * 1000);
        for (const s of f.sensors) {
            batch.push({
                _id: `${f.device}|${s.sensor}|${time.getTime()}`, time,
                meta: { device: f.device, sensor: s.sensor, site: f.site, unit: s.unit ?? null, source: 'json-v1' },
                deviceTime: time, receivedAt, window: f.window, count: s.count, min: s.min, max: s.max, mean: s.mean,
                std: s.std, slope: s.slope, last: s.last, seq: f.seq, state: s.state ?? null,
            });
        }
        if (batch.length >= BATCH) flush();
    });
    client.once('connect', () => {
        client.subscribe(filter, { qos: 1 }, (err) => {
            if (err) { process.stderr.write(`subscribe: ${err.message}\n`); process.exit(1); }
            process.stdout.write('READY\n');
        });
    });
    process.on('SIGTERM', () => process.exit(0));
})().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
