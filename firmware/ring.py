# Store-and-forward: a bounded FIFO of frames waiting for the broker, oldest first, in RAM with an
# optional spill to flash. When full, the oldest frame is dropped and counted.
import os
import struct

_HEAD = "<BHH"  # qos, topic length, payload length
_HEAD_LEN = 5


class Ring:
    """Bounded FIFO of (topic, payload bytes, qos).

    RAM holds at most `size` entries and `max_bytes` of payload. With `flash_dir`, entries pushed out of a full RAM ring are written
    to flash in batches of `batch` (one file write per batch keeps wear low: at the default
    one frame a minute and 16 per batch, one small file every 16 minutes of outage), at most
    `files` batch files; beyond that the oldest batch is dropped. Flash entries are older than
    RAM entries, so replay reads flash first. Batch files survive a reset.
    """

    def __init__(self, size, flash_dir=None, batch=16, files=8, max_bytes=0):
        self.size = size
        self.max_bytes = max_bytes  # RAM budget for payloads (0 = count bound only)
        self.ram_bytes = 0
        self._buf = [None] * size
        self._head = 0  # index of the oldest RAM entry
        self._len = 0
        self.dropped = 0
        self._dir = flash_dir
        self._batch = batch
        self._files = files
        self._spill = []  # entries waiting to be written as one batch
        self._segs = []  # flash batch numbers, oldest first
        self._seg_cache = None  # (number, entries) of the flash batch being replayed
        if flash_dir:
            try:
                os.mkdir(flash_dir)
            except OSError:
                pass
            self._segs = sorted(int(f[:-4]) for f in os.listdir(flash_dir) if f.endswith(".bin"))

    def __len__(self):
        n = self._len + len(self._spill)
        if self._segs:
            n += self._flash_count()
        return n

    def _flash_count(self):
        n = 0
        for s in self._segs:
            if self._seg_cache and self._seg_cache[0] == s:
                n += len(self._seg_cache[1])
            else:
                n += self._batch  # batches are written full
        return n

    def push(self, topic, payload, qos=1):
        """Appends a frame; when full (count or bytes) the oldest is spilled to flash or dropped (counted)."""
        while self._len and (self._len == self.size or
                             (self.max_bytes and self.ram_bytes + len(payload) > self.max_bytes)):
            old = self._buf[self._head]
            self._buf[self._head] = None
            self._head = (self._head + 1) % self.size
            self._len -= 1
            self.ram_bytes -= len(old[1])
            if self._dir:
                self._spill.append(old)
                if len(self._spill) >= self._batch:
                    self._write_batch()
            else:
                self.dropped += 1
        self._buf[(self._head + self._len) % self.size] = (topic, payload, qos)
        self._len += 1
        self.ram_bytes += len(payload)

    def _write_batch(self):
        if len(self._segs) >= self._files:
            gone = self._segs.pop(0)
            self.dropped += self._batch
            self._remove(gone)
        num = (self._segs[-1] + 1) if self._segs else 0
        with open("%s/%05d.bin" % (self._dir, num), "wb") as f:
            for topic, payload, qos in self._spill:
                t = topic.encode()
                f.write(struct.pack(_HEAD, qos, len(t), len(payload)))
                f.write(t)
                f.write(payload)
        self._segs.append(num)
        self._spill = []

    def _remove(self, num):
        if self._seg_cache and self._seg_cache[0] == num:
            self._seg_cache = None
        try:
            os.remove("%s/%05d.bin" % (self._dir, num))
        except OSError:
            pass

    def _load(self, num):
        out = []
        try:
            with open("%s/%05d.bin" % (self._dir, num), "rb") as f:
                data = f.read()
        except OSError:
            return out
        i = 0
        while i + _HEAD_LEN <= len(data):
            qos, tl, pl = struct.unpack_from(_HEAD, data, i)
            i += _HEAD_LEN
            topic = data[i:i + tl].decode()
            i += tl
            out.append((topic, bytes(data[i:i + pl]), qos))
            i += pl
        return out

    def peek(self):
        """The oldest entry (topic, payload, qos) or None."""
        while self._segs:
            num = self._segs[0]
            if not self._seg_cache or self._seg_cache[0] != num:
                self._seg_cache = (num, self._load(num))
            if self._seg_cache[1]:
                return self._seg_cache[1][0]
            self._segs.pop(0)
            self._remove(num)
        if self._spill:
            return self._spill[0]
        if self._len:
            return self._buf[self._head]
        return None

    def pop(self):
        """Removes the oldest entry (after it was delivered)."""
        if self.peek() is None:
            return
        if self._segs:
            entries = self._seg_cache[1]
            entries.pop(0)
            if not entries:
                self._remove(self._segs.pop(0))
            # a partly replayed batch is not rewritten (wear): after a reset it is replayed
            # whole again, and PROTOCOL.md allows duplicates
            return
        if self._spill:
            self._spill.pop(0)
            return
        self.ram_bytes -= len(self._buf[self._head][1])
        self._buf[self._head] = None
        self._head = (self._head + 1) % self.size
        self._len -= 1
