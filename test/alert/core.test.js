'use strict';
// picochain-alert core: alert scenarios as tables (time and input in, events out), injected clock.
const assert = require('assert');
const { AlertEngine, validateOptions, slopePerMinute, messageFor, DEFAULT_OPTIONS, AlertInputError, CLOCK_JUMP_MS, RESTART_GRACE_MS } = require('../../dist/nodes/picochain-alert/core');
const { fromV1 } = require('../../dist/nodes/picochain-alert/persist');

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
            [120, { v: 30, unit: 'K' }, []],
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

describe('picochain-alert core: silence, presence, acknowledge, restarts', function () {
    it('silent device: timeout fires once, a reading resolves it; last will offline fires at once when asked to', function () {
        run(opts([], { silentS: 600 }), [
            [0, 4, []],
            [599, 'tick', []],
            [600, 'tick', ['fired silent critical timeout']],
            [900, 'tick', []],
            [1000, 4.2, ['resolved silent critical timeout']],
            [1100, 'offline', ['fired silent critical offline']],
            [1200, 'offline', []],
            [1900, 'online', ['resolved silent critical offline']],
            [2000, { v: 4, device: 'freezer-2' }, []],
            [2500, 'tick', ['fired silent critical timeout']],
            [2600, 'tick', ['freezer-2/* fired silent critical timeout']],
        ]);
    });

    it('without offline alerts, a last will only marks the device offline; silence still counts from its last reading', function () {
        const e = run(opts([], { silentS: 600, offlineAlerts: false }), [
            [0, 4, []],
            [100, 'offline', []],
            [599, 'tick', []],
            [600, 'tick', ['fired silent critical timeout']],
        ]);
        assert.strictEqual(e.deviceState(DEVICE).presence, 'silent');
        const f = new AlertEngine(opts([], { silentS: 600, offlineAlerts: false }));
        f.ingest(reading(0, 4), T0, FRIDGE);
        f.deviceStatus(DEVICE, false, T0 + 10e3);
        assert.strictEqual(f.deviceState(DEVICE).presence, 'offline');
        f.ingest(reading(20, 4), T0 + 20e3, FRIDGE);
        assert.strictEqual(f.deviceState(DEVICE).presence, 'online');
    });

    it('silence is measured from each device\'s last reading across a restart, after a short grace', function () {
        run(opts([], { silentS: 600 }), [
            [0, 4, []],
            [100, { v: 4, device: 'fridge-2' }, []],
            [400, 'restart', []], // nothing silent yet: 400 s and 300 s
            [600, 'tick', ['fired silent critical timeout']], // 600 s after its last reading, not after the restart
            [650, 'tick', []],
            [700, 'tick', ['fridge-2/* fired silent critical timeout']],
        ]);
        // down for an hour: both are silent, but they get the grace to speak first
        const g = RESTART_GRACE_MS / 1000;
        run(opts([], { silentS: 600 }), [
            [0, 4, []],
            [10, { v: 4, device: 'fridge-2' }, []],
            [3600, 'restart', []],
            [3600 + g - 1, { v: 4, device: 'fridge-2' }, []],
            [3600 + g - 1, 'tick', []],
            [3600 + g, 'tick', ['fired silent critical timeout']],
        ]);
    });

    it('ack then resolve: acknowledged stops reminders, records who, survives a restart; escalation clears it, de-escalation keeps it', function () {
        const seen = [];
        run({ ...LADDER, renotifyS: 600 }, [
            [0, 6, ['fired high warning 6@5']],
            [600, 'tick', ['renotify high warning 6@5']],
            [700, { ack: { device: DEVICE, sensor: SENSOR, rule: 'high', by: 'alice' } }, ['acknowledged high warning 6@5']],
            [750, { ack: { device: DEVICE } }, []],
            [800, 'restart', []],
            [1300, 'tick', []],
            [1400, 9, ['escalated high critical 9@8']],
            [2000, 'tick', ['renotify high critical 9@8']],
            [2100, { ack: { id: null } }, null],
        ].slice(0, 8), seen);
        assert.strictEqual(seen[2].by, 'alice');
        assert.strictEqual(seen[3].acknowledged, false, 'escalation clears the acknowledgement');
        const e = new AlertEngine({ ...LADDER, renotifyS: 600 });
        e.ingest(reading(0, 9), T0, FRIDGE);
        e.ack({ device: DEVICE, by: 'bob' }, T0 + 10e3);
        const [d] = e.ingest(reading(60, 6), T0 + 60e3, FRIDGE);
        assert.strictEqual(fmt(d), 'de-escalated high warning 6@5');
        assert.strictEqual(d.acknowledged, true);
        assert.deepStrictEqual(e.tick(T0 + 2000e3), [], 'no reminder: still acknowledged');
        assert.throws(() => e.ack({}, T0), AlertInputError);
    });

    it('ack by id acknowledges only that alert', function () {
        const e = new AlertEngine({ ...HIGH_8_6, renotifyS: 60 });
        const [a] = e.ingest(reading(0, 9), T0, FRIDGE);
        e.ingest(reading(0, 9, { device: 'fridge-2' }), T0, FRIDGE);
        assert.deepStrictEqual(e.ack({ id: a.id }, T0 + 1000).map(fmt), ['acknowledged high warning 9@8']);
        assert.deepStrictEqual(e.tick(T0 + 60e3).map(fmt), ['fridge-2/probe1 renotify high warning 9@8']);
    });

    it('restart while firing: restored, no second fired, same id; pending keeps its reading-time start', function () {
        const seen = [];
        run({ ...opts([R('fridge', 'high', '°C', [8, 6, 300])]), renotifyS: 600 }, [
            [0, 9, []],
            [100, 'restart', []],
            [299, 9, []],
            [300, 9, ['fired high warning 9@8']],
            [400, 'restart', []],
            [900, 'tick', ['renotify high warning 9@8']],
            [960, 5, ['resolved high warning 5@6']],
        ], seen);
        assert.ok(seen.every((e) => e.id === seen[0].id));
    });

    it('replayed (older) readings keep the device alive but are not judged again; a clock jumped back is', function () {
        run(opts([R('fridge', 'high', '°C', [8, 6])], { silentS: 300 }), [
            [0, 5, []],
            [300, 'tick', ['fired silent critical timeout']],
            [400, { v: 20, time: -60 }, ['resolved silent critical timeout']],
            [460, 5.5, []],
            [520, { v: 20, time: 460 - CLOCK_JUMP_MS / 1000 - 60, replay: true }, []],
            [580, { v: 20, time: 460 - CLOCK_JUMP_MS / 1000 - 60 }, ['fired high warning 20@8']],
        ]);
    });

    it('a restore under another configuration resolves alerts no rule judges any more', function () {
        const e = new AlertEngine({ ...HIGH_8_6, silentS: 60 });
        e.ingest(reading(0, 9), T0, FRIDGE);
        e.deviceStatus('fridge-2', false, T0);
        const saved = JSON.parse(JSON.stringify(e.deviceIds().map((d) => e.snapshot(d))));
        const kept = new AlertEngine({ ...HIGH_8_6, offlineAlerts: false, silentS: 0 });
        kept.restore(saved, T0 + 1000);
        assert.deepStrictEqual(kept.pruneUnconfigured(T0 + 1000).map(fmt), ['fridge-2/* resolved silent critical offline (unconfigured)']);
        const none = new AlertEngine(opts([R('freezer', 'high', '°C', [8, 6])]));
        none.restore(saved, T0);
        assert.deepStrictEqual(none.pruneUnconfigured(T0).map(fmt), ['resolved high warning 9@8 (unconfigured)']);
    });

    it('a version-1 saved state is converted: firing stays firing, the next reading with a profile decides', function () {
        const v1 = {
            version: 1, savedAt: T0,
            alerts: [{ id: 'freezer-1:probe1:low:1', device: 'freezer-1', sensor: 'probe1', rule: 'low', state: 'firing', severity: 'warning', value: -18, threshold: 0, unit: '°C', pendingSince: T0, startedAt: T0, acknowledged: false, ackAt: null, lastNotifiedAt: T0 }],
            devices: [['freezer-1', { lastSeen: T0, offline: false }]],
            series: [['freezer-1|probe1', { lastTime: T0, points: [] }]],
        };
        const e = new AlertEngine(opts([R('fridge', 'low', '°C', [0, 0.5]), R('freezer', 'high', '°C', [-15, -16])]));
        e.restore(fromV1(v1), T0);
        assert.strictEqual(e.counts().firing, 1);
        const ev = e.ingest(reading(60, -18, { device: 'freezer-1' }), T0 + 60e3, FREEZER);
        assert.deepStrictEqual(ev.map(fmt), ['freezer-1/probe1 resolved low warning -18@0 (unconfigured)']);
        assert.strictEqual(fromV1({ version: 3 }), null);
    });
});

describe('picochain-alert core API', function () {
    it('statusOf and deviceState report the worst state, per sensor too', function () {
        const e = new AlertEngine(opts([R('fridge', 'high', '°C', [8, 6, 60])]));
        assert.deepStrictEqual(e.statusOf(DEVICE, SENSOR), { state: 'normal', severity: null, active: [] });
        e.ingest(reading(0, 9), T0, FRIDGE);
        assert.strictEqual(e.statusOf(DEVICE, SENSOR).state, 'pending');
        e.ingest(reading(60, 9), T0 + 60e3, FRIDGE);
        const f = e.statusOf(DEVICE, SENSOR);
        assert.deepStrictEqual([f.state, f.severity, f.active[0].rule, f.active[0].profile], ['firing', 'warning', 'high', 'fridge']);
        e.ingest(reading(60, 20, { sensor: 'temperature' }), T0 + 60e3, FRIDGE);
        e.ingest(reading(120, 20, { sensor: 'temperature' }), T0 + 120e3, FRIDGE);
        const d = e.deviceState(DEVICE);
        assert.deepStrictEqual([d.presence, d.state, d.severity, d.lastSeen], ['online', 'firing', 'warning', T0 + 120e3]);
        assert.deepStrictEqual(d.sensors.probe1, { state: 'firing', severity: 'warning', profile: 'fridge', unit: '°C' });
        assert.strictEqual(d.sensors.temperature.state, 'firing', 'the same fridge rule judges every °C sensor here');
        assert.deepStrictEqual(e.counts(), { firing: 2, pending: 0, acknowledged: 0 });
    });

    it('a reading changes only its own device\'s saved state', function () {
        const e = new AlertEngine(HIGH_8_6);
        for (let i = 0; i < 1000; i++) e.ingest(reading(0, 4, { device: `d${i}` }), T0, FRIDGE);
        assert.strictEqual(e.takeDirty().size, 1000);
        e.ingest(reading(60, 9, { device: 'd7' }), T0 + 60e3, FRIDGE);
        const dirty = e.takeDirty();
        assert.deepStrictEqual([...dirty.keys()], ['d7']);
        assert.strictEqual(dirty.get('d7').series[0].alerts[0].level, 1);
        e.reset('d7');
        assert.deepStrictEqual([...e.takeDirty()], [['d7', null]]);
    });

    it('rejects readings without device, sensor or valid time', function () {
        const e = new AlertEngine(HIGH_8_6);
        assert.throws(() => e.ingest({ ...reading(0, 1), device: '' }, T0), /device/);
        assert.throws(() => e.ingest({ ...reading(0, 1), sensor: 3 }, T0), /sensor/);
        assert.throws(() => e.ingest({ ...reading(0, 1), time: new Date('nope') }, T0), /time/);
        assert.throws(() => e.ingest(null, T0), AlertInputError);
        assert.throws(() => e.deviceStatus('', false, T0), AlertInputError);
    });

    it('reset forgets one device or everything, without events', function () {
        const e = new AlertEngine(HIGH_8_6);
        e.ingest(reading(0, 9), T0, FRIDGE);
        e.ingest(reading(0, 9, { device: 'fridge-2' }), T0, FRIDGE);
        e.reset('fridge-2');
        assert.strictEqual(e.counts().firing, 1);
        e.reset();
        assert.strictEqual(e.counts().firing, 0);
    });

    it('slopePerMinute is the least-squares slope in unit/min', function () {
        assert.strictEqual(slopePerMinute([[0, 1]]), null);
        assert.strictEqual(slopePerMinute([[0, 1], [60000, 3]]), 2);
        assert.ok(Math.abs(slopePerMinute([[0, 0], [60000, 1], [120000, 2], [180000, 3]]) - 1) < 1e-12);
        assert.strictEqual(slopePerMinute([[5, 1], [5, 3]]), null);
    });
});

describe('picochain-alert option validation', function () {
    const keys = (o) => validateOptions({ ...DEFAULT_OPTIONS, ...o }).map((p) => p.key);
    const one = (...a) => ({ rules: [R(...a)] });
    const table = [
        ['defaults', {}, []],
        ['ladder', one('fridge', 'high', '°C', [5, 4.5], [8, 7]), []],
        ['high clear above fire', one('fridge', 'high', '°C', [8, 9]), ['clear-high']],
        ['low clear below fire', one('freezer', 'low', '°C', [-20, -21]), ['clear-low']],
        ['critical under warning', one('fridge', 'high', '°C', [8, 6], [7, 6]), ['critical-high']],
        ['low critical above warning', one('fridge', 'low', '°C', [0, 1], [1, 2]), ['critical-low']],
        ['critical clears after warning', one('fridge', 'high', '°C', [5, 4.5], [8, 4]), ['critical-clear']],
        ['NaN level', one('fridge', 'high', '°C', [NaN, 6]), ['not-a-number']],
        ['no unit', one('fridge', 'high', '', [8, 6]), ['rule-unit']],
        ['unknown profile', one('fridgee', 'high', '°C', [8, 6]), ['rule-profile']],
        ['no severity', one('fridge', 'high', '°C', null, null), ['rule-empty']],
        ['rate limit 0', one('fridge', 'rise', '°C', [0, 0]), ['rate-positive']],
        ['rate clear above limit', one('fridge', 'fall', '°C', [1, 2]), ['clear-high']],
        ['state without states', one('*', 'state', 'state', [0.5, 0.5], null), ['state-values']],
        ['negative pending', one('fridge', 'high', '°C', [8, 6, -1]), ['rule-duration']],
        ['negative keep firing', { keepFiringS: -1 }, ['duration']],
        ['zero rate window', { rateWindowS: 0 }, ['duration']],
        ['default profile *', { defaultProfile: '*' }, ['default-profile']],
        ['bad value field', { rules: [R('fridge', 'high', '°C', [8, 6], null, { value: 'median' })] }, ['value-field']],
    ];
    for (const [name, o, want] of table) {
        it(`${name} → ${want.join(', ') || 'valid'}`, function () {
            assert.deepStrictEqual(keys(o), want);
        });
    }
    it('names the rule in every rule problem', function () {
        const p = validateOptions({ ...DEFAULT_OPTIONS, rules: [R('fridge', 'high', '°C', [8, 6]), R('fridge', 'high', '°C', [8, 9])] });
        assert.deepStrictEqual(p, [{ key: 'clear-high', args: { rule: 2, field: 'warning', level: 8, clear: 9 } }]);
    });
});
