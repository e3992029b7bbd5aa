// Runs scripts/lib/chain.js's startChain() in its own process (Node-RED is a singleton per
// process, and the mocha run holds other Node-RED instances): options as JSON in argv[2]; prints
// one line `READY <json>` when up; reads commands from stdin, one JSON per line:
//   {"cmd":"inject","device":"fridge-1","fault":"door"}  → `OK <id>` / `ERR <id> <message>`
//   {"cmd":"status"}                                   → `OK <id> <fleet status json>`
//   {"cmd":"receive","node":"<id>","msg":{...}}        → the node receives msg (as from a wire)
// SIGTERM stops the chain (flushing) and exits.
'use strict';
const path = require('path');
const readline = require('readline');
const { startChain } = require(path.join(__dirname, '..', '..', '..', 'scripts', 'lib', 'chain'));

const opts = JSON.parse(process.argv[2] || '{}');
const forTime = opts.alertForS;
const silentS = opts.alertSilentS;
const debugAcks = opts.debugAcks;
delete opts.alertForS;
delete opts.alertSilentS;
delete opts.debugAcks;
/**
 * Test adjustments of the shipped flows: alert rules hold for a shorter pending time (a test does
 * not wait an hour of readings), a device is silent sooner (alertSilentS), and acknowledgements are
 * shown in the debug sidebar (debugAcks).
 */
function patch(flows) {
    let out = flows.map((n) => (n.type !== 'picochain-alert' ? n : {
        ...n,
        ...(silentS === undefined ? {} : { silent: String(silentS) }),
        rules: (n.rules || []).map((r) => (forTime === undefined ? r : { ...r, warningFor: r.warningFor ? String(forTime) : r.warningFor, criticalFor: r.criticalFor ? String(forTime) : r.criticalFor })),
    }));
    if (debugAcks) {
        const by = out.find((n) => n.type === 'function' && n.name === 'who asks');
        out = out.map((n) => (n === by ? { ...n, wires: [[...n.wires[0], 'test-ack-debug']] } : n));
        out.push({ id: 'test-ack-debug', type: 'debug', z: by.z, name: 'acks', active: true, tosidebar: true, console: false, complete: 'true', targetType: 'full', x: 0, y: 0, wires: [] });
    }
    return out;
}
let chain;
(async () => {
    chain = await startChain({
        ...opts,
        log: (l) => process.stderr.write(`${l}\n`),
        nodeRedLog: (level, m) => { if (level <= 30) process.stderr.write(`[node-red ${level}] ${m}\n`); },
        // see patch() above
        flowPatch: forTime === undefined && silentS === undefined && !debugAcks ? undefined : patch,
    });
    const { editorUrl, dashboardUrl, dashboard2Url, mqttUrl, mongodbUri, database, dbKind, startupMs } = chain;
    process.stdout.write(`READY ${JSON.stringify({ editorUrl, dashboardUrl, dashboard2Url, mqttUrl, mongodbUri, database, dbKind, startupMs, dataDir: opts.dataDir, devices: chain.fleet ? chain.fleet.devices : [] })}\n`);
})().catch((e) => { process.stdout.write(`FAILED ${JSON.stringify(e.message)}\n`); process.exit(1); });

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
    let req;
    try { req = JSON.parse(line); } catch { return; }
    try {
        if (req.cmd === 'receive') {
            const node = chain && chain.RED.nodes.getNode(req.node);
            if (!node) throw new Error(`no node ${req.node}`);
            node.receive(req.msg);
            process.stdout.write(`OK ${req.id}\n`);
            return;
        }
        if (!chain || !chain.fleet) throw new Error('no fleet');
        if (req.cmd === 'inject') await chain.fleet.inject(req.device, req.fault, req.opts || {});
        const out = req.cmd === 'status' ? ` ${JSON.stringify(chain.fleet.status())}` : '';
        process.stdout.write(`OK ${req.id}${out}\n`);
    } catch (e) {
        process.stdout.write(`ERR ${req.id} ${e.message}\n`);
    }
});

async function shutdown() {
    if (chain) await chain.stop();
    process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// the test process went away (crash, Ctrl-C, a pipe closed): do not outlive it
process.stdin.on('end', shutdown);
