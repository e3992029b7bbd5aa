'use strict';
// The food-safety default rules against the simulator's cabinet model (sim/thermal.js): healthy
// fridges and freezers, door openings and compressor cycles included, raise nothing over two model
// days; a failed compressor raises a warning, then a critical alert, and nothing else does.
// Pure and deterministic: the model and the engine run on model time, no clock, no network.
const assert = require('assert');
const { AlertEngine, FOOD_SAFETY_RULES } = require('../../dist/nodes/picochain-alert/core');
const { ThermalModel, adcRawToC } = require('../../sim/thermal');
const { loadScenario } = require('../../sim/fleet');

const T0 = Date.UTC(2026, 0, 1);
const WINDOW_S = 60;
const SAMPLES = 6; // the firmware's default: a sample every 10 s, a window of 60 s

/** A picochain reading of one window's samples (what the firmware sends and decode emits). */
function windowReading(device, sensor, samples, endS) {
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const time = new Date(T0 + endS * 1000);
    return {
        device, site: 'demo', sensor, unit: '°C', time, deviceTime: time, receivedAt: time, window: WINDOW_S, count: samples.length,
        min: Math.min(...samples), max: Math.max(...samples), mean, std: 0, slope: null, last: samples[samples.length - 1], seq: null, state: null, source: 'json-v1',
    };
}

/**
 * Runs cabinets through the default rules for `hours` of model time and returns the events as
 * "device sensor event rule severity hh:mm". The registry view is what npm start seeds: the
 * cabinet's kind, and the board's own sensor ("temperature") reading the room.
 */
function simulate(cabinets, hours) {
    const engine = new AlertEngine({ rules: FOOD_SAFETY_RULES.slice(), silentS: 0 });
    const events = [];
    for (const c of cabinets) {
        const model = new ThermalModel({ kind: c.kind, seed: c.seed });
        if (c.compressorAt !== undefined) model.addFault('compressor', { at: c.compressorAt });
        const cabinet = { kind: c.kind, sensors: { temperature: { unit: '°C', kind: 'ambient' } } };
        for (let end = WINDOW_S; end <= hours * 3600; end += WINDOW_S) {
            const at = (k) => end - WINDOW_S + (k + 1) * (WINDOW_S / SAMPLES);
            const probe = Array.from({ length: SAMPLES }, (_, k) => model.probeC(at(k)));
            const board = Array.from({ length: SAMPLES }, (_, k) => adcRawToC(model.boardAdcRaw(at(k))));
            for (const r of [windowReading(c.id, 'probe1', probe, end), windowReading(c.id, 'temperature', board, end)]) {
                for (const e of engine.ingest(r, r.time.getTime(), cabinet)) {
                    const m = Math.round(end / 60);
                    events.push(`${e.device} ${e.sensor} ${e.event} ${e.rule} ${e.severity} ${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`);
                }
            }
        }
    }
    return events;
}

describe('food-safety default rules on the simulated cabinets (sim/thermal.js)', function () {
    this.timeout(60000);
    const scenario = loadScenario(undefined); // sim/scenarios/default.json, what npm start runs
    // the fleet gives board i the seed `seed + 7919 i` (sim/fleet.js)
    const cabinets = scenario.devices.map((d, i) => ({ id: d.id, kind: d.kind, seed: (scenario.seed || 1) + 7919 * i }));

    it('the six cabinets of npm start raise nothing in two model days', function () {
        assert.strictEqual(cabinets.length, 6);
        assert.deepStrictEqual(simulate(cabinets, 48), []);
    });

    it('neither do 60 more fridges and 60 more freezers of other seeds', function () {
        const more = [];
        for (let s = 1; s <= 60; s++) more.push({ id: `fridge-s${s}`, kind: 'fridge', seed: s * 7919 }, { id: `freezer-s${s}`, kind: 'freezer', seed: s * 7919 + 1 });
        assert.deepStrictEqual(simulate(more, 48), []);
    });

    it('the default scenario\'s compressor failure (fridge-2 at 1h30) fires a critical high alert, and nothing else does', function () {
        const fault = scenario.faults.find((f) => f.fault === 'compressor');
        assert.strictEqual(fault.device, 'fridge-2');
        const withFault = cabinets.map((c) => (c.id === fault.device ? { ...c, compressorAt: 90 * 60 } : c));
        const events = simulate(withFault, 10);
        // it warms past 5 °C and 8 °C within half an hour, so critical (8 °C held 30 min) is due as
        // soon as warning (5 °C held 1 h): one "fired" at critical, at 2h27 model time
        assert.deepStrictEqual(events, ['fridge-2 probe1 fired high critical 2:27']);
        console.log(`      ${events.join('; ')} (model time)`);
    });
});
