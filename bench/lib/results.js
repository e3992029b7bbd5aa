'use strict';
// bench/RESULTS.md: each bench that records its figures owns one section between markers
// (<!-- name:begin --> ... <!-- name:end -->) and rewrites only that, with the machine it ran on
// and the command that produced it.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const RESULTS = path.join(__dirname, '..', 'RESULTS.md');

/** First line a command prints (mosquitto -h exits non-zero after printing its version). */
function firstLine(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.error ? null : `${r.stdout || ''}${r.stderr || ''}`.split('\n')[0].trim() || null;
}

/** One line per fact about this machine and the servers' versions. */
function machine({ ferretdb } = {}) {
    let distro = null;
    try { distro = (/^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8')) || [])[1] || null; } catch { /* not Linux */ }
    const cpus = os.cpus();
    return [
        `CPU: ${cpus.length} × ${cpus[0] ? cpus[0].model.trim() : 'unknown'}`,
        `memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
        `system: ${distro || os.type()}, kernel ${os.release()}`,
        `Node.js ${process.version}; Mosquitto ${(firstLine('mosquitto', ['-h']) || firstLine('/usr/sbin/mosquitto', ['-h']) || '').replace(/^mosquitto version /, '') || 'unknown'}; FerretDB ${ferretdb || 'unknown'} (SQLite)`,
        `load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} (the machine may be shared)`,
    ];
}

/** Replaces (or appends) the section `name` of bench/RESULTS.md with `body` (markdown). */
function writeSection(name, body) {
    const begin = `<!-- ${name}:begin -->`;
    const end = `<!-- ${name}:end -->`;
    let text = fs.existsSync(RESULTS) ? fs.readFileSync(RESULTS, 'utf8') : '# Benchmark results\n\nWritten by the benchmarks themselves (`npm run bench`); each section says how it was produced.\n';
    const block = `${begin}\n${body.trim()}\n${end}`;
    const i = text.indexOf(begin);
    const j = text.indexOf(end);
    text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
    fs.writeFileSync(RESULTS, text);
    return RESULTS;
}

module.exports = { machine, writeSection, RESULTS };
