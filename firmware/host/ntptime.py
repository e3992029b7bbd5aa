# Host only (sim/pico-host.js): ntptime; the instance's clock is already the host's (scaled) clock.
import _pico_host as _h

host = "pool.ntp.org"
timeout = 1


def time():
    if not _h.ntpOk():
        raise OSError(110)
    return _h.epochS()


def settime():
    time()
