# Configuration: defaults in code, site values from the board's config.json (never committed).
import json

FW_VERSION = "1.0.0"
CONFIG_PATH = "config.json"

# Every key a config.json may set; config.example.json shows a site's file.
DEFAULTS = {
    "device": None,  # required: [A-Za-z0-9_-]{1,32}
    "site": "default",  # [A-Za-z0-9_-]{1,32}
    "wifi": {"ssid": "", "password": "", "country": None},
    "broker": {
        "host": None,  # required
        "port": 1883,
        "tls": False,  # True: TLS (port 8883 usually); needs "ca"
        "ca": None,  # file on the board (PEM): the CA that signed the broker's certificate
        "user": None,
        "password": None,
        "keepalive_s": 120,  # > window_s/0.75 means the frames alone keep the link alive (no pings)
        "puback_timeout_s": 10,
    },
    "sample_s": 10,  # seconds between samples of every sensor (kept to the millisecond)
    "window_s": 60,  # seconds per statistics window, at most 3600; a whole multiple of sample_s
    "send": "stats",  # "stats" | "raw" | "both"
    "format": "json",  # "json" | "binary" (stats frames; raw frames are always JSON)
    "legacy": "off",  # "off" | "raw" | "mean": also publish the original TOUCAN messages
    "onboard": True,  # the RP2040's own sensor on ADC 4, as sensor "temperature"
    "onewire_pin": 22,  # GPIO of the DS18B20 bus; None = no probes
    "probes": [],  # ROM codes (hex) in probe1, probe2... order; [] = the bus scan at boot, sorted
    # state thresholds per sensor name, "default" for the others; None disables a bound
    "thresholds": {
        "default": {
            "warn_high": 8.0, "alarm_high": 10.0,  # °C, on the window mean
            "warn_low": None, "alarm_low": None,
            "warn_slope": 0.5, "alarm_slope": 1.0,  # °C per minute rising
            "hysteresis": 0.5,  # °C: a level clears this far back inside its bound
            "slope_hysteresis": 0.1,  # °C per minute
        },
    },
    # frames waiting for the broker: RAM bound by count and bytes (a JSON window frame is ~250 B
    # per sensor, binary 24 B; 40 KB is ~2.5 h of 1-sensor JSON at 60 s windows); with "flash"
    # the overflow goes to flash in batches (flash_batch frames per file write, flash_files files)
    "ring": {"size": 720, "max_bytes": 40000, "flash": False, "flash_batch": 16, "flash_files": 64},
    "ntp": {"host": "pool.ntp.org", "interval_s": 21600},
    "wdt_ms": 8000,  # hardware watchdog; 0 = off (rp2 maximum 8388 ms)
    "backoff": {"base_ms": 1000, "max_ms": 60000, "jitter": 0.5},
    "debug": False,
}


class ConfigError(Exception):
    pass


def _merge(base, over, path):
    out = {}
    for k, v in base.items():
        out[k] = v
    for k, v in over.items():
        if k not in base:
            raise ConfigError("unknown key %s%s" % (path, k))
        if isinstance(base[k], dict) and k != "thresholds":
            if not isinstance(v, dict):
                raise ConfigError("%s%s must be an object" % (path, k))
            out[k] = _merge(base[k], v, path + k + ".")
        else:
            out[k] = v
    return out


def _ident(v):
    if not isinstance(v, str) or not 1 <= len(v) <= 32:
        return False
    for c in v:
        if not (c.isalpha() or c.isdigit() or c in "_-") or ord(c) > 127:
            return False
    return True


def _num(v):
    # a finite JSON number; True/False are ints in Python but not numbers in JSON, and 1e400
    # reads as inf (inf - inf and nan - nan are nan, not 0)
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v - v == 0


def _int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def sample_ms(sample_s):
    """The sample period the sampler keeps, in whole milliseconds (sample_s >= 1); mirrored by
    nodes/shared/board-config.ts sampleMs."""
    return int(sample_s * 1000 + 0.5)


def _text(v, n):
    return isinstance(v, str) and len(v) <= n


THRESHOLD_ORDER = (("warn_high", "alarm_high", 1), ("warn_low", "alarm_low", -1), ("warn_slope", "alarm_slope", 1))


def _check_block(name, b):
    for k, v in b.items():
        if k in ("hysteresis", "slope_hysteresis"):
            if not _num(v) or v < 0:
                raise ConfigError("thresholds.%s.%s must be a number >= 0" % (name, k))
        elif v is not None and not _num(v):
            raise ConfigError("thresholds.%s.%s must be a number or null" % (name, k))
    for w, a, sign in THRESHOLD_ORDER:
        if b[w] is not None and b[a] is not None and (b[a] - b[w]) * sign < 0:
            raise ConfigError("thresholds.%s.%s must not be %s %s" % (name, w, "above" if sign > 0 else "below", a))


def validate(cfg):
    """Raises ConfigError naming the first bad key. The checks of the remotely settable keys
    are mirrored by nodes/shared/board-config.ts (vectors: test/vectors/config.json)."""
    if not _ident(cfg["device"]):
        raise ConfigError("device must be 1-32 of A-Z a-z 0-9 _ -")
    if not _ident(cfg["site"]):
        raise ConfigError("site must be 1-32 of A-Z a-z 0-9 _ -")
    b = cfg["broker"]
    if not b["host"]:
        raise ConfigError("broker.host is required")
    if not _text(b["host"], 253):
        raise ConfigError("broker.host must be a host name or address")
    if not _int(b["port"]) or not 1 <= b["port"] <= 65535:
        raise ConfigError("broker.port must be an integer from 1 to 65535")
    if not isinstance(b["tls"], bool):
        raise ConfigError("broker.tls must be true or false")
    for k in ("user", "password"):
        if b[k] is not None and not _text(b[k], 128):
            raise ConfigError("broker.%s must be null or text of at most 128 characters" % k)
    if not _int(b["keepalive_s"]) or not 10 <= b["keepalive_s"] <= 65535:
        raise ConfigError("broker.keepalive_s must be an integer from 10 to 65535")
    if not _num(b["puback_timeout_s"]) or not 1 <= b["puback_timeout_s"] <= 120:
        raise ConfigError("broker.puback_timeout_s must be from 1 to 120")
    w = cfg["wifi"]
    if not _text(w["ssid"], 32):
        raise ConfigError("wifi.ssid must be text of at most 32 characters")
    if not _text(w["password"], 64):
        raise ConfigError("wifi.password must be text of at most 64 characters")
    # TLS without checking the broker's certificate would send the password to whoever answers
    if b["tls"] and not b["ca"]:
        raise ConfigError("broker.tls needs broker.ca: the CA certificate file (PEM) on the board")
    if b["ca"] and not b["tls"]:
        raise ConfigError("broker.ca is set but broker.tls is false")
    s, w = cfg["sample_s"], cfg["window_s"]
    # 1 s at least: a DS18B20 conversion takes 750 ms, and the watchdog needs samples to progress
    if not _num(s) or not 1 <= s <= 3600:
        raise ConfigError("sample_s must be a number from 1 to 3600")
    if not _int(w) or not s <= w <= 3600:
        raise ConfigError("window_s must be an integer from sample_s to 3600")
    # a window is a whole number of samples: sample_s must divide window_s (to the millisecond
    # the sampler keeps), or the window closed after them would not cover the window_s it is
    # labelled with (sample_s 7, window_s 60: 9 samples, 63 s)
    if (w * 1000) % sample_ms(s):
        raise ConfigError("window_s must be a whole multiple of sample_s")
    if cfg["send"] not in ("stats", "raw", "both"):
        raise ConfigError("send must be stats, raw or both")
    if cfg["format"] not in ("json", "binary"):
        raise ConfigError("format must be json or binary")
    if cfg["legacy"] not in ("off", "raw", "mean"):
        raise ConfigError("legacy must be off, raw or mean")
    if not isinstance(cfg["debug"], bool):
        raise ConfigError("debug must be true or false")
    if not _int(cfg["ring"]["size"]) or cfg["ring"]["size"] < 1:
        raise ConfigError("ring.size must be >= 1")
    th = cfg["thresholds"]
    if not isinstance(th, dict):
        raise ConfigError("thresholds must be an object")
    d = th.get("default", {})
    if not isinstance(d, dict):
        raise ConfigError("thresholds.default must be an object")
    # the site's "default" block over the built-in one, then each sensor's block over that
    base = _merge(DEFAULTS["thresholds"]["default"], d, "thresholds.default.")
    _check_block("default", base)
    full = {"default": base}
    for name, t in th.items():
        if name != "default":
            if not _ident(name):
                raise ConfigError("thresholds: a sensor name must be 1-32 of A-Z a-z 0-9 _ -")
            if not isinstance(t, dict):
                raise ConfigError("thresholds.%s must be an object" % name)
            full[name] = _merge(base, t, "thresholds." + name + ".")
            _check_block(name, full[name])
    cfg["thresholds"] = full
    return cfg


# Remote configuration (PROTOCOL.md "Remote configuration"): the keys a desired-config message
# may set. LIVE ones take effect at the next sample; LINK ones only after a test connection.
REMOTE_LIVE = ("sample_s", "window_s", "send", "format", "legacy", "debug", "thresholds")
REMOTE_LINK = ("wifi", "broker")
SECRETS = (("wifi", "password"), ("broker", "password"))


def check_remote(over, tls):
    """Raises ConfigError for a key a remote config may not set, or a secret sent without TLS."""
    if not isinstance(over, dict):
        raise ConfigError("config must be an object")
    for k in over:
        if k in ("device", "site"):
            raise ConfigError("%s is the board's identity: set it in config.json" % k)
        if k not in REMOTE_LIVE and k not in REMOTE_LINK:
            if k in DEFAULTS:
                raise ConfigError("%s is set in config.json only" % k)
            raise ConfigError("unknown key %s" % k)
        if k != "thresholds" and isinstance(DEFAULTS[k], dict) and not isinstance(over[k], dict):
            raise ConfigError("%s must be an object" % k)
    if not tls:
        for a, b in SECRETS:
            if b in over.get(a, {}):
                raise ConfigError("%s.%s is sent only over TLS" % (a, b))


def layer(site, over):
    """The site's config.json object with a remote overlay on top: wifi and broker key by key,
    thresholds block by block and key by key, anything else replaced."""
    out = {}
    for k, v in site.items():
        out[k] = v
    for k, v in over.items():
        cur = out.get(k)
        if isinstance(v, dict) and isinstance(cur, dict):
            m = {}
            for kk, vv in cur.items():
                m[kk] = vv
            for kk, vv in v.items():
                c2 = m.get(kk)
                if k == "thresholds" and isinstance(vv, dict) and isinstance(c2, dict):
                    b = {}
                    for k3, v3 in c2.items():
                        b[k3] = v3
                    for k3, v3 in vv.items():
                        b[k3] = v3
                    vv = b
                m[kk] = vv
            v = m
        out[k] = v
    return out


def build(site, over=None, tls=False):
    """site = the parsed config.json object, over = a remote overlay (or None) -> full config.
    Raises ConfigError naming the first problem."""
    if not isinstance(site, dict):
        raise ConfigError("config.json must hold an object")
    if over is not None:
        check_remote(over, tls)
        site = layer(site, over)
    return validate(_merge(DEFAULTS, site, ""))


def settings(cfg):
    """What a board reports of its effective remotely settable config (no secrets)."""
    out = {}
    for k in REMOTE_LIVE:
        out[k] = cfg[k]
    out["wifi"] = {"ssid": cfg["wifi"]["ssid"]}
    b = cfg["broker"]
    out["broker"] = {"host": b["host"], "port": b["port"], "tls": b["tls"]}
    return out


def read_site(text):
    """config.json text -> its object (not yet merged or checked). Raises ConfigError."""
    try:
        site = json.loads(text)
    except ValueError:
        raise ConfigError("config.json is not valid JSON")
    if not isinstance(site, dict):
        raise ConfigError("config.json must hold an object")
    return site


def parse(text):
    """config.json text -> full config dict (defaults filled in). Raises ConfigError."""
    return build(read_site(text))


def load_site(path=CONFIG_PATH):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ConfigError("no %s on the board: copy config.example.json, edit it, mpremote cp it" % path)
    return read_site(text)


def load(path=CONFIG_PATH):
    return build(load_site(path))
