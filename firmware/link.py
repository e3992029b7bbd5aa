# The board's link: Wi-Fi, NTP, and a small asyncio MQTT 3.1.1 client (QoS 1 with PUBACK timeout,
# persistent session, retained last will and birth, keepalive) with reconnect backoff and jitter.
#
# Why our own client: umqtt.simple blocks on socket reads and mqtt_as polls a raw socket with its
# own Wi-Fi handling; neither runs over asyncio streams, which is what lets the same code run on
# the board (asyncio.open_connection) and in the WebAssembly host (streams over Node sockets).
import random
import struct

import network

try:
    import asyncio
except ImportError:
    import uasyncio as asyncio

import clock

WIFI_TIMEOUT_MS = 20000
CONNACK_TIMEOUT_MS = 10000
BIRTH_TOPIC_KIND = "status"
# mbedTLS's MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, as OSError's errno when the broker's
# certificate is not signed by our CA or does not name the host we connect to
CERT_VERIFY_FAILED = -0x2700


def tls_context(ca_path):
    """A TLS client context that accepts only a broker certificate signed by the CA in ca_path
    (PEM) and naming the host the board connects to (mbedTLS checks both in the handshake)."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED  # MicroPython's default is CERT_NONE
    with open(ca_path, "rb") as f:
        ctx.load_verify_locations(cadata=f.read())
    return ctx


CONFIG_TOPIC_KIND = "config"
MAX_IN_BYTES = 4096  # a message to us above this is skipped unread (RAM), and reported as too large


def backoff_ms(attempt, base_ms, max_ms, jitter, rnd=random.random):
    """Delay before reconnect attempt `attempt` (0 = first retry): base * 2**attempt capped at
    max_ms, minus up to `jitter` (0..1) of it at random so a fleet does not reconnect in step."""
    d = base_ms << min(attempt, 24)
    if d > max_ms:
        d = max_ms
    return int(d - d * jitter * rnd())


class MQTTError(Exception):
    pass


def _varlen(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _s(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


class MQTTClient:
    """MQTT 3.1.1 over asyncio streams; one QoS 1 publish in flight at a time."""

    def __init__(self, client_id, host, port=1883, ssl=None, user=None, password=None,
                 keepalive_s=60, will=None, puback_timeout_ms=10000, clean=False):
        self.client_id = client_id
        self.clean = clean
        self.on_message = None  # callable(topic str, payload bytes | None when too large)
        self.host = host
        self.port = port
        self.ssl = ssl
        self.user = user
        self.password = password
        self.keepalive_s = keepalive_s
        self.will = will  # (topic, message, qos, retain)
        self.puback_timeout_ms = puback_timeout_ms
        self.up = False
        self.session_present = False
        self._r = self._w = None
        self._pid = 0
        self._ack_pid = None
        self._ack = asyncio.Event()
        self._connack = asyncio.Event()
        self._connack_body = None
        self._lock = asyncio.Lock()
        self._reader_task = None
        self.last_rx = clock.ticks_ms()
        self.last_tx = clock.ticks_ms()
        self.bytes_out = 0

    async def connect(self):
        try:
            await self._connect()
        except OSError as e:
            # the handshake runs in open_connection (host) or at the first write (board)
            if self.ssl and e.args and e.args[0] == CERT_VERIFY_FAILED:
                self.close()
                raise MQTTError("TLS: broker certificate refused (not from broker.ca, or not for %s)" % self.host)
            raise

    async def _connect(self):
        self._r, self._w = await asyncio.open_connection(self.host, self.port, ssl=self.ssl)
        flags = 0x02 if self.clean else 0x00  # clean session off: the broker keeps our session (PROTOCOL.md)
        body = _s("MQTT") + bytes((4,))
        payload = _s(self.client_id)
        if self.will:
            topic, msg, qos, retain = self.will
            flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
            payload += _s(topic) + _s(msg)
        if self.user:
            flags |= 0x80
            payload += _s(self.user)
            if self.password:
                flags |= 0x40
                payload += _s(self.password)
        body += bytes((flags,)) + struct.pack("!H", self.keepalive_s) + payload
        self._connack.clear()
        self._connack_body = None
        self.up = True
        self._reader_task = asyncio.create_task(self._reader())
        await self._send(0x10, body)
        try:
            await asyncio.wait_for_ms(self._connack.wait(), CONNACK_TIMEOUT_MS)
        except asyncio.TimeoutError:
            self.close()
            raise MQTTError("no CONNACK")
        b = self._connack_body
        if not b or len(b) < 2 or b[1] != 0:
            self.close()
            raise MQTTError("connection refused, code %s" % (b[1] if b and len(b) > 1 else "?"))
        self.session_present = bool(b[0] & 1)

    async def _send(self, header, body):
        pkt = bytes((header,)) + _varlen(len(body)) + body
        async with self._lock:
            if not self.up or not self._w:
                raise MQTTError("not connected")
            self._w.write(pkt)
            await self._w.drain()
        self.bytes_out += len(pkt)
        self.last_tx = clock.ticks_ms()

    async def _reader(self):
        try:
            while self.up:
                h = (await self._r.readexactly(1))[0]
                n = 0
                shift = 0
                while True:
                    b = (await self._r.readexactly(1))[0]
                    n |= (b & 0x7F) << shift
                    shift += 7
                    if not b & 0x80:
                        break
                kind = h & 0xF0
                if kind == 0x30 and n > MAX_IN_BYTES:
                    await self._skip_publish(h, n)
                    continue
                body = await self._r.readexactly(n) if n else b""
                self.last_rx = clock.ticks_ms()
                if kind == 0x20:  # CONNACK
                    self._connack_body = body
                    self._connack.set()
                elif kind == 0x40:  # PUBACK
                    if struct.unpack("!H", body[:2])[0] == self._ack_pid:
                        self._ack.set()
                elif kind == 0x30:  # a PUBLISH to us (our config topic): hand it on, acknowledge
                    tl = struct.unpack("!H", body[:2])[0]
                    q = (h >> 1) & 3
                    self._deliver(body[2:2 + tl], body[2 + tl + (2 if q else 0):])
                    if q:
                        await self._send(0x40 if q == 1 else 0x50, body[2 + tl:4 + tl])
        except Exception:
            pass
        self.up = False
        self._ack.set()  # wake a waiting publish: it sees up == False
        self._connack.set()

    def _deliver(self, topic, payload):
        if self.on_message:
            try:
                self.on_message(bytes(topic).decode(), payload)
            except Exception as e:  # a handler's bug must not take the link down
                print("on_message: %r" % e)

    async def _skip_publish(self, h, n):
        # reads past a too large PUBLISH in small pieces; still acknowledged, reported as None
        tl = struct.unpack("!H", await self._r.readexactly(2))[0]
        q = (h >> 1) & 3
        head = await self._r.readexactly(tl + (2 if q else 0))
        left = n - 2 - len(head)
        while left > 0:
            left -= len(await self._r.readexactly(min(left, 256)))
        self.last_rx = clock.ticks_ms()
        self._deliver(head[:tl], None)
        if q:
            await self._send(0x40 if q == 1 else 0x50, head[tl:])

    async def subscribe(self, topic, qos=1):
        """Sends a SUBSCRIBE (the SUBACK is not awaited: messages arrive through on_message)."""
        self._pid = self._pid % 65535 + 1
        await self._send(0x82, struct.pack("!H", self._pid) + _s(topic) + bytes((qos,)))

    async def publish(self, topic, payload, qos=1, retain=False):
        """Sends a PUBLISH; with QoS 1 returns once PUBACKed, raises MQTTError on timeout or loss."""
        if isinstance(payload, str):
            payload = payload.encode()
        h = 0x30 | (qos << 1) | (1 if retain else 0)
        body = _s(topic)
        if qos:
            self._pid = self._pid % 65535 + 1
            self._ack_pid = self._pid
            self._ack.clear()
            body += struct.pack("!H", self._pid)
        await self._send(h, body + payload)
        if not qos:
            return
        try:
            await asyncio.wait_for_ms(self._ack.wait(), self.puback_timeout_ms)
        except asyncio.TimeoutError:
            raise MQTTError("no PUBACK")
        finally:
            self._ack_pid = None
        if not self.up:
            raise MQTTError("connection lost")

    async def ping(self):
        await self._send(0xC0, b"")

    async def disconnect(self):
        try:
            await self._send(0xE0, b"")
        except Exception:
            pass
        self.close()

    def close(self):
        self.up = False
        w = self._w
        self._w = None
        if w:
            try:
                w.close()
            except Exception:
                pass
            # MicroPython's Stream.close() does nothing; the socket is closed by
            # wait_closed(), which is async: close the socket itself so none leaks
            s = getattr(w, "s", None)
            if s:
                try:
                    s.close()
                except Exception:
                    pass
        if self._reader_task:
            try:
                self._reader_task.cancel()
            except Exception:
                pass
            self._reader_task = None
        self._ack.set()


class Link:
    """Keeps Wi-Fi and MQTT up and drains the ring to the broker, oldest frame first."""

    def __init__(self, cfg, ring, log=print):
        self.cfg = cfg
        self.ring = ring
        self.log = log
        self.wlan = network.WLAN(network.STA_IF)
        self.client = None
        self.wifi_up = False
        self.connected = False
        self.kick = asyncio.Event()  # set when a frame is queued
        self.published = 0
        self.replayed = 0
        self.connects = 0
        self.failures = 0
        self.attempt = 0
        self.birth_extra = None  # callable -> dict merged into the birth message
        self._tls = None  # the TLS context, made once (parsing the CA costs RAM and time)
        self.on_config = None  # callable(payload) for messages on our config topic (remote.py)
        self.status_gen = 0  # +1 per status (re)publication asked for; status_sent = last sent
        self.status_sent = 0
        self.last_error = None  # why the link last went down (remote.py reports it)
        self._ntp_at = None
        base = "picochain/%s/%s/" % (cfg["site"], cfg["device"])
        self.status_topic = base + BIRTH_TOPIC_KIND
        self.config_topic = base + CONFIG_TOPIC_KIND

    async def _wifi(self):
        if self.wlan.isconnected():
            self.wifi_up = True
            return True
        self.wifi_up = False
        w = self.cfg["wifi"]
        self.wlan.active(True)
        try:
            self.wlan.connect(w["ssid"], w["password"])
        except Exception as e:
            self.log("wifi connect: %r" % e)
        t0 = clock.ticks_ms()
        while clock.ticks_diff(clock.ticks_ms(), t0) < WIFI_TIMEOUT_MS:
            if self.wlan.isconnected():
                self.wifi_up = True
                self.log("wifi up %s" % (self.wlan.ifconfig()[0],))
                return True
            await asyncio.sleep_ms(250)
        return False

    def _ntp(self):
        due = self._ntp_at is None or clock.ticks_diff(clock.ticks_ms(), self._ntp_at) >= 0
        if not due:
            return
        try:
            import ntptime
            ntptime.host = self.cfg["ntp"]["host"]
            ntptime.settime()
            if not clock.synced:
                self.log("clock set by NTP")
            clock.set_synced()  # every time: the stamps' Unix offset follows the new setting
            self._ntp_at = clock.ticks_add(clock.ticks_ms(), self.cfg["ntp"]["interval_s"] * 1000)
        except Exception as e:
            self.log("ntp failed: %r" % e)
            self._ntp_at = clock.ticks_add(clock.ticks_ms(), 60000)

    def birth(self):
        try:
            ip = self.wlan.ifconfig()[0]
        except Exception:
            ip = None
        try:
            rssi = self.wlan.status("rssi")
        except Exception:
            rssi = None
        d = {"state": "online", "fw": None, "ip": ip, "rssi": rssi, "buffered": len(self.ring),
             "replayed": self.replayed, "dropped": self.ring.dropped, "synced": clock.synced}
        if self.birth_extra:
            d.update(self.birth_extra())
        import json
        return json.dumps(d)

    async def _session(self):
        b = self.cfg["broker"]
        if b["tls"] and self._tls is None:
            self._tls = tls_context(b["ca"])
        c = MQTTClient(self.cfg["device"], b["host"], b["port"], self._tls, b["user"], b["password"],
                       b["keepalive_s"], (self.status_topic, "offline", 1, True),
                       int(b["puback_timeout_s"] * 1000))
        self.client = c
        if self.on_config:
            c.on_message = lambda topic, payload: self.on_config(payload) if topic == self.config_topic else None
        await c.connect()
        self.connects += 1
        self.connected = True
        self.attempt = 0
        backlog = len(self.ring)
        self.log("mqtt up (session %s), %d frames to replay" % (c.session_present, backlog))
        if self.on_config:
            # again on every connect: the retained desired config comes with the SUBACK
            await c.subscribe(self.config_topic, 1)
        self.status_sent = self.status_gen
        await c.publish(self.status_topic, self.birth(), 1, True)
        # ping after 3/4 of the keepalive without traffic (the broker allows 1.5x): with the
        # default 120 s and 60 s windows the frames alone keep the session alive
        idle_ms = b["keepalive_s"] * 750
        while c.up:
            if self.status_sent != self.status_gen:  # a new config report: status again
                g = self.status_gen
                await c.publish(self.status_topic, self.birth(), 1, True)
                self.status_sent = g
                continue
            e = self.ring.peek()
            if e is not None:
                topic, payload, qos = e
                await c.publish(topic, payload, qos)
                self.ring.pop()
                self.published += 1
                if backlog > 0:
                    backlog -= 1
                    self.replayed += 1
                continue
            if not self.wlan.isconnected():
                raise MQTTError("wifi lost")
            self.kick.clear()
            try:
                await asyncio.wait_for_ms(self.kick.wait(), idle_ms)
            except asyncio.TimeoutError:
                pass
            if clock.ticks_diff(clock.ticks_ms(), c.last_rx) > b["keepalive_s"] * 1500:
                raise MQTTError("keepalive: broker silent")
            if clock.ticks_diff(clock.ticks_ms(), c.last_tx) >= idle_ms:
                await c.ping()
        raise MQTTError("connection lost")

    async def run(self):
        """Forever: Wi-Fi, NTP, MQTT session draining the ring; backoff between failures."""
        bo = self.cfg["backoff"]
        while True:
            try:
                if await self._wifi():
                    self._ntp()
                    await self._session()
                else:
                    self.last_error = "Wi-Fi %s did not connect" % self.cfg["wifi"]["ssid"]
                    self.log("wifi: not connected")
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.last_error = e
                self.log("link down: %r" % e)
            self.connected = False
            if self.client:
                self.client.close()
                self.client = None
            self.failures += 1
            d = backoff_ms(self.attempt, bo["base_ms"], bo["max_ms"], bo["jitter"])
            self.attempt += 1
            await asyncio.sleep_ms(d)

    def status_changed(self):
        """Publishes the status message again (a config report changed)."""
        self.status_gen += 1
        self.kick.set()

    def restart(self, wifi=False):
        """Ends the session (and leaves the Wi-Fi) so the next attempt uses the settings in
        self.cfg now: remote.py's switch to new or back to old Wi-Fi/broker settings."""
        if wifi:
            try:
                self.wlan.disconnect()
            except Exception:
                pass
        self.attempt = 0
        self._tls = None  # new broker settings may name another CA
        if self.client:
            self.client.close()
        self.kick.set()

    async def probe(self, b):
        """A test connection with broker settings b (a clean session of its own, so neither our
        session nor its queued messages are touched). None when it works, else why not."""
        try:
            ssl = tls_context(b["ca"]) if b["tls"] else None
        except Exception as e:
            return "TLS: cannot read broker.ca %s: %s" % (b.get("ca"), e)
        c = MQTTClient(self.cfg["device"] + "-t", b["host"], b["port"], ssl, b["user"], b["password"],
                       b["keepalive_s"], None, int(b["puback_timeout_s"] * 1000), True)
        try:
            await asyncio.wait_for_ms(c.connect(), CONNACK_TIMEOUT_MS + 5000)
            await c.disconnect()
            return None
        except Exception as e:
            c.close()
            return str(e) or repr(e)

    async def goodbye(self):
        """Graceful stop: retained `offline` (the will is not sent on a clean DISCONNECT)."""
        c = self.client
        if c and c.up:
            try:
                await c.publish(self.status_topic, "offline", 1, True)
            except Exception:
                pass
            await c.disconnect()
        self.connected = False
