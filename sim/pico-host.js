// Runs the real Pico W firmware (firmware/*.py, main loop included) in real MicroPython
// (@micropython/micropython-webassembly-pyscript) on the host, with thin shims for what the host lacks.
//
// API (kept stable; sim/fleet.js, sim/device-worker.js and test/firmware use it):
//
//   const { createPico } = require('./pico-host');
//   const pico = await createPico({
//     config,        // object written as /config.json in the instance's VFS (firmware/config.example.json)
//     hardware: {    // called synchronously from MicroPython: keep them cheap, never throw
//       adcRaw: (channel) => u16,                 // machine.ADC(channel).read_u16(); channel 4 = onboard sensor
//       probes: [{ rom: 'hex' | [8 bytes], readC: () => number | null }],  // DS18B20s on the 1-Wire bus;
//                                                 // null = no answer (unplugged / CRC error)
//       wifiUp: () => bool,                       // network.WLAN.isconnected(); false also cuts open sockets
//       wifiJoin: (ssid, password) => bool,       // whether those credentials join the network (default: any)
//     },
//     clock: { speed: 60, epochMs, wallStartMs }, // the firmware's clock runs `speed` times faster than real
//                    // time from real instant epochMs (default: now); its wall clock reads wallStartMs
//                    // (default epochMs) at that instant. Every time source of the instance is scaled
//                    // (time.time, time.ticks_ms, asyncio sleeps), so the firmware itself is unchanged.
//     name,          // label for log lines (default config.device)
//     log: (line) => {},        // each line the firmware prints (default: kept in pico.logs())
//     onExit: (err|null) => {}, // the firmware's main loop ended on its own (crash or return) or the
//                               // emulated watchdog fired (err.code === 'WDT')
//     files: { '/name': 'text' }, // extra files for the VFS (e.g. a persisted ring)
//     firmwareDir,   // default <repo>/firmware
//     ntp: true,     // whether ntptime.settime() succeeds (when Wi-Fi is up)
//     heapsize,      // MicroPython GC heap bytes (default 512 KiB; this port grows it on demand)
//     led: true,     // false: the board has no LED pin, so the firmware runs no blink task (its
//                    // patterns wake the board up to 10 times a board-second: costly at 60x)
//     wdtMinRealMs,  // (added for sim/fleet.js) the emulated watchdog also waits this many real ms
//                    // unfed before it fires: at 60x its 8.4 s is 140 real ms, which a busy host
//                    // (many boards on few cores) misses without any firmware fault. Default 0.
//                    // (The watchdog also only fires once the instance's own event loop has run
//                    // past the deadline unfed, so host starvation alone does not trip it.)
//   });
//   await pico.start();      // boots: runs firmware main.main() (asyncio) until stop(); resolves once running
//   pico.stats()             // { running, device, seq, buffered, dropped, replayed, published, connected,
//                            //   synced, boot, state, heapBytes (gc.mem_alloc), wdtResets, bytesOut, bytesIn, writes, reads,
//                            //   connects, uptimeS, ... }
//   pico.now()               // the firmware's wall clock (ms)
//   pico.files()             // { path: Buffer } of the VFS root (for a power cut that keeps flash)
//   pico.runPython(code) / await pico.runPythonAsync(code)  // tests: run code in the instance
//   await pico.stop()        // asks main() to finish (publishes `offline`, closes the socket), then kills
//   pico.kill()              // hard stop (power cut): no goodbye, timers and sockets dropped at once
//   await pico.cutPowerAt({ path, op, fraction, when }) // power cut in the middle of the next flash
//                            // operation on a file whose name contains `path`: op 'write' keeps
//                            // `fraction` (0..1) of its bytes, op 'rename' cuts 'before' or 'after'
//                            // it. Resolves with the flash as the cut left it (files() returns the
//                            // same from then on: what the next boot gets); onExit gets code 'POWER'
//   await createPython({ firmwareDir, hardware, clock }) // an instance with the firmware on sys.path
//                                                       // but main not started (unit tests)
//
// How: each instance is evaluated in its own `vm` context (its own globals: the wasm port keeps its
// runtime in globalThis.Module and globalThis.proxy_js_ref, so two instances in one realm collide),
// sharing one compiled wasm module. The context gets a scaled Date.now and setTimeout, which is all
// the port uses for time. Python shims for machine, network, onewire, ds18x20, ntptime and
// asyncio.open_connection live in firmware/host/ and call the `_pico_host` JS module registered here.
// Sockets are Node net.Sockets; their reads return Promises that the Python streams await (a JS
// promise handed to Python must always resolve: the port's asyncio has no reject path).
// Integers crossing the bridge are 32-bit: byte strings go as hex, times as seconds.
'use strict';
const fs = require('fs');
const { makeSimClock } = require('./clock');
const net = require('net');
const tls = require('tls');
const path = require('path');
const url = require('url');
const vm = require('vm');
const crypto = require('crypto');

const MJS = require.resolve('@micropython/micropython-webassembly-pyscript/micropython.mjs');
const WASM = path.join(path.dirname(MJS), 'micropython.wasm');
const DEFAULT_FIRMWARE_DIR = path.join(__dirname, '..', 'firmware');
const DEFAULT_HEAP = 512 * 1024;
const STOP_WAIT_MS = 5000; // real ms main() gets to finish before the instance is killed
const WIFI_POLL_MS = 20; // real ms between checks of hardware.wifiUp() for open sockets
const LOG_KEEP = 200; // lines kept by the default logger

let script = null; // the port's JS glue, compiled once, evaluated once per context
let wasmModule = null; // the compiled wasm, instantiated once per context

function glue() {
    if (script) return script;
    let src = fs.readFileSync(MJS, 'utf8');
    const fileUrl = url.pathToFileURL(MJS).href;
    const cli = src.indexOf('if(globalThis.loadMicroPython=loadMicroPython,');
    const cliEnd = src.indexOf('class PyProxy{');
    const modInit = 'let Module={locateFile:';
    if (cli < 0 || cliEnd < cli || !src.includes(modInit) || !src.includes('export async function loadMicroPython')) {
        throw new Error('pico-host: unexpected micropython.mjs layout (package version changed?)');
    }
    src = src.slice(0, cli) + src.slice(cliEnd); // drop the CLI runner
    src = src.replace(/import\.meta\.url/g, JSON.stringify(fileUrl))
        .replace(/await import\(/g, 'await __import(')
        .replace('export default _createMicroPythonModule;', '')
        .replace('export async function loadMicroPython', 'async function loadMicroPython')
        .replace(modInit, 'let Module={instantiateWasm:__instantiateWasm,locateFile:');
    script = new vm.Script(`(async function(){"use strict";${src}\n;return loadMicroPython;})()`, { filename: 'micropython-glue.js' });
    wasmModule = new WebAssembly.Module(fs.readFileSync(WASM));
    return script;
}

/** A scaled clock: virtual ms = wallStartMs + (real ms - epochMs) * speed (sim/clock.js). */
const makeClock = makeSimClock;

/** Evaluates the port in a fresh context whose time is `clock`. Returns the loadMicroPython result + ctl. */
async function loadIsolated(clock, { stdout, heapsize }) {
    const s = glue();
    const timers = new Set();
    const ctl = { dead: false, timers, lastDueFired: 0 };
    const RealDate = Date;
    class VDate extends RealDate {
        constructor(...a) { if (a.length === 0) super(clock.now()); else super(...a); }
        static now() { return clock.now(); }
    }
    const ctx = {
        console, Buffer, WebAssembly, TextDecoder, TextEncoder, URL,
        process: { versions: process.versions, argv: [], env: {} },
        crypto: crypto.webcrypto,
        Date: VDate,
        setTimeout: (fn, ms, ...a) => {
            if (ctl.dead) return 0;
            const delay = Math.max(0, (ms || 0) / clock.speed);
            const due = Date.now() + delay;
            const t = setTimeout(() => {
                timers.delete(t);
                if (ctl.dead) return;
                // the latest (real) due time the instance's loop has caught up with: the
                // watchdog emulation only counts time the firmware actually had to run
                if (due > ctl.lastDueFired) ctl.lastDueFired = due;
                fn(...a);
            }, delay);
            timers.add(t);
            return t;
        },
        clearTimeout: (t) => { timers.delete(t); clearTimeout(t); },
        setInterval: undefined, // only used by emscripten's dependency watchdog
        __import: async (m) => require(m),
        __instantiateWasm: (imports, done) => {
            WebAssembly.instantiate(wasmModule, imports).then((inst) => done(inst, wasmModule));
            return {};
        },
    };
    vm.createContext(ctx);
    const loadMicroPython = await s.runInContext(ctx);
    const mp = await loadMicroPython({ stdout, stderr: stdout, heapsize: heapsize || DEFAULT_HEAP, linebuffer: true });
    mp.ctl = ctl;
    mp.ctx = ctx;
    return mp;
}

function romHex(rom) {
    if (typeof rom === 'string') return rom.toLowerCase();
    return Buffer.from(rom).toString('hex');
}

/** The `_pico_host` module the Python shims call. */
function hostModule(state, hardware, opts) {
    const hw = hardware || {};
    const probes = hw.probes || [];
    // a model that throws must not take the firmware down with a JS exception inside Python
    const guard = (fn, fallback, what) => (...a) => {
        try { return fn(...a); } catch (err) { opts.log(`[host] hardware.${what} threw: ${err && err.message}`); return fallback; }
    };
    const wifiUp = guard(() => (hw.wifiUp ? !!hw.wifiUp() : true), false, 'wifiUp');
    const adc = guard((ch) => (hw.adcRaw ? hw.adcRaw(ch) : 0), 0, 'adcRaw');
    const socks = new Map();
    let nextId = 1;
    const resolveLater = (p) => p; // readability: every promise below resolves, never rejects

    function dropSocket(id, why) {
        const s = socks.get(id);
        if (!s) return;
        socks.delete(id);
        s.closed = true;
        try { s.sock.destroy(); } catch { /* already gone */ }
        if (s.waiter) { const w = s.waiter; s.waiter = null; w(null); }
        if (why && opts.debug) opts.log(`[host] socket ${id} dropped: ${why}`);
    }
    const poll = setInterval(() => {
        if (socks.size && !wifiUp()) for (const id of [...socks.keys()]) dropSocket(id, 'wifi down');
    }, WIFI_POLL_MS);
    poll.unref();

    return {
        _closeAll() { clearInterval(poll); for (const id of [...socks.keys()]) dropSocket(id); },
        adcRaw: (ch) => { const v = adc(ch); return Math.max(0, Math.min(65535, Math.round(v) || 0)); },
        probeCount: () => probes.length,
        probeRom: (i) => romHex(probes[i].rom),
        probeRead: (rom) => {
            const p = probes.find((x) => romHex(x.rom) === rom);
            if (!p) return null;
            const v = guard(() => p.readC(), null, 'probes[].readC')();
            return v === null || v === undefined || !Number.isFinite(v) ? null : v;
        },
        wifiUp,
        wifiJoin: guard((ssid, key) => (hw.wifiJoin ? !!hw.wifiJoin(ssid, key) : true), false, 'wifiJoin'),
        rssi: () => (hw.rssi ? hw.rssi() : -61),
        ntpOk: () => wifiUp() && opts.ntp !== false,
        ledSet: (v) => { state.led = v ? 1 : 0; state.ledChanges++; },
        ledAvailable: () => opts.led !== false,
        wdtInit: (ms) => { state.wdtMs = ms; state.wdtFedAt = Date.now(); },
        wdtFeed: () => { state.wdtFedAt = Date.now(); },
        // tlsMode 0 plain, 1 TLS unchecked, 2 TLS checked against caHex (PEM, hex) and servername,
        // as mbedTLS does on the board; a refused certificate resolves -0x2700 as its errno there
        tcpOpen: (host, port, tlsMode, caHex, servername) => resolveLater(new Promise((resolve) => {
            if (!wifiUp()) return resolve(-113); // EHOSTUNREACH
            const id = nextId++;
            const useTls = !!tlsMode;
            const name = String(servername || host);
            const sock = !useTls ? net.connect({ host, port })
                : tlsMode === 2 ? tls.connect({
                    host, port, ca: [Buffer.from(String(caHex || ''), 'hex')], rejectUnauthorized: true,
                    servername: net.isIP(name) ? undefined : name, checkServerIdentity: (_h, cert) => tls.checkServerIdentity(name, cert),
                })
                    : tls.connect({ host, port, rejectUnauthorized: false });
            const s = { sock, chunks: [], waiter: null, closed: false };
            let settled = false;
            sock.setNoDelay(true);
            sock.once(useTls ? 'secureConnect' : 'connect', () => {
                settled = true; socks.set(id, s); state.connects++; resolve(id);
            });
            sock.on('data', (d) => {
                state.bytesIn += d.length;
                state.reads++;
                if (s.waiter) { const w = s.waiter; s.waiter = null; w(d); } else s.chunks.push(d);
            });
            let certRefused = false;
            sock.once('error', (err) => { certRefused = useTls && (/CERT|SIGNATURE|ALTNAME|ISSUER/.test(String(err.code)) || err.reason !== undefined); });
            const end = () => {
                if (!settled) { settled = true; resolve(certRefused ? -0x2700 : -111); return; } // or ECONNREFUSED
                s.closed = true;
                if (s.waiter) { const w = s.waiter; s.waiter = null; w(null); }
            };
            sock.on('error', end);
            sock.on('close', end);
        })),
        // Resolves with all bytes received so far (a Buffer), or null once the socket is closed.
        tcpRead: (id) => resolveLater(new Promise((resolve) => {
            const s = socks.get(id);
            if (!s) return resolve(null);
            if (s.chunks.length) { const b = Buffer.concat(s.chunks); s.chunks = []; return resolve(b); }
            if (s.closed) return resolve(null);
            if (s.waiter) { const w = s.waiter; s.waiter = null; w(Buffer.alloc(0)); } // superseded reader
            s.waiter = resolve;
        })),
        // Resolves with the byte count written, or a negative errno.
        tcpWrite: (id, hex) => resolveLater(new Promise((resolve) => {
            const s = socks.get(id);
            if (!s || s.closed || !wifiUp()) { if (s && !wifiUp()) dropSocket(id, 'wifi down'); return resolve(-104); } // ECONNRESET
            const b = Buffer.from(hex, 'hex');
            state.bytesOut += b.length;
            state.writes++;
            s.sock.write(b, (err) => resolve(err ? -104 : b.length));
        })),
        tcpClose: (id) => { dropSocket(id); return 0; },
        reset: (why) => { state.resetRequested = String(why || 'machine.reset()'); return 0; },
        epochS: () => Math.floor(state.clock.now() / 1000),
    };
}

function readFirmware(dir) {
    const files = {};
    for (const f of fs.readdirSync(dir)) {
        if (f.endsWith('.py')) files[`/${f}`] = fs.readFileSync(path.join(dir, f));
    }
    const hostDir = path.join(dir, 'host');
    for (const f of fs.readdirSync(hostDir)) {
        if (f.endsWith('.py')) files[`/lib/${f}`] = fs.readFileSync(path.join(hostDir, f));
    }
    return files;
}

/** A MicroPython instance with the firmware and shims in its VFS; nothing started. */
async function createPython(opts = {}) {
    const firmwareDir = opts.firmwareDir || DEFAULT_FIRMWARE_DIR;
    const clock = makeClock(opts.clock);
    const lines = [];
    const name = opts.name || (opts.config && opts.config.device) || 'pico';
    const log = opts.log || ((line) => { lines.push(line); if (lines.length > LOG_KEEP) lines.shift(); });
    const state = {
        clock, led: 0, ledChanges: 0, wdtMs: 0, wdtFedAt: 0, connects: 0, bytesIn: 0, bytesOut: 0, writes: 0, reads: 0,
        resetRequested: null,
    };
    const mp = await loadIsolated(clock, { stdout: (l) => log(l), heapsize: opts.heapsize });
    const host = hostModule(state, opts.hardware, { ntp: opts.ntp, led: opts.led, log, debug: opts.debug });
    mp.registerJsModule('_pico_host', host);
    const FS = mp.FS;
    try { FS.mkdir('/lib'); } catch { /* exists */ }
    const files = { ...readFirmware(firmwareDir), ...(opts.files || {}) };
    if (opts.config !== undefined && opts.config !== null) {
        files['/config.json'] = typeof opts.config === 'string' ? opts.config : JSON.stringify(opts.config);
    }
    for (const [p, data] of Object.entries(files)) {
        const dir = path.posix.dirname(p);
        if (dir !== '/') { try { FS.mkdirTree ? FS.mkdirTree(dir) : FS.mkdir(dir); } catch { /* exists */ } }
        FS.writeFile(p, typeof data === 'string' ? data : new Uint8Array(data));
    }
    mp.runPython([
        'import sys, os',
        "os.chdir('/')",
        "sys.path[:] = ['', '/', '/lib', '.frozen']",
        'import _hostnet', // patches asyncio.open_connection onto the host's sockets
    ].join('\n'));
    return { mp, host, state, clock, log, lines, name };
}

async function createPico(opts = {}) {
    const py = await createPython(opts);
    const { mp, host, state, clock } = py;
    let running = false;
    let finished = null; // promise of main()'s end
    let exitReported = false;
    let wdtTimer = null;
    let wdtResets = 0;
    const onExit = opts.onExit || (() => {});

    let frozen = null; // the flash at a cutPowerAt() power cut
    let cut = null; // the armed cutPowerAt(): { path, op, fraction, when, resolve }
    const FS = mp.FS;
    const snapshot = () => pico.files();
    function powerCut() {
        const c = cut;
        cut = null;
        frozen = snapshot();
        killInstance();
        if (!exitReported) { exitReported = true; const e = new Error(`power cut during ${c.op} of ${c.path}`); e.code = 'POWER'; onExit(e); }
        c.resolve(frozen);
        // the Python code that was writing gets an I/O error; the instance is dead already
        throw new FS.ErrnoError(5);
    }
    const fsWrite = FS.write;
    FS.write = function (stream, buffer, offset, length, ...rest) {
        if (cut && cut.op === 'write' && stream && typeof stream.path === 'string' && stream.path.includes(cut.path) && length > 0) {
            fsWrite.call(this, stream, buffer, offset, Math.floor(length * cut.fraction), ...rest);
            powerCut();
        }
        return fsWrite.call(this, stream, buffer, offset, length, ...rest);
    };
    const fsRename = FS.rename;
    FS.rename = function (from, to) {
        if (cut && cut.op === 'rename' && (String(from).includes(cut.path) || String(to).includes(cut.path))) {
            if (cut.when === 'after') fsRename.call(this, from, to);
            powerCut();
        }
        return fsRename.call(this, from, to);
    };

    function killInstance() {
        mp.ctl.dead = true;
        for (const t of mp.ctl.timers) clearTimeout(t);
        mp.ctl.timers.clear();
        host._closeAll();
        if (wdtTimer) { clearInterval(wdtTimer); wdtTimer = null; }
        running = false;
    }

    const pico = {
        name: py.name,
        clock,
        now: () => clock.now(),
        logs: () => py.lines.slice(),
        runPython: (code) => mp.runPython(code),
        runPythonAsync: (code) => mp.runPythonAsync(code),
        get running() { return running; },
        async start() {
            if (running) return;
            running = true;
            // main() runs in a task of its own: the port's top-level task cannot be cancelled into (wait_for)
            finished = mp.runPythonAsync('import asyncio, main\nawait asyncio.create_task(main.main())').then(
                () => null,
                (err) => {
                    // a PythonError of the instance's realm: hand out a plain Error of ours
                    const e = new Error(String((err && err.message) || err).trim());
                    e.name = 'PythonError';
                    e.type = err && err.type;
                    return e;
                },
            ).then((err) => {
                const wasRunning = running && !mp.ctl.dead;
                running = false;
                if (wasRunning && !exitReported) { exitReported = true; onExit(err || null); }
                return err;
            });
            // The emulated hardware watchdog: main() arms machine.WDT; if it is not fed in time the
            // board resets, which here means the instance dies and onExit gets a WDT error.
            wdtTimer = setInterval(() => {
                if (state.resetRequested && running) {
                    const why = state.resetRequested;
                    killInstance();
                    if (!exitReported) { exitReported = true; const e = new Error(`reset: ${why}`); e.code = 'RESET'; onExit(e); }
                    return;
                }
                if (!state.wdtMs || !running) return;
                const unfedMs = Date.now() - state.wdtFedAt;
                // expired only once the firmware's event loop has run past the deadline without a
                // feed: a host too loaded to run the instance on time is not a firmware hang
                const deadline = state.wdtFedAt + state.wdtMs / clock.speed;
                if (mp.ctl.lastDueFired > deadline && unfedMs > (opts.wdtMinRealMs || 0)) {
                    wdtResets++;
                    killInstance();
                    if (!exitReported) { exitReported = true; const e = new Error('watchdog reset'); e.code = 'WDT'; onExit(e); }
                }
            }, 50);
            wdtTimer.unref();
            // yield once so main() has started its tasks; a broken config is reported via onExit
            await new Promise((r) => setTimeout(r, 0));
        },
        stats() {
            let s = {};
            if (!mp.ctl.dead) {
                try {
                    mp.runPython('import main\n__stats = main.stats_json()');
                    const j = mp.globals.get('__stats');
                    if (typeof j === 'string') s = JSON.parse(j);
                } catch { /* main not imported yet */ }
            }
            return {
                ...s, running, led: state.led, ledChanges: state.ledChanges, wdtResets, connects: state.connects,
                bytesOut: state.bytesOut, bytesIn: state.bytesIn, writes: state.writes, reads: state.reads,
            };
        },
        cutPowerAt({ path: p, op = 'write', fraction = 0.5, when = 'before' }) {
            if (!['write', 'rename'].includes(op) || !(fraction >= 0 && fraction <= 1) || !['before', 'after'].includes(when)) {
                return Promise.reject(new Error('cutPowerAt: op write|rename, fraction 0..1, when before|after'));
            }
            return new Promise((resolve) => { cut = { path: p, op, fraction, when, resolve }; });
        },
        files() {
            if (frozen) return { ...frozen };
            const out = {};
            if (mp.ctl.dead && !mp.FS) return out;
            const walk = (dir) => {
                for (const f of mp.FS.readdir(dir)) {
                    if (f === '.' || f === '..') continue;
                    const p = dir === '/' ? `/${f}` : `${dir}/${f}`;
                    if (['/tmp', '/home', '/dev', '/proc', '/lib'].includes(p)) continue;
                    const st = mp.FS.stat(p);
                    if (mp.FS.isDir(st.mode)) walk(p); else out[p] = Buffer.from(mp.FS.readFile(p));
                }
            };
            walk('/');
            return out;
        },
        async stop() {
            if (!running) { killInstance(); return; }
            running = false;
            try { mp.runPython('import main\nmain.request_stop()'); } catch { /* not started */ }
            const timeout = new Promise((r) => { const t = setTimeout(r, STOP_WAIT_MS); t.unref(); });
            await Promise.race([finished, timeout]);
            killInstance();
        },
        kill() { killInstance(); },
    };
    return pico;
}

module.exports = { createPico, createPython, makeClock };
