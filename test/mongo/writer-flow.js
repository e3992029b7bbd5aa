'use strict';
// The Node-RED side of the writer tests (node.test.js, node-spool.test.js): a FerretDB for the
// suite, a Node-RED user directory per test (the spool lives there), a flow with the writer, a
// Catch and a Complete node, and helpers to read what the writer did.
const fs = require('fs');
const helper = require('node-red-node-test-helper');
const { MongoClient } = require('mongodb');
const configNode = require('../../dist/nodes/picochain-mongo-config/picochain-mongo-config.js');
const writerNode = require('../../dist/nodes/picochain-mongo-ts/picochain-mongo-ts.js');
const { startFerretDB, tmpDir } = require('../../scripts/lib/services');
const { untilWith } = require('../support/wait');
const { collect, lastStatus: lastStatusOr } = require('../support/node-red');

const until = untilWith({ ms: 10000, every: 25 });

helper.init(require.resolve('node-red'));

const T0 = Date.now() - 3600 * 1000;
let dbCounter = 0;

function reading(i, over = {}) {
    const time = new Date(T0 + i * 1000);
    return {
        device: 'fridge-1', site: 'foodbank', sensor: 'temperature', unit: '°C', time, deviceTime: time,
        receivedAt: new Date(time.getTime() + 120), window: 60, count: 6, min: 3.9, max: 4.4, mean: 4 + i / 1000,
        std: 0.18, slope: 0.05, last: 4.2, seq: i % 65536, state: 0, source: 'json-v1', ...over,
    };
}

const lastStatus = (node) => lastStatusOr(node, {});
/** Sums a field over the per-batch output messages. */
const total = (msgs, field) => msgs.reduce((a, m) => a + (Array.isArray(m.payload[field]) ? m.payload[field].length : m.payload[field]), 0);

/** Records a node's log/warn/error/status calls into `into` (they outlive helper.unload's spies). */
function record(node, into) {
    for (const m of ['log', 'warn', 'error', 'status']) {
        const orig = node[m];
        node[m] = function (...args) {
            into.push({ m, text: JSON.stringify(args.map((a) => (a instanceof Error ? a.message : a))) });
            return orig.apply(this, args);
        };
    }
}

/**
 * Call inside a describe(): registers the hooks (FerretDB for the suite, a user directory per
 * test, unload after each) and returns the context: `ferret`, `client`, `userDir` (this test's),
 * and flow(), load(), whenUp(), deployWithout().
 */
function writerFlows() {
    const t = { ferret: null, client: null, userDir: null };
    const userDirs = [];
    before(async function () {
        t.ferret = await startFerretDB();
        t.client = new MongoClient(t.ferret.uri, { serverSelectionTimeoutMS: 5000 });
        await t.client.connect();
    });
    after(async function () {
        if (t.client) await t.client.close();
        if (t.ferret) await t.ferret.cleanup();
        for (const d of userDirs) fs.rmSync(d, { recursive: true, force: true });
    });
    beforeEach(function () {
        t.userDir = tmpDir('nr-user');
        userDirs.push(t.userDir);
    });
    afterEach(async function () {
        await helper.unload();
        delete process.env.PICO_TEST_URI;
    });

    /** The writer `w` wired to a helper `out`, a Catch → `caught` and a Complete → `completed`, on a database of its own. */
    t.flow = (writer = {}, config = {}, uri = t.ferret.uri) => {
        const db = `t${process.pid}_${++dbCounter}`;
        return {
            db,
            nodes: [
                { id: 'f1', type: 'tab', label: 'mongo' },
                { id: 'cfg', type: 'picochain-mongo-config', uri, database: db, connectTimeout: 1000, tls: false, ...config },
                { id: 'w', type: 'picochain-mongo-ts', z: 'f1', mongo: 'cfg', collection: 'readings', timeField: 'time', metaField: 'meta',
                    granularity: 'minutes', retention: 0, retentionUnit: 'd', batchSize: 100, batchDelay: 200, inFlight: 4, spoolSize: 16,
                    whenFull: 'block', spoolDir: '', outputs: 1, version: 2, wires: [['out']], ...writer },
                { id: 'out', type: 'helper', z: 'f1' },
                { id: 'c1', type: 'catch', z: 'f1', scope: ['w'], uncaught: false, wires: [['caught']] },
                { id: 'caught', type: 'helper', z: 'f1' },
                { id: 'k1', type: 'complete', z: 'f1', scope: ['w'], uncaught: false, wires: [['completed']] },
                { id: 'completed', type: 'helper', z: 'f1' },
            ],
        };
    };

    t.load = async (f, credentials, dir = t.userDir) => {
        helper.settings({ userDir: dir });
        await helper.load([configNode, writerNode], f.nodes, credentials || {});
        const out = collect({ written: 'out', caught: 'caught', completed: 'completed' });
        return { w: helper.getNode('w'), cfg: helper.getNode('cfg'), out, coll: t.client.db(f.db).collection('readings') };
    };

    /**
     * Starts FerretDB on `port` (where the flow's connection string points), runs `fn` with the
     * flow's collection, then unloads the flow and stops the server.
     */
    t.whenUp = async (port, f, fn) => {
        const own = await startFerretDB({ port });
        const c = new MongoClient(own.uri, { serverSelectionTimeoutMS: 5000 });
        try {
            await c.connect();
            return await fn(c.db(f.db).collection('readings'));
        } finally {
            await c.close().catch(() => undefined);
            await helper.unload();
            await own.cleanup();
        }
    };

    /** A "modified nodes" deploy of the flow without node `id` (the editor's delete + deploy); resolves once the flows run again. */
    t.deployWithout = async (f, id) => {
        const started = new Promise((resolve) => helper._events.once('flows:started', resolve));
        await helper._redNodes.setFlows(f.nodes.filter((n) => n.id !== id), {}, 'nodes');
        await started;
    };
    return t;
}

module.exports = { T0, reading, lastStatus, total, record, until, writerFlows, configNode, writerNode };
