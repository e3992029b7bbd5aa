# Board I/O: the onboard temperature sensor (ADC 4), DS18B20 probes on a 1-Wire pin, the LED and
# the hardware watchdog. The only module besides link.py that touches `machine`.
import machine

try:
    import asyncio
except ImportError:  # MicroPython < 1.21
    import uasyncio as asyncio

ADC_TEMP_CHANNEL = 4
ADC_VREF = 3.3  # V
CONVERT_MS = 750  # DS18B20 12-bit conversion time
POWER_ON_C = 85.0  # DS18B20 scratchpad value before any conversion: not a reading


def onboard_celsius(raw):
    """RP2040 sensor on ADC 4: V = raw * 3.3 / 65535, T = 27 - (V - 0.706) / 0.001721 (°C)."""
    v = raw * ADC_VREF / 65535
    return 27 - (v - 0.706) / 0.001721


def rom_hex(rom):
    return "".join("%02x" % b for b in rom)


class Sensors:
    """Reads every configured sensor; a failing probe gives None and a fault text, not an exception."""

    def __init__(self, cfg, log=print):
        self.log = log
        self.adc = machine.ADC(ADC_TEMP_CHANNEL) if cfg["onboard"] else None
        self.ds = None
        self.roms = []  # bytes ROM per probe, index 0 = probe1
        self.faults = {}  # sensor name -> fault text of its last failed read
        pin = cfg["onewire_pin"]
        if pin is not None:
            try:
                import onewire
                import ds18x20
                self.ds = ds18x20.DS18X20(onewire.OneWire(machine.Pin(pin)))
                if cfg["probes"]:
                    self.roms = [bytes([int(h[i:i + 2], 16) for i in range(0, 16, 2)]) for h in cfg["probes"]]
                else:
                    self.roms = sorted(bytes(r) for r in self.ds.scan())
                for i, r in enumerate(self.roms):
                    log("probe%d = %s" % (i + 1, rom_hex(r)))
            except Exception as e:  # no bus or driver: the onboard sensor still works
                log("1-Wire bus on GPIO %s unusable: %r" % (pin, e))
                self.ds = None
        self.names = (["temperature"] if self.adc else []) + ["probe%d" % (i + 1) for i in range(len(self.roms))]

    async def read(self):
        """{name: °C or None}; a None has its reason in self.faults[name]."""
        out = {}
        self.faults = {}
        if self.adc:
            out["temperature"] = onboard_celsius(self.adc.read_u16())
        if self.ds and self.roms:
            try:
                self.ds.convert_temp()
                await asyncio.sleep_ms(CONVERT_MS)
                bus_ok = True
            except Exception:
                bus_ok = False
            for i, rom in enumerate(self.roms):
                name = "probe%d" % (i + 1)
                if not bus_ok:
                    out[name] = None
                    self.faults[name] = "no-bus"
                    continue
                try:
                    v = self.ds.read_temp(rom)
                except Exception:  # CRC error / no presence: unplugged or broken cable
                    v = None
                if v is None or v != v or v == POWER_ON_C:
                    out[name] = None
                    self.faults[name] = "no-answer"
                else:
                    out[name] = v
        return out


class Led:
    def __init__(self):
        try:
            self.pin = machine.Pin("LED", machine.Pin.OUT)
        except Exception:  # no onboard LED pin in this build
            self.pin = None
        self.available = self.pin is not None

    def set(self, on):
        if self.pin:
            self.pin.value(1 if on else 0)


class Watchdog:
    """machine.WDT, or nothing when timeout_ms is 0 (it cannot be stopped once started)."""

    def __init__(self, timeout_ms):
        self.wdt = machine.WDT(timeout=min(timeout_ms, 8388)) if timeout_ms else None

    def feed(self):
        if self.wdt:
            self.wdt.feed()


def reset():
    machine.reset()
