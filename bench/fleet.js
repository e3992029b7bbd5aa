#!/usr/bin/env node
// Benchmark of the simulated fleet (sim/fleet.js): memory and CPU per simulated board, and the
// largest fleet this machine carries at 60× without falling behind. Each board is the real
// firmware in its own MicroPython WebAssembly instance (one worker thread each), publishing to a
// real Mosquitto; a subscriber counts what arrives.
//
// Falling behind = fewer windows arrive than the accelerated clock calls for (frames received /
// expected over a steady measuring period), or windows carry fewer samples than the sampling
// period calls for (the firmware's loop runs late). Ratios are against a baseline measured in
// the same run: an idle MicroPython instance in a worker (memory) and a fleet of 1 (CPU).
//
// Usage: node bench/fleet.js [--speed 60] [--steps 1,10,30,65,90] [--measure 12] [--budget 170] [--max-boots 2]
//                            [--json out.json] [--broker mqtt://...]
'use strict';
const fs = require('fs');
const os = require('os');
const { Worker } = require('worker_threads');
const { fork } = require('child_process');
const { startMosquitto } = require('../scripts/lib/services');
const { startFleet } = require('../sim/fleet');

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const SPEED = Number(opt('speed', 60));
const STEPS = String(opt('steps', '1,10,30,65,90')).split(',').map(Number);
const MEASURE_S = Number(opt('measure', 12)); // real seconds of steady measurement per step
const BUDGET_S = Number(opt('budget', 170)); // the whole run stays under 3 minutes
const BOOT_TIMEOUT_S = 40; // real seconds for every board of a step to publish its first window
const KEEP_UP = 0.95; // a step keeps up when >= 95 % of expected windows and samples arrive
const JSON_OUT = opt('json', null);
const MAX_BOOTS = Number(opt('max-boots', 2)); // boards booting at once: boot time bounds the steps
const HOST_PATH = opt('host', undefined); // for developing the bench only
const MB = 1048576;

const t0 = Date.now();
const elapsed = () => (Date.now() - t0) / 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const gc = () => { if (global.gc) { global.gc(); global.gc(); } };

function quantile(a, q) {
    if (!a.length) return null;
    const s = [...a].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Busy and total jiffies of all cores (Linux /proc/stat), to see what else the machine runs. */
function cpuTimes() {
    try {
        const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
        const idle = f[3] + (f[4] || 0);
        const total = f.reduce((a, b) => a + b, 0);
        return { busy: total - idle, total };
    } catch { return null; }
}

/** RSS of this process once settled (after a GC when --expose-gc). */
async function settledRss() {
    gc(); await sleep(500); gc();
    return process.memoryUsage().rss;
}

/** Child: a bare Node process (the floor every RSS figure is measured from). */
async function childEmpty() {
    return { rssMB: (await settledRss()) / MB };
}

/** Child: k idle MicroPython instances, each in a worker as a fleet board has it. */
async function childIdle(k) {
    const mpPath = require.resolve('@micropython/micropython-webassembly-pyscript/micropython.mjs');
    const code = `
        const { parentPort } = require('worker_threads');
        import(${JSON.stringify(mpPath)}).then(async ({ loadMicroPython }) => {
            const mp = await loadMicroPython({ stdout: () => {} });
            mp.runPython('x = 1');
            const m = process.memoryUsage();
            parentPort.postMessage({ heapUsed: m.heapUsed, external: m.external });
            setInterval(() => {}, 1000);
        });`;
    const mems = [];
    for (let i = 0; i < k; i++) {
        const w = new Worker(code, { eval: true });
        mems.push(await new Promise((r) => w.once('message', r)));
    }
    const cpu0 = process.cpuUsage();
    await sleep(2000);
    const cpu = process.cpuUsage(cpu0);
    return {
        k, rssMB: (await settledRss()) / MB,
        heapMB: mems.reduce((s, m) => s + m.heapUsed, 0) / k / MB,
        externalMB: mems.reduce((s, m) => s + m.external, 0) / k / MB,
        cpuCores: (cpu.user + cpu.system) / 1e6 / 2,
    };
}

/** Child: a fleet of n boards; memory, CPU and keep-up figures over a steady measuring period. */
async function childFleet(brokerUrl, n, budgetLeftS) {
    let frames = 0; let sampleSum = 0; let sampleFrames = 0;
    const perBoard = new Map();
    const fleet = await startFleet({
        brokerUrl, devices: n, speed: SPEED, scenario: null, site: `bench${n}`, seed: 1, maxBoots: MAX_BOOTS,
        hostPath: HOST_PATH,
        log: (line, { level }) => {
            if (/watchdog reset/.test(line)) { if (measuring) wdtResets++; else wdtResetsBoot++; } else if (level === 'error') console.error(`  ${line}`);
        },
    });
    let wdtResets = 0; let wdtResetsBoot = 0; let maxLoopDelayMs = 0; const lags = [];
    let measuring = false;
    fleet.on('state', (id, s) => { if (measuring && s.loopDelayMaxMs > maxLoopDelayMs) maxLoopDelayMs = s.loopDelayMaxMs; });
    fleet.on('frame', (id, seq, payload) => {
        if (!measuring) return;
        frames++;
        perBoard.set(id, (perBoard.get(id) || 0) + 1);
        // samples in the window: the largest count of a JSON frame's sensors, or of a binary record
        let count = null;
        if (payload[0] === 0x7b) {
            try { count = Math.max(...JSON.parse(payload).sensors.map((s) => s.count)); } catch { /* not counted */ }
        } else if (payload.length >= 24) count = payload.readUInt16LE(10);
        if (count !== null) { sampleSum += count; sampleFrames++; }
        // delivery lag: the boards' clock now minus the frame's window end, in model seconds
        let ts = null;
        if (payload[0] === 0x7b) { try { ts = JSON.parse(payload).ts; } catch { /* none */ } } else if (payload.length >= 24) ts = payload.readUInt32LE(4);
        if (Number.isFinite(ts)) lags.push((fleet.wallStartMs + (Date.now() - fleet.epochMs) * SPEED) / 1000 - ts);
    });
    const bootStart = Date.now();
    let booted = false;
    while ((Date.now() - bootStart) / 1000 < Math.min(BOOT_TIMEOUT_S, budgetLeftS - 5)) {
        if (fleet.status().every((d) => d.windows >= 1)) { booted = true; break; }
        await sleep(250);
    }
    const bootS = (Date.now() - bootStart) / 1000;
    let result = { n, booted, bootS };
    if (booted) {
        await sleep(2000); // let the boot burst settle
        const cpu0 = process.cpuUsage(); const w0 = Date.now(); const m0 = cpuTimes();
        measuring = true;
        await sleep(Math.max(3, Math.min(MEASURE_S, budgetLeftS - bootS - 8)) * 1000);
        measuring = false;
        const wall = (Date.now() - w0) / 1000;
        const cpu = process.cpuUsage(cpu0); // every thread of this process: boards, monitor, MQTT
        const m1 = cpuTimes();
        const machineCores = m0 && m1 ? (m1.busy - m0.busy) / (m1.total - m0.total) * os.cpus().length : null;
        const st = fleet.status();
        const { windowS, sampleS } = fleet.opts;
        const expected = n * wall * SPEED / windowS;
        const cpuCores = (cpu.user + cpu.system) / 1e6 / wall;
        result = {
            ...result,
            rssMB: process.memoryUsage().rss / MB,
            heapMBPerBoard: st.reduce((s, d) => s + (d.heapUsed || 0), 0) / n / MB,
            externalMBPerBoard: st.reduce((s, d) => s + (d.external || 0), 0) / n / MB,
            cpuCores, eluPerBoard: st.reduce((s, d) => s + (d.elu || 0), 0) / n,
            framesReceived: frames, framesExpected: expected, frameRatio: frames / expected,
            samplesPerWindow: sampleFrames ? sampleSum / sampleFrames : null,
            sampleRatio: sampleFrames ? sampleSum / sampleFrames / (windowS / sampleS) : null,
            silentBoards: st.filter((d) => !perBoard.get(d.id)).length,
            wdtResets, wdtResetsBoot, maxLoopDelayMs,
            lagP50S: quantile(lags, 0.5), lagP95S: quantile(lags, 0.95),
            // CPU the rest of the machine used meanwhile: Mosquitto, this bench's parent, and any other process
            otherCores: machineCores === null ? null : Math.max(0, machineCores - cpuCores),
            workerRestarts: st.reduce((s, d) => s + d.workerRestarts, 0),
        };
        result.keepsUp = result.frameRatio >= KEEP_UP && (result.sampleRatio === null || result.sampleRatio >= KEEP_UP)
            && result.silentBoards === 0;
    } else {
        result.keepsUp = false;
        result.publishing = fleet.status().filter((d) => d.windows >= 1).length;
    }
    await fleet.stop();
    return result;
}

/** Runs one measurement in a fresh Node process, so RSS figures do not inherit freed memory. */
function inChild(kind, params, timeoutMs) {
    return new Promise((resolve, reject) => {
        const c = fork(__filename, ['--child', kind, JSON.stringify(params), ...args], { execArgv: ['--expose-gc'] });
        const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`${kind} child timed out`)); }, timeoutMs);
        let result = null;
        c.on('message', (m) => { result = m; });
        c.on('exit', (code) => {
            clearTimeout(timer);
            if (result) resolve(result); else reject(new Error(`${kind} child exited with ${code} without a result`));
        });
    });
}

async function runChild() {
    const kind = args[args.indexOf('--child') + 1];
    const p = JSON.parse(args[args.indexOf('--child') + 2]);
    let r;
    if (kind === 'empty') r = await childEmpty();
    else if (kind === 'idle') r = await childIdle(p.k);
    else r = await childFleet(p.brokerUrl, p.n, p.budgetLeftS);
    process.send(r, () => process.exit(0));
}

function fmt(x, d = 1) { return x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d); }

async function main() {
    console.log(`fleet benchmark: ${os.cpus().length} cores (${os.cpus()[0].model}), ${Math.round(os.totalmem() / MB / 1024)} GiB, node ${process.version}, speed ${SPEED}x, steps ${STEPS.join(',')}`);
    const external = opt('broker', null); // an already running broker instead of a fresh Mosquitto
    const broker = external ? { url: external, cleanup: async () => {} } : await startMosquitto();
    const out = { machine: { cores: os.cpus().length, cpu: os.cpus()[0].model, node: process.version }, speed: SPEED, steps: [] };
    try {
        const empty = await inChild('empty', {}, 30000);
        const idle = await inChild('idle', { k: 4 }, 60000);
        out.floorRssMB = empty.rssMB;
        out.idle = { ...idle, rssMBPerInstance: (idle.rssMB - empty.rssMB) / idle.k };
        console.log(`floor: a bare Node process ${fmt(empty.rssMB)} MB RSS`);
        console.log(`baseline: idle MicroPython instance in a worker: ${fmt(out.idle.rssMBPerInstance)} MB RSS each (JS heap ${fmt(idle.heapMB)} MB, wasm/external ${fmt(idle.externalMB)} MB)`);
        console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (other processes compete for the ${os.cpus().length} cores: see "other cores")`);
        console.log('boards | boot s | RSS MB/board (×idle) | heap MB | wasm MB | CPU %/board (×1 board) | cores | frames recv/exp | samples/window | lag p50/p95 model s | loop delay max ms | WDT resets | other cores | keeps up');
        let base = null;
        for (const n of STEPS) {
            const left = BUDGET_S - elapsed();
            if (left < 25) { console.log(`(stopping: time budget of ${BUDGET_S} s used)`); break; }
            let r;
            try {
                r = await inChild('fleet', { brokerUrl: broker.url, n, budgetLeftS: left }, (left + 30) * 1000);
            } catch (err) {
                r = { n, booted: false, keepsUp: false, error: err.message };
            }
            if (r.booted) {
                r.rssMBPerBoard = (r.rssMB - empty.rssMB) / n;
                r.cpuPctPerBoard = r.cpuCores * 100 / n;
            }
            out.steps.push(r);
            if (r.booted && !base) base = r;
            const ratio = (a, b) => (a && b ? `×${fmt(a / b, 2)}` : '');
            console.log([
                String(n).padStart(6), fmt(r.bootS).padStart(6),
                `${fmt(r.rssMBPerBoard)} (${ratio(r.rssMBPerBoard, out.idle.rssMBPerInstance)})`.padStart(20),
                fmt(r.heapMBPerBoard).padStart(7), fmt(r.externalMBPerBoard).padStart(7),
                `${fmt(r.cpuPctPerBoard, 2)} (${base ? ratio(r.cpuPctPerBoard, base.cpuPctPerBoard) : ''})`.padStart(22),
                fmt(r.cpuCores, 2).padStart(5),
                `${r.framesReceived ?? '-'}/${fmt(r.framesExpected, 0)} (${fmt(r.frameRatio * 100, 0)} %)`.padStart(15),
                fmt(r.samplesPerWindow, 2).padStart(14),
                `${fmt(r.lagP50S, 0)}/${fmt(r.lagP95S, 0)}`.padStart(19),
                fmt(r.maxLoopDelayMs, 0).padStart(17),
                `${r.wdtResets ?? '-'}${r.wdtResetsBoot ? ` (+${r.wdtResetsBoot} boot)` : ''}`.padStart(10),
                fmt(r.otherCores, 2).padStart(11),
                r.keepsUp ? 'yes' : `NO${r.error ? ` (${r.error})` : r.booted ? '' : ` (${r.publishing ?? 0}/${n} booted in ${BOOT_TIMEOUT_S} s)`}`,
            ].join(' | '));
            if (!r.keepsUp) break;
        }
        const ok = out.steps.filter((s) => s.keepsUp).map((s) => s.n);
        out.largestKeepingUp = ok.length ? Math.max(...ok) : 0;
        const firstFail = out.steps.find((s) => !s.keepsUp);
        out.fallsBehindAt = firstFail ? firstFail.n : null;
        console.log(`largest fleet keeping up at ${SPEED}x: ${out.largestKeepingUp} boards${firstFail ? ` (falls behind at ${firstFail.n})` : ' (no step fell behind within the budget)'}; total ${fmt(elapsed(), 0)} s`);
    } finally {
        await broker.cleanup();
    }
    if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(out, null, 2));
    return out;
}

if (require.main === module && args.includes('--child')) {
    runChild().catch((err) => { console.error(err); process.exit(1); });
} else if (require.main === module) {
    main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
}
module.exports = { main };

