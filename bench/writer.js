#!/usr/bin/env node
// Benchmark: readings/s stored by picochain-mongo-ts, as ratios against a bare insertMany loop
// (prebuilt documents, same batch size and batches in flight, same index) measured in the same run
// on the same FerretDB 1.24 (SQLite) started here. Rows:
//   bare insertMany            the database's ceiling for this client
//   spool append+sync alone    the disk spool's own ceiling (one sync() per reading, grouped)
//   writer core, spool on disk WriterCore + MongoStore, spool in the temp dir (fdatasync on disk)
//   writer core, spool in RAM  the same with the spool on /dev/shm (tmpfs: fdatasync costs nothing),
//                              so the ratio of the two is what durability on disk costs
//   node in Node-RED           picochain-mongo-ts in the real runtime, shipped defaults, one reading per message
//   bare insertMany, FerretDB   the bare loop on a second FerretDB started with --log-format=text (what
//     text log                  scripts/lib/services.js used before 'console'), in turn with the first:
//                              what FerretDB's eager debug formatting of every inserted document costs
//   bare insertMany, with the   the bare loop on a collection with the {meta.device, meta.sensor, time}
//     history index             index earlier versions kept on FerretDB, in turn with the one without
//                              (what picochain keeps there now): what an index FerretDB never reads costs
// Usage: node scripts/build.js && node bench/writer.js [--readings 20000]   (~40 s)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { MongoClient } = require('mongodb');
const helper = require('node-red-node-test-helper');
const { startFerretDB } = require('../scripts/lib/services');
const { cpuOf } = require('../test/durability/harness/node-red');
const root = path.join(__dirname, '..');
const configNode = require(path.join(root, 'dist/nodes/picochain-mongo-config/picochain-mongo-config.js'));
const writerNode = require(path.join(root, 'dist/nodes/picochain-mongo-ts/picochain-mongo-ts.js'));
const { toDocument } = require(path.join(root, 'dist/nodes/picochain-mongo-ts/document.js'));
const { encodeRecord } = require(path.join(root, 'dist/nodes/picochain-mongo-ts/record.js'));
const { WriterCore, DEFAULT_BATCH_SIZE, DEFAULT_BATCH_DELAY_MS, DEFAULT_IN_FLIGHT } = require(path.join(root, 'dist/nodes/picochain-mongo-ts/core.js'));
const { Spool } = require(path.join(root, 'dist/nodes/picochain-mongo-ts/spool.js'));
const { prepareStore } = require(path.join(root, 'dist/nodes/picochain-mongo-ts/store.js'));

const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const READINGS = arg('readings', 20000);
const FIELDS = { timeField: 'time', metaField: 'meta' };
const SETTINGS = { collection: 'readings', ...FIELDS, granularity: 'minutes', retentionS: 0 };
const T0 = Date.now() - 86400 * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
/** CPU time of this process since `c0`, in µs per reading (the database runs in its own process). */
const cpuPerReading = (c0) => { const c = process.cpuUsage(c0); return (c.user + c.system) / READINGS; };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-bench-writer-'));
const ram = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/pc-bench-writer-') : null;

function reading(i) {
    const time = new Date(T0 + Math.floor(i / 100) * 60000);
    return {
        device: `fridge-${i % 100}`, site: 'foodbank', sensor: 'temperature', unit: '°C', time, deviceTime: time,
        receivedAt: new Date(time.getTime() + 100), window: 60, count: 6, min: 3.9, max: 4.4, mean: 4.1 + (i % 10) / 100, std: 0.18,
        slope: 0.05, last: 4.2, seq: Math.floor(i / 100) % 65536, state: 0, source: 'json-v1',
    };
}

/** insertMany of prebuilt documents, DEFAULT_BATCH_SIZE per call, DEFAULT_IN_FLIGHT calls at once. */
async function bareInsertMany(db, ferretPid, { historyIndex = false } = {}) {
    await prepareStore(db, SETTINGS); // same collection kind and indexes as the writer's
    if (historyIndex) await db.collection('readings').createIndex({ 'meta.device': 1, 'meta.sensor': 1, time: 1 }, { name: 'picochain_meta_time' });
    const coll = db.collection('readings');
    const docs = Array.from({ length: READINGS }, (_, i) => toDocument(reading(i), FIELDS, new Date()).doc);
    let next = 0;
    const f0 = cpuOf(ferretPid);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const worker = async () => {
        while (next < docs.length) {
            const part = docs.slice(next, next + DEFAULT_BATCH_SIZE);
            next += part.length;
            await coll.insertMany(part, { ordered: false });
        }
    };
    await Promise.all(Array.from({ length: DEFAULT_IN_FLIGHT }, worker));
    const s = seconds(t0);
    const cpu = cpuPerReading(c0);
    const ferretCpu = (cpuOf(ferretPid) - f0) / READINGS;
    return { rate: READINGS / s, s, cpu, ferretCpu, stored: await coll.countDocuments() };
}

const IN_TURN_ROUNDS = 3;
const median = (rs) => [...rs].sort((a, b) => a.rate - b.rate)[Math.floor(rs.length / 2)];

/** Two variants of a run, `a(i)` and `b(i)`, in turn, IN_TURN_ROUNDS each: the median of each. */
async function inTurn(a, b) {
    const runs = { a: [], b: [] };
    for (let i = 0; i < IN_TURN_ROUNDS; i++) {
        runs.a.push(await a(i));
        runs.b.push(await b(i));
    }
    return { a: median(runs.a), b: median(runs.b) };
}

/**
 * The bare loop on the FerretDB started here (console log) and on a second one started with
 * --log-format=text, in turn, a fresh database per round.
 */
async function logFormats(client, ferret) {
    const textFerret = await startFerretDB({ logFormat: 'text' });
    const textClient = new MongoClient(textFerret.uri);
    try {
        await textClient.connect();
        const r = await inTurn((i) => bareInsertMany(textClient.db(`bench_log_${i}`), textFerret.pid()), (i) => bareInsertMany(client.db(`bench_log_${i}`), ferret.pid()));
        return { text: r.a, console: r.b };
    } finally {
        await textClient.close();
        await textFerret.cleanup();
    }
}

/** The bare loop with and without the history index, in turn, a fresh database per run. */
async function historyIndex(client, ferret) {
    const r = await inTurn((i) => bareInsertMany(client.db(`bench_idx_${i}`), ferret.pid(), { historyIndex: true }), (i) => bareInsertMany(client.db(`bench_noidx_${i}`), ferret.pid()));
    return { indexed: r.a, plain: r.b };
}

/** The spool alone: append each encoded reading and ask for its sync, as the writer does per message. */
async function spoolAlone(dir) {
    const spool = new Spool({ dir });
    spool.open();
    const mapped = Array.from({ length: READINGS }, (_, i) => toDocument(reading(i), FIELDS, new Date()));
    let groups = 0;
    const real = fs.fdatasync;
    fs.fdatasync = (fd, cb) => { groups++; real(fd, cb); };
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const waits = [];
    for (let i = 0; i < READINGS; i++) {
        const m = mapped[i];
        spool.append(encodeRecord(m.key, m.doc, 'time'), null);
        waits.push(spool.sync());
        if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(waits);
    const s = seconds(t0);
    const cpu = cpuPerReading(c0);
    fs.fdatasync = real;
    const bytes = spool.usedBytes;
    await spool.close();
    return { rate: READINGS / s, s, cpu, mb: bytes / 1048576, groups };
}

/** WriterCore + MongoStore with the shipped batch settings; one reading per accept(), fed in chunks. */
async function writerCore(db, dir) {
    const { store } = await prepareStore(db, SETTINGS);
    const core = new WriterCore({ batchSize: DEFAULT_BATCH_SIZE, batchDelayMs: DEFAULT_BATCH_DELAY_MS, inFlight: DEFAULT_IN_FLIGHT, whenFull: 'block', retentionS: 0, timeField: 'time' },
        new Spool({ dir }));
    core.open();
    core.setStore(store);
    let released = 0;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < READINGS; i += 500) {
        for (let j = i; j < Math.min(READINGS, i + 500); j++) {
            core.accept([toDocument(reading(j), FIELDS, new Date())], (r) => { released += r.durable; });
        }
        await new Promise((r) => setImmediate(r));
    }
    while (core.counters.written < READINGS) await sleep(2);
    const s = seconds(t0);
    const cpu = cpuPerReading(c0);
    await core.close(1000);
    return { rate: READINGS / s, s, cpu, released, batches: core.counters.batches };
}

/** picochain-mongo-ts in the Node-RED runtime with shipped defaults. */
async function nodeRed(uri, db) {
    const userDir = path.join(tmp, 'nr-user');
    fs.mkdirSync(userDir, { recursive: true });
    helper.init(require.resolve('node-red'));
    helper.settings({ userDir });
    await helper.load([configNode, writerNode], [
        { id: 'f1', type: 'tab' },
        { id: 'cfg', type: 'picochain-mongo-config', uri, database: db, connectTimeout: 5000 },
        { id: 'w', type: 'picochain-mongo-ts', z: 'f1', mongo: 'cfg', collection: 'readings', outputs: 1, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'f1' },
    ]);
    const w = helper.getNode('w');
    // the test helper wraps every node's send/status/log in recording sinon spies (1.5 s of CPU
    // and most of the GC for 20000 messages): put the runtime's own methods back for the measure
    for (const m of ['send', 'status', 'log', 'warn', 'error', 'debug', 'trace']) {
        const fn = helper._NodePrototype && helper._NodePrototype[m];
        if (fn && typeof fn.restore === 'function') fn.restore();
    }
    while (!w.stats().online) await sleep(20);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    // feed like a busy MQTT input: in chunks, yielding to the event loop between them
    for (let i = 0; i < READINGS; i += 500) {
        for (let j = i; j < Math.min(READINGS, i + 500); j++) w.receive({ payload: reading(j) });
        await new Promise((r) => setImmediate(r));
    }
    while (w.stats().written < READINGS) await sleep(2);
    const s = seconds(t0);
    const cpu = cpuPerReading(c0);
    const stats = w.stats();
    await helper.unload();
    return { rate: READINGS / s, s, cpu, batches: stats.batches };
}

(async () => {
    const started = Date.now();
    const ferret = await startFerretDB();
    const client = new MongoClient(ferret.uri);
    try {
        await client.connect();
        console.log(`FerretDB ${ferret.version} (SQLite) on ${ferret.uri}; ${READINGS} readings; batch ${DEFAULT_BATCH_SIZE}, ${DEFAULT_IN_FLIGHT} in flight; ${os.cpus().length} CPUs, spool in ${os.tmpdir()}`);
        const row = (name, r, base, extra = '', baseName = 'bare insertMany') => console.log(`${name.padEnd(34)} ${r.rate.toFixed(0).padStart(7)} readings/s (${r.s.toFixed(2)} s, ${r.cpu.toFixed(1).padStart(5)} µs CPU/reading here)${base ? `  ${(r.rate / base.rate).toFixed(2)}x ${baseName}` : '                    '}${extra}`);
        const bare = await bareInsertMany(client.db('bench_bare'), ferret.pid());
        row('bare insertMany (prebuilt docs)', bare, null, `  ${bare.stored} stored, FerretDB ${bare.ferretCpu.toFixed(0)} µs CPU/reading`);
        const sp = await spoolAlone(path.join(tmp, 'spool-alone'));
        row('spool append+sync alone (disk)', sp, bare, `  ${sp.mb.toFixed(1)} MB, ${sp.groups} fdatasync`);
        const disk = await writerCore(client.db('bench_core_disk'), path.join(tmp, 'spool-core'));
        row('writer core, spool on disk', disk, bare, `  ${disk.batches} batches`);
        let mem = null;
        if (ram) {
            mem = await writerCore(client.db('bench_core_ram'), path.join(ram, 'spool-core'));
            row('writer core, spool on tmpfs', mem, bare, `  ${mem.batches} batches; disk/tmpfs ${(disk.rate / mem.rate).toFixed(2)}x`);
        }
        const red = await nodeRed(ferret.uri, 'bench_node');
        row('node in Node-RED, shipped defaults', red, bare, `  ${red.batches} batches`);
        const logs = await logFormats(client, ferret);
        row('bare insertMany, FerretDB text log', logs.text, logs.console, `; FerretDB ${logs.text.ferretCpu.toFixed(0)} µs CPU/reading against ${logs.console.ferretCpu.toFixed(0)} with console log (median of ${IN_TURN_ROUNDS} rounds each, taken in turn)`, 'the same, console log');
        const idx = await historyIndex(client, ferret);
        row('bare insertMany, history index', idx.indexed, idx.plain, `; FerretDB ${idx.indexed.ferretCpu.toFixed(0)} µs CPU/reading against ${idx.plain.ferretCpu.toFixed(0)} without (median of ${IN_TURN_ROUNDS} rounds each, taken in turn)`, 'the same, no index');
        console.log(JSON.stringify({
            bench: 'writer', readings: READINGS, bareInsertManyPerS: Math.round(bare.rate), spoolAlonePerS: Math.round(sp.rate),
            coreDiskPerS: Math.round(disk.rate), cpuUsPerReading: { bare: +bare.cpu.toFixed(1), spool: +sp.cpu.toFixed(1), coreDisk: +disk.cpu.toFixed(1), nodeRed: +red.cpu.toFixed(1) }, coreTmpfsPerS: mem ? Math.round(mem.rate) : null, nodeRedPerS: Math.round(red.rate),
            ratioCoreDisk: +(disk.rate / bare.rate).toFixed(2), ferretCpuUsPerReading: { console: +logs.console.ferretCpu.toFixed(0), text: +logs.text.ferretCpu.toFixed(0) },
            ratioTextOverConsoleLog: +(logs.text.rate / logs.console.rate).toFixed(2), ratioHistoryIndex: +(idx.indexed.rate / idx.plain.rate).toFixed(2),
            ferretCpuUsPerReadingIndex: { with: +idx.indexed.ferretCpu.toFixed(0), without: +idx.plain.ferretCpu.toFixed(0) }, ratioNodeRed: +(red.rate / bare.rate).toFixed(2),
            spoolDiskCost: mem ? +(disk.rate / mem.rate).toFixed(2) : null, totalSeconds: +((Date.now() - started) / 1000).toFixed(1),
        }));
    } finally {
        await client.close();
        await ferret.cleanup();
        fs.rmSync(tmp, { recursive: true, force: true });
        if (ram) fs.rmSync(ram, { recursive: true, force: true });
    }
    process.exit(0);
})().catch((err) => {
    console.error(err);
    process.exit(1);
});
