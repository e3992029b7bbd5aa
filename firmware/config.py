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
    "sample_s": 10,  # seconds between samples of every sensor
    "window_s": 60,  # seconds per statistics window, at most 3600
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


def validate(cfg):
    """Raises ConfigError naming the first bad key."""
    if not _ident(cfg["device"]):
        raise ConfigError("device must be 1-32 of A-Z a-z 0-9 _ -")
    if not _ident(cfg["site"]):
        raise ConfigError("site must be 1-32 of A-Z a-z 0-9 _ -")
    b = cfg["broker"]
    if not b["host"]:
        raise ConfigError("broker.host is required")
    # TLS without checking the broker's certificate would send the password to whoever answers
    if b["tls"] and not b["ca"]:
        raise ConfigError("broker.tls needs broker.ca: the CA certificate file (PEM) on the board")
    if b["ca"] and not b["tls"]:
        raise ConfigError("broker.ca is set but broker.tls is false")
    s, w = cfg["sample_s"], cfg["window_s"]
    if not isinstance(s, (int, float)) or s <= 0:
        raise ConfigError("sample_s must be > 0")
    if not isinstance(w, int) or not s <= w <= 3600:
        raise ConfigError("window_s must be an integer from sample_s to 3600")
    if cfg["send"] not in ("stats", "raw", "both"):
        raise ConfigError("send must be stats, raw or both")
    if cfg["format"] not in ("json", "binary"):
        raise ConfigError("format must be json or binary")
    if cfg["legacy"] not in ("off", "raw", "mean"):
        raise ConfigError("legacy must be off, raw or mean")
    if not isinstance(cfg["ring"]["size"], int) or cfg["ring"]["size"] < 1:
        raise ConfigError("ring.size must be >= 1")
    th = cfg["thresholds"]
    if not isinstance(th, dict):
        raise ConfigError("thresholds must be an object")
    # the site's "default" block over the built-in one, then each sensor's block over that
    base = _merge(DEFAULTS["thresholds"]["default"], th.get("default", {}), "thresholds.default.")
    full = {"default": base}
    for name, t in th.items():
        if name != "default":
            if not isinstance(t, dict):
                raise ConfigError("thresholds.%s must be an object" % name)
            full[name] = _merge(base, t, "thresholds." + name + ".")
    cfg["thresholds"] = full
    return cfg


def parse(text):
    """config.json text -> full config dict (defaults filled in). Raises ConfigError."""
    try:
        site = json.loads(text)
    except ValueError:
        raise ConfigError("config.json is not valid JSON")
    if not isinstance(site, dict):
        raise ConfigError("config.json must hold an object")
    return validate(_merge(DEFAULTS, site, ""))


def load(path=CONFIG_PATH):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ConfigError("no %s on the board: copy config.example.json, edit it, mpremote cp it" % path)
    return parse(text)
