#!/usr/bin/env node
// Benchmark (issue 14): what docs/SCALING.md extrapolates from, measured on this machine.
//   broker     Mosquitto (persistence and queues as docs/mosquitto.conf, no TLS): QoS 1 messages/s
//              acknowledged to 1 000 boards publishing in a burst while two raw subscribers of one
//              shared subscription take them (how they split is printed)
//   instances  the raw subscriber of bench/pipeline.js (bench/lib/raw-subscriber.js, mqtt.js +
//              insertMany: the baseline), then the whole shipped flows (npm start); 1 of each, then 2
//              of each in one share group (--share-group): readings stored/s for one burst (first
//              publish → last reading stored), 2 sensors a frame, and per instance
//   alerts     the alert engine alone (no store), then its state shared in FerretDB by 1 and by 2
//              instances (nodes/picochain-alert/shared.ts): readings judged/s, 1 000 devices
//   stream     the shared state as a stream gives it work: readings at a steady rate (33/s, 67/s: a region
//              of docs/SCALING.md; 133/s) for 2 minutes from 201 devices, handed to 2 instances in turn (so a
//              device's readings alternate between them, as a shared subscription does), with their
//              refresh and prune running: whether they keep up, and how long a judgement waits
// Ratios are against baselines of the same run (the raw subscriber, one instance, the engine
// alone). Not pass/fail.
// Writes its section of bench/RESULTS.md. Usage: node scripts/build.js && node bench/scale.js
//   [--messages 20000] [--devices 1000] [--only broker|instances|alerts|stream] [--no-write]
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');
const services = require('../scripts/lib/services');
const { startBoards, Store, startNodeRed, isProbe, probePipeline } = require('../test/durability/harness');
const { startRaw, measureBurst } = require('./lib/burst');
const { machine, writeSection } = require('./lib/results');

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const MESSAGES = Number(opt('messages', 20000));
const DEVICES = Number(opt('devices', 1000));
const ONLY = opt('only', null);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const LABEL = { raw: 'raw mqtt.js + insertMany subscriber(s)', picochain: 'picochain instance(s), whole shipped flows' };
const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }).replace(/,/g, ' '));

/** Two raw subscribers in one share group acknowledge at once; boards publish a burst. */
async function broker() {
    const m = await services.startMosquitto();
    const subs = [];
    let fleet = null;
    try {
        const counts = [0, 0];
        for (const i of [0, 1]) {
            const c = await mqtt.connectAsync(m.url, { clientId: `bench-share-${i}`, protocolVersion: 5, clean: true });
            c.on('message', () => { counts[i]++; });
            await c.subscribeAsync('$share/bench/picochain/+/+/stats', { qos: 1 });
            subs.push(c);
        }
        fleet = await startBoards({ url: m.url, count: DEVICES, prefix: 'b', site: 'bench', sensors: ['temperature'] });
        const perBoard = Math.ceil(MESSAGES / DEVICES);
        const t0 = Date.now();
        await fleet.burst(perBoard);
        const left = await fleet.settle(300000);
        const ackS = (Date.now() - t0) / 1000;
        const expected = perBoard * DEVICES;
        const end = Date.now() + 60000;
        while (counts[0] + counts[1] < expected && Date.now() < end) await sleep(100);
        const doneS = (Date.now() - t0) / 1000;
        const r = { messages: expected, unacked: left, ackRate: expected / ackS, deliveredRate: (counts[0] + counts[1]) / doneS, counts };
        console.log(`broker: ${fmt(r.ackRate)} messages/s acknowledged to ${DEVICES} boards, ${fmt(r.deliveredRate)}/s delivered to a share group of 2 (${counts.join(' / ')})`);
        return r;
    } finally {
        if (fleet) await fleet.end();
        for (const c of subs) await c.endAsync(true).catch(() => {});
        await m.cleanup();
    }
}

/**
 * `n` subscribers of `kind` on one Mosquitto and one database (a share group when 2), one burst;
 * readings stored/s. raw: bench/lib/raw-subscriber.js (the baseline); picochain: the shipped flows
 * as `npm start` deploys them (`--share-group` when 2), each with its own data directory.
 */
async function instances(ferret, kind, n) {
    const m = await services.startMosquitto();
    const database = `bench_scale_${kind}_${n}`;
    const store = new Store(ferret.uri, database);
    const dirs = [];
    const subs = [];
    let fleet = null;
    try {
        for (let i = 0; i < n; i++) {
            if (kind === 'raw') {
                subs.push(await startRaw(m.url, ferret.uri, database, { clientId: `bench-raw-${i}`, topic: n > 1 ? '$share/bench/picochain/+/+/stats' : 'picochain/+/+/stats' }));
            } else {
                dirs.push(services.tmpDir(`bench-scale-${i}`));
                const nr = await startNodeRed({
                    dataDir: dirs[i], mongodbUri: ferret.uri, database, mqttUrl: m.url,
                    args: n > 1 ? ['--share-group', 'bench'] : [], env: { MQTT_CLIENT_ID: `bench-scale-${i}` },
                });
                subs.push({ pid: nr.pid, output: nr.output, stop: () => nr.interrupt(30000) });
            }
        }
        await probePipeline({ url: m.url, store, explain: () => subs.map((x) => (x.output ? x.output().slice(-2000) : '')).join('\n') });
        await sleep(3000); // every subscriber subscribed; the probe's last frames stored
        const base = await store.count();
        fleet = await startBoards({ url: m.url, count: DEVICES, prefix: `${kind}${n}`, site: 'bench', sensors: ['temperature', 'probe1'] });
        const perBoard = Math.ceil(MESSAGES / 2 / DEVICES);
        const expected = perBoard * DEVICES * 2;
        const { stored, seconds, rate, cpu } = await measureBurst({ fleet, store, perBoard, expected, base, pids: subs.map((x) => x.pid) });
        await fleet.settle(30000);
        const check = await store.check(fleet.acked, isProbe);
        const r = { kind, n, expected, stored, seconds, rate, perInstance: rate / n, cpuPerReading: cpu.map((c) => c / Math.max(1, stored)), missing: check.missing, duplicates: check.duplicates };
        console.log(`${n} ${LABEL[kind]}${n > 1 ? ' (share group)' : ''}: ${fmt(r.rate)} readings/s, ${fmt(r.perInstance)} per instance (${stored}/${expected} in ${seconds.toFixed(1)} s), `
            + `CPU µs/reading ${r.cpuPerReading.map((c) => fmt(c)).join(' + ')}, missing ${check.missing}, duplicates ${check.duplicates}`);
        return r;
    } finally {
        if (fleet) await fleet.end();
        for (const x of subs) await x.stop();
        await store.close();
        await m.cleanup();
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
}

/** Readings judged per second: the engine alone, then with its state shared in FerretDB by 1 and 2 instances. */
async function alerts(ferret) {
    const { AlertEngine, FOOD_SAFETY_RULES } = require('../dist/nodes/picochain-alert/core');
    const { SharedState } = require('../dist/nodes/picochain-alert/shared');
    const { MongoSharedStore } = require('../dist/nodes/picochain-alert/mongo-state');
    const { MongoClient } = require('mongodb');
    const client = await MongoClient.connect(ferret.uri);
    const readings = [];
    const t0 = Date.UTC(2026, 0, 5);
    const per = Math.ceil(MESSAGES / DEVICES);
    for (let i = 0; i < per; i++) {
        for (let d = 0; d < DEVICES; d++) {
            // a reading every 3 min of their time; a tenth of the fridges warm above 8 °C a quarter of
            // the way in and stay there: critical after 30 min (at 20 readings each: 42 min warm)
            const time = new Date(t0 + i * 180000);
            const mean = d % 10 === 0 && i >= per / 4 ? 9 : 4;
            readings.push({ device: `a-${d}`, site: 'bench', sensor: 'probe1', unit: '°C', time, deviceTime: time, receivedAt: time, window: 60, count: 6, min: mean, max: mean, mean, std: 0, slope: 0, last: mean, seq: i, state: 0, source: 'json-v1' });
        }
    }
    const cabinet = { kind: 'fridge' };
    const out = [];
    try {
        for (const mode of ['alone', 1, 2]) {
            const engines = (mode === 'alone' ? [1] : Array.from({ length: mode })).map(() => new AlertEngine({ rules: FOOD_SAFETY_RULES, skipLate: mode !== 'alone' }));
            const coll = `bench_alerts_${mode}`;
            const states = mode === 'alone' ? [] : engines.map((e, i) => new SharedState(e, new MongoSharedStore(async () => client.db('bench').collection(coll), 'bench'), { by: `i${i}` }));
            await Promise.all(states.map((s) => s.start()));
            const start = Date.now();
            let events = 0;
            if (mode === 'alone') {
                for (const r of readings) events += engines[0].ingest(r, Date.now(), cabinet).length;
            } else {
                // messages arrive as on a shared subscription: in turn, none waiting for the previous
                await Promise.all(readings.map((r, k) => states[k % states.length].run(r.device, (e) => e.ingest(r, Date.now(), cabinet)).then((ev) => { events += ev.length; })));
            }
            const seconds = (Date.now() - start) / 1000;
            const commits = states.reduce((n, s) => n + s.counters.commits, 0);
            const conflicts = states.reduce((n, s) => n + s.counters.conflicts, 0);
            // round trips for the operations (reads, checks, writes; each call takes up to 500 devices)
            const calls = states.reduce((n, s) => n + s.storeCalls.loads + s.storeCalls.follows + s.storeCalls.checks + s.storeCalls.writes, 0);
            const r = { mode, rate: readings.length / seconds, seconds, events, commits, conflicts, calls };
            console.log(`alerts ${mode === 'alone' ? 'engine alone' : `shared by ${mode}`}: ${fmt(r.rate)} readings/s, ${events} events, ${commits} revisions written, ${conflicts} refused, ${calls} store calls`);
            out.push(r);
        }
    } finally {
        await client.close();
    }
    return out;
}

const STREAM_RATES = [33, 67, 133];
const STREAM_S = 120;
const STREAM_DEVICES = 201; // odd: a device's readings alternate between the two instances

/** Two instances sharing alert state judge a steady stream; per rate: kept up? latency percentiles. */
async function alertStream(ferret) {
    const { AlertEngine, FOOD_SAFETY_RULES } = require('../dist/nodes/picochain-alert/core');
    const { SharedState } = require('../dist/nodes/picochain-alert/shared');
    const { MongoSharedStore } = require('../dist/nodes/picochain-alert/mongo-state');
    const { SHARED_REFRESH_MS, SHARED_PRUNE_EVERY_MS } = require('../dist/nodes/picochain-alert/options');
    const { MongoClient } = require('mongodb');
    const client = await MongoClient.connect(ferret.uri);
    const out = [];
    try {
        for (const rate of STREAM_RATES) {
            const coll = `bench_stream_${rate}`;
            const states = [0, 1].map((i) => new SharedState(new AlertEngine({ rules: FOOD_SAFETY_RULES, skipLate: true }), new MongoSharedStore(async () => client.db('bench').collection(coll), 'bench'), { by: `i${i}` }));
            await Promise.all(states.map((st) => st.start()));
            // as picochain-alert runs them: refresh with a margin of 5 intervals, prune now and then
            const timers = [
                setInterval(() => { for (const st of states) st.refreshDue(SHARED_REFRESH_MS * 5).catch(() => undefined); }, SHARED_REFRESH_MS),
                setInterval(() => { for (const st of states) st.prune().catch(() => undefined); }, SHARED_PRUNE_EVERY_MS),
            ];
            const total = rate * STREAM_S;
            const waits = [];
            let sent = 0;
            let failed = 0;
            const t0 = Date.UTC(2026, 0, 5);
            const start = Date.now();
            await new Promise((resolve) => {
                let settled = 0;
                const settle = () => { if (++settled === total) resolve(); };
                const pace = setInterval(() => {
                    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate));
                    for (; sent < due; sent++) {
                        const d = sent % STREAM_DEVICES;
                        const i = Math.floor(sent / STREAM_DEVICES);
                        const time = new Date(t0 + i * 60000);
                        const r = { device: `s-${d}`, site: 'bench', sensor: 'probe1', unit: '°C', time, deviceTime: time, receivedAt: time, window: 60, count: 6, min: 4, max: 4, mean: 4, std: 0, slope: 0, last: 4, seq: i, state: 0, source: 'json-v1' };
                        const asked = Date.now();
                        states[sent % 2].run(r.device, (e) => e.ingest(r, Date.now(), { kind: 'fridge' }))
                            .then(() => waits.push(Date.now() - asked), () => { failed++; })
                            .finally(settle);
                    }
                    if (sent >= total) clearInterval(pace);
                }, 10);
            });
            const seconds = (Date.now() - start) / 1000;
            timers.forEach(clearInterval);
            waits.sort((a, b) => a - b);
            const q = (p) => waits[Math.floor(p * (waits.length - 1))];
            const r = {
                rate, seconds, refreshS: SHARED_REFRESH_MS / 1000, judged: waits.length, failed, p50: q(0.5), p99: q(0.99), max: q(1),
                commits: states.reduce((n, st) => n + st.counters.commits, 0), conflicts: states.reduce((n, st) => n + st.counters.conflicts, 0),
            };
            r.keptUp = seconds <= STREAM_S * 1.1;
            console.log(`stream ${rate}/s: ${total} readings judged in ${seconds.toFixed(1)} s (stream ${STREAM_S} s), wait p50 ${r.p50} ms p99 ${r.p99} ms max ${r.max} ms, ${r.commits} revisions, ${r.conflicts} refused, ${failed} failed`);
            out.push(r);
            for (const st of states) st.close();
            if (!r.keptUp) break; // higher rates only fall further behind
        }
    } finally {
        await client.close();
    }
    return out;
}

function report(res, ferret, started) {
    let commit = 'unknown';
    try { commit = execFileSync('git', ['describe', '--always', '--dirty'], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
    const L = ['## Scale: broker, instances, shared alert state (`bench/scale.js`)', ''];
    L.push(`Produced by \`node bench/scale.js${argv.length ? ` ${argv.join(' ')}` : ''}\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}, in ${((Date.now() - started) / 60000).toFixed(1)} min.`, '');
    L.push(...machine({ ferretdb: ferret.version }).map((l) => `- ${l}`), '');
    if (res.broker) {
        const b = res.broker;
        L.push(`**Broker** (Mosquitto, persistence and queues as docs/mosquitto.conf, no TLS): ${fmt(b.messages)} QoS 1 messages from ${DEVICES} boards in one burst, taken by two raw subscribers of one shared subscription (acknowledging at once).`, '');
        L.push('| acknowledged to the boards | delivered to the share group | split |', '|---:|---:|---|');
        L.push(`| ${fmt(b.ackRate)} messages/s | ${fmt(b.deliveredRate)} messages/s | ${b.counts.join(' / ')} |`, '');
    }
    if (res.instances && res.instances.length) {
        const find = (kind, n) => res.instances.find((r) => r.kind === kind && r.n === n);
        const ratio = (x, y) => (x && y ? (x / y).toFixed(2) : '–');
        L.push(`**Instances** (one Mosquitto, one FerretDB, all on this machine; two subscribers share \`$share/bench/...\`): ${fmt(Math.ceil(MESSAGES / 2 / DEVICES) * DEVICES * 2)} readings (frames of 2 sensors) from ${DEVICES} boards in one burst; `
            + 'readings/s = stored / time from the first publish to the last stored; per instance = that / instances. Baseline: bench/lib/raw-subscriber.js (mqtt.js + insertMany, no validation, no spool, no alerts) in the same run; picochain: the whole shipped flows as `npm start` deploys them (`--share-group` for two).', '');
        L.push('| subscriber | instances | readings/s | per instance | × raw, same instances | × one instance, same subscriber | CPU µs/reading per process | missing | duplicates |', '|---|---:|---:|---:|---:|---:|---|---:|---:|');
        for (const r of res.instances) {
            const raw = find('raw', r.n);
            const one = find(r.kind, 1);
            L.push(`| ${LABEL[r.kind]} | ${r.n} | ${fmt(r.rate)} | ${fmt(r.perInstance)} | ${ratio(r.rate, raw && raw.rate)} | ${ratio(r.rate, one && one.rate)} | ${r.cpuPerReading.map((c) => fmt(c)).join(' + ')} | ${r.missing} | ${r.duplicates} |`);
        }
        L.push('');
    }
    if (res.alerts && res.alerts.length) {
        const alone = res.alerts.find((r) => r.mode === 'alone');
        L.push(`**Shared alert state** (nodes/picochain-alert/shared.ts on FerretDB): ${fmt(Math.ceil(MESSAGES / DEVICES) * DEVICES)} readings of ${DEVICES} fridges (a tenth warming up: one "fired" each), handed to the instances in turn without waiting; readings judged/s.`, '');
        L.push('| alert state | readings/s | × engine alone | revisions written | refused (another instance first) | store calls (round trips) | events |', '|---|---:|---:|---:|---:|---:|---:|');
        for (const r of res.alerts) L.push(`| ${r.mode === 'alone' ? 'engine alone, in memory' : `shared by ${r.mode} instance${r.mode > 1 ? 's' : ''}`} | ${fmt(r.rate)} | ${alone ? (r.rate / alone.rate).toFixed(3) : '–'} | ${fmt(r.commits)} | ${fmt(r.conflicts)} | ${fmt(r.calls)} | ${r.events} |`);
        L.push('');
    }
    if (res.stream && res.stream.length) {
        L.push(`**Shared alert state under a steady stream** (2 instances, FerretDB): readings from ${STREAM_DEVICES} devices at a steady rate for ${STREAM_S} s, handed to the instances in turn (each device's readings alternate between them, as a shared subscription delivers them), refresh every ${res.stream[0].refreshS} s and prune running as in picochain-alert; wait = from handing a reading over to its judgement being written. Kept up: all judged within 10 % of the stream's duration. A rate that falls behind ends the series.`, '');
        L.push('| readings/s | judged in | kept up | wait p50 | wait p99 | wait max | revisions written | refused (the other instance first) |', '|---:|---:|---|---:|---:|---:|---:|---:|');
        for (const r of res.stream) L.push(`| ${r.rate} | ${r.seconds.toFixed(1)} s | ${r.keptUp ? 'yes' : '**no**'} | ${fmt(r.p50)} ms | ${fmt(r.p99)} ms | ${fmt(r.max)} ms | ${fmt(r.commits)} | ${fmt(r.conflicts)} |`);
        L.push('');
    }
    return L.join('\n');
}

async function main() {
    const started = new Date();
    const ferret = await services.startFerretDB();
    const res = {};
    try {
        if (!ONLY || ONLY === 'broker') res.broker = await broker();
        if (!ONLY || ONLY === 'instances') {
            res.instances = [];
            for (const n of [1, 2]) for (const kind of ['raw', 'picochain']) res.instances.push(await instances(ferret, kind, n));
        }
        if (!ONLY || ONLY === 'alerts') res.alerts = await alerts(ferret);
        if (!ONLY || ONLY === 'stream') res.stream = await alertStream(ferret);
    } finally {
        await ferret.cleanup();
    }
    const text = report(res, ferret, started);
    console.log(`\n${text}`);
    if (!argv.includes('--no-write')) console.log(`written to ${writeSection('scale', text)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
