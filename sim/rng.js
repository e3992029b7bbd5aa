// One seeded PRNG for the simulator (door openings, noise) and the tests that want random series
// that replay exactly (fuzzing, firmware units): mulberry32.
'use strict';

/** mulberry32: a small seeded PRNG; returns next() -> a number in [0, 1), the same series for the same seed. */
function mulberry32(seed) {
    let a = seed >>> 0;
    return function next() {
        a = (a + 0x6D2B79F5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

module.exports = { mulberry32 };
