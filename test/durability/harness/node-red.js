'use strict';
// Node-RED as a user runs it: `node scripts/start.js --no-sim ...` in a child process with the
// shipped flows on a data directory, so a test can press Ctrl-C (SIGINT), pull the plug
// (SIGKILL) and start it again on the same data. Every wait is bounded.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const START = path.join(__dirname, '..', '..', '..', 'scripts', 'start.js');
// what the parent's environment must not leak into the child's options (start.js reads them)
const CLEAR_ENV = ['HOST', 'PORT', 'MQTT_URL', 'MQTT_PORT', 'MONGODB_URI', 'MONGODB_DB', 'DB_PORT', 'NODE_RED_PASSWORD',
    'NODE_RED_PASSWORD_HASH', 'MQTT_USERNAME', 'MQTT_PASSWORD', 'SIM', 'SIM_DEVICES', 'PICOCHAIN_DATA', 'PICOCHAIN_SHARE_GROUP', 'MQTT_CLIENT_ID'];
const live = new Set();
// a test process that dies must not leave Node-RED (and its embedded broker) running
process.once('exit', () => { for (const c of live) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

/** Resident set size of a process, bytes (Linux /proc), or null once it is gone. */
function rssOf(pid) {
    try {
        const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : null;
    } catch { return null; }
}

/** CPU time (user + system) a process used so far, µs (Linux /proc, clock ticks of 10 ms), or null. */
function cpuOf(pid) {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(f[11]) + Number(f[12])) * 10000; // utime, stime in USER_HZ = 100
    } catch { return null; }
}

/**
 * Starts Node-RED through scripts/start.js. Options: dataDir, mongodbUri, database, and either
 * mqttUrl (an external broker) or mqttPort (the embedded broker on that port); args (more flags);
 * readyMs. Resolves once start.js printed "ready": { pid, mqttUrl, editorUrl, output(), stop(), kill() }.
 */
async function startNodeRed(o) {
    const args = [START, '--no-sim', '--port', '0', '--data', o.dataDir, '--mongodb-uri', o.mongodbUri];
    if (o.mqttUrl) args.push('--mqtt-url', o.mqttUrl);
    else args.push('--mqtt-port', String(o.mqttPort || 0));
    args.push(...(o.args || []));
    const env = { ...process.env };
    for (const k of CLEAR_ENV) delete env[k];
    if (o.database) env.MONGODB_DB = o.database;
    Object.assign(env, o.env || {});
    const t0 = Date.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let out = '';
    const keep = (d) => { out = (out + d).slice(-200000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); }));
    const readyMs = o.readyMs || 120000;
    const ready = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), readyMs);
        const onData = () => {
            if (!/picochain: ready in/.test(out) || !/Ctrl-C stops everything/.test(out)) return;
            clearTimeout(timer);
            child.stdout.off('data', onData);
            resolve(true);
        };
        child.stdout.on('data', onData);
        exited.then(() => { clearTimeout(timer); resolve(null); });
    });
    if (!ready) {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`Node-RED did not start within ${readyMs} ms; its output:\n${out.slice(-4000)}`);
    }
    const field = (name) => (new RegExp(`^\\s+${name}\\s+(\\S+)`, 'm').exec(out) || [])[1];
    const waitExit = (ms) => Promise.race([exited, new Promise((r) => setTimeout(() => r(null), ms).unref())]);
    return {
        pid: child.pid,
        child,
        startMs: Date.now() - t0,
        mqttUrl: field('MQTT'),
        editorUrl: field('editor'),
        output: () => out,
        exited,
        rss: () => rssOf(child.pid),
        cpuMicros: () => cpuOf(child.pid),
        /**
         * Ctrl-C: SIGINT, then waits up to `ms` for the process to exit. Resolves { code, signal, ms,
         * timedOut }; a process still running then is killed (timedOut true) so nothing hangs.
         */
        async interrupt(ms = 30000) {
            const t = Date.now();
            child.kill('SIGINT');
            const r = await waitExit(ms);
            if (r) return { ...r, ms: Date.now() - t, timedOut: false };
            child.kill('SIGKILL');
            return { ...(await exited), ms: Date.now() - t, timedOut: true };
        },
        /** The server loses power: SIGKILL, resolves once the process is gone. */
        async kill() {
            child.kill('SIGKILL');
            await exited;
        },
    };
}

module.exports = { startNodeRed, rssOf, cpuOf };
