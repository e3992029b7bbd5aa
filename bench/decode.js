'use strict';
// picochain-decode throughput: JSON v1 vs binary v1 frames through the full core decode (size,
// shape, key walk, validation, readings, seq tracking), against baselines measured in the same
// run: plain JSON.parse of the same JSON payloads, and the bare binary codec. Needs `node
// scripts/build.js` first. Usage: node bench/decode.js [--n 20000] [--rounds 5]  (~5 s)
const { Decoder } = require('../dist/nodes/picochain-decode/core');
const { encodeBinaryFrame, encodeJsonFrame, decodeBinaryFrame } = require('../dist/nodes/shared/codec');

const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 20000);
const ROUNDS = arg('rounds', 5);
const DEVICES = 200;
const now = Math.floor(Date.now() / 1000);

/** N frames from DEVICES devices, two sensors each, seq advancing per device, as mqtt in delivers them (Buffers). */
function makeFrames() {
    const json = [];
    const bin = [];
    const topics = [];
    for (let i = 0; i < N; i++) {
        const dev = i % DEVICES;
        const seq = Math.floor(i / DEVICES) % 65536;
        const t = 20 + Math.sin(i) * 3;
        const frame = {
            v: 1, device: `fridge-${dev}`, site: 'bench', seq, ts: now - 3600 + seq, synced: true, window: 60,
            sensors: [
                { sensor: 'temperature', unit: '°C', count: 6, min: t - 0.4, max: t + 0.4, mean: t, std: 0.2, slope: 0.01, last: t, state: 0 },
                { sensor: 'probe1', unit: '°C', count: 6, min: 3.9, max: 4.4, mean: 4.1, std: 0.18, slope: -0.02, last: 4.2, state: 0 },
            ],
        };
        json.push(Buffer.from(encodeJsonFrame(frame)));
        bin.push(encodeBinaryFrame(frame));
        topics.push(`picochain/bench/fridge-${dev}/stats`);
    }
    return { json, bin, topics };
}

/** One pass of fn over all N payloads, msgs/s. */
function pass(fn) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(i);
    return N / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const { json, bin, topics } = makeFrames();
// what `mqtt in` in auto-detect mode (Node-RED 4's default) delivers: the JSON already parsed
const objs = json.map((b) => JSON.parse(b.toString('utf8')));
const received = new Date();
let sink = 0; // keeps results alive so nothing is optimised away
const dj = new Decoder();
const dobj = new Decoder();
const db = new Decoder();
const variants = {
    'JSON.parse (baseline)': (i) => { sink += JSON.parse(json[i].toString('utf8')).seq; },
    'codec decodeBinaryFrame (baseline)': (i) => { sink += decodeBinaryFrame(bin[i]).seq; },
    'decode JSON v1 (Buffer)': (i) => { sink += dj.decode(json[i], topics[i], received).readings.length; },
    'decode JSON v1 (parsed object)': (i) => { sink += dobj.decode(objs[i], topics[i], received).readings.length; },
    'decode binary v1 (Buffer)': (i) => { sink += db.decode(bin[i], topics[i], received).readings.length; },
};
// rounds interleave the variants, so a busy machine slows them alike; the best round counts.
// From round 2 on the decoders see every frame again: replays, still fully validated and marked.
const results = {};
for (let r = 0; r < ROUNDS; r++) {
    for (const [k, fn] of Object.entries(variants)) results[k] = Math.max(results[k] || 0, pass(fn));
}

const base = results['JSON.parse (baseline)'];
const width = Math.max(...Object.keys(results).map((k) => k.length));
console.log(`picochain-decode bench: ${N} frames x ${ROUNDS} rounds, 2 sensors per frame, ${DEVICES} devices (best round)`);
for (const [k, v] of Object.entries(results)) {
    console.log(`  ${k.padEnd(width)}  ${Math.round(v).toString().padStart(9)} msgs/s   ${(v / base).toFixed(2)}x JSON.parse`);
}
const bin1 = results['decode binary v1 (Buffer)'];
const json1 = results['decode JSON v1 (Buffer)'];
console.log(`  decode binary / decode JSON (both Buffers): ${(bin1 / json1).toFixed(2)}x faster`);
console.log(`  full decode of a JSON Buffer vs JSON.parse alone: ${(base / json1).toFixed(2)}x the time`);
console.log(`  full decode of a binary Buffer vs the bare codec: ${(results['codec decodeBinaryFrame (baseline)'] / bin1).toFixed(2)}x the time`);
if (dj.counters.err + db.counters.err + dobj.counters.err > 0) {
    console.error('bench: some frames were rejected', dj.counters.errors, dobj.counters.errors, db.counters.errors);
    process.exit(1);
}
if (sink === 0) console.log('(sink 0)');
