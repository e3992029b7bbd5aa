'use strict';
// What bench/pipeline.js and bench/scale.js measure alike: the raw subscriber (their baseline) in
// its own process, and one burst of the boards timed until the store holds every reading.
const { spawn } = require('child_process');
const path = require('path');
const services = require('../../scripts/lib/services');
const { cpuOf } = require('../../test/durability/harness/node-red');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * bench/lib/raw-subscriber.js in its own process; resolves once subscribed: { pid, stop() }.
 * `clientId` and `topic` (e.g. `$share/<group>/picochain/+/+/stats`) let several share a stream.
 */
async function startRaw(mqttUrl, uri, database, { clientId = 'bench-raw-subscriber', topic = 'picochain/+/+/stats' } = {}) {
    const child = spawn(process.execPath, [path.join(__dirname, 'raw-subscriber.js'), mqttUrl, uri, database, clientId, topic], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('raw subscriber not ready in 30 s')), 30000);
        child.stdout.on('data', (d) => { if (/READY/.test(d)) { clearTimeout(t); resolve(); } });
        child.once('exit', (code) => reject(new Error(`raw subscriber exited with ${code}`)));
    });
    return { pid: child.pid, stop: () => services.stopChild(child) };
}

/**
 * Every board of `fleet` publishes `perBoard` frames back to back; then the store is counted until
 * it holds `expected` readings more than `base`, or nothing came for 30 s (or 15 min passed).
 * Resolves { stored, seconds (first publish → last reading stored), rate (readings/s),
 * cpu: µs of user + system time of each of `pids`, read at the last growth }.
 */
async function measureBurst({ fleet, store, perBoard, expected, base, pids }) {
    const cpu0 = pids.map(cpuOf);
    const t0 = Date.now();
    await fleet.burst(perBoard);
    let stored = 0;
    let last = Date.now();
    let cpu = pids.map(() => 0);
    for (;;) {
        const n = ((await store.count()) ?? base) - base;
        // CPU read at the last growth: a run that loses readings then waits 30 s idle
        if (n > stored) [stored, last, cpu] = [n, Date.now(), pids.map((p, i) => cpuOf(p) - cpu0[i])];
        if (stored >= expected || Date.now() - last > 30000 || Date.now() - t0 > 900000) break;
        await sleep(100);
    }
    const seconds = (last - t0) / 1000;
    return { stored, seconds, rate: stored / seconds, cpu };
}

module.exports = { startRaw, measureBurst };
