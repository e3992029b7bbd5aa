'use strict';
// Waiting in tests: a plain sleep, and polling a condition until it holds or time runs out.
const assert = require('assert');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `pred` (may be async) every `every` ms and resolves with its first truthy value; fails
 * the test after `ms` ms. `what` says what was awaited: a string, or a function called at the
 * time of failure (for a message with the state then).
 */
async function until(pred, what, ms = 3000, { every = 10 } = {}) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await pred();
        if (v) return v;
        if (Date.now() >= end) assert.fail(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
        await sleep(every);
    }
}

/** until() with other defaults for the time limit and the polling period: untilWith({ ms: 10000, every: 25 }). */
function untilWith(defaults) {
    return (pred, what, ms = defaults.ms, opts = {}) => until(pred, what, ms, { every: defaults.every, ...opts });
}

module.exports = { sleep, until, untilWith };
