# Host only (sim/pico-host.js): a 1-Wire bus holding the host's simulated DS18B20 probes.
import _pico_host as _h
import binascii


class OneWireError(Exception):
    pass


class OneWire:
    def __init__(self, pin):
        self.pin = pin

    def reset(self, required=False):
        ok = _h.probeCount() > 0
        if required and not ok:
            raise OneWireError
        return ok

    def scan(self):
        out = []
        for i in range(_h.probeCount()):
            rom = _h.probeRom(i)
            # an unplugged probe does not answer the search
            if _h.probeRead(rom) is not None:
                out.append(bytearray(binascii.unhexlify(rom)))
        return out
