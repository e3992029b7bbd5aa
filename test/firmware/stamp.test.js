// Window timestamps (firmware/clock.py, main.py's schedule) in real MicroPython, with the Pico's
// time: time.time() in whole seconds. Two windows whose scheduled ends are window_s apart must be
// stamped exactly window_s apart, however late each closes and whatever the Unix clock's fraction.
'use strict';
const assert = require('assert');
const { createPico } = require('../../sim/pico-host');
const { freePort } = require('../../scripts/lib/services');
const { untilWith } = require('../support/wait');
const { firmwarePython } = require('./helpers');

const until = untilWith({ ms: 20000, every: 25 });

// A `time` for clock.py whose clock the test moves: ticks_ms wraps at 2**30 like rp2's, time()
// counts whole seconds like the Pico's (no time_ns unless `ns`).
const FAKE_TIME = `
import clock

class FakeTime:
    MASK = (1 << 30) - 1
    now = 0          # ms since the fake boot
    tick0 = 0        # ticks_ms() at the fake boot
    unix0 = 0        # Unix ms at the fake boot

    @staticmethod
    def ticks_ms():
        return (FakeTime.tick0 + FakeTime.now) & FakeTime.MASK

    @staticmethod
    def ticks_diff(a, b):
        d = (a - b) & FakeTime.MASK
        return d - (1 << 30) if d >= (1 << 29) else d

    @staticmethod
    def ticks_add(a, b):
        return (a + b) & FakeTime.MASK

    @staticmethod
    def time():
        return (FakeTime.unix0 + FakeTime.now) // 1000

def boot(tick0, unix0, ns=False):
    FakeTime.now = 0
    FakeTime.tick0 = tick0
    FakeTime.unix0 = unix0
    if ns:
        FakeTime.time_ns = staticmethod(lambda: (FakeTime.unix0 + FakeTime.now) * 1000000)
    elif hasattr(FakeTime, "time_ns"):
        del FakeTime.time_ns
    clock.time = FakeTime
    clock._last = FakeTime.ticks_ms()
    clock._up_ms = 0
    clock.synced = False
    clock._offset_ms = 0

def at(ms):
    FakeTime.now = ms
`;

describe('window timestamps (clock.py) with the Pico clock: whole-second time.time()', function () {
    this.timeout(30000);
    let fw;
    before(async () => {
        fw = await firmwarePython();
        fw.exec(FAKE_TIME);
    });

    /** Stamps of windows ending every windowMs from endMs0 (uptime), each closing `late` ms after its end. */
    function windows(endMs0, windowMs, lates) {
        return lates.map((late, i) => {
            const end = endMs0 + i * windowMs;
            fw.exec(`at(${end + late})`);
            return fw.py(`clock.stamp(${end})`);
        });
    }

    it('windows ending 60 s apart are stamped 60 s apart whatever their lateness, across a ticks wrap', () => {
        // ticks wrap 30 s after boot; the Unix clock reads .730 at boot
        fw.exec(`boot(${2 ** 30 - 30000}, 1764000000730)`);
        fw.exec('at(4321)\nclock.set_synced()'); // NTP sets the clock 4.3 s after boot
        const lates = [0, 730, 260, 980, 490, 120, 850, 15, 640, 999];
        const st = windows(60000, 60000, lates);
        assert.ok(st.every(([, synced]) => synced === true), JSON.stringify(st));
        const ts = st.map(([t]) => t);
        assert.deepStrictEqual(ts.slice(1).map((t, i) => t - ts[i]), lates.slice(1).map(() => 60), `stamps ${ts}`);
        // the Unix time of the first end is 1764000060.730; time() had dropped up to a second at the sync
        assert.ok(ts[0] >= 1764000060 && ts[0] <= 1764000061, `first stamp ${ts[0]}`);
    });

    it('uses time.time_ns() when the port has it: the stamp is the end rounded to the second', () => {
        fw.exec(`boot(1000, 1764000000730, True)\nat(4321)\nclock.set_synced()`);
        const ts = windows(60000, 60000, [0, 499, 999]).map(([t]) => t);
        assert.deepStrictEqual(ts, [1764000061, 1764000121, 1764000181]); // x.730 rounds up
    });

    it('a re-sync keeps the stamps\' phase when the clock is still right, and moves them by whole seconds when it was off', () => {
        fw.exec(`boot(5000, 1764000000730)\nat(1000)\nclock.set_synced()`);
        const before = windows(60000, 60000, [300]).map(([t]) => t)[0];
        // same clock, re-measured at another fraction of its second: nothing moves
        for (const t of [10100, 20500, 30999]) fw.exec(`at(${t})\nclock.set_synced()`);
        const again = windows(120000, 60000, [20, 700]).map(([t]) => t);
        assert.deepStrictEqual(again, [before + 60, before + 120]);
        // NTP finds the board 5 s slow: the stamps move 5 s, and stay 60 s apart from then on
        fw.exec('FakeTime.unix0 += 5000');
        fw.exec('at(200000)\nclock.set_synced()');
        const after = windows(240000, 60000, [0, 950, 410]).map(([t]) => t);
        assert.deepStrictEqual(after, [before + 180 + 5, before + 240 + 5, before + 300 + 5]);
    });

    it('until synced: seconds since boot, rounded', () => {
        fw.exec('boot(123, 1764000000730)\nat(60400)');
        assert.deepStrictEqual(fw.py('clock.stamp(60000)'), [60, false]);
        assert.deepStrictEqual(fw.py('clock.stamp()'), [60, false]);
        assert.deepStrictEqual(fw.py('clock.stamp(119500)'), [120, false]);
    });
});

describe('window timestamps from the real main loop, Pico clock and late sensor reads (60x)', function () {
    this.timeout(60000);
    let pico;
    afterEach(async () => { if (pico) { await pico.stop(); pico = null; } });

    it('consecutive windows are stamped exactly window_s apart, across NTP re-syncs', async () => {
        const lines = [];
        pico = await createPico({
            config: {
                device: 'fridge-t', site: 'lab', wifi: { ssid: 'test', password: 'x' },
                // nobody listens there: the board keeps its frames and retries, syncing NTP on each try
                broker: { host: '127.0.0.1', port: await freePort() }, onewire_pin: null,
                backoff: { base_ms: 1000, max_ms: 8000, jitter: 0.5 },
                sample_s: 10, window_s: 60, ntp: { host: 'pool.ntp.org', interval_s: 30 },
            },
            hardware: { adcRaw: () => 14050, probes: [] },
            clock: { speed: 60 },
            led: false,
            log: (l) => lines.push(l),
        });
        // before main starts: the Pico's whole-second time.time(), sensor reads that take from 0 to
        // 1 s (a DS18B20 conversion, a slow bus), and every window frame printed as it is made
        pico.runPython(`
import clock, main, sensors, asyncio, time as _time

class PicoTime:
    ticks_ms = staticmethod(_time.ticks_ms)
    ticks_diff = staticmethod(_time.ticks_diff)
    ticks_add = staticmethod(_time.ticks_add)
    localtime = staticmethod(_time.localtime)
    shift = 0  # ms added to the host's Unix clock

    @staticmethod
    def time():
        return (_time.time_ns() // 1000000 + PicoTime.shift) // 1000

clock.time = PicoTime
_sampler = main.App.sampler

async def _phased(self):
    # the schedule starts now: set the Unix clock so that instant (and every sample's due time,
    # whole seconds later) is at .100 of a second, where a late close moves a stamp computed from
    # whole-second time.time() minus the lateness to the previous second (lateness 0.5 to 0.9 s)
    PicoTime.shift = (100 - _time.time_ns() // 1000000) % 1000
    await _sampler(self)

main.App.sampler = _phased

_LATE = (0, 730, 260, 980, 490, 120, 850)
_reads = [0]
_read = sensors.Sensors.read

async def _late_read(self):
    _reads[0] += 1
    await asyncio.sleep_ms(_LATE[_reads[0] % len(_LATE)])
    return await _read(self)

sensors.Sensors.read = _late_read
_frame = main.App._frame

def _stamped(self, *a):
    fr = _frame(self, *a)
    if fr["window"]:
        print("STAMP %d %d %d" % (fr["seq"], fr["ts"], fr["synced"]))
    return fr

main.App._frame = _stamped
import ntptime
_settime = ntptime.settime

def _counted():
    _settime()
    print("NTP SET")

ntptime.settime = _counted
`);
        await pico.start();
        const stamps = () => lines.map((l) => /^STAMP (\d+) (\d+) (\d)$/.exec(l)).filter(Boolean)
            .map((m) => ({ seq: +m[1], ts: +m[2], synced: m[3] === '1' }));
        const synced = () => stamps().filter((s) => s.synced);
        await until(() => synced().length >= 10, () => `10 synced windows (${JSON.stringify(stamps())}; ${lines.slice(-5).join(' | ')})`);
        const s = synced();
        assert.ok(lines.some((l) => l.includes('clock set by NTP')));
        const syncs = lines.filter((l) => l === 'NTP SET').length;
        assert.ok(syncs >= 10, `re-synced every 30 s while the broker refused (${syncs} times)`);
        for (let i = 1; i < s.length; i++) assert.strictEqual(s[i].seq, s[i - 1].seq + 1);
        assert.deepStrictEqual(s.slice(1).map((x, i) => x.ts - s[i].ts), s.slice(1).map(() => 60),
            `gaps between ${s.map((x) => `seq ${x.seq} ts ${x.ts}`).join(', ')}`);
        // each ts is a window's end, Unix seconds: the last is within a window before the board's clock
        const nowS = pico.now() / 1000;
        const last = s[s.length - 1].ts;
        assert.ok(last <= nowS + 1 && last >= nowS - 130, `last ts ${last}, board clock ${nowS}`);
    });
});
