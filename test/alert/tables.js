'use strict';
// Shared by the picochain-alert core tests: rule and reading builders, and the table runner
// (time and input in, events out, with an injected clock).
const assert = require('assert');
const { AlertEngine } = require('../../dist/nodes/picochain-alert/core');

const T0 = Date.UTC(2026, 10, 24, 20, 0, 0);
const DEVICE = 'fridge-1';
const SENSOR = 'probe1';

/** A rule: R(profile, kind, unit, [fire, clear, forS] warning, [fire, clear, forS] critical, extra). */
function R(profile, kind, unit, w, c, extra = {}) {
    const band = (b) => (b ? { fire: b[0], clear: b[1], forS: b[2] || 0 } : null);
    return { profile, sensors: [], unit, kind, value: 'mean', warning: band(w), critical: band(c), states: [], ...extra };
}
const FRIDGE = { kind: 'fridge' };
const FREEZER = { kind: 'freezer' };

function reading(t, v, extra = {}) {
    const time = new Date(T0 + t * 1000);
    return {
        device: DEVICE, site: null, sensor: SENSOR, unit: '°C', time, deviceTime: time, receivedAt: time,
        window: 60, count: 6, min: v, max: v, mean: v, std: 0, slope: null, last: v, seq: null, state: null,
        source: 'json-v1', ...extra,
    };
}

const round = (v) => (v === null ? 'null' : String(Math.round(v * 100) / 100));

/** "fired high warning 8.1@8", device/sensor prefixed when not fridge-1/probe1, cause for silent. */
function fmt(e) {
    const who = e.device === DEVICE && (e.sensor === SENSOR || e.sensor === null) ? '' : `${e.device}/${e.sensor ?? '*'} `;
    const what = e.rule === 'silent' ? e.cause : `${round(e.value)}@${round(e.threshold)}`;
    return `${who}${e.event} ${e.rule} ${e.severity} ${what}${e.reason ? ` (${e.reason})` : ''}`;
}

/**
 * Runs a table. Each row: [seconds since T0 (Node-RED clock), input, expected events]. Input is a
 * number (a fridge-1/probe1 reading with that value, its time = the row's time, cabinet fridge), an
 * object {v, device, sensor, unit, time (s), cabinet, slope, replay}, 'tick', 'offline', 'online',
 * {ack: selector}, or 'restart' (device snapshots through JSON into a new engine, then a tick).
 */
function run(options, rows, seen = []) {
    let engine = new AlertEngine(options);
    rows.forEach(([t, input, want], i) => {
        const now = T0 + t * 1000;
        let events;
        if (typeof input === 'number') events = engine.ingest(reading(t, input), now, FRIDGE);
        else if (input === 'tick') events = engine.tick(now);
        else if (input === 'offline') events = engine.deviceStatus(DEVICE, false, now);
        else if (input === 'online') events = engine.deviceStatus(DEVICE, true, now);
        else if (input === 'restart') {
            const saved = JSON.parse(JSON.stringify(engine.deviceIds().map((d) => engine.snapshot(d))));
            engine = new AlertEngine(options);
            engine.restore(saved, now);
            events = engine.tick(now);
        } else if (input.ack) events = engine.ack(input.ack, now);
        else {
            const r = reading(input.time ?? t, input.v, { device: input.device ?? DEVICE, sensor: input.sensor ?? SENSOR });
            for (const k of ['slope', 'replay', 'unit', 'last', 'min', 'max']) if (k in input) r[k] = input[k];
            events = engine.ingest(r, now, 'cabinet' in input ? input.cabinet : FRIDGE);
        }
        seen.push(...events);
        assert.deepStrictEqual(events.map(fmt), want, `row ${i} (t=${t}s, input ${JSON.stringify(input)})`);
    });
    return engine;
}

const opts = (rules, extra = {}) => ({ rules, ...extra });
const HIGH_8_6 = opts([R('fridge', 'high', '°C', [8, 6])]);
const LADDER = opts([R('fridge', 'high', '°C', [5, 4.5], [8, 7])]);


module.exports = { T0, DEVICE, SENSOR, R, FRIDGE, FREEZER, reading, fmt, run, opts, HIGH_8_6, LADDER };
