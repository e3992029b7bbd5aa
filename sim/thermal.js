// Thermal model of one fridge or freezer cabinet for the simulated fleet: compressor cycling with
// hysteresis, heat leak from the room, random door openings, and injectable faults. Pure and
// deterministic: the same seed and fault schedule give the same temperatures, whatever the order
// or rate of the queries, because the model always advances in fixed steps of model time.
//
// Model time is seconds since the fleet started, on the accelerated clock (at 60× one real second
// is one model minute). Nothing here reads a real clock.
//
//   const m = new ThermalModel({ kind: 'fridge', seed: 7 });
//   m.addFault('compressor', { at: 7200 });          // fails at 2 h, never repaired
//   m.addFault('door', { at: 3600, duration: 900 });  // left open 15 min
//   m.advanceTo(10800); m.airC; m.probeC(10800); m.boardAdcRaw(10800)
'use strict';
const { mulberry32: prng } = require('./rng'); // seeded: door openings and noise

/**
 * Defaults per cabinet kind. Rates are per minute of model time.
 * Fridge: leak 1/300 per min at 4 °C in a 20 °C room is 0.053 °C/min, cooling 0.25 °C/min, band
 * ±1 °C: about 10 min on / 38 min off, like a household fridge. A failed compressor warms the
 * cabinet by ~3 °C in the first hour; an open door by ~2 °C per minute.
 * Freezer: better insulated (1/600 per min), band ±1.5 °C around -18 °C.
 */
const PROFILES = Object.freeze({
    fridge: Object.freeze({
        setpointC: 4, hysteresisC: 1, ambientC: 20, ambientSwingC: 2,
        leakPerMin: 1 / 300, coolCPerMin: 0.25, doorLeakPerMin: 0.12,
        doorsPerHour: 3, doorMinS: 5, doorMaxS: 45, noiseC: 0.04,
    }),
    freezer: Object.freeze({
        setpointC: -18, hysteresisC: 1.5, ambientC: 20, ambientSwingC: 2,
        leakPerMin: 1 / 600, coolCPerMin: 0.3, doorLeakPerMin: 0.08,
        doorsPerHour: 1.5, doorMinS: 5, doorMaxS: 30, noiseC: 0.04,
    }),
});

/** Faults the cabinet itself feels; probe and Wi-Fi faults live in the fleet (sim/fleet.js). */
const THERMAL_FAULTS = Object.freeze(['compressor', 'door', 'power']);

const STEP_S = 1; // model seconds per integration step: door openings last 5 s or more
const DS18B20_LSB_C = 0.0625; // 12-bit DS18B20 resolution

/** A stable number in [0, 1) for (seed, channel, tick): noise that does not depend on query order. */
function hash01(seed, channel, tick) {
    let h = (Math.imul(seed >>> 0, 0x9E3779B1) ^ Math.imul(channel + 1, 0x85EBCA77) ^ Math.imul(tick | 0, 0xC2B2AE3D)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7FEB352D) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x846CA68B) >>> 0;
    return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Roughly normal noise in [-1, 1] from two uniform draws (triangular, enough for sensor jitter). */
function jitter(seed, channel, tick) {
    return hash01(seed, channel, tick) + hash01(seed, channel + 101, tick) - 1;
}

/**
 * Parses a model-time duration into seconds: a number of seconds, or a string of number+unit
 * parts like "90s", "5m", "2h", "1h30m", "1d" (units ms, s, m/min, h, d; a bare number is seconds).
 */
function parseDuration(v) {
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
    const text = String(v).replace(/\s+/g, '');
    const units = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600, d: 86400 };
    const re = /(\d+(?:\.\d+)?)(ms|min|s|m|h|d)?/y;
    let total = 0; let m; let pos = 0;
    while (pos < text.length && (m = re.exec(text)) && m.index === pos) {
        total += Number(m[1]) * units[m[2] || 's'];
        pos = re.lastIndex;
    }
    if (!text || pos !== text.length) throw new Error(`bad duration "${v}" (use seconds or e.g. "90s", "5m", "1h30m")`);
    return total;
}

class ThermalModel {
    /**
     * @param {object} opts
     * @param {'fridge'|'freezer'} [opts.kind='fridge']
     * @param {number} [opts.seed=1] PRNG seed: door openings and noise
     * @param {number} [opts.startC] initial cabinet air temperature (default: somewhere in the band)
     * @param {boolean} [opts.vary=true] vary setpoint (±0.3 °C), leak and cooling (±15 %) by seed
     * Any PROFILES field (setpointC, hysteresisC, ambientC, leakPerMin, ...) can be overridden.
     */
    constructor(opts = {}) {
        const kind = opts.kind || 'fridge';
        if (!PROFILES[kind]) throw new Error(`unknown cabinet kind "${kind}" (fridge or freezer)`);
        this.kind = kind;
        this.seed = (opts.seed === undefined ? 1 : opts.seed) >>> 0;
        this.rand = prng(this.seed);
        this.p = { ...PROFILES[kind] };
        // no two cabinets are alike: thermostat setting, insulation and compressor vary a little
        // (fields given in opts are taken as they are)
        if (opts.vary !== false) {
            const spread = (x, frac) => x * (1 + frac * (2 * this.rand() - 1));
            this.p.setpointC += 0.6 * (this.rand() - 0.5);
            this.p.leakPerMin = spread(this.p.leakPerMin, 0.15);
            this.p.coolCPerMin = spread(this.p.coolCPerMin, 0.15);
        }
        for (const k of Object.keys(this.p)) if (opts[k] !== undefined) this.p[k] = opts[k];
        this.t = 0;
        this.airC = opts.startC === undefined
            ? this.p.setpointC + this.p.hysteresisC * (2 * this.rand() - 1) : opts.startC;
        // start the compressor in a random phase of its cycle so a fleet does not cycle in step
        this.compressorOn = this.rand() < 0.3;
        this.doorUntil = -1; // a random (short) door opening ends at this model second
        this.doorOpenings = 0;
        this.faults = []; // {kind, from, until}
    }

    /** Schedules a cabinet fault from `at` (model s, default now) for `duration` (default: forever). */
    addFault(kind, opts = {}) {
        if (!THERMAL_FAULTS.includes(kind)) throw new Error(`unknown thermal fault "${kind}" (${THERMAL_FAULTS.join(', ')})`);
        const from = opts.at === undefined ? this.t : parseDuration(opts.at);
        const dur = parseDuration(opts.duration);
        const f = { kind, from, until: dur === null ? Infinity : from + dur };
        this.faults.push(f);
        return f;
    }

    /** Ends every active fault of `kind` at `at` (default now): a repair, the door closed, power back. */
    clearFault(kind, at) {
        const t = at === undefined ? this.t : parseDuration(at);
        for (const f of this.faults) if (f.kind === kind && f.from <= t && f.until > t) f.until = t;
    }

    /** True when a fault of `kind` is active at model time t. */
    faultActive(kind, t = this.t) {
        for (const f of this.faults) if (f.kind === kind && f.from <= t && t < f.until) return true;
        return false;
    }

    /** Ambient room temperature at t: a slow daily swing (warmest mid-afternoon of day 0). */
    ambientC(t = this.t) {
        return this.p.ambientC + this.p.ambientSwingC * Math.sin(2 * Math.PI * (t / 86400 - 0.375));
    }

    /** Door open at t: a random short opening or a "door left open" fault. */
    doorOpen(t = this.t) {
        return t < this.doorUntil || this.faultActive('door', t);
    }

    /** Advances the model to model time t (seconds). Earlier times are ignored (time never goes back). */
    advanceTo(t) {
        const p = this.p;
        while (this.t + STEP_S <= t) {
            const now = this.t;
            // random door openings: a Poisson process, short openings
            if (now >= this.doorUntil && this.rand() < p.doorsPerHour * STEP_S / 3600) {
                this.doorUntil = now + p.doorMinS + this.rand() * (p.doorMaxS - p.doorMinS);
                this.doorOpenings++;
            }
            const power = !this.faultActive('power', now);
            const broken = this.faultActive('compressor', now);
            // thermostat with hysteresis; it has no power during a power cut
            if (!power) this.compressorOn = false;
            else if (this.airC > p.setpointC + p.hysteresisC) this.compressorOn = true;
            else if (this.airC < p.setpointC - p.hysteresisC) this.compressorOn = false;
            const amb = this.ambientC(now);
            const leak = (this.doorOpen(now) ? p.doorLeakPerMin : p.leakPerMin) * (amb - this.airC);
            // a failed compressor runs (the thermostat still calls for cold) but moves no heat
            const cool = this.compressorOn && !broken ? p.coolCPerMin : 0;
            this.airC += (leak - cool) * STEP_S / 60;
            this.t = now + STEP_S;
        }
        return this;
    }

    /** What a DS18B20 in the cabinet reads at t: air temperature, jitter, 0.0625 °C steps. */
    probeC(t, channel = 0) {
        this.advanceTo(t);
        const v = this.airC + this.p.noiseC * jitter(this.seed, channel, Math.floor(t));
        return Math.round(v / DS18B20_LSB_C) * DS18B20_LSB_C;
    }

    /**
     * What the Pico's ADC channel 4 (its own die sensor) reads at t, as a 16-bit raw value. The
     * board sits outside the cabinet, so it reads the room (a little warmer: the chip heats itself),
     * with the onboard sensor's coarse noise. Inverse of T = 27 - (V - 0.706) / 0.001721.
     */
    boardAdcRaw(t) {
        const tempC = this.ambientC(t) + 2 + 0.8 * jitter(this.seed, 999, Math.floor(t));
        const volts = 0.706 - (tempC - 27) * 0.001721;
        return Math.max(0, Math.min(65535, Math.round(volts * 65535 / 3.3)));
    }

    /** A snapshot for logs and tests. */
    snapshot() {
        return {
            t: this.t, kind: this.kind, airC: this.airC, compressorOn: this.compressorOn,
            doorOpen: this.doorOpen(), doorOpenings: this.doorOpenings,
            faults: THERMAL_FAULTS.filter((k) => this.faultActive(k)),
        };
    }
}

/** Converts a raw ADC 4 value to °C the way the firmware does (for tests and logs). */
function adcRawToC(raw) {
    return 27 - (raw * 3.3 / 65535 - 0.706) / 0.001721;
}

module.exports = { ThermalModel, PROFILES, THERMAL_FAULTS, parseDuration, prng, hash01, adcRawToC, STEP_S };
