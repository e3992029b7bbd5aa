#!/usr/bin/env node
// `npm start`: the whole picochain on this machine (scripts/lib/chain.js does the work).
'use strict';
const { startChain, StartError } = require('./lib/chain');
const { parseArgs: parseArgsWith } = require('./lib/args');

const HELP = `Usage: npm start -- [options]      (or: node scripts/start.js [options])

Starts Node-RED with the picochain nodes and flows, an MQTT broker, a database and a simulated
fleet of Pico W fridges and freezers, all on 127.0.0.1. Data stays in ./data between starts.
The embedded broker admits only identities: each board its own (npm run provision), the flows
picochain-server [MQTT_USERNAME, MQTT_PASSWORD; default password derived from the credential
secret]. Node-RED's credentials are encrypted with NODE_RED_CREDENTIAL_SECRET, else a key
generated into <data>/credential-secret (mode 0600). With an editor password, the dashboards
ask for a login too; PICOCHAIN_VIEWER_PASSWORD or a bcrypt PICOCHAIN_VIEWER_PASSWORD_HASH (user
PICOCHAIN_VIEWER_USERNAME, default viewer) adds a read-only login for the dashboards only.

Options (environment variable in brackets):
  --port N            Node-RED editor and dashboards port [PORT] (default 1880)
  --mqtt-port N       embedded MQTT broker port [MQTT_PORT] (default 1883)
  --db-port N         embedded database port [DB_PORT] (default 27017)
  --mqtt-url URL      use this broker instead of the embedded one [MQTT_URL]
  --mongodb-uri URI   use this database instead of mongod/FerretDB [MONGODB_URI]
  --devices N         simulated boards [SIM_DEVICES] (default 6)
  --speed X           simulated clock speed-up [SIM_SPEED] (default 60: an hour per minute)
  --scenario FILE     simulated fault schedule [SIM_SCENARIO] (default sim/scenarios/default.json)
  --no-sim            no simulated boards: real Pico W boards publish to the broker [SIM=0]
  --share-group NAME  one of several Node-RED instances splitting the readings through an MQTT 5
                      shared subscription $share/NAME/... (needs --mqtt-url), alert state in the
                      database [PICOCHAIN_SHARE_GROUP]; each instance its own broker identity
                      (MQTT_USERNAME) or MQTT_CLIENT_ID, and its own --data (docs/SCALING.md)
  --reset-flows       deploy the shipped flows again, replacing data/node-red/flows.json
  --host ADDR         listen on ADDR instead of 127.0.0.1 [HOST]; refuses unless the editor
                      password [NODE_RED_PASSWORD or NODE_RED_PASSWORD_HASH, user NODE_RED_USERNAME,
                      default admin] is set, and with --mqtt-url the external broker's credentials
                      [MQTT_USERNAME, MQTT_PASSWORD, or in the URL]
  --data DIR          data directory [PICOCHAIN_DATA] (default ./data)
  --verbose           Node-RED's log at info level [NODE_RED_LOG_LEVEL]
  -h, --help          this text

The database is MONGODB_URI if set, else a mongod on PATH, else FerretDB (built once by
scripts/setup.sh). Ctrl-C stops everything; readings not yet in the database stay in the
writer's spool (data/node-red/picochain-spool) and are written at the next start.`;

const OPTIONS = {
    values: {
        '--port': 'port', '--mqtt-port': 'mqttPort', '--db-port': 'dbPort', '--mqtt-url': 'mqttUrl',
        '--mongodb-uri': 'mongodbUri', '--devices': 'devices', '--speed': 'speed', '--scenario': 'scenario',
        '--host': 'host', '--data': 'dataDir', '--share-group': 'shareGroup',
    },
    switches: { '-h': { help: true }, '--help': { help: true }, '--no-sim': { sim: false }, '--reset-flows': { resetFlows: true }, '--verbose': { logLevel: 'info' } },
};
const parseArgs = (argv) => parseArgsWith(argv, OPTIONS, (m) => new StartError(m));

async function main() {
    let o;
    try {
        o = parseArgs(process.argv.slice(2));
    } catch (e) {
        console.error(`picochain: ${e.message}`);
        process.exit(2);
    }
    if (o.help) { console.log(HELP); return; }
    console.log('picochain: starting (broker, database, Node-RED, simulated fleet)…');
    let chain;
    try {
        chain = await startChain(o);
    } catch (e) {
        console.error(`picochain: ${e instanceof StartError ? e.message : (e && e.message) || e}`);
        if (!(e instanceof StartError) && process.env.DEBUG) console.error(e);
        process.exit(1);
    }
    const fleetLine = chain.fleet ? `${chain.fleet.devices.length} simulated boards at ${o.speed || process.env.SIM_SPEED || 60}×` : 'no simulated boards (--no-sim or not available)';
    console.log([
        `picochain: ready in ${(chain.startupMs / 1000).toFixed(1)} s`,
        `  editor       ${chain.editorUrl}`,
        `  dashboard    ${chain.dashboardUrl}   (node-red-dashboard)`,
        `  dashboard 2  ${chain.dashboard2Url}   (FlowFuse Dashboard 2.0)`,
        `  MQTT         ${chain.mqttUrl}   (real boards log in as themselves: npm run provision)`,
        `  database     ${chain.dbKind}, ${chain.mongodbUri.replace(/\/\/[^@/]*@/, '//***@')} db ${chain.database}`,
        `  fleet        ${fleetLine}`,
        `  flows        ${chain.flowsNote}`,
        'Ctrl-C stops everything.',
    ].join('\n'));
    let stopping = false;
    const onSignal = async (sig) => {
        if (stopping) { console.error('picochain: forced exit'); process.exit(130); }
        stopping = true;
        console.log(`\npicochain: ${sig}: stopping (readings not yet stored stay in the spool; Ctrl-C again to force)…`);
        const t = Date.now();
        await chain.stop();
        console.log(`picochain: stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
        process.exit(0);
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
}

main();
