# Host only (sim/pico-host.js): network.WLAN as the host's hardware.wifiUp() says.
import _pico_host as _h

STA_IF = 0
AP_IF = 1
STAT_IDLE = 0
STAT_CONNECTING = 1
STAT_WRONG_PASSWORD = -3
STAT_NO_AP_FOUND = -2
STAT_CONNECT_FAIL = -1
STAT_GOT_IP = 3


def hostname(name=None):
    return "picow"


class WLAN:
    def __init__(self, iface=STA_IF):
        self._active = False
        self._net = None  # (ssid, key) of the last connect(); None after disconnect()

    def active(self, v=None):
        if v is None:
            return self._active
        self._active = bool(v)

    def connect(self, ssid=None, key=None, **kw):
        self._active = True
        self._net = (ssid, key)

    def disconnect(self):
        self._net = None

    def isconnected(self):
        # joined only with credentials the host's network accepts (hardware.wifiJoin)
        return self._active and self._net is not None and _h.wifiUp() and _h.wifiJoin(self._net[0], self._net[1])

    def status(self, param=None):
        if param == "rssi":
            return _h.rssi()
        return STAT_GOT_IP if self.isconnected() else STAT_CONNECTING

    def ifconfig(self, cfg=None):
        return ("10.0.0.42", "255.255.255.0", "10.0.0.1", "10.0.0.1")

    def config(self, *a, **kw):
        if a and a[0] == "mac":
            return b"\x28\xcd\xc1\x00\x00\x01"
        return None
