'use strict';
// A month of a small test fleet, from the simulator's own cabinet model (sim/thermal.js, the model
// behind every simulated board) with its faults: fridge-1's door left open, fridge-2's compressor
// failing for seven hours and its probe unplugged for an hour and a half, freezer-1's board without
// power for three and a half hours (its windows never sent). Windows of 5 minutes, a sample every
// 30 s, as a board with `window_s: 300, sample_s: 30` sends them; stored with the writer's own
// mapping (picochain-mongo-ts document.ts).
const { ThermalModel, adcRawToC } = require('../../sim/thermal');
const { instantOn, dayBounds, monthDates } = require('../../dist/nodes/picochain-report/tz');

const TZ = 'Europe/Paris';
const MONTH = '2026-03'; // the clocks go forward on the 29th: a 23-hour day
const WINDOW_S = 300;
const SAMPLES = 10;

const at = (date, hhmm) => instantOn(TZ, date, hhmm);
const CABINETS = [
    { device: 'fridge-1', kind: 'fridge', name: 'Dairy fridge', location: 'store room', seed: 11, ambient: true },
    { device: 'fridge-2', kind: 'fridge', name: 'Produce fridge', location: 'store room', seed: 23 },
    { device: 'freezer-1', kind: 'freezer', name: 'Meat freezer', location: 'back room', seed: 37 },
];
/** The faults, in local time. */
const FAULTS = {
    door: { device: 'fridge-1', from: at('2026-03-09', '14:10'), to: at('2026-03-09', '14:50') },
    compressor: { device: 'fridge-2', from: at('2026-03-17', '09:00'), to: at('2026-03-17', '16:00') },
    probe: { device: 'fridge-2', from: at('2026-03-05', '03:00'), to: at('2026-03-05', '04:30') },
    power: { device: 'freezer-1', from: at('2026-03-21', '01:00'), to: at('2026-03-21', '04:30') },
};

/** The registry documents (picochain-devices) of the fleet. */
function registryDocs(now = new Date()) {
    return CABINETS.map((c) => ({
        _id: c.device, name: c.name, location: c.location, kind: c.kind, firstSeen: now, updatedAt: now, assignedAt: now, assignedBy: 'test',
        sensors: { probe1: { unit: '°C' }, ...(c.ambient ? { temperature: { unit: '°C', kind: 'ambient' } } : {}) },
    }));
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Every reading of the month, in time order (as decode emits them: Reading objects). */
function monthReadings() {
    const dates = monthDates(MONTH);
    const start = dayBounds(TZ, dates[0]).from;
    const end = dayBounds(TZ, dates[dates.length - 1]).to;
    const out = [];
    for (const c of CABINETS) {
        const model = new ThermalModel({ kind: c.kind, seed: c.seed });
        const s = (ms) => (ms - start) / 1000;
        if (FAULTS.door.device === c.device) model.addFault('door', { at: s(FAULTS.door.from), duration: s(FAULTS.door.to) - s(FAULTS.door.from) });
        if (FAULTS.compressor.device === c.device) model.addFault('compressor', { at: s(FAULTS.compressor.from), duration: s(FAULTS.compressor.to) - s(FAULTS.compressor.from) });
        let seq = 0;
        for (let endMs = start + WINDOW_S * 1000; endMs <= end; endMs += WINDOW_S * 1000) {
            seq++;
            const times = Array.from({ length: SAMPLES }, (_, k) => endMs - WINDOW_S * 1000 + (k + 1) * (WINDOW_S * 1000 / SAMPLES));
            const probe = times.map((t) => model.probeC(s(t)));
            const board = times.map((t) => Math.round(adcRawToC(model.boardAdcRaw(s(t))) * 100) / 100);
            if (c.device === FAULTS.power.device && endMs > FAULTS.power.from && endMs <= FAULTS.power.to) continue; // board off: nothing sent
            const unplugged = c.device === FAULTS.probe.device && endMs > FAULTS.probe.from && endMs <= FAULTS.probe.to;
            const base = { device: c.device, site: 'demo', unit: '°C', source: 'json-v1', time: new Date(endMs), deviceTime: new Date(endMs), receivedAt: new Date(endMs + 1500), window: WINDOW_S, seq, state: 0 };
            const stats = (xs) => ({ count: xs.length, min: Math.min(...xs), max: Math.max(...xs), mean: Math.round(mean(xs) * 10000) / 10000, std: 0, slope: null, last: xs[xs.length - 1] });
            out.push(unplugged
                ? { ...base, sensor: 'probe1', count: 0, min: null, max: null, mean: null, std: null, slope: null, last: null, fault: 'no-samples' }
                : { ...base, sensor: 'probe1', ...stats(probe) });
            if (c.ambient) out.push({ ...base, sensor: 'temperature', ...stats(board) });
        }
    }
    return out.sort((a, b) => a.time - b.time);
}

module.exports = { TZ, MONTH, WINDOW_S, CABINETS, FAULTS, registryDocs, monthReadings };
