# Remote configuration (PROTOCOL.md "Remote configuration"): the retained desired-config message
# on picochain/<site>/<device>/config is checked like config.json, applied at once (thresholds,
# window, sampling, frame format) or after a test connection (Wi-Fi, broker), kept in flash so a
# power cut at any moment leaves the last good settings, and reported on the status topic.
#
# Flash: config.json (the installer's, never written here) and remote.json = the applied remote
# overlay, its predecessor and the last outcome, replaced whole by write-new-then-rename.
import json
import os

try:
    import asyncio
except ImportError:
    import uasyncio as asyncio

import clock
import config

STATE_FILE = "remote.json"
MAX_VERSION = 0x7FFFFFFF
MAX_BYTES = 4096  # the MQTT client skips larger messages unread (link.MAX_IN_BYTES)
TRIAL_MS = 120000  # board ms new Wi-Fi/broker settings get to connect before the old ones return
MAX_UNCONFIRMED_BOOTS = 2  # restarts before a first window closes with a new config: then rolled back
REPORT_WAIT_MS = 5000  # how long a "testing" report gets to go out before the link switches
REASON_MAX = 200


def write_atomic(path, text):
    """Replaces path with text so that a power cut leaves the old file or the new one, whole:
    write path.new, then rename it over path (littlefs, the Pico's file system, renames atomically)."""
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def read_json(path):
    """The object stored at path, None when there is none or it is unreadable. A leftover
    path.new is a write a power cut interrupted: removed (path is still the last good one)."""
    try:
        os.remove(path + ".new")
    except OSError:
        pass
    try:
        with open(path) as f:
            d = json.loads(f.read())
    except (OSError, ValueError):
        return None
    return d if isinstance(d, dict) else None


def _ver(v):
    return v if config._int(v) and 0 <= v <= MAX_VERSION else 0


class Remote:
    """The board's remote configuration: boot() gives the config to run, on_message() takes
    desired-config messages (handled one at a time by run()), report() is the status part."""

    def __init__(self, site, log=print):
        self.site = site  # config.json as read (no defaults): what overlays go over
        self.log = log
        self.app = None
        self.link = None
        self.st = {}  # what remote.json holds
        self.version = 0  # applied version, 0 = config.json alone
        self.over = None  # applied overlay
        self.last = None  # newest version handled (None: no message yet / a message without one)
        self.result = "none"  # none | applied | refused | testing
        self.reason = None
        self.refused = 0  # version last refused: not tried again when it comes back
        self._inbox = None
        self._wake = asyncio.Event()

    # ---- boot ------------------------------------------------------------------------------
    def boot(self):
        """The full config to start with: config.json with the stored overlay when it is still
        valid. Raises config.ConfigError only when config.json itself is bad."""
        base = config.build(self.site)
        st = read_json(STATE_FILE) or {}
        last = st.get("last") if isinstance(st.get("last"), dict) else {}
        self.last = _ver(last.get("version")) or None
        self.result = last.get("result") if last.get("result") in ("applied", "refused") else "none"
        self.reason = last.get("reason") if isinstance(last.get("reason"), str) else None
        self.refused = self.last if self.result == "refused" else 0
        ver = _ver(st.get("version"))
        if ver and not st.get("ok"):
            # applied but no window closed with it yet: a config that makes the board restart
            # again and again is rolled back to the one before
            boots = (st.get("boots") or 0) + 1
            if boots > MAX_UNCONFIRMED_BOOTS:
                prev = st.get("prev") if isinstance(st.get("prev"), dict) else {}
                reason = "version %d rolled back: the board restarted %d times with it" % (ver, boots - 1)
                self.log(reason)
                st = {"version": _ver(prev.get("version")), "config": prev.get("config"), "ok": True, "prev": None,
                      "last": {"version": ver, "result": "refused", "reason": reason}}
                self.last, self.result, self.reason, self.refused = ver, "refused", reason, ver
                ver = st["version"]
            else:
                st["boots"] = boots
            try:
                self._store(st)
            except OSError as e:
                self.log("remote.json: %r" % e)
        self.st = st
        over = st.get("config")
        if ver and isinstance(over, dict):
            try:
                # secrets in a stored overlay were checked for TLS when it arrived
                cfg = config.build(self.site, over, True)
                self.version, self.over = ver, over
                self.log("remote config version %d" % ver)
                return cfg
            except config.ConfigError as e:
                # config.json was changed by hand since: it wins, the overlay waits for a new one
                self._note(ver, "refused", "stored version %d no longer valid: %s" % (ver, e))
        return base

    def bind(self, app, link):
        self.app = app
        self.link = link
        link.on_config = self.on_message

    # ---- report ----------------------------------------------------------------------------
    def report(self):
        d = {"applied": self.version, "last": self.last, "result": self.result,
             "settings": config.settings(self.app.cfg)}
        if self.reason:
            d["reason"] = self.reason
        return d

    def _note(self, ver, result, reason=None):
        self.last = ver
        self.result = result
        self.reason = reason[:REASON_MAX] if reason else None
        if result == "refused" and ver:
            self.refused = ver
        if self.link:
            self.link.status_changed()

    # ---- messages --------------------------------------------------------------------------
    def on_message(self, payload):
        """From the MQTT reader (must not block): keeps the newest message for run()."""
        self._inbox = b"\0" if payload is None else payload
        self._wake.set()

    async def run(self):
        while True:
            await self._wake.wait()
            self._wake.clear()
            p = self._inbox
            self._inbox = None
            if p is not None:
                try:
                    await self.handle(p)
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    # a bug here must not take the board down: the retained message would come
                    # back at every boot and reset it again
                    self.refuse(None, "not handled: %r" % e)

    def refuse(self, ver, reason):
        self.log("remote config %s refused: %s" % (ver, reason))
        self._note(ver, "refused", reason)
        if ver:  # kept, so a restart does not try it again and the report stands
            st = dict(self.st)
            st["last"] = {"version": ver, "result": "refused", "reason": self.reason}
            try:
                self._store(st)
                self.st = st
            except OSError as e:
                self.log("remote.json: %r" % e)

    async def handle(self, payload):
        if payload == b"":  # the retained message was cleared: keep the current settings
            return
        if payload == b"\0" or len(payload) > MAX_BYTES:
            return self.refuse(None, "config message over %d bytes" % MAX_BYTES)
        try:
            msg = json.loads(payload)
        except ValueError:
            return self.refuse(None, "config message is not valid JSON")
        if not isinstance(msg, dict) or msg.get("v") != 1:
            return self.refuse(None, "v must be 1")
        ver = msg.get("version")
        if not config._int(ver) or not 1 <= ver <= MAX_VERSION:
            return self.refuse(None, "version must be an integer from 1 to %d" % MAX_VERSION)
        over = msg.get("config")
        if ver == self.version:
            if over != self.over:
                self.refuse(ver, "version %d was applied with other settings" % ver)
            return  # else: the retained message again, after a reconnect
        if ver == self.refused:
            return
        if ver < self.version:
            return self.refuse(ver, "version %d is older than the applied version %d" % (ver, self.version))
        cfg = self.app.cfg
        try:
            new = config.build(self.site, over, cfg["broker"]["tls"])
        except config.ConfigError as e:
            return self.refuse(ver, str(e))
        if new["wifi"] != cfg["wifi"] or new["broker"] != cfg["broker"]:
            await self.trial(ver, over, new)
        else:
            self.apply(ver, over, new)

    def _commit(self, ver, over):
        st = {"version": ver, "config": over, "ok": False, "boots": 0,
              "prev": {"version": self.version, "config": self.over},
              "last": {"version": ver, "result": "applied", "reason": None}}
        self._store(st)
        self.st = st
        self.version, self.over = ver, over

    def apply(self, ver, over, new):
        try:
            self._commit(ver, over)  # before the change: a config that crashes the board rolls back
        except OSError as e:
            return self.refuse(ver, "cannot store it: %r" % e)
        self.app.apply(new)
        self.log("remote config version %d applied" % ver)
        self._note(ver, "applied")

    async def trial(self, ver, over, new):
        """New Wi-Fi or broker settings: a broker alone is tried with a test connection first;
        then the link switches, and the settings are kept only once a session is up with them."""
        cfg = self.app.cfg
        old = {}
        for k in config.REMOTE_LIVE + config.REMOTE_LINK:
            old[k] = cfg[k]
        wifi = new["wifi"] != cfg["wifi"]
        self._note(ver, "testing")
        t0 = clock.ticks_ms()
        while self.link.status_sent != self.link.status_gen and clock.ticks_diff(clock.ticks_ms(), t0) < REPORT_WAIT_MS:
            await asyncio.sleep_ms(100)
        if not wifi:
            err = await self.link.probe(new["broker"])
            if err:
                return self.refuse(ver, "test connection to %s:%d failed: %s" % (new["broker"]["host"], new["broker"]["port"], err))
        # switched in RAM only: a power cut now boots the settings in flash, the old ones
        n = self.link.connects
        self.link.last_error = None
        self.app.apply(new)
        self.link.restart(wifi)
        t0 = clock.ticks_ms()
        while clock.ticks_diff(clock.ticks_ms(), t0) < TRIAL_MS:
            if self.link.connected and self.link.connects > n:
                try:
                    self._commit(ver, over)
                except OSError as e:
                    self.app.apply(old)
                    self.link.restart(wifi)
                    return self.refuse(ver, "cannot store it: %r" % e)
                self.log("remote config version %d applied (new %s)" % (ver, "Wi-Fi" if wifi else "broker"))
                return self._note(ver, "applied")
            await asyncio.sleep_ms(250)
        why = self.link.last_error
        self.app.apply(old)
        self.link.restart(wifi)
        self.refuse(ver, "no connection with the new %s settings in %d s (%s): back on the previous ones" % (
            "Wi-Fi" if wifi else "broker", TRIAL_MS // 1000, why or "no answer"))

    def on_window(self):
        """A window closed: the applied config works; it is no longer rolled back at boot."""
        st = self.st
        if st.get("version") and not st.get("ok"):
            st["ok"] = True
            st["boots"] = 0
            try:
                self._store(st)
            except OSError as e:
                self.log("remote.json: %r" % e)

    def _store(self, st):
        write_atomic(STATE_FILE, json.dumps(st))
