// The whole picochain on one machine, as a library: embedded Node-RED (RED.init + express) with
// our package from the working tree, an embedded aedes MQTT broker, the database (MONGODB_URI,
// else a mongod on PATH, else FerretDB), the simulated fleet and the shipped flows.
// scripts/start.js is its command line; the browser tests call startChain() on free ports.
'use strict';
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const services = require('./services');

const ROOT = path.join(__dirname, '..', '..');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** Flow files deployed on a fresh user dir, merged in this order (tab ids must not clash). */
const SHIPPED_FLOWS = ['flows/picochain.json', 'flows/picochain-dashboard2.json'];

/** An error the command line prints as one line, without a stack. */
class StartError extends Error {
    constructor(message) { super(message); this.name = 'StartError'; }
}

/** Resolves when host:port can be bound, else rejects with a StartError naming the flag to change. */
function checkPortFree(port, host, what, flag) {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once('error', (err) => reject(new StartError(err.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is busy on ${host}: stop what uses it or pass ${flag} <other port>`
            : `cannot listen on ${host}:${port} (${what}): ${err.message}`)));
        srv.listen(port, host, () => srv.close(() => resolve()));
    });
}

function isLoopback(host) { return LOOPBACK.has(host) || /^127\./.test(host); }

/**
 * Checks the options and fills in defaults. Pure (no I/O) so the safety rule is unit-tested:
 * listening on a non-loopback address needs an editor password and broker credentials.
 */
function resolveOptions(o = {}, env = process.env) {
    const num = (v, d) => (v === undefined || v === null || v === '' ? d : Number(v));
    const opts = {
        host: o.host || env.HOST || '127.0.0.1',
        port: num(o.port ?? env.PORT, 1880),
        mqttPort: num(o.mqttPort ?? env.MQTT_PORT, 1883),
        dbPort: num(o.dbPort ?? env.DB_PORT, 27017),
        mqttUrl: o.mqttUrl ?? env.MQTT_URL ?? null,
        mongodbUri: o.mongodbUri ?? env.MONGODB_URI ?? null,
        database: o.database || env.MONGODB_DB || 'picochain',
        devices: num(o.devices ?? env.SIM_DEVICES, 6),
        speed: num(o.speed ?? env.SIM_SPEED, 60),
        scenario: o.scenario ?? env.SIM_SCENARIO ?? undefined,
        sim: o.sim ?? !(env.SIM === '0' || env.SIM === 'false'),
        dataDir: o.dataDir || env.PICOCHAIN_DATA || path.join(ROOT, 'data'),
        resetFlows: !!o.resetFlows,
        editorUser: o.editorUser || env.NODE_RED_USERNAME || 'admin',
        editorPassword: o.editorPassword ?? env.NODE_RED_PASSWORD ?? null,
        editorPasswordHash: o.editorPasswordHash ?? env.NODE_RED_PASSWORD_HASH ?? null,
        mqttUser: o.mqttUser ?? env.MQTT_USERNAME ?? null,
        mqttPassword: o.mqttPassword ?? env.MQTT_PASSWORD ?? null,
        logLevel: o.logLevel || env.NODE_RED_LOG_LEVEL || 'warn',
        log: o.log || ((line) => console.log(line)),
        nodeRedLog: o.nodeRedLog, // optional (level, text) sink for Node-RED's own log
    };
    for (const k of ['port', 'mqttPort', 'dbPort']) {
        if (!Number.isInteger(opts[k]) || opts[k] < 0 || opts[k] > 65535) throw new StartError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a port number, not "${opts[k]}"`);
    }
    if (!Number.isInteger(opts.devices) || opts.devices < 0 || opts.devices > 500) throw new StartError(`--devices must be 0..500, not "${opts.devices}"`);
    if (!(opts.speed > 0 && opts.speed <= 3600)) throw new StartError(`--speed must be > 0 and ≤ 3600, not "${opts.speed}"`);
    if (opts.devices === 0) opts.sim = false;
    if (opts.mqttUrl && !opts.mqttUser) {
        // credentials inside MQTT_URL (mqtt://user:pass@host) count as broker credentials
        try {
            const u = new URL(opts.mqttUrl);
            if (u.username) { opts.mqttUser = decodeURIComponent(u.username); opts.mqttPassword = decodeURIComponent(u.password); }
        } catch { throw new StartError(`MQTT_URL "${opts.mqttUrl}" is not a URL such as mqtt://host:1883`); }
    }
    if (!isLoopback(opts.host)) {
        const missing = [];
        if (!opts.editorPassword && !opts.editorPasswordHash) missing.push('NODE_RED_PASSWORD (or NODE_RED_PASSWORD_HASH)');
        if (!opts.mqttUrl && !(opts.mqttUser && opts.mqttPassword)) missing.push('MQTT_USERNAME and MQTT_PASSWORD');
        if (missing.length) {
            throw new StartError(`refusing to listen on ${opts.host} without ${missing.join(' and ')}: set them in the environment, or leave --host at 127.0.0.1`);
        }
    }
    return opts;
}

/** A bcrypt hash for Node-RED's adminAuth (bcryptjs ships with node-red). */
function hashPassword(password) {
    return require('bcryptjs').hashSync(password, 10);
}

/** A client's aedes dedupe record that remembers nothing (see startAedes). */
const NO_DEDUPE = new Proxy({}, { get: () => undefined, set: () => true });

/**
 * Starts aedes on host:port; with user/password set, clients must present them. With
 * `persistenceDir`, sessions, their queued QoS 1 messages and retained messages are kept on disk
 * (LevelDB): a message the broker acknowledged to a board survives a restart of the broker.
 */
async function startAedes({ host, port, user, password, persistenceDir }) {
    const Aedes = require('aedes');
    let persistence;
    if (persistenceDir) {
        const { Level } = require('level');
        fs.mkdirSync(persistenceDir, { recursive: true, mode: 0o700 });
        persistence = require('aedes-persistence-level')(new Level(persistenceDir));
    }
    // aedes 0.x: createBroker is the constructor and returns the broker; 1.x returns a promise of it
    const aedes = await Aedes.createBroker(persistence ? { persistence } : {});
    // aedes 0.51 drops a message to a client as a "duplicate" when a later message (higher broker
    // counter) reached that client first, and its persistence reorders them: a retained status
    // waits for its LevelDB store while the next frame overtakes it (moscajs/aedes#955, #994).
    // Its dedupe only serves one client's overlapping subscriptions, which picochain's clients do
    // not make (and QoS 1 allows a duplicate): off. test/mqtt-in/aedes-order.test.js
    aedes.on('client', (client) => { client.duplicates = NO_DEDUPE; });
    if (user) {
        aedes.authenticate = (client, u, p, cb) => {
            const ok = u === user && p !== undefined && p !== null && Buffer.from(p).toString() === password;
            if (!ok) { const err = new Error('bad user name or password'); err.returnCode = 4; return cb(err, false); }
            cb(null, true);
        };
    }
    const server = net.createServer(aedes.handle);
    const sockets = new Set();
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
    const actualPort = server.address().port;
    return {
        port: actualPort,
        url: `mqtt://${isLoopback(host) ? '127.0.0.1' : host}:${actualPort}`,
        aedes,
        async stop() {
            await new Promise((r) => aedes.close(() => r()));
            for (const s of sockets) s.destroy();
            await new Promise((r) => server.close(() => r()));
            if (persistence) await new Promise((r) => persistence.destroy(() => r()));
        },
    };
}

/** Starts a mongod found on PATH with its data under dataDir. */
async function startMongod({ bin, port, dataDir, host }) {
    fs.mkdirSync(dataDir, { recursive: true });
    const child = spawn(bin, ['--dbpath', dataDir, '--port', String(port), '--bind_ip', host, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const onExit = () => { try { child.kill('SIGTERM'); } catch { /* gone */ } };
    process.once('exit', onExit);
    let log = '';
    child.stderr.on('data', (d) => { log = (log + d).slice(-4000); });
    try {
        await services.waitForPort(port, '127.0.0.1', 30000, child);
    } catch (e) {
        throw new StartError(`mongod did not start: ${e.message} ${log.trim().split('\n').pop() || ''}`);
    }
    return { uri: `mongodb://127.0.0.1:${port}/`, kind: 'mongod', stop: () => { process.removeListener('exit', onExit); return services.stopChild(child, 15000); } };
}

/** The database: MONGODB_URI as given, else mongod on PATH, else FerretDB (persistent dataDir). */
async function startDatabase(opts) {
    if (opts.mongodbUri) return { uri: opts.mongodbUri, kind: 'external', stop: async () => {} };
    const port = opts.dbPort || (await services.freePort());
    const mongod = (process.env.PICOCHAIN_NO_MONGOD ? null : whichCmd('mongod'));
    if (mongod) {
        await checkPortFree(port, opts.host, 'database', '--db-port');
        return startMongod({ bin: mongod, port, dataDir: path.join(opts.dataDir, 'mongodb'), host: '127.0.0.1' });
    }
    if (!services.ferretdbPath()) {
        throw new StartError('no database: set MONGODB_URI, install mongod, or build FerretDB with `bash scripts/setup.sh start` (needs Go)');
    }
    await checkPortFree(port, '127.0.0.1', 'database', '--db-port');
    const f = await services.startFerretDB({ port, dataDir: path.join(opts.dataDir, 'ferretdb') });
    // a process.exit() without stop() (an uncaught error, a test that bails out) must not leave
    // the server running; SIGTERM lets FerretDB close its SQLite files cleanly
    const onExit = () => { try { process.kill(f.pid(), 'SIGTERM'); } catch { /* already gone */ } };
    process.once('exit', onExit);
    return { uri: f.uri, kind: `FerretDB ${f.version}`, stop: async () => { process.removeListener('exit', onExit); await f.stop(); } };
}

function whichCmd(cmd) {
    for (const dir of (process.env.PATH || '').split(path.delimiter)) {
        const p = path.join(dir, cmd);
        try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
    }
    return null;
}

/** The shipped flows merged into one flow list (files that do not exist yet are skipped). */
function shippedFlows(files = SHIPPED_FLOWS) {
    const out = [];
    const seen = new Set();
    for (const f of files) {
        const file = path.join(ROOT, f);
        if (!fs.existsSync(file)) continue;
        for (const n of JSON.parse(fs.readFileSync(file, 'utf8'))) {
            if (seen.has(n.id)) continue; // shared config nodes (the dashboard theme, the database) appear once
            seen.add(n.id);
            out.push(n);
        }
    }
    return out;
}

/** The dashboards' paths (pages and their socket.io endpoints). */
const DASHBOARD_PATHS = /^\/(ui|dashboard)(\/|$|\?)/;

/**
 * HTTP basic auth (the editor's user and bcrypt hash) in front of both dashboards, including their
 * socket.io endpoints, which bypass express: an embedding app must do what node-red's own launcher
 * does with settings.httpNodeAuth. Accepted headers are remembered so bcrypt runs once per client.
 */
function guardDashboards(server, { user, pass }) {
    const bcrypt = require('bcryptjs');
    const ok = new Set();
    const authorized = (req) => {
        const h = req.headers.authorization || '';
        if (ok.has(h)) return true;
        const m = /^Basic (.+)$/i.exec(h);
        if (!m) return false;
        const text = Buffer.from(m[1], 'base64').toString('utf8');
        const i = text.indexOf(':');
        if (i < 0 || text.slice(0, i) !== user || !bcrypt.compareSync(text.slice(i + 1), pass)) return false;
        if (ok.size < 1000) ok.add(h);
        return true;
    };
    const emit = server.emit;
    server.emit = function (event, req, resOrSocket) {
        if ((event === 'request' || event === 'upgrade') && DASHBOARD_PATHS.test(req.url || '') && !authorized(req)) {
            if (event === 'upgrade') { resOrSocket.destroy(); return true; }
            resOrSocket.writeHead(401, { 'WWW-Authenticate': 'Basic realm="picochain dashboard"' });
            resOrSocket.end('authentication required');
            return true;
        }
        return emit.apply(this, arguments);
    };
}

/**
 * Gives the flows' env-configured broker nodes (broker "${MQTT_HOST}") the broker credentials, as
 * Node-RED credentials (encrypted in flows_cred.json, never in flows.json), and redeploys.
 */
async function setBrokerCredentials(RED, flowFile, user, password) {
    let changed = false;
    const flows = JSON.parse(fs.readFileSync(flowFile, 'utf8')).map((n) => {
        if (n.type !== 'picochain-broker' || n.broker !== '${MQTT_HOST}') return n;
        changed = true;
        return { ...n, credentials: { user, password } };
    });
    if (changed) await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
}

/** Node types a flow list uses that the runtime does not know (subflow instances excluded). */
function unknownTypes(RED, flows) {
    const subflows = new Set(flows.filter((n) => n.type === 'subflow').map((n) => `subflow:${n.id}`));
    const skip = new Set(['tab', 'subflow', 'group', 'junction']);
    return [...new Set(flows.map((n) => n.type).filter((t) => !skip.has(t) && !subflows.has(t) && !RED.nodes.getType(t)))];
}

/**
 * Starts the chain. Resolves to { editorUrl, dashboardUrl, dashboard2Url, mqttUrl, mongodbUri,
 * dbKind, fleet, RED, startupMs, stop() }. Port 0 = a free port (tests).
 */
async function startChain(options = {}) {
    const t0 = Date.now();
    const opts = resolveOptions(options, options.env || process.env);
    const log = opts.log;
    const stops = []; // run in reverse on stop()
    let stopped = false;
    const stop = async () => {
        if (stopped) return;
        stopped = true;
        for (const s of stops.reverse()) {
            try { await s.fn(); } catch (e) { log(`picochain: stopping ${s.what}: ${e.message}`); }
        }
    };
    try {
        // 1. ports first, so a busy one fails before anything starts
        if (opts.port) await checkPortFree(opts.port, opts.host, 'Node-RED', '--port');
        if (!opts.mqttUrl && opts.mqttPort) await checkPortFree(opts.mqttPort, opts.host, 'MQTT broker', '--mqtt-port');
        fs.mkdirSync(opts.dataDir, { recursive: true });

        // 2. broker and database in parallel
        const brokerP = opts.mqttUrl
            ? Promise.resolve({ url: opts.mqttUrl, external: true, stop: async () => {} })
            : startAedes({ host: opts.host, port: opts.mqttPort, user: opts.mqttUser, password: opts.mqttPassword, persistenceDir: path.join(opts.dataDir, 'mqtt') });
        const dbP = startDatabase(opts);
        const [broker, db] = await Promise.allSettled([brokerP, dbP]).then((r) => {
            const failed = r.find((x) => x.status === 'rejected');
            if (failed) {
                r.forEach((x, i) => { if (x.status === 'fulfilled') stops.push({ what: i ? 'database' : 'broker', fn: x.value.stop }); });
                throw failed.reason;
            }
            return r.map((x) => x.value);
        });
        stops.push({ what: 'database', fn: db.stop });
        stops.push({ what: 'MQTT broker', fn: broker.stop });

        // 3. what the flows read from the environment (config nodes use ${MQTT_HOST} etc.);
        // restored on stop so a later startChain() in the same process starts afresh
        const bu = new URL(broker.url);
        bu.username = '';
        bu.password = '';
        const envKeys = ['MQTT_HOST', 'MQTT_PORT', 'MQTT_TLS', 'MONGODB_URI', 'MONGODB_DB', 'PICOCHAIN_SITE', 'MQTT_USERNAME', 'MQTT_PASSWORD'];
        const savedEnv = Object.fromEntries(envKeys.map((k) => [k, process.env[k]]));
        stops.push({ what: 'environment', fn: async () => { for (const k of envKeys) { if (savedEnv[k] === undefined) delete process.env[k]; else process.env[k] = savedEnv[k]; } } });
        Object.assign(process.env, {
            MQTT_HOST: bu.hostname === '0.0.0.0' ? '127.0.0.1' : bu.hostname,
            MQTT_PORT: String(bu.port || 1883),
            MQTT_TLS: bu.protocol === 'mqtts:' ? 'true' : 'false',
            MONGODB_URI: db.uri,
            MONGODB_DB: opts.database,
            PICOCHAIN_SITE: process.env.PICOCHAIN_SITE || 'demo',
        });
        if (opts.mqttUser) { process.env.MQTT_USERNAME = opts.mqttUser; process.env.MQTT_PASSWORD = opts.mqttPassword || ''; }

        // 4. Node-RED
        const userDir = path.join(opts.dataDir, 'node-red');
        fs.mkdirSync(userDir, { recursive: true });
        const flowFile = path.join(userDir, 'flows.json');
        let flowsNote = 'your flows (data/node-red/flows.json)';
        if (opts.resetFlows || !fs.existsSync(flowFile)) {
            // options.flowPatch (tests): adjusts the shipped flows before the first deploy
            const flows = typeof options.flowPatch === 'function' ? options.flowPatch(shippedFlows()) : shippedFlows();
            fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
            flowsNote = 'the shipped flows';
        }
        const settings = { ...require(path.join(ROOT, 'settings', 'settings.js')) };
        delete require.cache[require.resolve(path.join(ROOT, 'settings', 'settings.js'))];
        Object.assign(settings, {
            uiHost: opts.host,
            uiPort: opts.port,
            userDir,
            flowFile: 'flows.json',
            logging: {
                console: { level: opts.logLevel, metrics: false, audit: false },
                ...(opts.nodeRedLog ? { sink: { level: 'info', metrics: false, audit: false, handler: () => (m) => opts.nodeRedLog(m.level, m.msg) } } : {}),
            },
        });
        // required off loopback; used on loopback too whenever a password is given
        if (!isLoopback(opts.host) || opts.editorPassword || opts.editorPasswordHash) {
            const hash = opts.editorPasswordHash || hashPassword(opts.editorPassword);
            settings.adminAuth = { type: 'credentials', users: [{ username: opts.editorUser, password: hash, permissions: '*' }] };
            settings.httpNodeAuth = { user: opts.editorUser, pass: hash };
        }
        const express = require('express');
        const RED = require('node-red');
        const app = express();
        const server = http.createServer(app);
        if (settings.httpNodeAuth) guardDashboards(server, settings.httpNodeAuth);
        RED.init(server, settings);
        app.use(settings.httpAdminRoot, RED.httpAdmin);
        app.use(settings.httpNodeRoot, RED.httpNode);
        await new Promise((resolve, reject) => { server.once('error', reject); server.listen(opts.port, opts.host, resolve); });
        const port = server.address().port;
        const sockets = new Set();
        server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
        const nodeRedStop = {
            what: 'Node-RED',
            fn: async () => {
                await RED.stop(); // closes every node: the writer flushes, the alert node saves its state
                for (const s of sockets) s.destroy();
                await new Promise((r) => server.close(() => r()));
            },
        };
        stops.push(nodeRedStop);
        await RED.start();
        if (opts.mqttUser) await setBrokerCredentials(RED, flowFile, opts.mqttUser, opts.mqttPassword || '');
        const missing = unknownTypes(RED, JSON.parse(fs.readFileSync(flowFile, 'utf8')));
        if (missing.length) log(`picochain: the flows use node types this Node-RED does not have: ${missing.join(', ')}`);

        // 5. the simulated fleet
        let fleet = null;
        if (opts.sim) {
            let startFleet;
            try {
                ({ startFleet } = require(path.join(ROOT, 'sim', 'fleet.js')));
            } catch (e) {
                log(`picochain: simulated fleet not available (${e.message.split('\n')[0]}); starting without it`);
            }
            if (startFleet) {
                const brokerUrl = opts.mqttUser && !opts.mqttUrl
                    ? `mqtt://${encodeURIComponent(opts.mqttUser)}:${encodeURIComponent(opts.mqttPassword)}@127.0.0.1:${broker.port}`
                    : broker.external ? broker.url : `mqtt://127.0.0.1:${broker.port}`;
                try {
                    fleet = await startFleet({
                        brokerUrl, devices: opts.devices, speed: opts.speed, liveAfterCatchUp: true, site: process.env.PICOCHAIN_SITE,
                        ...(opts.scenario !== undefined ? { scenario: opts.scenario } : {}),
                        log: options.fleetLog || (() => {}),
                    });
                    // stopped after Node-RED: boards going offline at shutdown are not alerts
                    stops.splice(stops.indexOf(nodeRedStop), 0, { what: 'simulated fleet', fn: () => fleet.stop() });
                } catch (e) {
                    log(`picochain: the simulated fleet did not start (${e.message.split('\n')[0]}); starting without it`);
                }
            }
        }

        const shownHost = opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
        const base = `http://${shownHost}:${port}`;
        return {
            editorUrl: `${base}/`,
            dashboardUrl: `${base}/ui/`,
            dashboard2Url: `${base}/dashboard/`,
            port,
            mqttUrl: broker.url,
            mqttPort: broker.port,
            mongodbUri: db.uri,
            database: opts.database,
            dbKind: db.kind,
            flowsNote,
            fleet,
            RED,
            settings,
            startupMs: Date.now() - t0,
            stop,
        };
    } catch (e) {
        await stop();
        throw e;
    }
}

module.exports = { startChain, resolveOptions, checkPortFree, startAedes, shippedFlows, unknownTypes, hashPassword, StartError, SHIPPED_FLOWS, ROOT };
