# Host only (sim/pico-host.js): the part of MicroPython's ssl module the firmware uses. The
# context only records what the firmware asked for; _hostnet.open_connection hands it to the
# host's TLS (Node's tls), which checks the broker's certificate and host name as mbedTLS does.
PROTOCOL_TLS_CLIENT = 0
PROTOCOL_TLS_SERVER = 1
CERT_NONE = 0
CERT_OPTIONAL = 1
CERT_REQUIRED = 2


class SSLContext:
    def __init__(self, protocol=PROTOCOL_TLS_CLIENT):
        self.verify_mode = CERT_NONE  # as MicroPython's ssl.SSLContext
        self.cadata = None

    def load_verify_locations(self, cafile=None, cadata=None):
        if cafile:
            with open(cafile, "rb") as f:
                cadata = f.read()
        self.cadata = cadata.encode() if isinstance(cadata, str) else bytes(cadata)
