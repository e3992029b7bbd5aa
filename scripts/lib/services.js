// Starts the real servers the tests, benchmarks and the one-command start need, each on free
// loopback ports with its own directories: Mosquitto (Debian package) and FerretDB 1.24 (SQLite).
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const FERRETDB_VERSION = 'v1.24.2';

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

/** Resolves once something accepts TCP connections on host:port, rejects after timeoutMs. */
async function waitForPort(port, host = '127.0.0.1', timeoutMs = 20000, child = null) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (child && child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode} before listening on ${port}`);
        const ok = await new Promise((resolve) => {
            const s = net.connect(port, host);
            s.once('connect', () => { s.destroy(); resolve(true); });
            s.once('error', () => resolve(false));
        });
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

function tmpDir(prefix) {
    return fs.mkdtempSync(path.join(os.tmpdir(), `picochain-${prefix}-`));
}

function stopChild(child, timeoutMs = 5000) {
    return new Promise((resolve) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.once('exit', () => { clearTimeout(timer); resolve(); });
        child.kill('SIGTERM');
    });
}

function which(cmd) {
    for (const dir of (process.env.PATH || '').split(path.delimiter)) {
        const p = path.join(dir, cmd);
        try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
    }
    for (const dir of ['/usr/sbin', '/sbin']) {
        const p = path.join(dir, cmd);
        if (fs.existsSync(p)) return p;
    }
    return null;
}

/**
 * Starts Mosquitto on a free port with the settings we ship (docs/mosquitto.conf explains them):
 * persistence on, so QoS 1 sessions survive; max_queued_messages raised so a slow subscriber
 * does not silently lose QoS 1 messages at the default 1000.
 */
async function startMosquitto(opts = {}) {
    const bin = which('mosquitto');
    if (!bin) throw new Error('mosquitto is not installed: run `apt-get install mosquitto` (npm test does it)');
    const port = opts.port || (await freePort());
    const dir = tmpDir('mosquitto');
    const conf = path.join(dir, 'mosquitto.conf');
    // opts.config(port, dir): the whole configuration instead (tests of docs/mosquitto.conf)
    fs.writeFileSync(conf, opts.config ? opts.config(port, dir) : [
        // started as root, Mosquitto drops to the "mosquitto" user, which cannot read our 0700
        // temporary dir (persistence file, certificates): run as whoever started it
        `user ${os.userInfo().username}`,
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        'autosave_interval 60',
        `max_queued_messages ${opts.maxQueued || 2000000}`,
        'max_inflight_messages 1000',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        ...(opts.extraConfig || []),
        '',
    ].join('\n'));
    let child;
    const start = async () => {
        child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', opts.verbose ? 'inherit' : 'ignore'] });
        await waitForPort(port, '127.0.0.1', 10000, child);
    };
    await start();
    return {
        port,
        url: `mqtt://127.0.0.1:${port}`,
        dir,
        /** Stops the broker (its persistence file is kept) and starts it again on the same port. */
        async restart() { await stopChild(child); await start(); },
        /** SIGHUP: Mosquitto re-reads its password and ACL files. */
        reload() { child.kill('SIGHUP'); },
        async stop() { await stopChild(child); },
        async cleanup() { await stopChild(child); fs.rmSync(dir, { recursive: true, force: true }); },
    };
}

/** Path of the FerretDB binary scripts/setup.sh builds, or one on PATH, or null. */
function ferretdbPath() {
    const cache = process.env.PICOCHAIN_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'picochain');
    const built = path.join(cache, 'bin', `ferretdb-${FERRETDB_VERSION}`);
    if (fs.existsSync(built)) return built;
    return which('ferretdb');
}

/**
 * Starts FerretDB 1.24 with its SQLite backend on free ports. `dataDir` keeps the database
 * between runs (the one-command start); tests get a fresh temporary one.
 * `auth: { user, password, database }`: SCRAM authentication (FerretDB's --test-enable-new-auth,
 * the only mode that refuses a wrong password) with that user created at start.
 * `tls: { cert, key }`: also a TLS listener (`tlsPort`, `tlsUri`).
 * `logFormat`: 'console' (default) or 'text'. FerretDB 1.24 logs every SQL statement at debug level
 * with its arguments (for an insert, every document as JSON); its 'text' and 'json' formats format
 * them eagerly even at --log-level=warn, which took about a fifth of its CPU on inserts ('console'
 * formats only what it prints). bench/writer.js measures the difference.
 */
async function startFerretDB(opts = {}) {
    const bin = opts.bin || ferretdbPath();
    if (!bin) throw new Error('FerretDB is not built: run `bash scripts/setup.sh test` (it builds it with Go)');
    const port = opts.port || (await freePort());
    const debugPort = await freePort();
    const dir = opts.dataDir || tmpDir('ferretdb');
    const sqliteDir = path.join(dir, 'sqlite');
    const stateDir = path.join(dir, 'state');
    fs.mkdirSync(sqliteDir, { recursive: true });
    fs.mkdirSync(stateDir, { recursive: true });
    const host = opts.host || '127.0.0.1';
    const tlsPort = opts.tls ? await freePort() : null;
    let child;
    let log = '';
    const start = async () => {
        child = spawn(bin, [
            '--handler=sqlite', `--sqlite-url=file:${sqliteDir}/`, `--listen-addr=${host}:${port}`,
            `--state-dir=${stateDir}`, `--debug-addr=127.0.0.1:${debugPort}`, '--telemetry=disable',
            '--log-level=warn', `--log-format=${opts.logFormat || 'console'}`,
            ...(opts.auth ? ['--test-enable-new-auth', `--setup-database=${opts.auth.database}`, `--setup-username=${opts.auth.user}`] : []),
            ...(opts.tls ? [`--listen-tls=${host}:${tlsPort}`, `--listen-tls-cert-file=${opts.tls.cert}`, `--listen-tls-key-file=${opts.tls.key}`] : []),
        ], {
            stdio: ['ignore', 'ignore', 'pipe'],
            // the password through the environment: the command line is visible to every local user
            env: opts.auth ? { ...process.env, FERRETDB_SETUP_PASSWORD: opts.auth.password } : process.env,
        });
        child.stderr.on('data', (d) => { log = (log + d).slice(-20000); if (opts.verbose) process.stderr.write(d); });
        await waitForPort(port, '127.0.0.1', 30000, child);
        if (tlsPort) await waitForPort(tlsPort, '127.0.0.1', 30000, child);
    };
    await start();
    return {
        port,
        uri: `mongodb://127.0.0.1:${port}/`,
        tlsPort,
        tlsUri: tlsPort ? `mongodb://localhost:${tlsPort}/` : null,
        dir,
        version: FERRETDB_VERSION,
        log: () => log,
        pid: () => child.pid,
        /** Stops the server as a crash would (SIGKILL) or politely (default). */
        async stop({ kill = false } = {}) {
            if (kill && child.exitCode === null) { child.kill('SIGKILL'); await new Promise((r) => child.once('exit', r)); }
            await stopChild(child);
        },
        async restart() { await stopChild(child); await start(); },
        async cleanup() { await stopChild(child); if (!opts.dataDir) fs.rmSync(dir, { recursive: true, force: true }); },
    };
}

/** The chromium the tests drive, with the flags this machine's closed network needs. */
function chromiumLaunchOptions(userDataDir) {
    const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
    if (!executablePath) throw new Error('chromium is not installed: run `apt-get install chromium` (npm test does it)');
    return {
        executablePath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
            `--user-data-dir=${userDataDir || tmpDir('chromium')}`],
    };
}

module.exports = { freePort, waitForPort, startMosquitto, startFerretDB, ferretdbPath, chromiumLaunchOptions, stopChild, tmpDir, FERRETDB_VERSION, execFileSync };
