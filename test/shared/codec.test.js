'use strict';
const assert = require('assert');
const vectors = require('../vectors/frames.json');
const { encodeBinaryFrame, decodeBinaryFrame, encodeJsonFrame, sensorCode, sensorFromCode, FrameError } = require('../../dist/nodes/shared/codec');

describe('shared codec (TypeScript side) against test/vectors/frames.json', function () {
    for (const v of vectors) {
        it(`encodes "${v.name}" to the exact JSON text`, function () {
            assert.strictEqual(encodeJsonFrame(v.frame), v.json);
        });
        if (v.hex === null) {
            it(`refuses "${v.name}" in binary (no sensor code)`, function () {
                assert.throws(() => encodeBinaryFrame(v.frame), FrameError);
            });
            continue;
        }
        it(`encodes "${v.name}" to the exact bytes`, function () {
            assert.strictEqual(encodeBinaryFrame(v.frame).toString('hex'), v.hex);
        });
        it(`decodes the bytes of "${v.name}" back within the binary resolution`, function () {
            const f = decodeBinaryFrame(Buffer.from(v.hex, 'hex'));
            assert.strictEqual(f.seq, v.frame.seq);
            assert.strictEqual(f.ts, v.frame.ts);
            assert.strictEqual(f.window, v.frame.window);
            assert.strictEqual(f.synced, v.frame.synced);
            assert.strictEqual(f.sensors.length, v.frame.sensors.length);
            f.sensors.forEach((s, i) => {
                const want = v.frame.sensors[i];
                assert.strictEqual(s.sensor, want.sensor);
                assert.strictEqual(s.count, want.count);
                for (const [k, lo, hi, res] of [['min', -327.67, 327.67, 0.005], ['mean', -327.67, 327.67, 0.005], ['last', -327.67, 327.67, 0.005], ['std', 0, 655.34, 0.005], ['slope', -32.767, 32.767, 0.0005]]) {
                    if (want[k] === null) { assert.strictEqual(s[k], null, k); continue; }
                    const clamped = Math.min(hi, Math.max(lo, want[k]));
                    assert.ok(Math.abs(s[k] - clamped) <= res + 1e-9, `${k}: ${s[k]} vs ${clamped}`);
                }
            });
        });
    }
    it('round-trips every sensor code', function () {
        for (let code = 0; code < 4 * 32; code++) {
            const { sensor } = sensorFromCode(code);
            assert.strictEqual(sensorCode(sensor), code, sensor);
        }
    });
    it('rejects a truncated record, naming the offset', function () {
        const bytes = Buffer.from(vectors[0].hex, 'hex').subarray(0, 23);
        assert.throws(() => decodeBinaryFrame(bytes), /23 bytes, not a multiple of 24.*at byte 0/);
    });
    it('rejects an unknown version', function () {
        const bytes = Buffer.from(vectors[0].hex, 'hex');
        bytes[0] = (2 << 4) | (bytes[0] & 0x0f);
        assert.throws(() => decodeBinaryFrame(bytes), /unknown binary frame version 2 \(at byte 0\)/);
    });
});
