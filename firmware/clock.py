# Firmware time in one place: uptime that survives ticks wrap-around, Unix time once NTP has set
# the clock, and the (ts, synced) stamp frames carry (PROTOCOL.md: seconds since boot until synced).
#
# Stamps come from uptime, not from time.time(): on the Pico time.time() counts whole seconds, so
# "time.time() - how late the window closed" dropped a varying fraction and two window ends 60 s
# apart could be stamped 59 or 61 s apart. Instead set_synced() records, at each NTP sync, the Unix
# time of uptime 0 in ms (_offset_ms); a stamp is (uptime of the instant + _offset_ms), rounded to
# the second. Instants a whole number of seconds apart are then stamped exactly that far apart.
import time

_last = time.ticks_ms()
_up_ms = 0
synced = False  # True once set_synced() has run (link.py, after a successful ntptime.settime())
_offset_ms = 0  # Unix ms at uptime 0, valid once synced


def ticks_ms():
    return time.ticks_ms()


def ticks_diff(a, b):
    return time.ticks_diff(a, b)


def ticks_add(a, b):
    return time.ticks_add(a, b)


def uptime_ms():
    """ms since boot; call at least every ~6 days (ticks wrap at 2**30 ms on rp2)."""
    global _last, _up_ms
    now = time.ticks_ms()
    _up_ms += time.ticks_diff(now, _last)
    _last = now
    return _up_ms


def _unix_ms():
    try:
        return time.time_ns() // 1000000
    except AttributeError:  # a port without time_ns
        return int(time.time() * 1000)


def set_synced():
    """Records the Unix offset of uptime; call right after every successful ntptime.settime().

    The first sync takes the offset as measured. ntptime sets whole seconds and time.time() reads
    whole seconds on the Pico, so two measurements of a clock that is right differ by up to a
    second: a re-sync that lands within a second of the current offset keeps it, one further off
    (the clock drifted or was wrong) moves it by the nearest whole seconds. Stamps thus keep their
    phase and windows stay exactly window_s apart, except across a real correction."""
    global synced, _offset_ms
    off = _unix_ms() - uptime_ms()
    if synced:
        d = off - _offset_ms
        off = _offset_ms if -1000 < d < 1000 else _offset_ms + (d + 500) // 1000 * 1000
    _offset_ms = off
    synced = True


def stamp(at_ms=None):
    """(ts, synced) of the instant at uptime at_ms (default now), rounded to the second: Unix
    seconds once synced, else seconds since boot. main.py passes a window's scheduled end."""
    if at_ms is None:
        at_ms = uptime_ms()
    if synced:
        return (at_ms + _offset_ms + 500) // 1000, True
    return (at_ms + 500) // 1000, False


def localtime():
    return time.localtime()
