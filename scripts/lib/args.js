// Command-line options of scripts/start.js and scripts/provision.js: `--name value`, `--name=value`
// and switches; an unknown option or a missing value throws `fail(message)`'s error.
'use strict';

/**
 * values: { '--port': 'port', ... } -> o.port = the next argument;
 * switches: { '--no-sim': { sim: false }, ... } -> merged into o when present.
 */
function parseArgs(argv, { values = {}, switches = {} }, fail) {
    const o = {};
    for (let i = 0; i < argv.length; i++) {
        let a = argv[i];
        let v;
        if (a.includes('=')) [a, v] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
        if (switches[a]) Object.assign(o, switches[a]);
        else if (values[a]) {
            if (v === undefined) v = argv[++i];
            if (v === undefined) throw fail(`${a} needs a value (see --help)`);
            o[values[a]] = v;
        } else throw fail(`unknown option ${a} (see --help)`);
    }
    return o;
}

module.exports = { parseArgs };
