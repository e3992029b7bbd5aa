'use strict';
const assert = require('assert');
const { makeSimClock } = require('../../sim/clock');

/** Runs fn with Date.now() returning `t`. */
function at(t, fn) {
    const real = Date.now;
    Date.now = () => t;
    try { return fn(); } finally { Date.now = real; }
}

describe('sim/clock: the boards\' accelerated clock', function () {
    const epochMs = 1_800_000_000_000;
    const dayMs = 24 * 3600e3;

    it('runs `speed` times faster from wallStart', function () {
        const c = makeSimClock({ speed: 60, epochMs, wallStartMs: epochMs - dayMs });
        assert.strictEqual(at(epochMs, () => c.now()), epochMs - dayMs);
        assert.strictEqual(at(epochMs + 60e3, () => c.now()), epochMs - dayMs + 3600e3);
        assert.strictEqual(at(epochMs + 60e3, () => c.modelSeconds()), 3600);
        // without liveAfterCatchUp it overtakes the present (after 24 h / 59 real time)
        assert.ok(at(epochMs + 30 * 60e3, () => c.now()) > epochMs + 30 * 60e3);
        assert.strictEqual(at(epochMs + 30 * 60e3, () => c.speed), 60);
    });

    it('with liveAfterCatchUp, meets the present continuously and then runs at real speed', function () {
        const c = makeSimClock({ speed: 60, epochMs, wallStartMs: epochMs - dayMs, liveAfterCatchUp: true });
        const meet = epochMs + dayMs / 59;
        assert.ok(Math.abs(c.catchUpAtMs - meet) < 1e-6);
        const before = at(meet - 1, () => c.now());
        const after = at(meet + 1, () => c.now());
        assert.ok(before <= meet && after >= meet && after - before <= 62, `continuous: ${before} → ${after}`);
        assert.strictEqual(at(meet - 1, () => c.speed), 60);
        assert.strictEqual(at(meet + 1, () => c.speed), 1);
        // two real hours later the boards' date is the real date, never in the future
        const later = meet + 2 * 3600e3;
        assert.strictEqual(at(later, () => c.now()), Math.floor(later));
        assert.ok(Math.abs(at(later, () => c.modelSeconds()) - (later - (epochMs - dayMs)) / 1000) < 1e-6);
        // model time never jumps back at the switch
        assert.ok(at(meet + 1, () => c.modelSeconds()) >= at(meet - 1, () => c.modelSeconds()));
    });

    it('a clock that starts at the present never changes speed', function () {
        const c = makeSimClock({ speed: 60, epochMs, liveAfterCatchUp: true });
        assert.strictEqual(c.catchUpAtMs, Infinity);
        assert.strictEqual(at(epochMs + 1000, () => c.speed), 60);
    });
});
