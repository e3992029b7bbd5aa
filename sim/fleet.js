// The simulated fleet: N virtual Pico W boards, each the real firmware (firmware/*.py, main loop
// included) in its own MicroPython WebAssembly instance through sim/pico-host.js, each instance
// in its own worker thread (sim/device-worker.js), publishing to a real MQTT broker. Every board
// has a fridge or freezer thermal model (sim/thermal.js) behind its probes and faults on a
// schedule (a scenario) or injected live.
//
// Library API (the one-command start, sim/cli.js and bench/fleet.js use it):
//
//   const { startFleet } = require('./sim/fleet');
//   const fleet = await startFleet({
//       brokerUrl: 'mqtt://127.0.0.1:1883', // required: where the boards publish
//       devices: 6,          // board count (default: the scenario's device list, else 6)
//       speed: 60,           // clock acceleration: 60 = an hour of windows per real minute
//       scenario,            // object or path to a JSON file (default sim/scenarios/default.json); null = none
//       site: 'demo',        // picochain/<site>/<device>/... (default: the scenario's, else demo)
//       format: 'json',      // 'json' | 'binary' frames
//       seed: 1,             // thermal model seed (board i gets seed + 7919 i unless the scenario sets one)
//       firmware: {},        // extra firmware config keys, merged over the generated config
//       monitor: true,       // subscribe to the boards' topics and count frames (fleet.status())
//       maxBoots,            // boards booting at once (default: cores - 1, at least 1)
//       wdtMinRealMs: 1000,  // real-time floor of the emulated watchdog (see WDT_MIN_REAL_MS)
//       wallStart, ntp,      // the boards' clock (default: starts 24 h back, NTP on): see wallStart()
//       liveAfterCatchUp,    // true: the clock runs fast only until it reaches the present, then at 1x (sim/clock.js)
//       hostPath,            // another harness than sim/pico-host.js (tests)
//       log: (line) => {},   // one line per event, prefixed with the device id; default: none
//       caPem,               // with mqtts://: the CA certificate (PEM text) the boards verify the broker with
//       credentials: (site, device) => ({ user, password }), // each board's own broker identity
//                            // (default: the brokerUrl's); monitorUrl: the monitor's broker URL
//   });
//   fleet.devices            // [{ id, kind, probes }]
//   fleet.now()              // model time, seconds since the fleet started
//   await fleet.inject('fridge-1', 'door', { duration: '10m' }); // faults below; at defaults to now;
//                                                                 // device '*' = every board
//   await fleet.clear('fridge-1', 'door');                        // repair / shut / plug back
//   fleet.crash('fridge-1')  // test hook: the board's worker dies as an uncaught error would
//   fleet.status()           // per device: model state, firmware running, frames seen, lag
//   fleet.on('log', ({device, level, line}) => …) / 'crash' (id, err) / 'frame' (id, seq, payload) /
//            'state' (id, snapshot)   // an EventEmitter; frames need monitor: true
//   await fleet.stop()
//
// Faults (times in model time: seconds or "90s", "5m", "2h", "1h30m"; omit duration = until cleared):
//   compressor  the compressor stops cooling: the cabinet warms slowly (~3 °C/h for a fridge)
//   door        the door is left open: the cabinet warms fast (°C per minute)
//   probe       a DS18B20 is unplugged (reads nothing); { probe: n } for one probe, else all
//   wifi        the Wi-Fi link is down; frames wait in the board's ring and are replayed after
//   power       power cut: the board is off (its MicroPython instance is stopped, RAM lost) and
//               the cabinet's compressor too; { board: true } unplugs only the board;
//               { duringWrite: 'remote.json', ... }: during the board's next write of it (sim/README.md)
//
// Scenario JSON (sim/scenarios/*.json):
//   { "name", "description", "site", "speed", "seed", "format",
//     "devices": [{ "id": "fridge-1", "kind": "fridge"|"freezer", "probes": 1, "seed": 3,
//                   "thermal": { "setpointC": 5 }, "firmware": { ... } }],
//     "faults":  [{ "at": "2h", "device": "fridge-2", "fault": "compressor", "duration": "1h", ... }],
//     "firmware": { ... } }
// Options given to startFleet win over the scenario's. With `devices: N` larger than the list,
// more boards are added in the same 2 fridges : 1 freezer mix; smaller, the list is cut.
//
// Robustness: a board whose firmware throws is rebooted by its worker after a backoff (as the
// watchdog would); a worker that dies is restarted by the fleet with the same faults, and its
// thermal model, being deterministic, comes back in the same state. Neither stops the others.
'use strict';
const { Worker } = require('worker_threads');
const { makeSimClock } = require('./clock');
const { EventEmitter } = require('events');
const os = require('os');
const path = require('path');
const { parseDuration } = require('./thermal');
const { DEFAULT_SCENARIO, FAULTS, ID_PATTERN, defaultDevices, loadScenario, parseBrokerUrl, THRESHOLDS, romCode, deviceConfig, deepMerge, frameSeq } = require('./boards');

const HOST_PATH = path.join(__dirname, 'pico-host.js');
const WORKER_RESTART_MS = [1000, 3000, 10000]; // real ms before restarting a dead worker
const STOP_WAIT_MS = 5000; // real ms a worker gets to stop its firmware before it is terminated
// The boards' watchdog (8.4 s of firmware time: 140 real ms at 60×) also waits this long in real
// time before it resets a board, so a busy host is not taken for a hung firmware; a firmware that
// really hangs still resets (after 1 s, i.e. one model minute at 60×). 0 = firmware time only.
const WDT_MIN_REAL_MS = 1000;
const DEFAULT_WALL_BACK_MS = 24 * 3600e3; // the boards' clock starts this far back (see wallStart)
const DECODE_FUTURE_LIMIT_MS = 24 * 3600e3; // picochain-decode refuses frames further ahead (PROTOCOL.md)
const RECENT_KEYS = 4096; // (boot, seq) keys kept per board to tell a duplicate from a new window
const CLOCK_WATCH_MS = 2000; // real ms between checks of the boards' clock against the present

class Fleet extends EventEmitter {
    constructor(opts) {
        super();
        this.opts = opts;
        this.epochMs = Date.now();
        this.wallStartMs = opts.wallStartMs;
        this.speed = opts.speed;
        this.clock = makeSimClock({ speed: opts.speed, epochMs: this.epochMs, wallStartMs: opts.wallStartMs, liveAfterCatchUp: opts.liveAfterCatchUp });
        this.site = opts.site;
        this.devices = [];
        this._boards = new Map(); // id -> board record
        this._stopping = false;
        this._mqtt = null;
        this._reqId = 0;
        this._bootQueue = []; // boards waiting for a boot token
        this._booting = 0;
    }

    /** Model time: seconds since the fleet started, on the accelerated clock. */
    now() { return this.clock.modelSeconds(); }

    _log(id, level, line) {
        const text = `${id ? id + ' ' : ''}${level === 'info' ? '' : level + ': '}${line}`;
        if (this.opts.log) { try { this.opts.log(text, { device: id, level }); } catch { /* a logger must not stop us */ } }
        this.emit('log', { device: id, level, line });
    }

    _spawn(b) {
        const w = new Worker(path.join(__dirname, 'device-worker.js'), {
            workerData: {
                device: b.id, kind: b.kind, seed: b.seed, roms: b.roms, speed: this.speed, liveAfterCatchUp: !!this.opts.liveAfterCatchUp,
                epochMs: this.epochMs, wallStartMs: this.wallStartMs, ntp: this.opts.ntp, wdtMinRealMs: this.opts.wdtMinRealMs,
                config: b.config, thermal: b.thermal, faults: b.faults, files: this.opts.caPem ? { '/ca.pem': this.opts.caPem } : null,
                hostPath: this.opts.hostPath || HOST_PATH, hostOptions: this.opts.hostOptions, bootQueue: true,
            },
            // a runaway instance must not take the fleet's memory with it
            resourceLimits: { maxOldGenerationSizeMb: 256 },
            stdout: true, stderr: true,
        });
        b.worker = w;
        b.pending = new Map();
        const pipe = (stream, level) => {
            let buf = '';
            stream.on('data', (d) => {
                buf += d;
                let i;
                while ((i = buf.indexOf('\n')) >= 0) { this._log(b.id, level, buf.slice(0, i)); buf = buf.slice(i + 1); }
            });
        };
        pipe(w.stdout, 'info');
        pipe(w.stderr, 'warn');
        w.on('message', (m) => {
            switch (m.type) {
                case 'log': this._log(b.id, m.level, m.line); break;
                case 'state': b.state = m.state; this.emit('state', b.id, m.state); break;
                case 'crash': b.firmwareCrashes = m.crashes; this.emit('crash', b.id, m.error); break;
                case 'boot': b.bootEpoch = (b.bootEpoch || 0) + 1; break; // across worker restarts too
                case 'boot-request': this._bootQueue.push(b); this._grantBoots(); break;
                case 'boot-done': if (b.booting) { b.booting = false; this._booting--; } this._grantBoots(); break;
                case 'power': this._log(b.id, 'info', m.on ? 'power back: booting' : 'power cut'); break;
                case 'ack': {
                    const p = b.pending.get(m.id);
                    if (p) { b.pending.delete(m.id); if (m.error) p.reject(new Error(m.error)); else p.resolve(m.value); }
                    break;
                }
                default: break;
            }
        });
        w.on('error', (err) => {
            b.lastError = String(err && err.stack || err);
            this._log(b.id, 'error', `worker crashed: ${err && err.message}`);
            this.emit('crash', b.id, b.lastError);
        });
        w.on('exit', (code) => {
            if (b.booting) { b.booting = false; this._booting--; }
            this._bootQueue = this._bootQueue.filter((x) => x !== b);
            this._grantBoots();
            for (const p of b.pending.values()) p.reject(new Error(`${b.id} worker exited`));
            b.pending.clear();
            b.worker = null;
            if (this._stopping || b.removed) return;
            b.workerRestarts++;
            const wait = WORKER_RESTART_MS[Math.min(b.workerRestarts - 1, WORKER_RESTART_MS.length - 1)];
            this._log(b.id, 'warn', `worker exited (code ${code}); restarting in ${wait} ms`);
            b.restartTimer = setTimeout(() => { if (!this._stopping) this._spawn(b); }, wait);
        });
    }

    /** Lets queued boards boot, at most opts.maxBoots at a time. */
    _grantBoots() {
        while (this._booting < this.opts.maxBoots && this._bootQueue.length) {
            const b = this._bootQueue.shift();
            if (!b.worker) continue;
            b.booting = true;
            this._booting++;
            b.worker.postMessage({ type: 'boot-grant' });
        }
    }

    _request(b, msg) {
        if (!b.worker) return Promise.reject(new Error(`${b.id} is restarting`));
        const id = ++this._reqId;
        return new Promise((resolve, reject) => {
            b.pending.set(id, { resolve, reject });
            b.worker.postMessage({ ...msg, id });
        });
    }

    _board(device) {
        const b = this._boards.get(device);
        if (!b) throw new Error(`no device "${device}" in the fleet (${[...this._boards.keys()].join(', ')})`);
        return b;
    }

    /**
     * Injects a fault into one board ('*' = all): `fault` one of compressor, door, probe, wifi,
     * power; opts { at (model time, default now), duration (default until cleared), probe, board }.
     */
    async inject(device, fault, opts = {}) {
        if (!FAULTS.includes(fault)) throw new Error(`unknown fault "${fault}" (${FAULTS.join(', ')})`);
        const targets = device === '*' ? [...this._boards.values()] : [this._board(device)];
        const at = opts.at === undefined || opts.at === null ? this.now() : parseDuration(opts.at);
        const spec = { ...opts, fault, at, duration: parseDuration(opts.duration) };
        for (const b of targets) {
            b.faults.push(spec); // kept with an absolute time so a restarted worker gets it too
            this._log(b.id, 'info', `fault ${fault} at ${fmtModel(at)}${spec.duration === null ? '' : ` for ${fmtModel(spec.duration)}`}`);
            if (b.worker) await this._request(b, { type: 'fault', spec });
        }
    }

    /** Ends the active faults of one kind on a board ('*' = all) now. */
    async clear(device, fault) {
        if (!FAULTS.includes(fault)) throw new Error(`unknown fault "${fault}" (${FAULTS.join(', ')})`);
        const targets = device === '*' ? [...this._boards.values()] : [this._board(device)];
        const now = this.now();
        for (const b of targets) {
            for (const f of b.faults) {
                const until = f.duration === null ? Infinity : f.at + f.duration;
                if (f.fault === fault && f.at <= now && until > now) f.duration = now - f.at;
            }
            this._log(b.id, 'info', `fault ${fault} cleared`);
            if (b.worker) await this._request(b, { type: 'clear', fault });
        }
    }

    /** Test hook: makes a board's worker die as an uncaught error would. */
    crash(device) {
        const b = this._board(device);
        if (b.worker) b.worker.postMessage({ type: 'crash' });
    }

    /** Per device: model state, whether the firmware runs, frames seen on the broker, lag in windows. */
    status() {
        const t = this.now();
        const windowS = this.opts.windowS;
        return [...this._boards.values()].map((b) => {
            const s = b.state || {};
            const expected = Math.floor(t / windowS);
            return {
                id: b.id, kind: b.kind, airC: s.airC, compressorOn: s.compressorOn, doorOpen: s.doorOpen,
                faults: s.faults || [], running: !!s.running, boots: s.boots || 0,
                firmwareCrashes: s.crashes || 0, workerRestarts: b.workerRestarts,
                frames: b.frames, windows: b.windows, duplicates: b.duplicates, expectedWindows: expected,
                lastSeq: b.lastSeq, online: b.online, heapUsed: s.heapUsed, external: s.external,
                loopDelayMaxMs: s.loopDelayMaxMs, loopDelayP99Ms: s.loopDelayP99Ms,
                elu: b.worker ? b.worker.performance.eventLoopUtilization().utilization : null,
                pico: s.pico,
            };
        });
    }

    async _startMonitor() {
        const mqtt = require('mqtt');
        const c = mqtt.connect(this.opts.monitorUrl || this.opts.brokerUrl, { clientId: `picochain-sim-monitor-${process.pid}-${Date.now() % 100000}`, reconnectPeriod: 1000 });
        this._mqtt = c;
        c.on('message', (topic, payload) => {
            const parts = topic.split('/');
            const b = this._boards.get(parts[2]);
            if (!b) return;
            if (parts[3] === 'status') {
                const text = payload.toString('utf8');
                b.online = text === 'offline' ? false : text.length > 0 ? true : b.online;
                return;
            }
            if (parts[3] !== 'stats') return;
            b.frames++;
            const seq = frameSeq(payload);
            if (seq === null) return;
            // counts distinct windows since the start; seq wraps at 65536 (45 model days at 60 s)
            const key = `${b.boots()}:${seq}`;
            if (b.recent.has(key)) {
                b.duplicates++;
            } else {
                b.windows++;
                b.recent.add(key);
                // duplicates arrive within the ring's replay span: remember a bounded number of keys
                if (b.recent.size > RECENT_KEYS) b.recent.delete(b.recent.values().next().value);
            }
            b.lastSeq = seq;
            this.emit('frame', b.id, seq, payload);
        });
        // one line per outage, not one per reconnect attempt
        let down = false;
        c.on('error', (err) => { if (!down) { down = true; this._log(null, 'warn', `monitor: ${err.message} (retrying)`); } });
        c.on('connect', () => { if (down) { down = false; this._log(null, 'info', 'monitor: connected'); } });
        await new Promise((resolve) => {
            const timer = setTimeout(resolve, 5000); // the fleet runs even if the monitor cannot connect
            c.once('connect', () => {
                c.subscribe([`picochain/${this.site}/+/stats`, `picochain/${this.site}/+/status`], { qos: 1 }, () => { clearTimeout(timer); resolve(); });
            });
        });
    }

    async _start(scenario) {
        const broker = parseBrokerUrl(this.opts.brokerUrl);
        if (this.opts.monitor) await this._startMonitor();
        this.devices = this.opts.deviceList.map((d) => ({ id: d.id, kind: d.kind, probes: d.probes || 1 }));
        this.opts.deviceList.forEach((d, i) => {
            const probes = d.probes || 1;
            const roms = Array.from({ length: probes }, (_, k) => romCode(d.id, k + 1));
            const b = {
                id: d.id, kind: d.kind, probes, roms,
                seed: d.seed === undefined ? (this.opts.seed + i * 7919) >>> 0 : d.seed,
                thermal: d.thermal,
                config: deviceConfig({
                    id: d.id, kind: d.kind, site: this.site, broker: { ...broker, ...(this.opts.credentials ? this.opts.credentials(this.site, d.id) : {}) }, format: this.opts.format, roms,
                    extra: deepMerge(deepMerge(scenario.firmware || {}, this.opts.firmware || {}), d.firmware || {}),
                }),
                faults: scenario.faults.filter((f) => f.device === d.id || f.device === '*').map((f) => ({
                    ...f, at: parseDuration(f.at === undefined ? 0 : f.at), duration: parseDuration(f.duration),
                })),
                worker: null, state: null, workerRestarts: 0, frames: 0, duplicates: 0, windows: 0, recent: new Set(),
                lastSeq: null, online: null,
            };
            // a power cut restarts seq at the firmware's boot value: count windows per boot
            b.boots = () => b.bootEpoch || 0;
            this._boards.set(d.id, b);
        });
        for (const f of scenario.faults) {
            if (f.device !== '*' && !this._boards.has(f.device)) this._log(null, 'warn', `scenario fault for unknown device ${f.device} ignored`);
        }
        for (const b of this._boards.values()) this._spawn(b);
        if (this.opts.ntp !== false) this._watchClock();
        this._log(null, 'info', `fleet: ${this.devices.length} boards (${this.devices.map((d) => d.id).join(', ')}) at ${this.speed}x, site ${this.site}, ${this.opts.format} frames -> ${redactUrl(this.opts.brokerUrl)}`);
    }

    /** Says when the boards' accelerated clock passes the present, and before the decoder refuses it. */
    _watchClock() {
        let said = 0;
        this._clockTimer = setInterval(() => {
            const aheadMs = this.clock.now() - Date.now();
            if (said === 0 && Date.now() >= this.clock.catchUpAtMs) {
                said = 2;
                this._log(null, 'info', 'fleet: the boards\' clock has caught up with the present and now runs at real speed');
            }
            if (said === 0 && aheadMs >= 0) {
                said = 1;
                this._log(null, 'info', 'fleet: the boards\' clock has passed the present: history views that end now show no newer windows');
            }
            if (said === 1 && aheadMs >= DECODE_FUTURE_LIMIT_MS - 3600e3) {
                said = 2;
                this._log(null, 'warn', `fleet: the boards' clock is ${Math.round(aheadMs / 3600e3)} h ahead; picochain-decode refuses frames more than 24 h ahead: restart the fleet, or run it slower or with ntp off`);
            }
            if (said === 2) clearInterval(this._clockTimer);
        }, CLOCK_WATCH_MS);
        this._clockTimer.unref();
    }

    /** Stops every board (each firmware's stop, bounded) and the monitor. */
    async stop() {
        if (this._stopping) return;
        this._stopping = true;
        clearInterval(this._clockTimer);
        await Promise.all([...this._boards.values()].map(async (b) => {
            clearTimeout(b.restartTimer);
            const w = b.worker;
            if (!w) return;
            const exited = new Promise((r) => w.once('exit', r));
            const timer = setTimeout(() => w.terminate(), STOP_WAIT_MS);
            try { w.postMessage({ type: 'stop', id: 0 }); } catch { w.terminate(); }
            await exited;
            clearTimeout(timer);
        }));
        if (this._mqtt) await new Promise((r) => this._mqtt.end(true, {}, r));
        this._log(null, 'info', 'fleet stopped');
    }
}

function fmtModel(s) {
    if (!Number.isFinite(s)) return 'ever';
    const h = Math.floor(s / 3600); const m = Math.floor((s % 3600) / 60); const sec = Math.round(s % 60);
    return `${h}h${String(m).padStart(2, '0')}m${sec ? String(sec).padStart(2, '0') + 's' : ''}`;
}

function redactUrl(url) {
    try { const u = new URL(url); if (u.password) u.password = '***'; return u.toString(); } catch { return '(bad url)'; }
}

/**
 * Starts a fleet (see the top of this file) and resolves once every board's worker is spawned
 * (boards boot in the background; fleet.status() shows which run).
 */
async function startFleet(options = {}) {
    if (!options.brokerUrl) throw new Error('startFleet: brokerUrl is required (e.g. mqtt://127.0.0.1:1883)');
    if (parseBrokerUrl(options.brokerUrl).tls && !options.caPem) throw new Error('startFleet: an mqtts:// broker needs caPem, the CA certificate (PEM) the boards check it with');
    const scenario = loadScenario(options.scenario);
    const n = options.devices === undefined ? (scenario.devices.length || 6) : Number(options.devices);
    if (!Number.isInteger(n) || n < 1) throw new Error(`devices must be a positive integer, got ${options.devices}`);
    const speed = Number(options.speed || scenario.speed || 60);
    if (!(speed > 0)) throw new Error(`speed must be > 0, got ${options.speed}`);
    const format = options.format || scenario.format || 'json';
    if (!['json', 'binary'].includes(format)) throw new Error(`format must be json or binary, got ${format}`);
    const site = options.site || scenario.site || 'demo';
    if (!ID_PATTERN.test(site)) throw new Error(`site "${site}" must match ${ID_PATTERN}`);
    const firmware = deepMerge(scenario.firmware || {}, options.firmware || {});
    // the firmware's defaults (firmware/config.py) unless the scenario or options set them
    const windowS = Number(firmware.window_s || 60);
    const sampleS = Number(firmware.sample_s || 10);
    const wallStartMs = wallStart(options.wallStart, speed);
    const fleet = new Fleet({
        ...options, speed, format, site, windowS, sampleS, wallStartMs, ntp: options.ntp !== false,
        maxBoots: options.maxBoots || Math.max(1, os.cpus().length - 1),
        wdtMinRealMs: options.wdtMinRealMs === undefined ? WDT_MIN_REAL_MS : options.wdtMinRealMs,
        seed: options.seed === undefined ? (scenario.seed || 1) : options.seed,
        monitor: options.monitor !== false,
        deviceList: defaultDevices(n, scenario.devices),
    });
    await fleet._start(scenario);
    return fleet;
}

/**
 * Where the boards' wall clock starts (epoch ms). Default: 24 h before now (for speeds of 2× and
 * more; at 1× it is now). Views that show "the last 24 h up to now" (picochain-history's default)
 * then show the fleet's windows from the first minute, until the accelerated clock reaches the
 * present after 24 h / (speed - 1) of real time (24 real minutes at 60×); later windows are in
 * the future, still decoded, stored and alerted on, and picochain-decode refuses them once they
 * are more than a day ahead (48 real minutes at 60×; the fleet logs a warning before). For longer
 * runs use a lower speed, or ntp: false (frames carry time since boot; the decoder stamps them
 * with the receive time), or liveAfterCatchUp (what npm start uses): the clock runs at real
 * speed from the moment it reaches the present, so frames never drift into the future.
 * Accepts 'now', a Date, epoch ms, an ISO date, or a duration before now ("59h", "2d").
 */
function wallStart(v, speed) {
    const now = Date.now();
    if (v === undefined || v === null) return now - Math.min(1, Math.max(0, speed - 1)) * DEFAULT_WALL_BACK_MS;
    if (v === 'now') return now;
    if (v instanceof Date) return v.getTime();
    if (typeof v === 'number') return v;
    if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
        const t = Date.parse(v);
        if (Number.isNaN(t)) throw new Error(`wallStart "${v}" is not a date`);
        return t;
    }
    return now - parseDuration(v) * 1000;
}

module.exports = { startFleet, redactUrl, loadScenario, defaultDevices, deviceConfig, romCode, parseBrokerUrl, frameSeq, wallStart, FAULTS, THRESHOLDS, DEFAULT_SCENARIO };
