'use strict';
// The writer's disk spool alone, on real temporary directories: order, confirmation in any order,
// segment rotation and deletion, the byte bound, the memory bound with read-back from disk, replay
// after a close and after a real SIGKILL of the process that wrote it, the checkpoint, torn and
// corrupt tails cut at open (power cut), read-back checksums, permissions, record size limits.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { Spool, MAX_RECORD_BYTES } = require('../../dist/nodes/picochain-mongo-ts/spool');

const SPOOL_JS = require.resolve('../../dist/nodes/picochain-mongo-ts/spool');
const dirs = [];
function tempDir() {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-spool-'));
    dirs.push(d);
    return path.join(d, 'spool');
}
const rec = (i) => Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(i % 7) }));
const idx = (r) => JSON.parse(r.payload.toString()).i;
const segments = (dir) => fs.readdirSync(dir).filter((f) => /^\d{12}\.seg$/.test(f)).sort();
const lastSegment = (dir) => path.join(dir, segments(dir).at(-1));

/** Opens a spool (registered for closing after the test). */
const open = [];
function spool(dir, opts = {}) {
    const s = new Spool({ dir, checkpointIntervalMs: 0, ...opts });
    s.report = s.open();
    open.push(s);
    return s;
}
async function fill(s, from, to) {
    for (let i = from; i < to; i++) assert.ok(s.append(rec(i), { i }) >= 0, `append ${i}`);
    await s.sync();
}
/** A spool folder holding records 0..n-1, closed. */
async function written(dir, n) {
    const s = spool(dir);
    await fill(s, 0, n);
    await s.close();
}
function takeAll(s, max = 1e6) {
    const out = [];
    for (;;) {
        const part = s.take(1000);
        if (part.length === 0 || out.length >= max) return out;
        out.push(...part);
    }
}

/**
 * Runs `body` (source text using `spool`, `rec`) in a child process that is then killed with
 * SIGKILL: nothing of close() or exit handlers runs, like a power cut after the last sync.
 */
function crashAfter(dir, body, opts = {}) {
    const src = `
        const { Spool } = require(${JSON.stringify(SPOOL_JS)});
        const rec = ${rec.toString()};
        const spool = new Spool(Object.assign({ dir: ${JSON.stringify(dir)}, checkpointIntervalMs: 0 }, ${JSON.stringify(opts)}));
        spool.open();
        (async () => { ${body}; process.stdout.write('ready'); process.kill(process.pid, 'SIGKILL'); })();`;
    const r = spawnSync(process.execPath, ['-e', src], { encoding: 'utf8', timeout: 20000 });
    assert.strictEqual(r.signal, 'SIGKILL', r.stderr);
    assert.strictEqual(r.stdout, 'ready', r.stderr);
}

describe('picochain-mongo-ts spool (real files)', function () {
    afterEach(async function () {
        for (const s of open.splice(0)) await s.close();
    });
    after(function () {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it('hands records out in append order, from memory while the consumer keeps up', async function () {
        const dir = tempDir();
        const s = spool(dir);
        assert.deepStrictEqual(s.report, { records: 0, cutBytes: 0, setAside: [] });
        await fill(s, 0, 5);
        assert.strictEqual(s.durableN, 4);
        const got = s.take(3).concat(s.take(10));
        assert.deepStrictEqual(got.map((r) => r.n), [0, 1, 2, 3, 4]);
        assert.deepStrictEqual(got.map(idx), [0, 1, 2, 3, 4]);
        assert.deepStrictEqual(got.map((r) => r.value.i), [0, 1, 2, 3, 4]);
        assert.ok(got.every((r) => !r.fromDisk && !r.corrupt));
        assert.strictEqual(s.untaken, 0);
        assert.strictEqual(s.unconfirmed, 5);
        s.confirm([0, 1, 2, 3, 4]);
        assert.strictEqual(s.unconfirmed, 0);
    });

    it('confirms out of order; a reopen replays exactly the unconfirmed records, in order', async function () {
        const dir = tempDir();
        let s = spool(dir);
        await fill(s, 0, 8);
        takeAll(s);
        s.confirm([5, 0, 2]);
        assert.strictEqual(s.unconfirmed, 5);
        s.confirm([1, 7]);
        assert.strictEqual(s.unconfirmed, 3);
        await s.close();
        s = spool(dir);
        // 0-2 are behind the checkpoint; 5 and 7 were confirmed beyond it and come back (the writer's duplicate check absorbs them)
        assert.strictEqual(s.report.records, 5);
        const again = takeAll(s);
        assert.deepStrictEqual(again.map(idx), [3, 4, 5, 6, 7]);
        assert.ok(again.every((r) => r.fromDisk && r.value === undefined));
    });

    it('rotates segments past segmentBytes and deletes each one once all its records are confirmed', async function () {
        const dir = tempDir();
        const s = spool(dir, { segmentBytes: 200, maxBytes: 1 << 20 });
        for (let i = 0; i < 40; i += 4) await fill(s, i, i + 4);
        const before = segments(dir);
        assert.ok(before.length >= 5, `segments: ${before}`);
        const all = takeAll(s);
        assert.deepStrictEqual(all.map(idx), [...Array(40).keys()]);
        s.confirm(all.slice(0, 20).map((r) => r.n));
        const mid = segments(dir);
        assert.ok(mid.length < before.length && mid.length > 1, `${before.length} -> ${mid.length}`);
        assert.deepStrictEqual(mid, before.slice(before.length - mid.length), 'the oldest went first');
        s.confirm(all.map((r) => r.n));
        assert.deepStrictEqual(segments(dir), [before.at(-1)], 'only the segment being written is left');
        assert.ok(s.usedBytes <= 200 + 8 * 20, `usedBytes ${s.usedBytes}`);
    });

    it('refuses appends beyond maxBytes (nothing written) and accepts again once confirmed segments are deleted', async function () {
        const dir = tempDir();
        const s = spool(dir, { maxBytes: 2000 });
        let n = 0;
        while (s.append(rec(n), { i: n }) >= 0) {
            n++;
            if (n % 5 === 0) await s.sync();
        }
        await s.sync();
        assert.ok(n > 20 && n < 100, `${n} records fit`);
        assert.ok(s.usedBytes <= 2000, `${s.usedBytes}`);
        const onDisk = segments(dir).reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
        assert.strictEqual(onDisk, s.usedBytes, 'the bound counts what is on disk');
        assert.ok(s.wouldOverflow(rec(n).length));
        assert.strictEqual(s.append(rec(n), { i: n }), -1);
        assert.strictEqual(s.unconfirmed, n, 'the refused record is not in the spool');
        s.confirm(takeAll(s).map((r) => r.n));
        assert.ok(s.append(rec(n), { i: n }) >= 0, 'room again');
        await s.sync();
        assert.deepStrictEqual(takeAll(s).map(idx), [n]);
    });

    it('keeps at most memoryRecords values; older records are read back from disk, in order', async function () {
        const dir = tempDir();
        const s = spool(dir, { memoryRecords: 10 });
        for (let i = 0; i < 95; i++) {
            s.append(rec(i), { i });
            assert.ok(s.inMemory <= 10, `in memory: ${s.inMemory}`);
        }
        await s.sync();
        const got = takeAll(s);
        assert.deepStrictEqual(got.map((r) => r.n), [...Array(95).keys()]);
        assert.deepStrictEqual(got.map(idx), [...Array(95).keys()]);
        const fromDisk = got.filter((r) => r.fromDisk);
        assert.ok(fromDisk.length >= 85, `${fromDisk.length} read back`);
        assert.ok(fromDisk.every((r) => r.value === undefined && !r.corrupt));
        assert.deepStrictEqual(got.filter((r) => !r.fromDisk).map((r) => r.value.i), got.filter((r) => !r.fromDisk).map(idx));
    });

    it('past memoryRecords forgets the older half of the values, not all of them', async function () {
        const s = spool(tempDir(), { memoryRecords: 10 });
        for (let i = 0; i < 11; i++) s.append(rec(i), { i });
        assert.strictEqual(s.inMemory, 6, 'the newest 5 kept, and the one appended');
        await s.sync();
        const got = takeAll(s);
        assert.deepStrictEqual(got.map(idx), [...Array(11).keys()]);
        assert.deepStrictEqual(got.map((r) => r.fromDisk), [true, true, true, true, true, false, false, false, false, false, false]);
        assert.deepStrictEqual(got.filter((r) => !r.fromDisk).map((r) => r.value.i), [5, 6, 7, 8, 9, 10]);
    });

    it('does not hand out a record read back from disk before it is synced, nor anything after it', async function () {
        const dir = tempDir();
        const s = spool(dir, { memoryRecords: 2 });
        for (let i = 0; i < 6; i++) s.append(rec(i), { i });
        // the first four are no longer in memory and not on disk yet
        assert.deepStrictEqual(s.take(10), []);
        await s.sync();
        assert.deepStrictEqual(takeAll(s).map(idx), [0, 1, 2, 3, 4, 5]);
    });

    it('a consumer far behind (long outage) catches up and is served from memory again', async function () {
        const dir = tempDir();
        const s = spool(dir, { memoryRecords: 50, segmentBytes: 4096 });
        for (let i = 0; i < 2000; i += 100) await fill(s, i, i + 100);
        let next = 0;
        for (let i = 2000; i < 2200; i += 10) {
            const part = s.take(60);
            assert.deepStrictEqual(part.map(idx), part.map((_, k) => next + k));
            next += part.length;
            s.confirm(part.map((r) => r.n));
            await fill(s, i, i + 10);
        }
        const rest = takeAll(s);
        assert.deepStrictEqual(rest.map(idx), rest.map((_, k) => next + k));
        await fill(s, 2200, 2205);
        const fresh = s.take(10);
        assert.deepStrictEqual(fresh.map(idx), [2200, 2201, 2202, 2203, 2204]);
        assert.ok(fresh.every((r) => !r.fromDisk), 'caught up: from memory');
    });

    it('replays after close(), and after a SIGKILL of the writing process (no close)', async function () {
        const dir = tempDir();
        let s = spool(dir);
        await fill(s, 0, 30);
        await s.close();
        s = spool(dir);
        assert.strictEqual(s.report.records, 30);
        assert.deepStrictEqual(takeAll(s).map(idx), [...Array(30).keys()]);
        await s.close();

        const crashed = tempDir();
        crashAfter(crashed, 'for (let i = 0; i < 500; i++) spool.append(rec(i), null); await spool.sync()', { segmentBytes: 4096 });
        s = spool(crashed);
        assert.strictEqual(s.report.records, 500);
        assert.strictEqual(s.report.cutBytes, 0);
        assert.deepStrictEqual(takeAll(s).map(idx), [...Array(500).keys()]);
    });

    it('the checkpoint skips confirmed records after a crash too; a stale or lost checkpoint only replays more', async function () {
        const dir = tempDir();
        crashAfter(dir, `for (let i = 0; i < 100; i++) { spool.append(rec(i), null); if (i % 10 === 9) await spool.sync(); }
            const got = spool.take(100); spool.confirm(got.slice(0, 65).map((r) => r.n));`, { segmentBytes: 256 });
        let s = spool(dir);
        assert.strictEqual(s.report.records, 35);
        assert.deepStrictEqual(takeAll(s).map(idx), [...Array(35).keys()].map((k) => 65 + k));
        await s.close();
        fs.rmSync(path.join(dir, 'checkpoint.json'));
        s = spool(dir);
        // segments holding only confirmed records were deleted; the one holding record 65 replays whole
        const replayed = takeAll(s).map(idx);
        assert.ok(replayed.length > 35 && replayed.length < 100, `${replayed.length} replayed`);
        assert.deepStrictEqual(replayed.slice(-35), [...Array(35).keys()].map((k) => 65 + k));
        await s.close();
        fs.writeFileSync(path.join(dir, 'checkpoint.json'), '{"segment": 1, "offs');
        s = spool(dir);
        assert.strictEqual(s.report.records, replayed.length, 'an unreadable checkpoint: replay everything there is');
    });

    it('a checkpoint that does not fall on a record boundary replays its whole segment', async function () {
        const dir = tempDir();
        await written(dir, 10);
        const seg = segments(dir)[0];
        fs.writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify({ segment: Number(seg.slice(0, 12)), offset: 13 }));
        let s = spool(dir);
        assert.strictEqual(s.report.records, 10);
    });

    it('a torn last record (cut a few bytes short) is cut off at open; everything before it replays', async function () {
        const dir = tempDir();
        await written(dir, 20);
        const file = lastSegment(dir);
        const size = fs.statSync(file).size;
        fs.truncateSync(file, size - 3);
        let s = spool(dir);
        assert.strictEqual(s.report.records, 19);
        assert.strictEqual(s.report.cutBytes, 8 + rec(19).length - 3);
        assert.strictEqual(fs.statSync(file).size, size - 8 - rec(19).length, 'the file is cut at the last good record');
        await fill(s, 100, 102);
        await s.close();
        s = spool(dir);
        assert.deepStrictEqual(takeAll(s).map(idx), [...Array(19).keys(), 100, 101], 'new records after the cut replay too');
    });

    it('a flipped byte fails the checksum: that record and the rest of its segment are cut, earlier ones replay', async function () {
        const dir = tempDir();
        await written(dir, 10);
        const file = lastSegment(dir);
        const buf = fs.readFileSync(file);
        const at = buf.indexOf('"i":6');
        buf[at + 4] ^= 0x01;
        fs.writeFileSync(file, buf);
        let s = spool(dir);
        assert.strictEqual(s.report.records, 6);
        assert.deepStrictEqual(takeAll(s).map(idx), [0, 1, 2, 3, 4, 5]);
        assert.ok(s.report.cutBytes > 0);
    });

    it('power cut mid-write: zero-filled tail, half a header, a length past the end, a torn new segment', async function () {
        const tails = {
            'zero-filled blocks': Buffer.alloc(4096),
            'half a header': Buffer.from([0x10, 0x00, 0x00]),
            'a length past the end': Buffer.concat([Buffer.from([0xff, 0x00, 0x00, 0x00, 1, 2, 3, 4]), Buffer.from('{"i":')]),
            'a header with a bad checksum': Buffer.concat([Buffer.from([0x02, 0, 0, 0, 9, 9, 9, 9]), Buffer.from('{}')]),
        };
        for (const [what, tail] of Object.entries(tails)) {
            const dir = tempDir();
            await written(dir, 5);
            fs.appendFileSync(lastSegment(dir), tail);
            let s = spool(dir);
            assert.strictEqual(s.report.records, 5, what);
            assert.strictEqual(s.report.cutBytes, tail.length, what);
            assert.deepStrictEqual(takeAll(s).map(idx), [0, 1, 2, 3, 4], what);
            await s.close();
        }
        // a segment created just before the cut: its header never reached the disk
        const dir = tempDir();
        await written(dir, 3);
        fs.writeFileSync(path.join(dir, '000000000099.seg'), Buffer.alloc(3));
        fs.writeFileSync(path.join(dir, '000000000098.seg'), 'not a spool at all, someone else\'s file');
        let s = spool(dir);
        assert.strictEqual(s.report.records, 3);
        assert.deepStrictEqual(s.report.setAside, [path.join(dir, '000000000098.seg.corrupt')]);
        assert.ok(fs.existsSync(path.join(dir, '000000000098.seg.corrupt')), 'set aside, not deleted');
        assert.ok(!fs.existsSync(path.join(dir, '000000000099.seg')), 'the torn empty segment is gone');
        assert.ok(segments(dir).includes('000000000100.seg'), `numbering goes on past every file seen: ${segments(dir)}`);
    });

    it('a record damaged on disk after open is handed out as corrupt (checksum on read-back), the others intact', async function () {
        const dir = tempDir();
        await written(dir, 8);
        let s = spool(dir);
        const file = path.join(dir, segments(dir)[0]);
        const buf = fs.readFileSync(file);
        assert.ok(buf.indexOf('"i":3') > 0);
        buf[buf.indexOf('"i":3') + 4] = 0x39;
        fs.writeFileSync(file, buf);
        const got = takeAll(s);
        assert.deepStrictEqual(got.map((r) => r.n), [...Array(8).keys()]);
        assert.deepStrictEqual(got.map((r) => r.corrupt), [false, false, false, true, false, false, false, false]);
        assert.deepStrictEqual(got.filter((r) => !r.corrupt).map(idx), [0, 1, 2, 4, 5, 6, 7]);
    });

    it('creates its directory 0700 and its files 0600', async function () {
        const dir = tempDir();
        const s = spool(dir);
        await fill(s, 0, 3);
        s.take(3);
        s.confirm([0]);
        await s.close();
        assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700);
        const files = fs.readdirSync(dir);
        assert.ok(files.includes('checkpoint.json') && segments(dir).length > 0, files.join());
        for (const f of files) assert.strictEqual(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
    });

    it('refuses zero-length and over-size records, and a second open of the same folder in this process', async function () {
        const dir = tempDir();
        const s = spool(dir);
        assert.throws(() => s.append(Buffer.alloc(0), null), RangeError);
        assert.throws(() => s.append(Buffer.alloc(MAX_RECORD_BYTES + 1), null), RangeError);
        assert.ok(s.append(Buffer.alloc(MAX_RECORD_BYTES, 0x41), null) >= 0, 'the largest record fits');
        await s.sync();
        assert.strictEqual(s.take(1)[0].payload.length, MAX_RECORD_BYTES);
        assert.throws(() => new Spool({ dir }).open(), /already used by another writer/);
        await s.close();
        const again = spool(dir);
        assert.strictEqual(again.report.records, 1, 'free again after close');
        assert.strictEqual(takeAll(again)[0].payload.length, MAX_RECORD_BYTES, 'a record larger than the read chunk comes back whole');
    });

    it('groups syncs: many appends and sync() calls while one fdatasync runs cost few fdatasyncs', async function () {
        const dir = tempDir();
        const s = spool(dir);
        const real = fs.fdatasync;
        let calls = 0;
        fs.fdatasync = function (...args) { calls++; return real.apply(this, args); };
        try {
            const waits = [];
            for (let i = 0; i < 300; i++) {
                s.append(rec(i), null);
                waits.push(s.sync());
            }
            await Promise.all(waits);
        } finally {
            fs.fdatasync = real;
        }
        assert.ok(calls >= 1 && calls <= 3, `${calls} fdatasync for 300 records`);
        assert.strictEqual(s.durableN, 299);
    });

    it('close() syncs what was appended; appends after close are refused', async function () {
        const dir = tempDir();
        let s = spool(dir);
        for (let i = 0; i < 10; i++) s.append(rec(i), null);
        await s.close();
        assert.strictEqual(s.append(rec(10), null), -1);
        s = spool(dir);
        assert.strictEqual(s.report.records, 10);
    });
});
