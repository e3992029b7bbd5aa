// One virtual Pico of the simulated fleet, in its own worker thread: the real firmware running in
// a MicroPython WebAssembly instance (sim/pico-host.js), wired to a thermal model of its cabinet
// (sim/thermal.js) and to the faults the fleet injects. sim/fleet.js starts one per device.
//
// Why a worker per device: the MicroPython WebAssembly module keeps its runtime in globals
// (globalThis.Module, globalThis.proxy_js_ref), so two instances in one JavaScript realm step on
// each other; a worker is its own realm. It also keeps a crashing instance away from the others.
//
// Model time (seconds since the fleet started, on the accelerated clock) is computed from the
// wall clock the fleet and every worker share: (Date.now() - epochMs) / 1000 * speed.
'use strict';
const { parentPort, workerData } = require('worker_threads');
const { monitorEventLoopDelay } = require('perf_hooks');
const { ThermalModel, parseDuration } = require('./thermal');

const POWER_POLL_MS = 50; // real ms between checks of scheduled power cuts
const STATE_EVERY_MS = 1000; // real ms between state reports to the fleet
const REBOOT_BACKOFF_MS = [500, 2000, 5000]; // real ms before rebooting a firmware that died
const BOOT_SETTLE_MS = 300; // real ms a booted firmware gets (imports, first tasks) before the next boot

const { makeSimClock } = require('./clock');

const wd = workerData;
const simClock = makeSimClock({ speed: wd.speed, epochMs: wd.epochMs, wallStartMs: wd.wallStartMs, liveAfterCatchUp: wd.liveAfterCatchUp });
const modelNow = () => simClock.modelSeconds();
const post = (msg) => { try { parentPort.postMessage(msg); } catch { /* fleet gone */ } };
const log = (level, line) => post({ type: 'log', level, line: String(line) });

const baseRssi = -50 - 25 * ((wd.seed * 2654435761 >>> 0) / 4294967296); // -50 … -75 dBm
const model = new ThermalModel({ kind: wd.kind, seed: wd.seed, ...(wd.thermal || {}) });
/** Non-thermal faults (probe, wifi, power for the board): {fault, from, until, probe?} in model s. */
const faults = [];

function active(fault, t, probeIndex) {
    for (const f of faults) {
        if (f.fault !== fault || t < f.from || t >= f.until) continue;
        if (probeIndex === undefined || !f.probe || f.probe === probeIndex) return true;
    }
    return false;
}

/** Applies one fault {fault, at?, duration?, probe?, board?} (times in model time, default now). */
function addFault(spec) {
    const now = modelNow();
    const from = spec.at === undefined || spec.at === null ? now : parseDuration(spec.at);
    const dur = parseDuration(spec.duration);
    const until = dur === null ? Infinity : from + dur;
    switch (spec.fault) {
        case 'compressor':
        case 'door':
            model.addFault(spec.fault, { at: from, duration: dur === null ? undefined : dur });
            break;
        case 'power':
            if (spec.duringWrite) { armWriteCut(spec, dur); break; }
            // a site power cut stops the cabinet too; `board: true` pulls only the Pico's plug
            if (!spec.board) model.addFault('power', { at: from, duration: dur === null ? undefined : dur });
            faults.push({ fault: 'power', from, until });
            break;
        case 'probe':
        case 'wifi':
            faults.push({ fault: spec.fault, from, until, probe: spec.probe });
            break;
        default:
            throw new Error(`unknown fault "${spec.fault}"`);
    }
}

/**
 * A power cut (of the board alone) in the middle of the board's next write to a file whose name
 * contains spec.duringWrite (pico-host cutPowerAt: op, fraction, when); the board stays off for
 * `dur` model seconds (default 60) from that moment, then boots on what the flash kept.
 */
let writeCut = null;
function armWriteCut(spec, dur) {
    writeCut = { spec, dur: dur === null ? 60 : dur };
    if (pico) cutOnWrite(pico);
}
function cutOnWrite(p) {
    if (!writeCut || typeof p.cutPowerAt !== 'function') return;
    const { spec, dur } = writeCut;
    p.cutPowerAt({ path: spec.duringWrite, op: spec.op, fraction: spec.fraction, when: spec.when }).then((files) => {
        if (pico !== p) return;
        writeCut = null;
        flash = files;
        pico = null;
        running = false;
        const now = modelNow();
        faults.push({ fault: 'power', from: now, until: now + dur });
        log('info', `power cut during a write of ${spec.duringWrite}: board off`);
        post({ type: 'power', on: false });
    });
}

/** Ends the active faults of one kind now (repair, door shut, probe plugged back, Wi-Fi or power back). */
function clearFault(fault) {
    const now = modelNow();
    if (fault === 'compressor' || fault === 'door' || fault === 'power') model.clearFault(fault, now);
    for (const f of faults) if (f.fault === fault && f.from <= now && f.until > now) f.until = now;
}

// What the firmware's shims read. Called synchronously from MicroPython: keep them cheap and total.
const hardware = {
    adcRaw(ch) {
        if (ch === 4) return model.boardAdcRaw(modelNow());
        return 0;
    },
    probes: wd.roms.map((rom, i) => ({
        rom, // hex, as in the board's config "probes" (probe1 first)
        readC() {
            const t = modelNow();
            if (active('probe', t, i + 1)) return null; // unplugged: no presence pulse
            return model.probeC(t, i);
        },
    })),
    wifiUp() { return !active('wifi', modelNow()); },
    // each board has its own spot in the building: a steady signal with a little jitter, dBm
    rssi() { return Math.round(baseRssi + 3 * (Math.random() - 0.5) * 2); },
};

let host = null; // sim/pico-host.js, loaded lazily so a missing harness is a clear error
let pico = null;
let running = false;
let starting = false;
let stopping = false;
let boots = 0;
let crashes = 0;
let lastError = null;
let rebootPendingUntil = 0; // real ms: no power-up boot before a crash reboot's backoff ends

let flash = wd.files || null; // the board's files kept across power cuts and resets (flash survives, RAM does not)

// Boots take a token from the fleet first: a boot (compiling the port and the firmware) keeps a
// core busy for a while, and on a small machine many at once starve the running boards' loops
// past their watchdog (8.4 s of firmware time is 140 ms of real time at 60×).
let grant = null;
function bootToken() {
    if (!wd.bootQueue) return Promise.resolve();
    return new Promise((resolve) => { grant = resolve; post({ type: 'boot-request' }); });
}
function bootDone() {
    if (wd.bootQueue) setTimeout(() => post({ type: 'boot-done' }), BOOT_SETTLE_MS);
}

async function boot() {
    if (starting || stopping) return;
    starting = true;
    await bootToken();
    if (stopping) { starting = false; bootDone(); return; }
    try {
        if (!host) host = require(wd.hostPath);
        boots++;
        post({ type: 'boot', boots }); // before its first frame: the fleet counts windows per boot
        pico = await host.createPico({
            config: wd.config,
            hardware,
            clock: { speed: wd.speed, epochMs: wd.epochMs, wallStartMs: wd.wallStartMs, liveAfterCatchUp: wd.liveAfterCatchUp },
            name: wd.device,
            log: (line) => log('info', line),
            onExit: (err) => onFirmwareExit(err),
            ntp: wd.ntp !== false,
            wdtMinRealMs: wd.wdtMinRealMs,
            ...(flash ? { files: flash } : {}),
            ...(wd.hostOptions || {}),
        });
        await pico.start();
        running = true;
        cutOnWrite(pico);
        log('info', `booted (boot ${boots})`);
    } catch (err) {
        running = false;
        await onFirmwareExit(err);
    } finally {
        starting = false;
        bootDone();
    }
}

/**
 * Takes the board down. `power`: a hard stop (no goodbye, RAM gone), as a power cut or a reset;
 * otherwise the firmware is asked to finish (it publishes `offline` and closes its connection).
 */
async function halt(reason, { power = false } = {}) {
    const p = pico;
    pico = null;
    running = false;
    if (p) {
        try { if (typeof p.files === 'function') flash = p.files(); } catch { /* keep the previous copy */ }
        try {
            if (power && typeof p.kill === 'function') p.kill(); else await p.stop();
        } catch (err) { log('warn', `stop failed: ${err && err.message}`); }
    }
    if (reason) log('info', reason);
}

/** The firmware's main loop ended or threw: log it and reboot after a backoff, as the watchdog would. */
async function onFirmwareExit(err) {
    if (stopping || !running && !starting) return;
    if (err && err.code === 'POWER') return; // cutOnWrite() takes the board down
    crashes++;
    lastError = err ? String(err.stack || err.message || err) : 'firmware exited';
    // a watchdog reset or the firmware's own machine.reset() is a reboot the board planned for
    const reboot = err && (err.code === 'WDT' || err.code === 'RESET');
    log(reboot ? 'warn' : 'error', `firmware stopped: ${lastError.split('\n')[0]}`);
    post({ type: 'crash', error: lastError, crashes });
    await halt(null, { power: true });
    const wait = REBOOT_BACKOFF_MS[Math.min(crashes - 1, REBOOT_BACKOFF_MS.length - 1)];
    rebootPendingUntil = Date.now() + wait;
    setTimeout(() => { if (!stopping && !active('power', modelNow())) boot(); }, wait);
}

// Scheduled power cuts: the board is off while a power fault is active. A new MicroPython
// instance is made at power-up, so RAM (the frame ring) is lost as on a real board.
const powerTimer = setInterval(() => {
    if (stopping || starting) return;
    const off = active('power', modelNow());
    if (off && pico) {
        halt('power cut: board off', { power: true });
        post({ type: 'power', on: false });
    } else if (!off && !pico && boots > 0 && Date.now() >= rebootPendingUntil) {
        post({ type: 'power', on: true });
        boot();
    }
}, POWER_POLL_MS);

// this thread's event-loop delay: a late loop is a late firmware (and, at 60×, a watchdog reset)
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const stateTimer = setInterval(() => { post({ type: 'state', state: snapshot() }); loopDelay.reset(); }, STATE_EVERY_MS);

function snapshot() {
    const t = modelNow();
    model.advanceTo(t);
    const s = model.snapshot();
    const other = ['probe', 'wifi', 'power'].filter((f) => active(f, t) && !s.faults.includes(f));
    const mem = process.memoryUsage();
    let stats = null;
    try { stats = pico && typeof pico.stats === 'function' ? pico.stats() : null; } catch { /* ignore */ }
    return {
        t, airC: s.airC, compressorOn: s.compressorOn, doorOpen: s.doorOpen, doorOpenings: s.doorOpenings,
        faults: s.faults.concat(other), running, boots, crashes, lastError, pico: stats,
        // this thread's own JS heap and wasm/external memory (rss is process-wide)
        heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers,
        loopDelayMaxMs: loopDelay.max / 1e6, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, // since the last report
    };
}

parentPort.on('message', async (msg) => {
    try {
        switch (msg.type) {
            case 'boot-grant': if (grant) { const g = grant; grant = null; g(); } break;
            case 'fault': addFault(msg.spec); post({ type: 'ack', id: msg.id }); break;
            case 'clear': clearFault(msg.fault); post({ type: 'ack', id: msg.id }); break;
            case 'snapshot': post({ type: 'ack', id: msg.id, value: snapshot() }); break;
            case 'crash': // fault injection for tests: the worker dies as a wasm abort would
                setImmediate(() => { throw new Error('injected crash'); });
                break;
            case 'stop':
                stopping = true;
                clearInterval(powerTimer);
                clearInterval(stateTimer);
                await halt();
                post({ type: 'ack', id: msg.id });
                setImmediate(() => process.exit(0));
                break;
            default: break;
        }
    } catch (err) {
        post({ type: 'ack', id: msg.id, error: err.message });
    }
});

for (const spec of wd.faults || []) {
    try { addFault(spec); } catch (err) { log('error', `bad fault ${JSON.stringify(spec)}: ${err.message}`); }
}
if (active('power', modelNow())) {
    boots = 1; // the board starts unpowered; the power timer boots it when power comes back
    log('info', 'starts without power');
} else {
    boot();
}
