# picochain Pico W firmware entry: asyncio tasks sample -> window stats -> frames -> ring -> MQTT.
import gc
import sys

try:
    import asyncio
except ImportError:
    import uasyncio as asyncio

import clock
import config
from frame import encode_binary, encode_json, encode_legacy, legacy_datetime, legacy_metric, unit_of
from ring import Ring
from state import LED_PATTERNS, SensorState, led_mode
from window import Window

gc.collect()

BOOT_FILE = "boots"
SPOOL_DIR = "spool"  # flash batch files of the ring  # one small write per boot: the boot counter of the birth message
LEGACY_TOPIC = "TOUCAN"
CRASH_RESET_MS = 10000  # pause before a reset after a crash
WDT_FEED_MS = 2000  # ms between watchdog feeds (the WDT itself is 8 s)
DEBUG = False

_stop = None
_app = None


def log(msg):
    print("[%d] %s" % (clock.uptime_ms() // 1000, msg))


def _boot_count():
    n = 0
    try:
        with open(BOOT_FILE) as f:
            n = int(f.read())
    except (OSError, ValueError):
        pass
    n += 1
    try:
        with open(BOOT_FILE, "w") as f:
            f.write(str(n))
    except OSError:
        pass
    return n


class App:
    def __init__(self, cfg, remote=None):
        import sensors as hw
        from link import Link
        self.cfg = cfg
        self.remote = remote
        self.boot = _boot_count()
        r = cfg["ring"]
        # not "ring": a directory of that name would shadow ring.py on import
        self.ring = Ring(r["size"], SPOOL_DIR if r["flash"] else None, r["flash_batch"], r["flash_files"], r["max_bytes"])
        self.sensors = hw.Sensors(cfg, log)
        self.names = self.sensors.names
        self.units = {n: unit_of(n) for n in self.names}  # once, not per sample
        th = cfg["thresholds"]
        self.windows = {n: Window() for n in self.names}
        self.states = {n: SensorState(th.get(n, th["default"])) for n in self.names}
        self.link = Link(cfg, self.ring, log)
        self.link.birth_extra = self._birth_extra
        if remote:
            remote.bind(self, self.link)
        self.led = hw.Led()
        self.wdt = hw.Watchdog(cfg["wdt_ms"])
        self.seq = 0  # window sequence number (uint16)
        self.raw_seq = 0  # raw frames count apart so stats seq stays one per window
        self.windows_closed = 0
        self.legacy_skipped = 0
        self.samples = 0  # samples taken: the watchdog task feeds only while this grows
        self.period_ms = int(cfg["sample_s"] * 1000)  # the sampler's current schedule
        self.retime = False  # sample_s or window_s changed: the sampler starts a new schedule
        self.crashed = None
        base = "picochain/%s/%s/" % (cfg["site"], cfg["device"])
        self.t_stats = base + "stats"
        self.t_raw = base + "raw"

    def _birth_extra(self):
        d = {"fw": config.FW_VERSION, "boot": self.boot}
        if self.remote:
            d["config"] = self.remote.report()
        return d

    def apply(self, new):
        """Takes a new full config (remote.py): thresholds, format, send, legacy and debug from
        the next sample or window on; a new sample_s or window_s ends the current window at the
        next sample and starts the new schedule; Wi-Fi and broker at the link's next connection."""
        cfg = self.cfg
        if new["sample_s"] != cfg["sample_s"] or new["window_s"] != cfg["window_s"]:
            self.retime = True
        for k in config.REMOTE_LIVE + config.REMOTE_LINK:
            cfg[k] = new[k]
        th = cfg["thresholds"]
        for n, st in self.states.items():
            st.th = th.get(n, th["default"])

    def overall(self):
        s = 0
        for st in self.states.values():
            if st.state > s:
                s = st.state
        return s

    def _encode(self, fr):
        if self.cfg["format"] == "binary":
            return encode_binary(fr)
        return encode_json(fr).encode()

    def _frame(self, seq, window, sensors, at_ms=None):
        ts, synced = clock.stamp(at_ms)
        return {"device": self.cfg["device"], "site": self.cfg["site"], "seq": seq, "ts": ts,
                "synced": synced, "window": window, "sensors": sensors}

    def _legacy(self, metric, values):
        # like the original system, legacy messages are not kept for later: while offline they
        # would push the window frames out of the ring
        if not self.link.connected:
            self.legacy_skipped += len(values)
            return
        tm = clock.localtime()
        dt = legacy_datetime(tm)
        for name, v in values:
            if v is not None:
                self.ring.push(LEGACY_TOPIC, encode_legacy(dt, self.cfg["device"], name, metric, v).encode(), 0)

    def on_sample(self, t_s, values, at_ms=None):
        """One sample of every sensor; at_ms = the uptime it was scheduled at (its raw frame's ts)."""
        for name in self.names:
            self.windows[name].add(t_s, values.get(name))
        if self.cfg["send"] in ("raw", "both"):
            out = []
            for name in self.names:
                v = values.get(name)
                st = self.states[name].state
                d = {"sensor": name, "unit": self.units[name], "count": 1 if v is not None else 0,
                     "min": v, "max": v, "mean": v, "std": 0 if v is not None else None,
                     "slope": None, "last": v, "state": st}
                if v is None:
                    d["fault"] = self.sensors.faults.get(name, "no-samples")
                out.append(d)
            self.ring.push(self.t_raw, self._encode(self._frame(self.raw_seq, 0, out, at_ms)), 1)
            self.raw_seq = (self.raw_seq + 1) & 0xFFFF
        if self.cfg["legacy"] == "raw":
            self._legacy("brute", [(n, values.get(n)) for n in self.names])
        self.link.kick.set()

    def close_window(self, end_ms=None, window_s=None):
        """Closes every sensor's window; end_ms = the uptime of its scheduled end (default now):
        ts is stamped from it, not from when the window closes (sensor reads take time), so
        windows are exactly window_s apart. window_s: the length it covered (shorter when a new
        schedule cuts it)."""
        if window_s is None:
            window_s = self.cfg["window_s"]
        out = []
        means = []
        for name in self.names:
            w = self.windows[name]
            d = w.summary()
            st = self.states[name].update(d["mean"], d["slope"])
            d["sensor"] = name
            d["unit"] = self.units[name]
            d["state"] = st
            if not d["count"]:
                d["fault"] = "no-samples"
            out.append(d)
            means.append((name, d["mean"]))
            w.reset()
        fr = self._frame(self.seq, window_s, out, end_ms)
        if self.cfg["send"] in ("stats", "both"):
            self.ring.push(self.t_stats, self._encode(fr), 1)
        if self.cfg["legacy"] == "mean":
            self._legacy(legacy_metric(window_s), means)
        if DEBUG or self.cfg["debug"]:
            log("window seq %d ts %d state %d buffered %d" % (self.seq, fr["ts"], self.overall(), len(self.ring)))
        self.seq = (self.seq + 1) & 0xFFFF
        self.windows_closed += 1
        self.link.kick.set()
        if self.remote and window_s == self.cfg["window_s"]:  # a full window of the current schedule
            self.remote.on_window()
        gc.collect()

    async def sampler(self):
        # the schedule runs on uptime (ms since boot, monotonic): no ticks wrap-around, no limit on
        # how far ahead of its start a sample can be (ticks_add refuses 2**29 ms and more), and a
        # window's scheduled end is an exact uptime that clock.stamp() turns into its ts
        start = clock.uptime_ms()
        while True:
            # one schedule per (sample_s, window_s); apply() asks for a new one
            sample_s = self.cfg["sample_s"]
            window_s = self.cfg["window_s"]
            sample_ms = config.sample_ms(sample_s)
            # config.validate makes window_s a whole multiple of sample_ms: per_window samples
            # cover exactly window_s
            per_window = max(1, window_s * 1000 // sample_ms)
            self.period_ms = sample_ms
            self.retime = False
            k = 0
            while True:
                k += 1
                # sample k is due at start + k * sample_ms: no drift from the time reads take
                due = start + k * sample_ms
                wait = due - clock.uptime_ms()
                if wait > 0:
                    await asyncio.sleep_ms(wait)
                values = await self.sensors.read()
                self.samples += 1
                # sample time within the window, s (slope), from the schedule rather than the clock
                self.on_sample(((k - 1) % per_window) * sample_s, values, due)
                if k % per_window == 0:  # the window ends at this sample's scheduled time
                    self.close_window(due, window_s)
                elif self.retime:  # cut short: it covers the samples taken so far
                    self.close_window(due, max(1, int((k % per_window) * sample_s + 0.5)))
                if self.retime:  # the new schedule starts at this sample
                    start = due
                    break
                if k >= per_window * 1000:  # keep k small; schedule restarts from this window's end
                    start = due
                    k = 0

    async def watchdog(self):
        # fed only while the sampler makes progress: a hung sampler resets the board. Progress
        # is counted in checks without a new sample (not in clock time), so a clock that jumps
        # (a host running the board accelerated) does not look like a hang.
        seen = self.samples
        stale = 0
        while True:
            # from the sampler's current period: a new sample_s takes effect there at its next sample
            limit = (self.period_ms * 2 + 5000) // WDT_FEED_MS
            if self.samples != seen:
                seen = self.samples
                stale = 0
            else:
                stale += 1
            if stale < limit:
                self.wdt.feed()
            await asyncio.sleep_ms(WDT_FEED_MS)

    async def blinker(self):
        if not self.led.available:
            return
        while True:
            mode = led_mode(self.overall(), self.link.wlan.isconnected(), self.link.connected)
            for on, off in LED_PATTERNS[mode]:
                self.led.set(1)
                await asyncio.sleep_ms(on)
                self.led.set(0)
                await asyncio.sleep_ms(off)

    async def guard(self, coro, name):
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log("task %s crashed: %r" % (name, e))
            sys.print_exception(e)
            self.crashed = e
            _stop.set()

    def stats(self):
        return {
            "device": self.cfg["device"], "seq": self.seq, "windows": self.windows_closed,
            "buffered": len(self.ring), "dropped": self.ring.dropped,
            "replayed": self.link.replayed, "published": self.link.published,
            "connected": self.link.connected, "mqttConnects": self.link.connects,
            "linkFailures": self.link.failures, "synced": clock.synced, "boot": self.boot,
            "state": self.overall(), "heapBytes": gc.mem_alloc(), "uptimeS": clock.uptime_ms() // 1000,
            "legacySkipped": self.legacy_skipped,
            "configVersion": self.remote.version if self.remote else 0,
            "configResult": self.remote.result if self.remote else "none",
        }


async def config_error_blink(msg):
    from sensors import Led
    led = Led()
    while not _stop.is_set():
        print("CONFIG ERROR: %s" % msg)
        if not led.available:
            await asyncio.sleep_ms(5000)
        for on, off in LED_PATTERNS["config"]:
            led.set(1)
            await asyncio.sleep_ms(on)
            led.set(0)
            await asyncio.sleep_ms(off)


async def main():
    """Runs the firmware until request_stop(); raises what crashed a task."""
    global _stop, _app
    _stop = asyncio.Event()
    from remote import Remote
    try:
        remote = Remote(config.load_site(), log)
        cfg = remote.boot()  # config.json + the stored remote config, when still valid
    except config.ConfigError as e:
        await config_error_blink(str(e))
        return
    log("picochain %s device %s site %s" % (config.FW_VERSION, cfg["device"], cfg["site"]))
    app = App(cfg, remote)
    _app = app
    tasks = [asyncio.create_task(app.guard(c, n)) for c, n in (
        (app.sampler(), "sampler"), (app.link.run(), "link"), (app.watchdog(), "watchdog"),
        (app.blinker(), "led"), (remote.run(), "remote"))]
    try:
        await _stop.wait()
    finally:
        for t in tasks:
            t.cancel()
        try:
            await asyncio.wait_for_ms(app.link.goodbye(), 3000)
        except Exception:
            pass
        app.led.set(0)
    if app.crashed:
        raise app.crashed


def request_stop():
    if _stop:
        _stop.set()


def stats_json():
    import json
    return json.dumps(_app.stats() if _app else {})


def run():
    """Board entry (main.py runs at boot). A crash resets the board after a pause (time to read
    the traceback on the console); Ctrl-C from mpremote leaves it at the REPL."""
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        raise
    except Exception as e:
        sys.print_exception(e)
        print("resetting in %d s" % (CRASH_RESET_MS // 1000))
        import time
        import sensors
        time.sleep_ms(CRASH_RESET_MS)
        sensors.reset()
    finally:
        asyncio.new_event_loop()


if __name__ == "__main__":
    run()
