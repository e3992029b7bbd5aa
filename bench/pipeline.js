#!/usr/bin/env node
// Benchmark (issue 8): the whole path MQTT → database, picochain against two baselines measured in
// the same run on the same Mosquitto (configured as docs/mosquitto.conf, a fresh one per subscriber
// so no session of another is left queuing) and one FerretDB 1.24, each subscriber in its own process:
//   raw        hand-written mqtt.js + insertMany (batch 500, 4 in flight): bench/lib/raw-subscriber.js
//   nr-mongodb Node-RED: core `mqtt in` → function → node-red-node-mongodb `mongodb out` (insert)
//   picochain  Node-RED: the shipped flow's MQTT input → picochain-decode → picochain-mongo-ts, shipped settings
//   shipped    Node-RED: the whole shipped flows as `npm start` deploys them (dashboards, alerts too)
// 30 000 messages (JSON frame v1, one reading each) from 1 000 boards in one burst, QoS 1. Figures:
// documents/s (first publish → last document stored), ratios, CPU µs per message of the subscriber
// process and of FerretDB. Then RSS of Node-RED (picochain path alone, then whole shipped flows)
// while the database is down and boards publish 1 000 readings/s (10 minutes each; --quick: 60 s),
// and what was stored afterwards.
// Not pass/fail. Writes its section of bench/RESULTS.md with the machine and this command.
// Usage: node scripts/build.js && node bench/pipeline.js [--quick] [--outage-s 600] [--messages 30000]
//        [--devices 1000] [--rounds 1] [--only throughput|outage] [--variants raw,nr-mongodb,picochain,shipped]
//        [--outage-flows picochain,shipped] [--no-write]
//        (`npm run bench` runs it too; PICOCHAIN_BENCH_QUICK=1 there means --quick)
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const services = require('../scripts/lib/services');
const { startBoards, probePipeline, Store, startNodeRed, isProbe } = require('../test/durability/harness');
const { picochainPipeline, nodeRedMongodb, writeFlows } = require('./lib/flows');
const { machine, writeSection } = require('./lib/results');
const { startRaw, measureBurst } = require('./lib/burst');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const QUICK = flag('quick') || process.env.PICOCHAIN_BENCH_QUICK === '1';
const MESSAGES = Number(opt('messages', 30000));
const DEVICES = Number(opt('devices', 1000));
const OUTAGE_S = Number(opt('outage-s', QUICK ? 60 : 600));
const ROUNDS = Number(opt('rounds', 1));
const ONLY = opt('only', null);
// --variants raw,picochain: measure only these subscribers (comparing two builds of picochain)
const ONLY_VARIANTS = opt('variants', null);
// the writer alone (what its spool must keep flat), then everything `npm start` runs
const OUTAGE_FLOWS = opt('outage-flows', 'picochain,shipped').split(',');
const OUTAGE_RATE = 1000; // readings/s: 50 boards × 4 sensors × 5 frames/s
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }).replace(/,/g, ' '));

/** Node-RED through scripts/start.js on `flows` (null: the shipped flows of a fresh data dir). */
async function startFlows(flows, mqttUrl, uri, database) {
    const dataDir = services.tmpDir('bench-nr');
    if (flows) writeFlows(dataDir, flows);
    const nr = await startNodeRed({ dataDir, mongodbUri: uri, database, mqttUrl });
    return {
        pid: nr.pid,
        output: nr.output,
        async stop() { await nr.interrupt(30000); fs.rmSync(dataDir, { recursive: true, force: true }); },
    };
}

const VARIANTS = {
    raw: { label: 'raw mqtt.js + insertMany (batch 500, 4 in flight)', start: (m, f, db) => startRaw(m.url, f.uri, db) },
    'nr-mongodb': {
        label: 'Node-RED + node-red-node-mongodb (mqtt in → function → mongodb out)',
        start: (m, f, db) => startFlows(nodeRedMongodb({ mqttHost: '127.0.0.1', mqttPort: m.port, dbHost: '127.0.0.1', dbPort: f.port, database: db }), m.url, f.uri, db),
    },
    picochain: { label: 'picochain: shipped MQTT input → decode → writer, shipped settings', start: (m, f, db) => startFlows(picochainPipeline(), m.url, f.uri, db) },
    shipped: { label: 'picochain: the whole shipped flows (npm start: dashboards, alerts)', start: (m, f, db) => startFlows(null, m.url, f.uri, db) },
};

/** One subscriber: 30 000 messages in one burst; docs/s and CPU per message. */
async function throughput(name, ferret, round) {
    const v = VARIANTS[name];
    const mosquitto = await services.startMosquitto();
    const database = `bench_${name.replace(/\W/g, '_')}_${round}`;
    const store = new Store(ferret.uri, database);
    let sub = null;
    let fleet = null;
    try {
        sub = await v.start(mosquitto, ferret, database);
        await probePipeline({ url: mosquitto.url, store, explain: () => (sub.output ? sub.output().slice(-3000) : '') });
        await sleep(1500); // the probe's last frames stored
        const base = await store.count();
        fleet = await startBoards({ url: mosquitto.url, count: DEVICES, prefix: `${name}-${round}`, site: 'bench', sensors: ['temperature'] });
        const perBoard = Math.ceil(MESSAGES / DEVICES);
        const expected = perBoard * DEVICES;
        const { stored, seconds, cpu: [cpu, dbCpu] } = await measureBurst({ fleet, store, perBoard, expected, base, pids: [sub.pid, ferret.pid()] });
        const r = { name, round, label: v.label, expected, stored, seconds, rate: stored / seconds, cpuPerMsg: cpu / expected, dbCpuPerDoc: stored ? dbCpu / stored : null };
        console.log(`${v.label.padEnd(72)} ${fmt(r.rate).padStart(7)} docs/s (${stored}/${expected} in ${seconds.toFixed(1)} s), `
            + `CPU ${fmt(r.cpuPerMsg)} µs/message, FerretDB ${fmt(r.dbCpuPerDoc)} µs/doc`);
        return r;
    } finally {
        if (fleet) await fleet.end();
        if (sub) await sub.stop();
        await store.close();
        await mosquitto.cleanup();
    }
}

/** Node-RED's RSS while the database is down and boards publish 1 000 readings/s; then what was stored. */
async function outage(ferret, flowName) {
    const mosquitto = await services.startMosquitto();
    const database = `bench_outage_${flowName}`;
    const store = new Store(ferret.uri, database);
    const dataDir = services.tmpDir('bench-outage');
    if (flowName === 'picochain') writeFlows(dataDir, picochainPipeline());
    let nr = null;
    let fleet = null;
    try {
        nr = await startNodeRed({ dataDir, mongodbUri: ferret.uri, database, mqttUrl: mosquitto.url });
        await probePipeline({ url: mosquitto.url, store, explain: () => nr.output().slice(-3000) });
        fleet = await startBoards({ url: mosquitto.url, count: 50, prefix: 'outage', site: 'bench', sensors: ['temperature', 'humidity', 'probe1', 'probe2'] });
        fleet.stream(OUTAGE_RATE);
        await sleep(10000);
        const samples = []; // [s since the outage began, RSS MB]
        const rssMB = () => (nr.rss() ?? NaN) / 2 ** 20;
        const before = rssMB();
        await ferret.stop({ kill: true });
        const t0 = Date.now();
        while (Date.now() - t0 < OUTAGE_S * 1000) {
            samples.push([(Date.now() - t0) / 1000, rssMB()]);
            await sleep(Math.min(5000, OUTAGE_S * 1000 - (Date.now() - t0)));
        }
        samples.push([(Date.now() - t0) / 1000, rssMB()]);
        await ferret.restart();
        fleet.stopStream();
        const acked = fleet.acked.size;
        const unacked = await fleet.settle(60000);
        const waited = await store.waitComplete(fleet.acked, { stallMs: 60000, maxMs: 1200000, every: 2000, ignore: isProbe });
        const check = await store.check(fleet.acked, isProbe);
        // least squares over the outage's second half: growth once buffers/caches settled
        const half = samples.filter(([t]) => t >= OUTAGE_S / 2);
        const slope = linearSlope(half) * 60;
        const r = {
            flow: flowName, seconds: OUTAGE_S, before, at1min: (samples.find(([t]) => t >= 60) || samples.at(-1))[1],
            max: Math.max(...samples.map(([, m]) => m)), end: samples.at(-1)[1], slopePerMin: slope,
            acked, unacked, stored: check.stored, missing: check.missing, duplicates: check.duplicates, drainS: waited.waitedMs / 1000, complete: waited.complete,
            samples,
        };
        console.log(`${VARIANTS[flowName].label}\n  RSS of Node-RED, database down ${OUTAGE_S} s at ${OUTAGE_RATE} readings/s: before ${fmt(before)} MB, after 1 min ${fmt(r.at1min)} MB, `
            + `max ${fmt(r.max)} MB, end ${fmt(r.end)} MB, second half ${fmt(slope, 1)} MB/min`);
        console.log(`  after the outage: missing ${check.missing}, duplicates ${check.duplicates} of ${acked} acknowledged readings `
            + `(${check.stored} stored, ${waited.complete ? 'all' : 'not all'} within ${fmt(r.drainS)} s; ${unacked} frames never acknowledged)`);
        return r;
    } finally {
        if (fleet) await fleet.end();
        if (nr) await nr.interrupt(30000);
        await store.close();
        await mosquitto.cleanup();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
}

function linearSlope(points) {
    if (points.length < 2) return NaN;
    const n = points.length;
    const mx = points.reduce((s, [x]) => s + x, 0) / n;
    const my = points.reduce((s, [, y]) => s + y, 0) / n;
    const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
    const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
    return den ? num / den : NaN;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };

/**
 * The results as RESULTS.md sections: `pipeline` (throughput) and `pipeline-outage`, each with how
 * it was produced; a run with --only writes its own and leaves the other as it was.
 */
function report(results, outages, ferret, started) {
    let commit = 'unknown';
    try { commit = execFileSync('git', ['describe', '--always', '--dirty'], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
    const produced = () => [
        `Produced by \`node ${path.relative(path.join(__dirname, '..'), __filename)}${argv.length ? ` ${argv.join(' ')}` : ''}\`${QUICK && !flag('quick') ? ' (PICOCHAIN_BENCH_QUICK=1)' : ''} `
        + `on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}, in ${((Date.now() - started) / 60000).toFixed(1)} min.`, '',
        ...machine({ ferretdb: ferret.version }).map((l) => `- ${l}`), ''];
    const sections = {};
    let lines = [];
    if (results.length) {
        lines.push('## Pipeline: MQTT → database (`bench/pipeline.js`)', '', ...produced());
        const by = (name) => median(results.filter((r) => r.name === name).map((r) => r.rate));
        const raw = by('raw');
        const nrm = by('nr-mongodb');
        lines.push(`${fmt(MESSAGES)} messages (JSON frame v1, one reading each) from ${fmt(DEVICES)} boards, QoS 1, in one burst, `
            + `${ROUNDS} round(s) (median); Mosquitto as docs/mosquitto.conf, a fresh one per subscriber; one FerretDB; each subscriber in its own process. `
            + 'docs/s = documents stored / time from the first publish to the last document stored. CPU = user + system time of the subscriber '
            + 'process (Node-RED for all but raw) per message, and of FerretDB per document.', '');
        lines.push('| subscriber | docs/s | × raw | × node-red-node-mongodb | CPU µs/message | FerretDB CPU µs/doc | stored |', '|---|---:|---:|---:|---:|---:|---:|');
        for (const name of Object.keys(VARIANTS)) {
            const rs = results.filter((r) => r.name === name);
            if (!rs.length) continue;
            const rate = by(name);
            lines.push(`| ${VARIANTS[name].label} | ${fmt(rate)} | ${fmt(rate / raw, 2)} | ${fmt(rate / nrm, 1)} | ${fmt(median(rs.map((r) => r.cpuPerMsg)))} `
                + `| ${fmt(median(rs.map((r) => r.dbCpuPerDoc)))} | ${rs.map((r) => `${r.stored}/${r.expected}${r.stored < r.expected ? ' (lost)' : ''}`).join(', ')} |`);
        }
        const pc = by('picochain');
        if (!Number.isNaN(pc)) {
            // a rate over what survived is no throughput: a run that lost readings meets nothing
            const lost = results.filter((r) => r.name === 'picochain').reduce((n, r) => n + r.expected - r.stored, 0);
            const verdict = (ok) => (lost ? `not met: ${fmt(lost)} readings lost` : ok ? 'met' : 'not met');
            lines.push('', `Issue 8 targets, picochain with shipped settings: ≥ 0.8× raw: **${fmt(pc / raw, 2)}×** (${verdict(pc / raw >= 0.8)}); `
                + `≥ 5× node-red-node-mongodb: **${fmt(pc / nrm, 2)}×** (${verdict(pc / nrm >= 5)}). A run that lost readings shows the rate of what it stored.`);
            // the machine is shared: each round's own ratios show how much of a median is noise
            const perRound = (name, other, digits) => results.filter((r) => r.name === name).map((r) => {
                const o = results.find((x) => x.name === other && x.round === r.round);
                return o ? fmt(r.rate / o.rate, digits) : '–';
            }).join(', ');
            if (!Number.isNaN(raw)) lines.push('', `Each round, picochain ÷ raw of the same round: ${perRound('picochain', 'raw', 2)}.`
                + (Number.isNaN(nrm) ? '' : ` picochain ÷ node-red-node-mongodb: ${perRound('picochain', 'nr-mongodb', 1)}; `
                    + `raw ÷ node-red-node-mongodb: ${perRound('raw', 'nr-mongodb', 1)} (the 5× target asks picochain for nearly what raw itself reaches).`));
        }
        lines.push('');
        sections.pipeline = lines.join('\n');
    }
    if (outages.length) {
        lines = [];
        lines.push(`### Node-RED's memory through a database outage (\`bench/pipeline.js\`)`, '', ...produced(),
            `50 boards × 4 sensors at ${fmt(OUTAGE_RATE)} readings/s into Mosquitto; FerretDB killed for ${fmt(OUTAGE_S)} s; RSS of the Node-RED `
            + 'process (scripts/start.js) sampled every 5 s; growth = least-squares slope over the outage\'s second half. Then the database '
            + 'returns, the boards stop, and the readings Mosquitto acknowledged are looked for.', '',
            '| flow | before | after 1 min | max | at the end | growth | after the outage |', '|---|---:|---:|---:|---:|---:|---|');
        for (const o of outages) {
            lines.push(`| ${VARIANTS[o.flow].label} | ${fmt(o.before)} MB | ${fmt(o.at1min)} MB | ${fmt(o.max)} MB | ${fmt(o.end)} MB | ${fmt(o.slopePerMin, 1)} MB/min `
                + `| missing ${fmt(o.missing)}, duplicates ${fmt(o.duplicates)} of ${fmt(o.acked)} (${o.complete ? 'all stored' : 'storing stopped'} after ${fmt(o.drainS)} s) |`);
        }
        lines.push('');
        sections['pipeline-outage'] = lines.join('\n');
    }
    return sections;
}

(async () => {
    const started = new Date();
    const ferret = await services.startFerretDB();
    const results = [];
    const outages = [];
    try {
        console.log(`FerretDB ${ferret.version} on ${ferret.uri}; ${MESSAGES} messages from ${DEVICES} boards; outage ${OUTAGE_S} s`);
        if (ONLY !== 'outage') {
            for (let round = 1; round <= ROUNDS; round++) {
                for (const name of Object.keys(VARIANTS)) {
                    if (!ONLY_VARIANTS || ONLY_VARIANTS.split(',').includes(name)) results.push(await throughput(name, ferret, round));
                }
            }
        }
        if (ONLY !== 'throughput') for (const flow of OUTAGE_FLOWS) outages.push(await outage(ferret, flow));
    } finally {
        await ferret.cleanup();
    }
    const sections = report(results, outages, ferret, started);
    for (const [name, md] of Object.entries(sections)) {
        console.log(`\n${md}`);
        if (!flag('no-write')) console.log(`written to ${writeSection(name, md)} (${name})`);
    }
    process.exit(0);
})().catch((err) => {
    console.error(err);
    process.exit(1);
});
