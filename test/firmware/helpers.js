// Shared helpers of the firmware tests: one MicroPython instance with the firmware on its path.
'use strict';
const { createPython } = require('../../sim/pico-host');
const { mulberry32: rng } = require('../../sim/rng'); // seeded, so random series are reproducible

/** An instance plus py(expr) -> value (through JSON) and exec(code). */
async function firmwarePython(opts = {}) {
    const lines = [];
    const inst = await createPython({ log: (l) => lines.push(l), ...opts });
    const { mp } = inst;
    mp.runPython('import json');
    const exec = (code) => mp.runPython(code);
    const py = (expr) => {
        mp.runPython(`__r = json.dumps(${expr})`);
        return JSON.parse(mp.globals.get('__r'));
    };
    /** Passes a JS value into Python as global `name`. */
    const set = (name, value) => { mp.globals.set('__j', JSON.stringify(value)); mp.runPython(`${name} = json.loads(__j)`); };
    return { ...inst, exec, py, set, lines };
}

module.exports = { firmwarePython, rng };
