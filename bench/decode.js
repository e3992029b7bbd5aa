'use strict';
// picochain-decode throughput: JSON v1 vs binary v1 frames through the full core decode (size,
// shape, key walk, validation, readings, seq tracking), against baselines measured in the same
// run: plain JSON.parse of the same JSON payloads, and the bare binary codec. Needs `node
// scripts/build.js` first. Usage: node bench/decode.js [--n 20000] [--rounds 3]  (~5 s)
const { Decoder } = require('../dist/nodes/picochain-decode/core');
const { encodeBinaryFrame, encodeJsonFrame, decodeBinaryFrame } = require('../dist/nodes/shared/codec');

const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 20000);
const ROUNDS = arg('rounds', 3);
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

/** Best msgs/s over ROUNDS runs of fn over all N payloads. */
function measure(fn) {
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < N; i++) fn(i);
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        best = Math.max(best, N / s);
    }
    return best;
}

const { json, bin, topics } = makeFrames();
const received = new Date();
let sink = 0; // keeps results alive so nothing is optimised away

const results = {};
results['JSON.parse (baseline)'] = measure((i) => { sink += JSON.parse(json[i].toString('utf8')).seq; });
results['codec decodeBinaryFrame (baseline)'] = measure((i) => { sink += decodeBinaryFrame(bin[i]).seq; });
const dj = new Decoder();
results['decode JSON v1'] = measure((i) => { sink += dj.decode(json[i], topics[i], received).readings.length; });
const db = new Decoder();
results['decode binary v1'] = measure((i) => { sink += db.decode(bin[i], topics[i], received).readings.length; });

const base = results['JSON.parse (baseline)'];
const width = Math.max(...Object.keys(results).map((k) => k.length));
console.log(`picochain-decode bench: ${N} frames x ${ROUNDS} rounds, 2 sensors per frame, ${DEVICES} devices (best round)`);
for (const [k, v] of Object.entries(results)) {
    console.log(`  ${k.padEnd(width)}  ${Math.round(v).toString().padStart(9)} msgs/s   ${(v / base).toFixed(2)}x JSON.parse`);
}
console.log(`  decode binary / decode JSON: ${(results['decode binary v1'] / results['decode JSON v1']).toFixed(2)}x`);
console.log(`  decode JSON overhead over JSON.parse: ${(base / results['decode JSON v1']).toFixed(2)}x slower`);
console.log(`  decode binary overhead over the bare codec: ${(results['codec decodeBinaryFrame (baseline)'] / results['decode binary v1']).toFixed(2)}x slower`);
if (dj.counters.err + db.counters.err > 0) {
    console.error('bench: some frames were rejected', dj.counters.errors, db.counters.errors);
    process.exit(1);
}
if (sink === 0) console.log('(sink 0)');
