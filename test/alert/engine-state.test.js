'use strict';
// picochain-alert core: silence, presence, acknowledgement and restarts as tables with an injected
// clock; the engine's API; option validation.
const assert = require('assert');
const { AlertEngine, validateOptions, slopePerMinute, DEFAULT_OPTIONS, AlertInputError, CLOCK_JUMP_MS, RESTART_GRACE_MS } = require('../../dist/nodes/picochain-alert/core');
const { fromV1 } = require('../../dist/nodes/picochain-alert/persist');
const { DEVICE, SENSOR, T0, R, FRIDGE, FREEZER, reading, fmt, run, opts, HIGH_8_6, LADDER } = require('./tables');

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
