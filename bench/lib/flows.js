'use strict';
// Flows the pipeline bench deploys in Node-RED (through scripts/start.js):
// - picochainPipeline(): the shipped flow's own path from the broker to the database: its MQTT
//   input nodes and the picochain nodes wired after them (picochain-decode, picochain-mongo-ts, and
//   any other picochain node or `complete` node on that path, e.g. for acknowledgements), with the
//   shipped settings; dashboards, alerts and bad-input counters left out. Taken from
//   the full chains npm start deploys (scripts/lib/chain.js shippedFlows), so it follows them.
// - nodeRedMongodb(): what one builds with stock nodes: core `mqtt in` (JSON) → a function shaping
//   the document → node-red-node-mongodb's `mongodb out` (insert).
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const MQTT_INPUTS = new Set(['mqtt in', 'picochain-mqtt-in']);
// the storage path: presentation, alerting, the device registry, board settings and history reading
// are not part of it (the baselines do none of them)
const ON_PATH = (type) => MQTT_INPUTS.has(type) || type === 'complete'
    || (/^picochain-/.test(type) && !['picochain-alert', 'picochain-history', 'picochain-devices', 'picochain-board-config'].includes(type));

function picochainPipeline() {
    // what npm start deploys: the full chains with broker and database from its environment
    const flows = require(path.join(ROOT, 'scripts', 'lib', 'chain')).shippedFlows();
    const byId = new Map(flows.map((n) => [n.id, n]));
    const keep = new Set();
    const visit = (id) => {
        const n = byId.get(id);
        if (!n || keep.has(id) || !ON_PATH(n.type)) return;
        keep.add(id);
        for (const out of n.wires || []) for (const next of out) visit(next);
    };
    for (const n of flows) if (MQTT_INPUTS.has(n.type)) visit(n.id);
    // `complete` nodes scoped on kept nodes (an acknowledgement path may use them)
    for (const n of flows) {
        if (n.type === 'complete' && Array.isArray(n.scope) && n.scope.some((id) => keep.has(id))) visit(n.id);
    }
    // config nodes and tabs the kept nodes point at
    for (const id of [...keep]) {
        for (const v of Object.values(byId.get(id))) {
            if (typeof v === 'string' && byId.has(v) && !keep.has(v) && !byId.get(v).z && byId.get(v).type !== 'tab') keep.add(v);
        }
    }
    const out = flows.filter((n) => keep.has(n.id)).map((n) => ({
        ...n,
        ...(n.wires ? { wires: n.wires.map((o) => o.filter((id) => keep.has(id))) } : {}),
    }));
    for (const z of new Set(out.map((n) => n.z).filter(Boolean))) {
        const tab = byId.get(z);
        if (tab) out.unshift(tab);
    }
    return out;
}

function nodeRedMongodb({ mqttHost, mqttPort, dbHost, dbPort, database }) {
    return [
        { id: 'bench-tab', type: 'tab', label: 'node-red-node-mongodb' },
        { id: 'bench-broker', type: 'mqtt-broker', name: 'broker', broker: mqttHost, port: String(mqttPort), clientid: 'bench-nr-mongodb',
            autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: false },
        { id: 'bench-in', type: 'mqtt in', z: 'bench-tab', topic: 'picochain/+/+/stats', qos: '1', datatype: 'json', broker: 'bench-broker',
            nl: false, rap: true, rh: 0, inputs: 0, wires: [['bench-shape']] },
        { id: 'bench-shape', type: 'function', z: 'bench-tab', name: 'frame → documents', outputs: 1, wires: [['bench-out']], func: [
            'const f = msg.payload;',
            'const time = new Date(f.ts * 1000);',
            'const receivedAt = new Date();',
            'return [f.sensors.map((s) => ({ payload: {',
            '    time, meta: { device: f.device, sensor: s.sensor, site: f.site, unit: s.unit ?? null, source: "json-v1" },',
            '    deviceTime: time, receivedAt, window: f.window, count: s.count, min: s.min, max: s.max, mean: s.mean,',
            '    std: s.std, slope: s.slope, last: s.last, seq: f.seq, state: s.state ?? null,',
            '} }))];',
        ].join('\n') },
        { id: 'bench-db', type: 'mongodb', hostname: dbHost, topology: 'direct', connectOptions: '', port: String(dbPort), db: database, name: '' },
        { id: 'bench-out', type: 'mongodb out', z: 'bench-tab', mongodb: 'bench-db', name: '', collection: 'readings', payonly: true,
            upsert: false, multi: false, operation: 'insert', wires: [] },
    ];
}

/** Writes `flows` as the Node-RED user dir's flows.json under a start.js data dir (start.js then keeps them). */
function writeFlows(dataDir, flows) {
    const userDir = path.join(dataDir, 'node-red');
    fs.mkdirSync(userDir, { recursive: true });
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows, null, 2));
}

module.exports = { picochainPipeline, nodeRedMongodb, writeFlows };
