# Firmware time in one place: uptime that survives ticks wrap-around, Unix time once NTP has set
# the clock, and the (ts, synced) stamp frames carry (PROTOCOL.md: seconds since boot until synced).
import time

_last = time.ticks_ms()
_up_ms = 0
synced = False  # set by link.py after a successful ntptime.settime()


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


def stamp(ago_ms=0):
    """(ts, synced) of the instant `ago_ms` before now (a window's scheduled end)."""
    if synced:
        return int(time.time() - ago_ms / 1000 + 0.5), True
    return (uptime_ms() - ago_ms + 500) // 1000, False


def localtime():
    return time.localtime()
