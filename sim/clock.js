'use strict';
// The simulated boards' clock, shared by the harness (sim/pico-host.js), each board's worker and
// the fleet: `speed` times faster than real time from `wallStartMs` (the boards' date when the
// fleet started at real `epochMs`). With `liveAfterCatchUp`, a clock that starts in the past runs
// fast only until it reaches the present and then at real speed, so a demo first fills the last
// hours of history and then stays live for as long as it runs (frames never drift into the future).

/**
 * @param {{speed?: number, epochMs?: number, wallStartMs?: number, liveAfterCatchUp?: boolean}} opts
 * @returns {{speed: number, epochMs: number, wallStartMs: number, catchUpAtMs: number, now(): number, modelSeconds(): number}}
 */
function makeSimClock(opts = {}) {
    const fast = opts.speed || 1;
    const epochMs = opts.epochMs === undefined ? Date.now() : opts.epochMs;
    const wallStartMs = opts.wallStartMs === undefined ? epochMs : opts.wallStartMs;
    // real time at which the fast clock meets the present: epoch + (how far back) / (speed - 1)
    const catchUpAtMs = opts.liveAfterCatchUp && fast > 1 && wallStartMs < epochMs
        ? epochMs + (epochMs - wallStartMs) / (fast - 1)
        : Infinity;
    return {
        epochMs,
        wallStartMs,
        catchUpAtMs,
        /** Current acceleration: what timers divide their delays by. */
        get speed() { return Date.now() < catchUpAtMs ? fast : 1; },
        /** The boards' date, epoch ms (continuous at the catch-up instant). */
        now() {
            const real = Date.now();
            return Math.floor(real < catchUpAtMs ? wallStartMs + (real - epochMs) * fast : real);
        },
        /** Model seconds since the fleet started: what scenarios and the thermal model run on. */
        modelSeconds() {
            const real = Date.now();
            return Math.max(0, real < catchUpAtMs ? (real - epochMs) / 1000 * fast : (real - wallStartMs) / 1000);
        },
    };
}

module.exports = { makeSimClock };
