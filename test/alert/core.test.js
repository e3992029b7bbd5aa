'use strict';
// picochain-alert core: alert scenarios as tables (time and input in, events out), injected clock.
const assert = require('assert');
const { AlertEngine, validateOptions, slopePerMinute, messageFor, DEFAULT_OPTIONS, AlertInputError } = require('../../dist/nodes/picochain-alert/core');

const T0 = Date.UTC(2026, 10, 24, 20, 0, 0);
const DEVICE = 'fridge-1';
const SENSOR = 'temperature';

function reading(t, v, extra = {}) {
    const time = new Date(T0 + t * 1000);
    return {
        device: DEVICE, site: null, sensor: SENSOR, unit: '°C', time, deviceTime: time, receivedAt: time,
        window: 60, count: 6, min: v, max: v, mean: v, std: 0, slope: null, last: v, seq: null, state: null,
        source: 'json-v1', ...extra,
    };
}

const round = (v) => (v === null ? 'null' : String(Math.round(v * 100) / 100));

/** "fired high warning 8.1", device prefixed when not fridge-1, cause instead of value for silent. */
function fmt(e) {
    const who = e.device === DEVICE && (e.sensor === SENSOR || e.sensor === null) ? '' : `${e.device}/${e.sensor ?? '*'} `;
    const what = e.rule === 'silent' ? e.cause : round(e.value);
    return `${who}${e.event} ${e.rule} ${e.severity} ${what}`;
}

/**
 * Runs a table. Each row: [seconds since T0, input, expected events]. Input is a number (a reading
 * of fridge-1/temperature with that value), an object {v, device, sensor, slope, time} (time in s,
 * for replays), 'tick', 'offline', 'online', {ack: selector}, 'restart' (serialise through JSON,
 * new engine, restore).
 */
function run(options, rows, seen = []) {
    let engine = new AlertEngine(options);
    rows.forEach(([t, input, want], i) => {
        const now = T0 + t * 1000;
        let events;
        if (typeof input === 'number') events = engine.ingest(reading(t, input), now);
        else if (input === 'tick') events = engine.tick(now);
        else if (input === 'offline') events = engine.deviceStatus(DEVICE, false, now);
        else if (input === 'online') events = engine.deviceStatus(DEVICE, true, now);
        else if (input === 'restart') {
            const saved = JSON.parse(JSON.stringify(engine.serialise(now)));
            engine = new AlertEngine(options);
            assert.ok(engine.restore(saved, now), 'restore accepted the saved state');
            events = engine.tick(now);
        } else if (input.ack) events = engine.ack(input.ack, now);
        else {
            const r = reading(input.time ?? t, input.v, { device: input.device ?? DEVICE, sensor: input.sensor ?? SENSOR });
            if ('slope' in input) r.slope = input.slope;
            events = engine.ingest(r, now);
        }
        seen.push(...events);
        assert.deepStrictEqual(events.map(fmt), want, `row ${i} (t=${t}s, input ${JSON.stringify(input)})`);
    });
    return engine;
}

const HIGH_8_6 = { high: { warning: { level: 8, clear: 6 }, critical: null } };

describe('picochain-alert core scenarios (tables)', function () {
    it('threshold with hysteresis: chatter around the level fires once, resolves only under the clear level', function () {
        run(HIGH_8_6, [
            [0, 7.9, []],
            [60, 8.1, ['fired high warning 8.1']],
            [120, 7.9, []],
            [180, 8.2, []],
            [240, 7.0, []],
            [300, 8.3, []],
            [360, 6.1, []],
            [420, 5.9, ['resolved high warning 5.9']],
            [480, 7.5, []],
            [540, 8.05, ['fired high warning 8.05']],
        ]);
    });

    it('low threshold mirrors high: fires under the level, clears above the clear level', function () {
        run({ low: { warning: { level: -25, clear: -22 }, critical: null } }, [
            [0, -20, []],
            [60, -25.5, ['fired low warning -25.5']],
            [120, -23, []],
            [180, -21.9, ['resolved low warning -21.9']],
        ]);
    });

    it('slow drift under the threshold: no rate alert, no threshold alert', function () {
        const rows = [];
        // 2 °C to 7.5 °C over 6 h, one reading a minute: 0.015 °C/min, under the 0.5 °C/min limit
        for (let m = 0; m <= 360; m++) rows.push([m * 60, 2 + 5.5 * m / 360, []]);
        run({ ...HIGH_8_6, rise: { limit: 0.5, clear: 0.2 }, rateWindowS: 600 }, rows);
    });

    it('fast rise under the threshold: the rate alert fires, then resolves when the rise stops', function () {
        run({ ...HIGH_8_6, rise: { limit: 0.5, clear: 0.2 }, rateWindowS: 300 }, [
            [0, 3, []],
            [60, 3.5, []],
            [120, 4.5, ['fired rise warning 0.75']],
            [180, 5.5, []],
            [240, 6.5, []],
            [300, 7, []],
            [360, 7.1, []],
            [420, 7.1, []],
            [480, 7.1, []],
            [540, 7.1, ['resolved rise warning 0.09']],
        ]);
    });

    it('fall rate from the frame own slope (option), readings value ignored for the rate', function () {
        run({ fall: { limit: 1, clear: 0.5 }, rateSource: 'slope' }, [
            [0, { v: 5, slope: -0.2 }, []],
            [60, { v: 5, slope: -1.5 }, ['fired fall warning -1.5']],
            [120, { v: 5, slope: -0.8 }, []],
            [180, { v: 5, slope: null }, []],
            [240, { v: 5, slope: -0.4 }, ['resolved fall warning -0.4']],
        ]);
    });

    it('pending that clears before firing emits nothing; held long enough it fires (for = 5 min)', function () {
        const e = run({ ...HIGH_8_6, forS: 300 }, [
            [0, 9, []],
            [60, 9.5, []],
            [120, 'tick', []],
            [180, 7.5, []],
            [240, 'tick', []],
            [400, 'tick', []],
            [500, 9, []],
            [700, 9, []],
            [799, 'tick', []],
            [800, 'tick', ['fired high warning 9']],
        ]);
        assert.strictEqual(e.counts().firing, 1);
    });

    it('silent device: timeout fires once, a reading resolves it; last will offline fires at once', function () {
        run({ silentS: 600 }, [
            [0, 4, []],
            [300, 'tick', []],
            [599, 'tick', []],
            [600, 'tick', ['fired silent critical timeout']],
            [900, 'tick', []],
            [1000, 4.2, ['resolved silent critical timeout']],
            [1100, 'offline', ['fired silent critical offline']],
            [1200, 'offline', []],
            [1800, 'tick', []],
            [1900, 'online', ['resolved silent critical offline']],
            [2000, { v: 4, device: 'freezer-2' }, []],
            [2500, 'tick', ['fired silent critical timeout']],
            [2600, 'tick', ['freezer-2/* fired silent critical timeout']],
        ]);
    });

    it('ack then resolve: acknowledged stops re-notification, resolve still announced, same id throughout', function () {
        const seen = [];
        run({ ...HIGH_8_6, renotifyS: 600 }, [
            [0, 9, ['fired high warning 9']],
            [600, 'tick', ['renotify high warning 9']],
            [700, { ack: { device: DEVICE, sensor: SENSOR, rule: 'high' } }, ['acknowledged high warning 9']],
            [750, { ack: { device: DEVICE } }, []],
            [800, 'restart', []],
            [1300, 'tick', []],
            [2000, 9.4, []],
            [2400, 5, ['resolved high warning 5']],
            [3000, 9, ['fired high warning 9']],
        ], seen);
        const ids = seen.map((e) => e.id);
        assert.strictEqual(new Set(ids.slice(0, 4)).size, 1, 'one id for the first instance');
        assert.notStrictEqual(ids[4], ids[0], 'a new instance gets a new id');
        assert.strictEqual(seen[3].acknowledged, true);
        assert.ok(seen[3].endedAt instanceof Date && seen[3].endedAt.getTime() === T0 + 2400e3);
        assert.strictEqual(seen[3].startedAt.getTime(), T0);
        assert.strictEqual(seen[3].threshold, 6, 'resolved carries the clear level');
    });

    it('ack by id acknowledges only that alert', function () {
        const e = new AlertEngine({ ...HIGH_8_6, renotifyS: 60 });
        const [a] = e.ingest(reading(0, 9), T0);
        e.ingest(reading(0, 9, { device: 'fridge-2' }), T0);
        assert.deepStrictEqual(e.ack({ id: a.id }, T0 + 1000).map(fmt), ['acknowledged high warning 9']);
        assert.deepStrictEqual(e.tick(T0 + 60e3).map(fmt), ['fridge-2/temperature renotify high warning 9']);
        assert.throws(() => e.ack({}, T0), AlertInputError);
    });

    it('keep firing: flapping across the clear level does not resolve and re-fire; resolves once clear long enough', function () {
        run({ ...HIGH_8_6, keepFiringS: 300 }, [
            [0, 9, ['fired high warning 9']],
            [60, 5, []],
            [120, 8.5, []],
            [180, 5.5, []],
            [360, 5.5, []],
            [479, 'tick', []],
            [480, 'tick', ['resolved high warning 5.5']],
            [540, 9, ['fired high warning 9']],
        ]);
    });

    it('re-notify every interval while firing', function () {
        run({ ...HIGH_8_6, renotifyS: 300 }, [
            [0, 9, ['fired high warning 9']],
            [299, 'tick', []],
            [300, 'tick', ['renotify high warning 9']],
            [400, 9.6, []],
            [600, 9.7, ['renotify high warning 9.7']],
            [700, 'tick', []],
            [900, 'tick', ['renotify high warning 9.7']],
        ]);
    });

    it('escalation warning → critical after `for`, severity kept until resolved, ack cleared', function () {
        const seen = [];
        run({ high: { warning: { level: 8, clear: 6 }, critical: { level: 12, clear: 10 } }, forS: 120 }, [
            [0, 9, []],
            [120, 9, ['fired high warning 9']],
            [130, { ack: { device: DEVICE } }, ['acknowledged high warning 9']],
            [180, 12.5, []],
            [240, 11, []],
            [260, 12.5, []],
            [379, 13, []],
            [380, 'tick', ['escalated high critical 13']],
            [440, 9, []],
            [500, 5, ['resolved high critical 5']],
            // straight to critical from normal
            [600, 15, []],
            [720, 15, ['fired high critical 15']],
        ], seen);
        const esc = seen.find((e) => e.event === 'escalated');
        assert.strictEqual(esc.previousSeverity, 'warning');
        assert.strictEqual(esc.threshold, 12);
        assert.strictEqual(esc.acknowledged, false);
        assert.strictEqual(seen[seen.length - 1].threshold, 12);
    });

    it('restart while firing: restored, no second fired, resolves and re-notifies with the same id', function () {
        const seen = [];
        run({ ...HIGH_8_6, renotifyS: 600, silentS: 900 }, [
            [0, 9, ['fired high warning 9']],
            [60, 9.2, []],
            [120, 'restart', []],
            [180, 9.3, []],
            [500, 'restart', []],
            [600, 'tick', ['renotify high warning 9.3']],
            [1100, 'tick', []], // silence timer restarted at the restart (500 s), not 180 s
            [1400, 'tick', ['fired silent critical timeout', 'renotify high warning 9.3']],
            [1500, 5, ['resolved silent critical timeout', 'resolved high warning 5']],
        ], seen);
        const high = seen.filter((e) => e.rule === 'high');
        assert.deepStrictEqual(high.map((e) => e.event), ['fired', 'renotify', 'renotify', 'resolved']);
        assert.ok(high.every((e) => e.id === high[0].id), 'same id across both restarts');
        assert.strictEqual(high[3].startedAt.getTime(), T0);
    });

    it('restore under a changed configuration resolves alerts whose rule is gone', function () {
        const e = new AlertEngine({ ...HIGH_8_6, rise: { limit: 0.5, clear: 0.2 }, silentS: 60 });
        e.ingest(reading(0, 9), T0);
        e.deviceStatus('fridge-2', false, T0);
        const saved = JSON.parse(JSON.stringify(e.serialise(T0)));
        const kept = new AlertEngine({ ...HIGH_8_6, offlineAlerts: false });
        assert.ok(kept.restore(saved, T0 + 1000));
        assert.deepStrictEqual(kept.pruneUnconfigured(T0 + 1000).map(fmt), ['fridge-2/* resolved silent critical offline']);
        assert.strictEqual(kept.counts().firing, 1);
        const none = new AlertEngine({ low: { warning: { level: 0, clear: 1 }, critical: null }, sensors: ['humidite'] });
        none.restore(saved, T0);
        assert.deepStrictEqual(none.pruneUnconfigured(T0).map(fmt), ['resolved high warning 9']);
    });

    it('restart while pending: fires once the original pending period is over', function () {
        run({ ...HIGH_8_6, forS: 300 }, [
            [0, 9, []],
            [100, 'restart', []],
            [299, 'tick', []],
            [300, 'tick', ['fired high warning 9']],
        ]);
    });

    it('replayed (older) readings count as speaking but are not evaluated', function () {
        run({ ...HIGH_8_6, silentS: 300 }, [
            [0, 5, []],
            [300, 'tick', ['fired silent critical timeout']],
            [400, { v: 20, time: -60 }, ['resolved silent critical timeout']],
            [460, 5.5, []],
        ]);
    });

    it('sensors filter: other sensors are not evaluated but keep the device alive', function () {
        run({ ...HIGH_8_6, sensors: ['temperature'], silentS: 100 }, [
            [0, { v: 90, sensor: 'humidite' }, []],
            [60, 9, ['fired high warning 9']],
            [120, { v: 90, sensor: 'humidite' }, []],
            [200, 'tick', []],
            [220, 'tick', ['fired silent critical timeout']],
        ]);
    });

    it('a reading whose value is null (failed sensor window) neither fires nor resolves', function () {
        const e = new AlertEngine(HIGH_8_6);
        assert.strictEqual(e.ingest(reading(0, 9), T0).length, 1);
        assert.deepStrictEqual(e.ingest(reading(60, null, { count: 0, fault: 'no-samples' }), T0 + 60e3), []);
        assert.strictEqual(e.statusOf(DEVICE, SENSOR).state, 'firing');
    });
});

describe('picochain-alert core API', function () {
    it('statusOf reports the worst state and severity with the active alerts', function () {
        const e = new AlertEngine({ high: { warning: { level: 8, clear: 6 }, critical: null }, forS: 60 });
        assert.deepStrictEqual(e.statusOf(DEVICE, SENSOR), { state: 'normal', severity: null, active: [] });
        e.ingest(reading(0, 9), T0);
        const s = e.statusOf(DEVICE, SENSOR);
        assert.strictEqual(s.state, 'pending');
        assert.strictEqual(s.severity, null);
        e.tick(T0 + 60e3);
        const f = e.statusOf(DEVICE, SENSOR);
        assert.strictEqual(f.state, 'firing');
        assert.strictEqual(f.severity, 'warning');
        assert.strictEqual(f.active[0].rule, 'high');
        assert.deepStrictEqual(e.statusOf(DEVICE, 'humidite').state, 'normal');
        assert.deepStrictEqual(e.counts(), { firing: 1, pending: 0, acknowledged: 0 });
    });

    it('rejects readings without device, sensor or valid time', function () {
        const e = new AlertEngine(HIGH_8_6);
        assert.throws(() => e.ingest({ ...reading(0, 1), device: '' }, T0), /device/);
        assert.throws(() => e.ingest({ ...reading(0, 1), sensor: 3 }, T0), /sensor/);
        assert.throws(() => e.ingest({ ...reading(0, 1), time: new Date('nope') }, T0), /time/);
        assert.throws(() => e.ingest(null, T0), AlertInputError);
        assert.throws(() => e.deviceStatus('', false, T0), AlertInputError);
    });

    it('restore refuses an unknown state shape and keeps its own', function () {
        const e = new AlertEngine(HIGH_8_6);
        e.ingest(reading(0, 9), T0);
        assert.strictEqual(e.restore({ version: 99, alerts: [] }, T0), false);
        assert.strictEqual(e.restore('junk', T0), false);
        assert.strictEqual(e.counts().firing, 1);
    });

    it('reset forgets one device or everything, without events', function () {
        const e = new AlertEngine(HIGH_8_6);
        e.ingest(reading(0, 9), T0);
        e.ingest(reading(0, 9, { device: 'fridge-2' }), T0);
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

    it('messageFor gives catalog keys and formatted arguments', function () {
        const e = new AlertEngine({ fall: { limit: 1, clear: 0.5 }, rateSource: 'slope' });
        const [ev] = e.ingest(reading(0, 5, { slope: -1.234 }), T0);
        const m = messageFor(ev);
        assert.strictEqual(m.condition, 'fall');
        assert.strictEqual(m.event, 'fired');
        assert.strictEqual(m.args.value, '1.23');
        assert.strictEqual(m.args.threshold, '1');
        assert.strictEqual(m.args.unit, ' °C');
        const [off] = new AlertEngine().deviceStatus('x', false, T0);
        assert.strictEqual(messageFor(off).condition, 'offline');
    });
});

describe('picochain-alert option validation', function () {
    const base = (o) => ({ ...DEFAULT_OPTIONS, ...o });
    const keys = (o) => validateOptions(base(o)).map((p) => p.key);
    const table = [
        ['defaults', {}, []],
        ['high with hysteresis', { high: { warning: { level: 8, clear: 6 }, critical: { level: 12, clear: 10 } } }, []],
        ['high clear above level', { high: { warning: { level: 8, clear: 9 }, critical: null } }, ['clear-high']],
        ['low clear below level', { low: { warning: { level: -20, clear: -21 }, critical: null } }, ['clear-low']],
        ['high critical under warning', { high: { warning: { level: 8, clear: 6 }, critical: { level: 7, clear: 6 } } }, ['critical-high']],
        ['low critical above warning', { low: { warning: { level: 0, clear: 1 }, critical: { level: 1, clear: 2 } } }, ['critical-low']],
        ['low above high', { high: { warning: { level: 8, clear: 6 }, critical: null }, low: { warning: { level: 9, clear: 10 }, critical: null } }, ['low-above-high']],
        ['NaN level', { high: { warning: { level: NaN, clear: 6 }, critical: null } }, ['not-a-number']],
        ['rate limit 0', { rise: { limit: 0, clear: 0 } }, ['rate-positive']],
        ['rate clear above limit', { fall: { limit: 1, clear: 2 } }, ['clear-rate']],
        ['negative for', { forS: -1 }, ['duration']],
        ['negative keep firing', { keepFiringS: -1 }, ['duration']],
        ['zero rate window', { rateWindowS: 0 }, ['duration']],
        ['bad value field', { value: 'median' }, ['value-field']],
    ];
    for (const [name, o, want] of table) {
        it(`${name} → ${want.join(', ') || 'valid'}`, function () {
            assert.deepStrictEqual(keys(o), want);
        });
    }
});
