'use strict';
// picochain-alert core: alert scenarios as tables (time and input in, events out), injected clock:
// thresholds and severities, profiles and units, rates and discrete states.
const assert = require('assert');
const { AlertEngine, messageFor } = require('../../dist/nodes/picochain-alert/core');
const { DEVICE, SENSOR, T0, R, FRIDGE, FREEZER, reading, fmt, run, opts, HIGH_8_6, LADDER } = require('./tables');

describe('picochain-alert core: thresholds and severities (tables)', function () {
    it('hysteresis: chatter around the fire level fires once, resolves only past the clear level', function () {
        run(HIGH_8_6, [
            [0, 7.9, []],
            [60, 8.1, ['fired high warning 8.1@8']],
            [120, 7.9, []],
            [180, 8.2, []],
            [240, 7.0, []],
            [360, 6.1, []],
            [420, 5.9, ['resolved high warning 5.9@6']],
            [480, 7.5, []],
            [540, 8.05, ['fired high warning 8.05@8']],
        ]);
    });

    it('each severity has its own fire and clear level: up to critical, back down to warning, then resolved', function () {
        const seen = [];
        run(LADDER, [
            [0, 4, []],
            [60, 5.5, ['fired high warning 5.5@5']],
            [120, 8.5, ['escalated high critical 8.5@8']],
            [180, 7.5, []], // under 8, still above critical's clear level 7
            [240, 6.9, ['de-escalated high warning 6.9@5']],
            [300, 7.9, []], // back above 7 but not above 8: stays warning
            [360, 8.2, ['escalated high critical 8.2@8']],
            [420, 4.4, ['resolved high critical 4.4@4.5']],
        ], seen);
        assert.strictEqual(seen[2].previousSeverity, 'critical');
        assert.ok(seen.every((e) => e.id === seen[0].id), 'one alert id throughout');
    });

    it('messages state the level that holds now: after de-escalation a reminder says warning and the warning level', function () {
        const e = new AlertEngine({ ...LADDER, renotifyS: 600 });
        e.ingest(reading(0, 9), T0, FRIDGE);
        e.ingest(reading(60, 6), T0 + 60e3, FRIDGE);
        const [r] = e.tick(T0 + 600e3);
        assert.strictEqual(fmt(r), 'renotify high warning 6@5');
        const m = messageFor(r);
        assert.deepStrictEqual([m.event, m.condition, m.args.value, m.args.threshold, m.args.unit], ['renotify', 'high', '6', '5', ' °C']);
    });

    it('each severity has its own pending time, counted in reading time', function () {
        run(opts([R('fridge', 'high', '°C', [5, 4.5, 600], [8, 7, 120])]), [
            [0, 9, []], // both conditions hold from here
            [60, 9, []],
            [120, 9, ['fired high critical 9@8']], // critical held 120 s: straight to critical
            [180, 6, ['de-escalated high warning 6@5']],
            [240, 6, []],
            [300, 4, ['resolved high warning 4@4.5']],
            [360, 6, []],
            [900, 6, []],
            [960, 6, ['fired high warning 6@5']],
        ]);
    });

    it('pending that clears before its time sends nothing', function () {
        const e = run(opts([R('fridge', 'high', '°C', [8, 6, 300])]), [
            [0, 9, []],
            [120, 7, []],
            [180, 9, []],
            [420, 9, []],
            [480, 9, ['fired high warning 9@8']],
        ]);
        assert.strictEqual(e.counts().firing, 1);
    });

    it('a replayed burst (buffered readings arriving at once) counts the minutes it covers', function () {
        // 40 minutes of readings above 5 °C delivered within one second of Node-RED time
        const rows = [];
        for (let m = 0; m <= 40; m++) rows.push([1000, { v: 9, time: m * 60 }, m === 30 ? ['fired high warning 9@8'] : []]);
        run(opts([R('fridge', 'high', '°C', [8, 6, 1800])]), rows);
    });

    it('keep firing: flapping across the clear level neither resolves nor de-escalates until clear long enough', function () {
        run({ ...LADDER, keepFiringS: 300 }, [
            [0, 9, ['fired high critical 9@8']],
            [60, 6, []],
            [120, 7.5, []],
            [180, 6, []],
            [479, 6, []],
            [480, 6, ['de-escalated high warning 6@5']],
            [540, 4, []],
            [840, 4, ['resolved high warning 4@4.5']],
        ]);
    });

    it('low thresholds mirror high ones', function () {
        run(opts([R('fridge', 'low', '°C', [0, 0.5], [-2, -1])]), [
            [0, 1, []],
            [60, -0.5, ['fired low warning -0.5@0']],
            [120, -2.5, ['escalated low critical -2.5@-2']],
            [180, -0.8, ['de-escalated low warning -0.8@0']],
            [240, 0.6, ['resolved low warning 0.6@0.5']],
        ]);
    });

    it('a reading whose value is null (failed sensor window) neither fires nor resolves', function () {
        const e = new AlertEngine(HIGH_8_6);
        assert.strictEqual(e.ingest(reading(0, 9), T0, FRIDGE).length, 1);
        assert.deepStrictEqual(e.ingest(reading(60, null, { count: 0, fault: 'no-samples' }), T0 + 60e3, FRIDGE), []);
        assert.strictEqual(e.statusOf(DEVICE, SENSOR).state, 'firing');
    });
});

describe('picochain-alert core: profiles and units', function () {
    const BOOK = opts([
        R('fridge', 'high', '°C', [5, 4.5]),
        R('fridge', 'low', '°C', [0, 0.5]),
        R('freezer', 'high', '°C', [-15, -16]),
        R('*', 'high', '%', [90, 85]),
    ]);

    it('a freezer at -18 °C is judged by the freezer rules, never by the fridge ones', function () {
        run(BOOK, [
            [0, { v: -18, cabinet: FREEZER }, []],
            [60, { v: -14, cabinet: FREEZER }, ['fired high warning -14@-15']],
            [120, { v: -18, cabinet: FRIDGE }, ['resolved high warning -14@-15 (unconfigured)', 'fired low warning -18@0']],
        ]);
    });

    it('a reading whose unit does not match a rule is never judged by it; unit spellings are normalised', function () {
        run(BOOK, [
            [0, { v: 88, sensor: 'humidity', unit: '%' }, []],
            [60, { v: 95, sensor: 'humidity', unit: '%RH' }, ['fridge-1/humidity fired high warning 95@90']],
            [120, { v: 95, sensor: 'co2', unit: 'ppm' }, []],
            [180, { v: 30, unit: null }, []],
            [240, { v: 30, unit: 'C' }, ['fired high warning 30@5']],
        ]);
    });

    it('the registry gives a unit to readings without one, and a sensor its own profile (a board sensor reading the room)', function () {
        const cabinet = { kind: 'fridge', sensors: { temperature: { unit: '°C', kind: 'ambient' }, probe1: { unit: '°C' } } };
        run(opts([...BOOK.rules, R('ambient', 'high', '°C', [30, 28])]), [
            [0, { v: 22, sensor: 'temperature', cabinet }, []],
            [60, { v: 6, unit: null, cabinet }, ['fired high warning 6@5']],
            [120, { v: 31, sensor: 'temperature', cabinet }, ['fridge-1/temperature fired high warning 31@30']],
        ]);
    });

    it('a rule of the reading\'s own profile wins over a * rule of the same kind; unassigned devices get only * rules', function () {
        const o = opts([R('*', 'high', '°C', [30, 29]), R('fridge', 'high', '°C', [5, 4.5]), R('fridge', 'high', '°C', [50, 49])]);
        run(o, [
            [0, { v: 20, cabinet: FRIDGE }, ['fired high warning 20@5']],
            [60, { v: 20, device: 'x1', cabinet: null }, []],
            [120, { v: 31, device: 'x1', cabinet: { kind: null } }, ['x1/probe1 fired high warning 31@30']],
        ]);
        assert.deepStrictEqual(run({ ...o, defaultProfile: 'fridge' }, [[0, { v: 6, cabinet: null }, ['fired high warning 6@5']]]).counts().firing, 1);
    });

    it('sensor patterns: only the named sensors are judged; the others still keep the device alive', function () {
        run(opts([R('fridge', 'high', '°C', [5, 4.5], null, { sensors: ['probe*'] })], { silentS: 100 }), [
            [0, { v: 20, sensor: 'temperature' }, []],
            [60, 9, ['fired high warning 9@5']],
            [120, { v: 20, sensor: 'temperature' }, []],
            [219, 'tick', []],
            [220, 'tick', ['fired silent critical timeout']],
        ]);
    });
});

describe('picochain-alert core: rates and discrete states', function () {
    it('fast rise: the rate alert fires, then resolves when the rise stops', function () {
        run(opts([R('fridge', 'rise', '°C', [0.5, 0.2])], { rateWindowS: 300 }), [
            [0, 3, []],
            [60, 3.5, []],
            [120, 4.5, ['fired rise warning 0.75@0.5']],
            [180, 5.5, []],
            [240, 6.5, []],
            [300, 7, []],
            [360, 7.1, []],
            [420, 7.1, []],
            [480, 7.1, []],
            [540, 7.1, ['resolved rise warning 0.09@0.2']],
        ]);
    });

    it('slow drift: no rate alert', function () {
        const rows = [];
        for (let m = 0; m <= 360; m++) rows.push([m * 60, 2 + 5.5 * m / 360, []]);
        run(opts([R('fridge', 'rise', '°C', [0.5, 0.2])], { rateWindowS: 600 }), rows);
    });

    it('fall rate from the frame\'s own slope, with its own critical level', function () {
        run(opts([R('fridge', 'fall', '°C', [1, 0.5], [3, 2])], { rateSource: 'slope' }), [
            [0, { v: 5, slope: -0.2 }, []],
            [60, { v: 5, slope: -1.5 }, ['fired fall warning -1.5@-1']],
            [120, { v: 5, slope: -3.5 }, ['escalated fall critical -3.5@-3']],
            [180, { v: 5, slope: null }, []],
            [240, { v: 5, slope: -0.4 }, ['resolved fall critical -0.4@-0.5']],
        ]);
    });

    it('"state is 0 for 10 min": a discrete sensor fires with its label and resolves when the state changes', function () {
        const cabinet = { kind: 'custom', sensors: { camera: { unit: 'state', states: { 0: 'nothing', 1: 'present', 2: 'surplus' } } } };
        const rule = R('*', 'state', 'state', [0.5, 0.5, 600], null, { value: 'last', states: [0] });
        const seen = [];
        run(opts([rule]), [
            [0, { v: 1, sensor: 'camera', unit: null, cabinet }, []],
            [60, { v: 0, sensor: 'camera', unit: null, cabinet }, []],
            [600, { v: 0, sensor: 'camera', unit: null, cabinet }, []],
            [660, { v: 0, sensor: 'camera', unit: null, cabinet }, ['fridge-1/camera fired state warning 0@null']],
            [720, { v: 2, sensor: 'camera', unit: null, cabinet }, ['fridge-1/camera resolved state warning 2@null']],
        ], seen);
        assert.strictEqual(seen[0].valueLabel, 'nothing');
        assert.strictEqual(seen[1].valueLabel, 'surplus');
        const m = messageFor(seen[0]);
        assert.deepStrictEqual([m.condition, m.args.label, m.args.unit], ['state', 'nothing', '']);
    });
});

