'use strict';
// Runs every benchmark in bench/ one after the other (`npm run bench`). Each prints its figures as
// ratios against a baseline it measures in the same run, so a noisy shared machine skews both sides.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const only = process.argv.slice(2);
const benches = fs.readdirSync(__dirname)
    .filter((f) => f.endsWith('.js') && f !== 'run.js')
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
let failed = 0;
for (const file of benches) {
    console.log(`\n=== bench/${file} ===`);
    const r = spawnSync(process.execPath, [path.join(__dirname, file)], { stdio: 'inherit' });
    if (r.status !== 0) { failed++; console.log(`bench/${file} exited with ${r.status}`); }
}
console.log(`\nbenchmarks: ${benches.length - failed} ran, ${failed} failed`);
process.exit(failed ? 1 : 0);
