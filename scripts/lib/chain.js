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
const brokerAuth = require('./broker-auth');
const secrets = require('./secrets');
const { seedBrokerCredentials, setBrokerCredentials } = require('./broker-credentials');
const { installGuard } = require('./http-guard');
const { startAedes, isLoopback } = require('./embedded-broker');

const ROOT = path.join(__dirname, '..', '..');
/** Flow files deployed on a fresh user dir, merged in this order (the chain tab is in both). */
const SHIPPED_FLOWS = ['examples/full chain with node-red-dashboard.json', 'examples/full chain with Dashboard 2.0.json'];
/**
 * The examples' broker and database are this machine's defaults; here they are wherever the
 * start put them, named by the environment it sets (step 3 of startChain).
 */
const FROM_ENV = {
    'picochain-broker': { broker: '${MQTT_HOST}', port: '${MQTT_PORT}', tls: '${MQTT_TLS}', caFile: '${MQTT_CA_FILE}', clientId: '${MQTT_CLIENT_ID}' },
    'picochain-mongo-config': { uri: '${MONGODB_URI}', database: '${MONGODB_DB}' },
    // several instances (--share-group, docs/SCALING.md): the readings split by a shared subscription
    // (status messages still reach every instance), the alert state kept in the database
    'picochain-mqtt-in': (n) => (/\/status$/.test(n.topic) ? {} : { shareGroup: '${PICOCHAIN_SHARE_GROUP}' }),
    'picochain-alert': (n) => (n.mongo ? { group: '${PICOCHAIN_SHARE_GROUP}' } : {}),
};

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
        viewerUser: o.viewerUser || env.PICOCHAIN_VIEWER_USERNAME || 'viewer',
        viewerPassword: o.viewerPassword ?? env.PICOCHAIN_VIEWER_PASSWORD ?? null,
        viewerPasswordHash: o.viewerPasswordHash ?? env.PICOCHAIN_VIEWER_PASSWORD_HASH ?? null,
        shareGroup: String(o.shareGroup ?? env.PICOCHAIN_SHARE_GROUP ?? '').trim(),
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
    if (opts.shareGroup) {
        if (!/^[^/#+\0\s]{1,128}$/.test(opts.shareGroup)) throw new StartError(`--share-group "${opts.shareGroup}": 1 to 128 characters, no / # + or space`);
        // aedes has neither MQTT 5 nor shared subscriptions: each instance would take every message
        if (!opts.mqttUrl) throw new StartError('--share-group needs a broker with shared subscriptions (Mosquitto, EMQX, HiveMQ): give it with --mqtt-url; the embedded broker has none');
    }
    if (opts.mqttUrl && !opts.mqttUser) {
        // credentials inside MQTT_URL (mqtt://user:pass@host) count as broker credentials
        try {
            const u = new URL(opts.mqttUrl);
            if (u.username) { opts.mqttUser = decodeURIComponent(u.username); opts.mqttPassword = decodeURIComponent(u.password); }
        } catch { throw new StartError(`MQTT_URL "${opts.mqttUrl}" is not a URL such as mqtt://host:1883`); }
    }
    if (!isLoopback(opts.host)) {
        // the embedded broker always asks each client for its own identity; an external one
        // must be given the server's, else anyone on the network could feed the flows
        const missing = [];
        if (!opts.editorPassword && !opts.editorPasswordHash) missing.push('NODE_RED_PASSWORD (or NODE_RED_PASSWORD_HASH)');
        if (opts.mqttUrl && !(opts.mqttUser && opts.mqttPassword)) missing.push('credentials for the external broker (MQTT_USERNAME and MQTT_PASSWORD, or in MQTT_URL)');
        if (missing.length) {
            throw new StartError(`refusing to listen on ${opts.host} without ${missing.join(' and ')}: set them in the environment, or leave --host at 127.0.0.1`);
        }
    }
    if ((opts.viewerPassword || opts.viewerPasswordHash) && !opts.editorPassword && !opts.editorPasswordHash) {
        throw new StartError('a viewer password (PICOCHAIN_VIEWER_PASSWORD) needs an editor password too (NODE_RED_PASSWORD)');
    }
    return opts;
}

/** A bcrypt hash for Node-RED's adminAuth (bcryptjs ships with node-red). */
function hashPassword(password) {
    return require('bcryptjs').hashSync(password, 10);
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

/**
 * The shipped flows merged into one flow list (files that do not exist yet are skipped): a node
 * in several files (the chain tab, the config nodes) appears once, its link nodes joined to the
 * pages of every file; broker and database taken from the environment (FROM_ENV).
 */
function shippedFlows(files = SHIPPED_FLOWS) {
    const byId = new Map();
    for (const f of files) {
        const file = path.join(ROOT, f);
        if (!fs.existsSync(file)) continue;
        for (const n of JSON.parse(fs.readFileSync(file, 'utf8'))) {
            // the module information is for importing; deployed, it would clash with a re-import
            // of the same example (Node-RED 4.1's editor fails to replace a global-config node)
            if (n.type === 'global-config') continue;
            const seen = byId.get(n.id);
            const fromEnv = typeof FROM_ENV[n.type] === 'function' ? FROM_ENV[n.type](n) : FROM_ENV[n.type];
            if (!seen) byId.set(n.id, { ...n, ...fromEnv });
            else if (Array.isArray(n.links)) seen.links = [...new Set([...seen.links, ...n.links])];
        }
    }
    return [...byId.values()];
}

/** Broker identities for the simulated fleet (sim/fleet.js options credentials and monitorUrl). */
function simIdentities(identities, port) {
    const monitor = { user: 'picochain-sim-monitor', password: brokerAuth.generatePassword() };
    identities.add(monitor.user, monitor.password, `user ${monitor.user}\ntopic read picochain/#\n`);
    return {
        monitorUrl: `mqtt://${encodeURIComponent(monitor.user)}:${encodeURIComponent(monitor.password)}@127.0.0.1:${port}`,
        credentials(site, device) {
            const c = { user: `${site}/${device}`, password: brokerAuth.generatePassword() };
            identities.add(c.user, c.password);
            return c;
        },
    };
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
        fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
        const secret = secrets.credentialSecret(opts.dataDir, options.env || process.env);
        if (secret.created) log(`picochain: generated the credential secret ${secret.source} (mode 0600): back it up apart from data/node-red, or set NODE_RED_CREDENTIAL_SECRET`);

        // 2. broker and database in parallel. The server (Node-RED) has its own broker identity:
        // MQTT_USERNAME/MQTT_PASSWORD, or for the embedded broker picochain-server with a password
        // derived from the credential secret (stable across starts, never written anywhere)
        const serverId = { user: opts.mqttUser || 'picochain-server', password: opts.mqttPassword || secrets.deriveSecret(secret.secret, 'mqtt-server') };
        let identities = null;
        if (!opts.mqttUrl) {
            brokerAuth.ensureAcl(opts.dataDir);
            identities = new brokerAuth.BrokerIdentities({ ...brokerAuth.brokerFiles(opts.dataDir), extra: { [serverId.user]: { password: serverId.password, acl: brokerAuth.serverAcl(serverId.user) } } });
        }
        const brokerP = opts.mqttUrl
            ? Promise.resolve({ url: opts.mqttUrl, external: true, stop: async () => {} })
            : startAedes({ host: opts.host, port: opts.mqttPort, identities, log, persistenceDir: path.join(opts.dataDir, 'mqtt', 'sessions') });
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
        const envKeys = ['MQTT_HOST', 'MQTT_PORT', 'MQTT_TLS', 'MONGODB_URI', 'MONGODB_DB', 'PICOCHAIN_SITE', 'MQTT_USERNAME', 'MQTT_PASSWORD', 'PICOCHAIN_SHARE_GROUP'];
        const savedEnv = Object.fromEntries(envKeys.map((k) => [k, process.env[k]]));
        stops.push({ what: 'environment', fn: async () => { for (const k of envKeys) { if (savedEnv[k] === undefined) delete process.env[k]; else process.env[k] = savedEnv[k]; } } });
        Object.assign(process.env, {
            MQTT_HOST: bu.hostname === '0.0.0.0' ? '127.0.0.1' : bu.hostname,
            MQTT_PORT: String(bu.port || 1883),
            MQTT_TLS: bu.protocol === 'mqtts:' ? 'true' : 'false',
            MONGODB_URI: db.uri,
            MONGODB_DB: opts.database,
            PICOCHAIN_SITE: process.env.PICOCHAIN_SITE || 'demo',
            // '' = one instance takes every reading (FROM_ENV: the readings' inputs and the alert node)
            PICOCHAIN_SHARE_GROUP: opts.shareGroup,
        });
        // no password in the environment: function nodes and child processes can read it there
        delete process.env.MQTT_PASSWORD;

        // 3b. the device registry learns the simulated boards' cabinet kinds (sim/registry.js), so
        // each is judged by its profile's rules from its first reading; existing entries are kept
        if (opts.sim) {
            try {
                await require(path.join(ROOT, 'sim', 'registry.js')).seedRegistry({ uri: db.uri, database: opts.database, devices: opts.devices, scenario: opts.scenario, site: process.env.PICOCHAIN_SITE });
            } catch (e) {
                log(`picochain: the simulated boards are not in the device registry (${e.message.split('\n')[0]}); assign them on the Fleet page`);
            }
        }

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
        if (secrets.rekeyOldCredentials(path.join(userDir, 'flows_cred.json'), secret.secret)) log('picochain: re-encrypted data/node-red/flows_cred.json with the credential secret (it used the old fixed key)');
        if (identities || opts.mqttUser) seedBrokerCredentials(flowFile, secret.secret, serverId.user, serverId.password);
        Object.assign(settings, {
            uiHost: opts.host,
            uiPort: opts.port,
            userDir,
            flowFile: 'flows.json',
            credentialSecret: secret.secret,
            // npm start only: the plugin telling Dashboard 2.0 who opened each socket
            nodesDir: [...settings.nodesDir, path.join(__dirname, 'dashboard-user')],
            ui: { ...settings.ui, ioMiddleware: require('./dashboard-user/dashboard-user').stampSocket },
            logging: {
                console: { level: opts.logLevel, metrics: false, audit: false },
                ...(opts.nodeRedLog ? { sink: { level: 'info', metrics: false, audit: false, handler: () => (m) => opts.nodeRedLog(m.level, m.msg) } } : {}),
            },
        });
        // one guard for editor, dashboards and their sockets (http-guard.js): required off
        // loopback (resolveOptions), used on loopback too whenever a password is given
        const users = [];
        if (opts.editorPassword || opts.editorPasswordHash) users.push({ username: opts.editorUser, hash: opts.editorPasswordHash || hashPassword(opts.editorPassword), role: 'admin' });
        if (opts.viewerPassword || opts.viewerPasswordHash) users.push({ username: opts.viewerUser, hash: opts.viewerPasswordHash || hashPassword(opts.viewerPassword), role: 'viewer' });
        const express = require('express');
        const RED = require('node-red');
        const app = express();
        const server = http.createServer(app);
        const guard = installGuard(server, { users, log });
        if (users.length) {
            settings.adminAuth = {
                type: 'credentials', users: [{ username: users[0].username, password: users[0].hash, permissions: '*' }],
                tokens: guard.tokens, tokenHeader: guard.tokenHeader,
            };
        }
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
                await RED.stop(); // closes every node: the writer syncs its spool, the alert node saves its state
                for (const s of sockets) s.destroy();
                await new Promise((r) => server.close(() => r()));
            },
        };
        stops.push(nodeRedStop);
        await RED.start();
        if (identities || opts.mqttUser) await setBrokerCredentials(RED, flowFile, serverId.user, serverId.password);
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
                const brokerUrl = broker.external ? broker.url : `mqtt://127.0.0.1:${broker.port}`;
                try {
                    fleet = await startFleet({
                        brokerUrl, devices: opts.devices, speed: opts.speed, liveAfterCatchUp: true, site: process.env.PICOCHAIN_SITE,
                        // on the embedded broker each simulated board is <site>/<device> with its own
                        // password (in memory only), and the fleet's monitor may only read
                        ...(identities ? simIdentities(identities, broker.port) : {}),
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
            mqttUrl: require(path.join(ROOT, 'sim', 'fleet.js')).redactUrl(broker.url), // no password in a banner
            mqttUser: serverId.user,
            secretSource: secret.source,
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

module.exports = { startChain, resolveOptions, checkPortFree, shippedFlows, unknownTypes, hashPassword, StartError, SHIPPED_FLOWS, ROOT };
