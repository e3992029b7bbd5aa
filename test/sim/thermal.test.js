'use strict';
// Unit tests of the simulated fleet's thermal model (sim/thermal.js): no broker, no MicroPython.
const assert = require('assert');
const { ThermalModel, parseDuration, adcRawToC } = require('../../sim/thermal');

const HOUR = 3600;

/** Samples the model every `stepS` from `from` to `to` (model seconds). */
function series(m, from, to, stepS = 10, read = (t) => m.probeC(t)) {
    const out = [];
    for (let t = from; t <= to; t += stepS) out.push(read(t));
    return out;
}
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const quantile = (a, q) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

describe('sim thermal model', function () {
    it('parses model-time durations', function () {
        assert.strictEqual(parseDuration(90), 90);
        assert.strictEqual(parseDuration('90s'), 90);
        assert.strictEqual(parseDuration('5m'), 300);
        assert.strictEqual(parseDuration('2h'), 7200);
        assert.strictEqual(parseDuration('1.5h'), 5400);
        assert.strictEqual(parseDuration('1h30m'), 5400);
        assert.strictEqual(parseDuration(undefined), null);
        assert.throws(() => parseDuration('soon'), /bad duration/);
    });

    it('keeps a fridge with its door shut inside the thermostat band (4 ± 1 °C) over a day', function () {
        const m = new ThermalModel({ kind: 'fridge', seed: 11, doorsPerHour: 0 });
        m.advanceTo(HOUR); // settle
        const s = series(m, HOUR, 25 * HOUR, 30, (t) => { m.advanceTo(t); return m.airC; });
        assert.ok(Math.min(...s) > 2.8 && Math.max(...s) < 5.2, `range ${Math.min(...s)}..${Math.max(...s)}`);
        assert.ok(Math.abs(mean(s) - 4) < 0.5, `mean ${mean(s)}`);
    });

    it('cycles the compressor: several on/off cycles per day with a realistic duty', function () {
        const m = new ThermalModel({ kind: 'fridge', seed: 5, doorsPerHour: 0 });
        let starts = 0; let on = 0; let prev = m.compressorOn; let n = 0;
        for (let t = 0; t <= 24 * HOUR; t += 10) {
            m.advanceTo(t);
            if (m.compressorOn && !prev) starts++;
            prev = m.compressorOn; on += m.compressorOn ? 1 : 0; n++;
        }
        assert.ok(starts >= 15 && starts <= 60, `compressor starts per day: ${starts}`);
        assert.ok(on / n > 0.1 && on / n < 0.6, `duty ${on / n}`);
    });

    it('keeps a freezer with normal door use near -18 °C (doors cause short excursions only)', function () {
        const m = new ThermalModel({ kind: 'freezer', seed: 3 });
        const s = series(m, HOUR, 25 * HOUR, 10);
        assert.ok(Math.abs(mean(s) + 18) < 1, `mean ${mean(s)}`);
        assert.ok(quantile(s, 0.05) > -20 && quantile(s, 0.95) < -15.5, `p5 ${quantile(s, 0.05)} p95 ${quantile(s, 0.95)}`);
        assert.ok(m.doorOpenings > 10, `door openings ${m.doorOpenings}`);
    });

    it('keeps a fridge with random door openings mostly in band, with short rises', function () {
        const m = new ThermalModel({ kind: 'fridge', seed: 9 });
        const s = series(m, HOUR, 25 * HOUR, 10);
        assert.ok(Math.abs(mean(s) - 4) < 0.8, `mean ${mean(s)}`);
        assert.ok(quantile(s, 0.95) < 6.5, `p95 ${quantile(s, 0.95)}`);
        assert.ok(Math.max(...s) > 5.2, 'door openings should show above the band at times');
        assert.ok(Math.max(...s) < 9, `max ${Math.max(...s)}`);
    });

    it('is deterministic for a seed, whatever the query pattern; other seeds differ', function () {
        const a = new ThermalModel({ kind: 'fridge', seed: 42 });
        const b = new ThermalModel({ kind: 'fridge', seed: 42 });
        const c = new ThermalModel({ kind: 'fridge', seed: 43 });
        const sa = series(a, 0, 6 * HOUR, 10);
        b.advanceTo(3 * HOUR + 7); // a different stepping pattern
        const sb = series(b, 0, 6 * HOUR, 10).slice(Math.ceil((3 * HOUR + 7) / 10)); // earlier times clamp
        assert.deepStrictEqual(sb, sa.slice(sa.length - sb.length));
        const sa2 = series(new ThermalModel({ kind: 'fridge', seed: 42 }), 0, 6 * HOUR, 10);
        assert.deepStrictEqual(sa2, sa);
        assert.notDeepStrictEqual(series(c, 0, 6 * HOUR, 10), sa);
    });

    it('rises slowly after a compressor failure (about 2 to 6 °C in the first hour)', function () {
        const m = new ThermalModel({ kind: 'fridge', seed: 1, doorsPerHour: 0 });
        m.addFault('compressor', { at: '2h' });
        m.advanceTo(2 * HOUR);
        const t0 = m.airC;
        m.advanceTo(2 * HOUR + 600);
        assert.ok(m.airC - t0 < 1.2, `10 min rise ${m.airC - t0}`);
        m.advanceTo(3 * HOUR);
        const rise = m.airC - t0;
        assert.ok(rise > 2 && rise < 6, `1 h rise ${rise}`);
        m.advanceTo(12 * HOUR);
        assert.ok(m.airC > 15, `after 10 h ${m.airC}`); // towards the room, never back in band
        assert.deepStrictEqual(m.snapshot().faults, ['compressor']);
    });

    it('rises fast with the door left open, and recovers once it is shut', function () {
        const m = new ThermalModel({ kind: 'fridge', seed: 1, doorsPerHour: 0 });
        m.addFault('door', { at: '1h', duration: '15m' });
        m.advanceTo(HOUR);
        const t0 = m.airC;
        m.advanceTo(HOUR + 300);
        assert.ok(m.airC - t0 > 5, `5 min rise ${m.airC - t0}`); // fast: °C per minute
        assert.ok(m.doorOpen());
        m.advanceTo(HOUR + 900 + 2 * HOUR);
        assert.ok(!m.doorOpen());
        assert.ok(m.airC < 5.5, `2 h after closing ${m.airC}`);
    });

    it('a door left open rises much faster than a compressor failure, in a freezer too', function () {
        const rise = (fault) => {
            const m = new ThermalModel({ kind: 'freezer', seed: 2, doorsPerHour: 0 });
            m.addFault(fault, { at: HOUR });
            m.advanceTo(HOUR); const t0 = m.airC; m.advanceTo(HOUR + 600);
            return m.airC - t0;
        };
        const door = rise('door'); const comp = rise('compressor');
        assert.ok(door > 5 * comp, `door ${door} vs compressor ${comp} in 10 min`);
    });

    it('stops the compressor during a power cut and cools again after it', function () {
        const m = new ThermalModel({ kind: 'fridge', seed: 4, doorsPerHour: 0 });
        m.addFault('power', { at: HOUR, duration: '3h' });
        m.advanceTo(HOUR + 60);
        assert.strictEqual(m.compressorOn, false);
        m.advanceTo(4 * HOUR);
        assert.ok(m.airC > 8, `after 3 h without power ${m.airC}`);
        m.advanceTo(6 * HOUR);
        assert.ok(m.airC < 5.5, `2 h after power is back ${m.airC}`);
    });

    it('clears a fault on repair', function () {
        const m = new ThermalModel({ kind: 'fridge', seed: 4, doorsPerHour: 0 });
        m.addFault('compressor', { at: 0 });
        m.advanceTo(HOUR);
        assert.ok(m.faultActive('compressor'));
        m.clearFault('compressor');
        assert.ok(!m.faultActive('compressor'));
        m.advanceTo(3 * HOUR);
        assert.ok(m.airC < 5.5, `${m.airC}`);
    });

    it('reads a probe in DS18B20 steps and the board sensor as the room via ADC 4', function () {
        const m = new ThermalModel({ kind: 'fridge', seed: 8 });
        const v = m.probeC(1234);
        assert.strictEqual(Math.round(v * 16), v * 16);
        const raw = m.boardAdcRaw(1234);
        assert.ok(Number.isInteger(raw) && raw > 0 && raw < 65536);
        const c = adcRawToC(raw);
        assert.ok(c > 17 && c < 26, `board ${c} °C`);
    });

    it('refuses unknown kinds and faults', function () {
        assert.throws(() => new ThermalModel({ kind: 'oven' }), /unknown cabinet kind/);
        assert.throws(() => new ThermalModel().addFault('meteor'), /unknown thermal fault/);
    });
});
