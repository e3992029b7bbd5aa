# Wire encoders (PROTOCOL.md): JSON frame v1 (canonical text, byte for byte what
# nodes/shared/codec.ts encodeJsonFrame writes), binary frame v1, the legacy TOUCAN message.
import struct
from math import floor

BINARY_VERSION = 1
RECORD_BYTES = 24
_I16_NULL = -0x8000
_U16_NULL = 0xFFFF
_STATE_NONE = 3
# binary sensor kinds, index = kind (PROTOCOL.md "Sensor kinds")
KINDS = (("temperature", "°C"), ("probe", "°C"), ("humidity", "%"), ("door", None))


def round_half_away(x):
    """Round half away from zero to an int (the rule both codecs share)."""
    return -int(floor(-x + 0.5)) if x < 0 else int(floor(x + 0.5))


def _finite(x):
    return x is not None and x == x and x not in (float("inf"), float("-inf"))


def num4(x):
    """A number as JSON text with at most 4 decimals, rounded half away from zero.

    Built from integers so the text does not depend on the float repr (the Pico's single
    precision floats print differently from the host's doubles)."""
    if not _finite(x):
        return "null"
    if isinstance(x, int):
        return str(x)
    n = round_half_away(x * 10000)
    if n == 0:
        return "0"
    sign = "-" if n < 0 else ""
    ip, fp = divmod(abs(n), 10000)
    if fp == 0:
        return sign + str(ip)
    return sign + str(ip) + "." + ("%04d" % fp).rstrip("0")


def _jstr(s):
    # JSON string; ids are restricted to [A-Za-z0-9_-], units and faults are short literals.
    # Non-ASCII (°) is written as UTF-8, like JSON.stringify.
    out = '"'
    for c in s:
        if c == '"' or c == "\\":
            out += "\\" + c
        elif ord(c) < 0x20:
            out += "\\u%04x" % ord(c)
        else:
            out += c
    return out + '"'


def encode_json(fr):
    """Canonical JSON v1 text of a frame dict (PROTOCOL.md "JSON frame v1")."""
    parts = ['{"v":1']
    if fr.get("device") is not None:
        parts.append(',"device":' + _jstr(fr["device"]))
    if fr.get("site") is not None:
        parts.append(',"site":' + _jstr(fr["site"]))
    parts.append(',"seq":%d,"ts":%d,"synced":%s,"window":%d,"sensors":[' % (
        fr["seq"], fr["ts"], "true" if fr.get("synced", True) else "false", fr["window"]))
    first = True
    for s in fr["sensors"]:
        p = ('{"sensor":' if first else ',{"sensor":') + _jstr(s["sensor"])
        first = False
        if s.get("unit") is not None:
            p += ',"unit":' + _jstr(s["unit"])
        p += ',"count":%d' % s["count"]
        for k in ("min", "max", "mean", "std", "slope", "last"):
            p += ',"' + k + '":' + num4(s.get(k))
        if s.get("state") is not None:
            p += ',"state":%d' % s["state"]
        if s.get("fault") is not None:
            p += ',"fault":' + _jstr(s["fault"])
        parts.append(p + "}")
    parts.append("]}")
    return "".join(parts)


def sensor_code(name):
    """Sensor name -> binary sensor byte, or None when the name has no binary code."""
    for kind in range(len(KINDS)):
        base = KINDS[kind][0]
        if name == base:
            return kind << 5
        if name.startswith(base):
            rest = name[len(base):]
            if rest.isdigit() and rest[0] != "0" and len(rest) <= 2 and int(rest) <= 31:
                return (kind << 5) | int(rest)
    return None


def unit_of(name):
    code = sensor_code(name)
    return None if code is None else KINDS[code >> 5][1]


def _scaled(v, scale, lo, hi, null):
    if not _finite(v):
        return null
    n = round_half_away(v * scale)
    return lo if n < lo else hi if n > hi else n


def encode_binary(fr):
    """Binary v1: one 24-byte little-endian record per sensor. ValueError for a name without code."""
    out = bytearray(RECORD_BYTES * len(fr["sensors"]))
    head = (BINARY_VERSION << 4) | (0x08 if fr.get("synced", True) else 0)
    for i, s in enumerate(fr["sensors"]):
        code = sensor_code(s["sensor"])
        if code is None:
            raise ValueError("sensor %s has no binary code" % s["sensor"])
        st = s.get("state")
        struct.pack_into("<BBHIHHhhhhHh", out, i * RECORD_BYTES,
                         head | (_STATE_NONE if st is None else st), code,
                         fr["seq"] & 0xFFFF, fr["ts"] & 0xFFFFFFFF, fr["window"],
                         min(s["count"], 0xFFFF),
                         _scaled(s.get("min"), 100, -32767, 32767, _I16_NULL),
                         _scaled(s.get("max"), 100, -32767, 32767, _I16_NULL),
                         _scaled(s.get("mean"), 100, -32767, 32767, _I16_NULL),
                         _scaled(s.get("last"), 100, -32767, 32767, _I16_NULL),
                         _scaled(s.get("std"), 100, 0, 65534, _U16_NULL),
                         _scaled(s.get("slope"), 1000, -32767, 32767, _I16_NULL))
    return bytes(out)


# legacy TOUCAN (the original system): sensor names as the original called them
_LEGACY_SENSOR = {"humidity": "humidite"}


def legacy_datetime(tm, frac=None):
    """The original boards' hand-made date: no zero padding, optional fractional seconds."""
    s = "%d-%d-%d %d:%d:%d" % (tm[0], tm[1], tm[2], tm[3], tm[4], tm[5])
    if frac:
        s += ("%.2f" % frac)[1:]
    return s


def legacy_metric(window_s):
    """'brute' for a raw sample, else moy_<n>_min or moy_<n>_sec."""
    if window_s == 0:
        return "brute"
    if window_s % 60 == 0:
        return "moy_%d_min" % (window_s // 60)
    return "moy_%d_sec" % window_s


def encode_legacy(datetime, node, sensor, metric, value):
    """One TOUCAN message: {"datetime","noeud","capteur","metrique","valeur"}."""
    base = sensor
    code = sensor_code(sensor)
    if code is not None and code >> 5 == 0:
        base = "temperature"
    capteur = _LEGACY_SENSOR.get(base, sensor)
    return '{"datetime":%s,"noeud":%s,"capteur":%s,"metrique":%s,"valeur":%s}' % (
        _jstr(datetime), _jstr(node), _jstr(capteur), _jstr(metric), num4(value))
