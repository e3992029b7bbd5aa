# Host only (sim/pico-host.js): asyncio.open_connection over the host's TCP sockets.
# The WebAssembly port's asyncio has no streams; this gives the board's stream API (read,
# readexactly, readline, write, drain, close, wait_closed) on top of JS promises.
import asyncio
import binascii
import _pico_host as _h


class Stream:
    def __init__(self, sid):
        self._sid = sid
        self._buf = b""
        self._pending = None  # JS promise of the next chunk, kept if a read is cancelled
        self._out = []
        self._eof = False

    async def _fill(self):
        if self._eof:
            return False
        if self._pending is None:
            self._pending = _h.tcpRead(self._sid)
        d = await self._pending
        self._pending = None
        if d is None:
            self._eof = True
            return False
        self._buf += bytes(d)
        return True

    async def read(self, n=-1):
        while not self._buf:
            if not await self._fill():
                return b""
        if n < 0 or n >= len(self._buf):
            d, self._buf = self._buf, b""
        else:
            d, self._buf = self._buf[:n], self._buf[n:]
        return d

    async def readexactly(self, n):
        while len(self._buf) < n:
            if not await self._fill():
                raise EOFError
        d, self._buf = self._buf[:n], self._buf[n:]
        return d

    async def readline(self):
        while b"\n" not in self._buf:
            if not await self._fill():
                d, self._buf = self._buf, b""
                return d
        i = self._buf.index(b"\n") + 1
        d, self._buf = self._buf[:i], self._buf[i:]
        return d

    def write(self, buf):
        self._out.append(bytes(buf))

    async def drain(self):
        if not self._out:
            return
        data = b"".join(self._out)
        self._out = []
        r = await _h.tcpWrite(self._sid, binascii.hexlify(data).decode())
        if r < 0:
            raise OSError(-r)

    def close(self):
        _h.tcpClose(self._sid)
        self._eof = True

    async def wait_closed(self):
        pass


async def open_connection(host, port, ssl=None, server_hostname=None):
    # TLS mode for the host: 0 plain, 1 unchecked (ssl=True or CERT_NONE), 2 checked with the CA
    mode, ca = 0, ""
    if ssl:
        mode = 2 if getattr(ssl, "verify_mode", 0) == 2 else 1
        if mode == 2:
            ca = binascii.hexlify(ssl.cadata or b"").decode()
    r = await _h.tcpOpen(host, port, mode, ca, server_hostname or host)
    if r == -0x2700:  # a refused certificate: what mbedTLS raises on the board
        raise OSError(r, "MBEDTLS_ERR_X509_CERT_VERIFY_FAILED")
    if r < 0:
        raise OSError(-r)
    s = Stream(r)
    return s, s


asyncio.open_connection = open_connection
asyncio.StreamReader = Stream
asyncio.StreamWriter = Stream
