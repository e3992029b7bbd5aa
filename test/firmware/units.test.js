// The firmware's own modules (window, frame, ring, link backoff, state, config, sensors) inside
// real MicroPython (WebAssembly port) via sim/pico-host.js.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { firmwarePython, rng } = require('./helpers');
const vectors = require('../vectors/frames.json');

// The host port computes in double precision, like the reference: the only differences are the
// order of operations (Welford vs two-pass), so 1e-9 relative (1e-9 absolute near 0) is ample.
// On the board floats are single precision (~1e-6 relative); the algorithm is the same.
const TOL = 1e-9;
const close = (a, b, what) => {
    if (a === null || b === null) return assert.strictEqual(a, b, what);
    assert.ok(Math.abs(a - b) <= TOL * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
};

/** Double-precision two-pass reference of the window statistics. */
function reference(ts, vs) {
    const pts = ts.map((t, i) => [t, vs[i]]).filter(([, v]) => v !== null && !Number.isNaN(v));
    const n = pts.length;
    if (!n) return { count: 0, min: null, max: null, mean: null, std: null, slope: null, last: null };
    const ys = pts.map((p) => p[1]);
    const xs = pts.map((p) => p[0]);
    const my = ys.reduce((a, b) => a + b, 0) / n;
    const mx = xs.reduce((a, b) => a + b, 0) / n;
    const vy = ys.reduce((a, y) => a + (y - my) ** 2, 0) / n;
    const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const sxy = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
    return {
        count: n, min: Math.min(...ys), max: Math.max(...ys), mean: my, std: Math.sqrt(vy),
        slope: n < 2 || sxx === 0 ? null : (sxy / sxx) * 60, last: ys[n - 1],
    };
}

describe('firmware modules in MicroPython', function () {
    this.timeout(30000);
    let fw;
    before(async () => {
        fw = await firmwarePython();
        fw.exec('import window, frame, ring, state, config, link, sensors');
    });

    describe('window statistics (window.py)', () => {
        it('match a double-precision reference over 200 random series (tolerance 1e-9 relative)', () => {
            const r = rng(42);
            const series = [];
            for (let k = 0; k < 200; k++) {
                const n = 1 + Math.floor(r() * 360);
                const base = (r() - 0.5) * 60;
                const drift = (r() - 0.5) * 0.2;
                const ts = []; const vs = [];
                let t = r() * 1e6;
                for (let i = 0; i < n; i++) {
                    t += 1 + r() * 20;
                    ts.push(t);
                    vs.push(r() < 0.05 ? null : base + drift * (t - ts[0]) + (r() - 0.5) * 3);
                }
                series.push({ ts, vs });
            }
            fw.set('series', series);
            const got = fw.py(`[(lambda w: ([w.add(t, v) for t, v in zip(s['ts'], s['vs'])], w.summary())[1])(window.Window()) for s in series]`);
            got.forEach((g, k) => {
                const ref = reference(series[k].ts, series[k].vs);
                assert.strictEqual(g.count, ref.count, `series ${k} count`);
                for (const key of ['min', 'max', 'mean', 'std', 'slope', 'last']) close(g[key], ref[key], `series ${k} ${key}`);
            });
        });

        it('a one-sample window: min = max = mean = last, std 0, slope null', () => {
            const s = fw.py('(lambda w: (w.add(5, 3.25), w.summary())[1])(window.Window())');
            assert.deepStrictEqual(s, { count: 1, min: 3.25, max: 3.25, mean: 3.25, std: 0, slope: null, last: 3.25 });
        });

        it('skips None and NaN from a broken probe; an empty window has null statistics', () => {
            const s = fw.py("(lambda w: ([w.add(t, v) for t, v in ((0, 1.0), (10, None), (20, float('nan')), (30, 3.0))], w.summary())[1])(window.Window())");
            assert.strictEqual(s.count, 2);
            assert.strictEqual(s.mean, 2);
            assert.strictEqual(s.last, 3);
            close(s.slope, 2 / 30 * 60, 'slope over the two good samples');
            const e = fw.py("(lambda w: ([w.add(t, None) for t in range(3)], w.summary())[1])(window.Window())");
            assert.deepStrictEqual(e, { count: 0, min: null, max: null, mean: null, std: null, slope: null, last: null });
        });

        it('reset() starts a fresh window (no carry-over across a boundary)', () => {
            const s = fw.py('(lambda w: (w.add(0, 100.0), w.add(10, 200.0), w.reset(), w.add(20, 1.0), w.summary())[4])(window.Window())');
            assert.deepStrictEqual(s, { count: 1, min: 1, max: 1, mean: 1, std: 0, slope: null, last: 1 });
        });
    });

    describe('encoders (frame.py) against every shared vector', () => {
        for (const v of vectors) {
            it(`${v.name}: exact JSON text${v.hex ? ' and exact bytes' : ', no binary code'}`, () => {
                fw.set('fr', v.frame);
                assert.strictEqual(fw.py('frame.encode_json(fr)'), v.json);
                if (v.hex) {
                    assert.strictEqual(fw.py("''.join('%02x' % b for b in frame.encode_binary(fr))"), v.hex);
                } else {
                    assert.throws(() => fw.exec('frame.encode_binary(fr)'), /no binary code/);
                }
            });
        }

        it('agrees with the TypeScript encoders (dist/nodes/shared/codec.js) on 1000 random frames', () => {
            const codec = require('../../dist/nodes/shared/codec');
            const r = rng(7);
            const pick = (a) => a[Math.floor(r() * a.length)];
            const value = () => {
                const k = r();
                if (k < 0.05) return null;
                if (k < 0.15) return Math.round((r() - 0.5) * 200); // integers
                if (k < 0.25) return Math.round((r() - 0.5) * 2e6) / 1e4 + pick([0.00005, -0.00005, 0.000049999, 0]); // near the rounding edge
                if (k < 0.35) return (r() - 0.5) * 1e-3; // tiny
                if (k < 0.45) return (r() - 0.5) * 2e5; // large
                return (r() - 0.5) * 100;
            };
            const frames = [];
            for (let i = 0; i < 1000; i++) {
                const n = 1 + Math.floor(r() * 3);
                frames.push({
                    v: 1, device: `dev-${i}`, ...(r() < 0.5 ? { site: 'foodbank' } : {}), seq: Math.floor(r() * 65536),
                    ts: Math.floor(1.7e9 + r() * 1e8), synced: r() < 0.8, window: pick([0, 10, 60, 3600]),
                    sensors: Array.from({ length: n }, (_, j) => {
                        const count = Math.floor(r() * 400);
                        const s = { sensor: pick(['temperature', 'probe1', 'probe12', 'humidity', 'door']), unit: pick(['°C', '%', null]), count };
                        for (const key of ['min', 'max', 'mean', 'std', 'slope', 'last']) s[key] = value();
                        if (s.std !== null) s.std = Math.abs(s.std);
                        if (r() < 0.8) s.state = pick([0, 1, 2]);
                        if (count === 0) s.fault = 'no-samples';
                        return s;
                    }),
                });
            }
            fw.set('frames', frames);
            const json = fw.py('[frame.encode_json(f) for f in frames]');
            const hex = fw.py("[''.join('%02x' % b for b in frame.encode_binary(f)) for f in frames]");
            frames.forEach((f, i) => {
                assert.strictEqual(json[i], codec.encodeJsonFrame(f), `JSON of frame ${i}`);
                assert.strictEqual(hex[i], codec.encodeBinaryFrame(f).toString('hex'), `bytes of frame ${i}`);
            });
        });

        it('numbers: 4 decimals half away from zero, no float repr artefacts, -0 as 0', () => {
            const cases = [[0.1 + 0.2, '0.3'], [1e-5, '0'], [-1e-5, '0'], [-0.00005, '-0.0001'], [2.00005, '2.0001'],
                [1234567.25, '1234567.25'], [-3, '-3'], [5, '5'], [12.5, '12.5'], [null, 'null']];
            for (const [x, want] of cases) {
                fw.set('x', x);
                assert.strictEqual(fw.py('frame.num4(x)'), want, `num4(${x})`);
            }
            assert.strictEqual(fw.py("frame.num4(float('nan'))"), 'null');
            assert.strictEqual(fw.py("frame.num4(float('inf'))"), 'null');
        });

        it('legacy TOUCAN message: the original keys, sensor names and hand-made date', () => {
            assert.strictEqual(fw.py("frame.encode_legacy(frame.legacy_datetime((2024, 3, 12, 14, 5, 10, 1, 72)), 'pico_1', 'temperature', 'brute', 21.4)"),
                '{"datetime":"2024-3-12 14:5:10","noeud":"pico_1","capteur":"temperature","metrique":"brute","valeur":21.4}');
            assert.strictEqual(fw.py("frame.encode_legacy('2024-3-12 14:5:10.25', 'pico_1', 'humidity', 'moy_1_min', 61.456789)"),
                '{"datetime":"2024-3-12 14:5:10.25","noeud":"pico_1","capteur":"humidite","metrique":"moy_1_min","valeur":61.4568}');
            assert.strictEqual(fw.py("frame.legacy_datetime((2024, 3, 12, 14, 5, 10), 0.25)"), '2024-3-12 14:5:10.25');
            assert.deepStrictEqual(fw.py('[frame.legacy_metric(w) for w in (0, 10, 60, 3600, 90)]'),
                ['brute', 'moy_10_sec', 'moy_1_min', 'moy_60_min', 'moy_90_sec']);
        });
    });

    describe('ring buffer (ring.py)', () => {
        it('keeps order oldest first and drops the oldest when full, counted', () => {
            const r = fw.py(`(lambda r: ([r.push('t', bytes([i])) for i in range(10)],
                [(len(r), r.dropped)] + [(r.peek()[1][0], r.pop())[0] for _ in range(len(r))] + [r.peek()])[1])(ring.Ring(4))`);
            assert.deepStrictEqual(r, [[4, 6], 6, 7, 8, 9, null]);
        });

        it('bounds RAM by payload bytes too, dropping the oldest', () => {
            const r = fw.py(`(lambda r: ([r.push('t', bytes([i]) * 100) for i in range(10)],
                [len(r), r.dropped, r.ram_bytes] + [(r.peek()[1][0], r.pop())[0] for _ in range(len(r))] + [r.ram_bytes])[1])(ring.Ring(100, max_bytes=350))`);
            assert.deepStrictEqual(r, [3, 7, 300, 7, 8, 9, 0]);
        });

        it('interleaved push/pop keeps FIFO order across the wrap', () => {
            const r = fw.py(`(lambda r, out: ([(r.push('t', bytes([i])), (out.append(r.peek()[1][0]), r.pop()) if i % 3 == 2 else None) for i in range(30)],
                [out.append((r.peek()[1][0], r.pop())[0]) for _ in range(len(r))], out, r.dropped)[2:])(ring.Ring(5), [])`);
            const out = r[0];
            assert.deepStrictEqual(out, [...out].sort((a, b) => a - b), 'delivered in push order');
            assert.strictEqual(out.length + r[1], 30, 'every frame delivered or counted as dropped');
        });

        it('with flash: spills batches, replays flash before RAM, survives a reset, bounds files', () => {
            const dir = `ring${Date.now() % 100000}`;
            fw.exec(`rg = ring.Ring(3, '${dir}', 2, 2)\nfor i in range(9): rg.push('t/%d' % i, bytes([i]), 1)`);
            // before the reset, replay order is flash then RAM
            assert.deepStrictEqual(fw.py(`(lambda r: [r.peek()[0]])(rg)`), ['t/2']);
            // RAM 3 (6,7,8), batches of 2 on flash: (0,1) dropped when the third batch came, (2,3),(4,5) kept
            assert.deepStrictEqual(fw.py(`(len(rg), rg.dropped, sorted(__import__('os').listdir('${dir}')))`), [7, 2, ['00001.bin', '00002.bin']]);
            // a reset loses RAM but not flash: a new ring on the same directory replays the batches
            assert.deepStrictEqual(fw.py(`(lambda r2: [(r2.peek()[0], r2.pop())[0] for _ in range(len(r2))])(ring.Ring(3, '${dir}', 2, 2))`),
                ['t/2', 't/3', 't/4', 't/5']);
            assert.deepStrictEqual(fw.py(`(lambda r3: len(r3))(ring.Ring(3, '${dir}', 2, 2))`), 0, 'delivered batches are deleted');
        });
    });

    describe('reconnect backoff (link.backoff_ms)', () => {
        it('doubles from base, caps at max, jitter stays within [d*(1-j), d]', () => {
            assert.deepStrictEqual(fw.py('[link.backoff_ms(a, 1000, 60000, 0.5, lambda: 0) for a in range(9)]'),
                [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
            assert.deepStrictEqual(fw.py('[link.backoff_ms(a, 1000, 60000, 0.5, lambda: 0.999999) for a in (0, 3, 40)]'),
                [500, 4000, 30000]);
            const ds = fw.py('[link.backoff_ms(4, 1000, 60000, 0.5) for _ in range(400)]');
            assert.ok(ds.every((d) => d >= 8000 && d <= 16000), 'within bounds');
            assert.ok(new Set(ds).size > 100, 'actually random');
            const mean = ds.reduce((a, b) => a + b, 0) / ds.length;
            assert.ok(mean > 11000 && mean < 13000, `mean ${mean} near 12000`);
        });
    });

    describe('on-device state (state.py)', () => {
        it('levels with hysteresis: enter above the bound, leave only `hysteresis` below it', () => {
            // defaults: warn 8, alarm 10 °C, hysteresis 0.5; slope warn 0.5, alarm 1 °C/min
            const seq = fw.py(`(lambda s: [s.update(m, 0.0) for m in (4, 8.2, 7.8, 7.4, 10.2, 9.8, 9.4, 7.6, 7.5, 11, None, 3)])(state.SensorState(config.validate(config._merge(config.DEFAULTS, {'device': 'd', 'broker': {'host': 'h'}}, ''))['thresholds']['default']))`);
            assert.deepStrictEqual(seq, [0, 1, 1, 0, 2, 2, 1, 1, 0, 2, 2, 0]);
        });

        it('slope and low bounds, with their own hysteresis', () => {
            fw.exec(`th = dict(config.DEFAULTS['thresholds']['default'])
th.update({'warn_low': -25.0, 'alarm_low': -30.0})
st = state.SensorState(th)`);
            assert.deepStrictEqual(fw.py('[st.update(4, s) for s in (0.1, 0.6, 0.45, 0.39, 1.2, 0.95, 0.85)]'), [0, 1, 1, 0, 2, 2, 1]);
            assert.deepStrictEqual(fw.py('[st.update(m, 0) for m in (-20, -26, -24.8, -24.4, -31, -29.6)]'), [0, 1, 1, 0, 2, 2]);
            assert.strictEqual(fw.py('st.cause'), 'low');
        });

        it('LED mode: alarm first, then link problems, then warning/ok', () => {
            assert.deepStrictEqual(fw.py('[state.led_mode(2, False, False), state.led_mode(0, False, False), state.led_mode(1, True, False), state.led_mode(1, True, True), state.led_mode(0, True, True)]'),
                ['alarm', 'no-wifi', 'no-broker', 'warning', 'ok']);
        });
    });

    describe('config (config.py)', () => {
        it('fills defaults and keeps site values', () => {
            const c = fw.py(`config.parse('{"device":"fridge-1","site":"fb","broker":{"host":"10.0.0.2"},"window_s":3600}')`);
            assert.strictEqual(c.sample_s, 10);
            assert.strictEqual(c.window_s, 3600);
            assert.strictEqual(c.broker.port, 1883);
            assert.strictEqual(c.broker.host, '10.0.0.2');
            assert.strictEqual(c.thresholds.default.warn_high, 8);
        });

        it('the committed config.example.json is valid', () => {
            const text = fs.readFileSync(path.join(__dirname, '../../firmware/config.example.json'), 'utf8');
            fw.set('t', text);
            const c = fw.py('config.parse(t)');
            assert.strictEqual(c.thresholds.probe2.alarm_high, -12);
            assert.strictEqual(c.thresholds.probe2.hysteresis, 0.5, 'per-sensor thresholds get the defaults');
            assert.strictEqual(c.thresholds.probe2.warn_slope, 0.5);
            fw.set('t2', JSON.stringify({ device: 'd', broker: { host: 'h' }, thresholds: { default: { warn_high: 6 }, probe1: { alarm_high: 12 } } }));
            const c2 = fw.py('config.parse(t2)');
            assert.strictEqual(c2.thresholds.probe1.warn_high, 6, "a sensor's block falls back on the site's default block");
            assert.strictEqual(c2.thresholds.probe1.alarm_high, 12);
            assert.strictEqual(c2.thresholds.default.alarm_high, 10);
        });

        for (const [text, msg] of [
            ['{"site":"x","broker":{"host":"h"}}', /device/],
            ['{"device":"a b","broker":{"host":"h"}}', /device/],
            ['{"device":"d"}', /broker.host/],
            ['{"device":"d","broker":{"host":"h"},"window_s":7200}', /window_s/],
            // 9 samples of 7 s would make a 63 s window labelled 60 s
            ['{"device":"d","broker":{"host":"h"},"sample_s":7}', /window_s must be a whole multiple of sample_s/],
            ['{"device":"d","broker":{"host":"h"},"sample_s":2.5,"window_s":61}', /window_s must be a whole multiple of sample_s/],
            ['{"device":"d","broker":{"host":"h"},"format":"xml"}', /format/],
            ['{"device":"d","broker":{"host":"h"},"wifi_ssid":"x"}', /unknown key wifi_ssid/],
            ['{"device":"d",', /not valid JSON/],
        ]) {
            it(`rejects ${text} with a clear message`, () => {
                fw.set('t', text);
                assert.throws(() => fw.exec('config.parse(t)'), msg);
            });
        }
    });

    describe('sensors (sensors.py) through the machine/onewire shims', () => {
        it('onboard formula T = 27 - (raw*3.3/65535 - 0.706)/0.001721', () => {
            for (const raw of [0, 14000, 14200, 65535]) {
                const want = 27 - (raw * 3.3 / 65535 - 0.706) / 0.001721;
                close(fw.py(`sensors.onboard_celsius(${raw})`), want, `raw ${raw}`);
            }
        });
    });
});

describe('sensors with a broken probe, in MicroPython', function () {
    this.timeout(30000);
    it('an unplugged probe reads None with a fault; the other sensors still read', async () => {
        let plugged = true;
        const fw = await firmwarePython({
            hardware: {
                adcRaw: (ch) => (ch === 4 ? 14000 : 0),
                probes: [{ rom: '28000000000000a1', readC: () => 4.3 }, { rom: [0x28, 0, 0, 0, 0, 0, 0, 0xa2], readC: () => (plugged ? -18.2 : null) }],
            },
        });
        fw.exec(`import sensors, config, asyncio
cfg = config.parse('{"device":"d","broker":{"host":"h"}}')
s = sensors.Sensors(cfg, lambda m: None)
out = {}
async def rd():
    out['v'] = await s.read()
    out['f'] = s.faults`);
        assert.deepStrictEqual(fw.py('s.names'), ['temperature', 'probe1', 'probe2']);
        await fw.mp.runPythonAsync('await asyncio.create_task(rd())');
        let r = fw.py('out');
        assert.strictEqual(r.v.probe1, 4.3125, 'DS18B20 resolution 1/16 °C');
        assert.strictEqual(r.v.probe2, -18.1875);
        plugged = false;
        await fw.mp.runPythonAsync('await asyncio.create_task(rd())');
        r = fw.py('out');
        assert.strictEqual(r.v.probe2, null);
        assert.strictEqual(r.f.probe2, 'no-answer');
        assert.strictEqual(r.v.probe1, 4.3125);
        close(r.v.temperature, 27 - (14000 * 3.3 / 65535 - 0.706) / 0.001721, 'onboard');
    });
});

