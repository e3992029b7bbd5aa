# Host only (sim/pico-host.js): the parts of the rp2 `machine` module the firmware uses.
import _pico_host as _h


class ADC:
    CORE_TEMP = 4

    def __init__(self, ch):
        self._ch = ch if isinstance(ch, int) else 0

    def read_u16(self):
        return _h.adcRaw(self._ch)


class Pin:
    IN = 0
    OUT = 1
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, pin, mode=-1, pull=-1, value=None):
        if pin == "LED" and not _h.ledAvailable():
            raise ValueError("no LED")  # createPico({ led: false }): a board without its LED
        self._id = pin
        self._v = 0
        if value is not None:
            self.value(value)

    def value(self, v=None):
        if v is None:
            return self._v
        self._v = 1 if v else 0
        if self._id == "LED":
            _h.ledSet(self._v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def toggle(self):
        self.value(0 if self._v else 1)

    def __call__(self, v=None):
        return self.value(v)


class WDT:
    def __init__(self, id=0, timeout=5000):
        _h.wdtInit(timeout)

    def feed(self):
        _h.wdtFeed()


class RTC:
    def datetime(self, dt=None):
        import time
        t = time.localtime()
        return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)


def reset():
    _h.reset("machine.reset()")
    raise SystemExit


def unique_id():
    return b"\xe6\x61\x41\x04\x03\x2b\x51\x2a"


def freq(f=None):
    return 125000000
