'use strict';
// The durability harness: one scenario per test with its own FerretDB, broker (Mosquitto configured
// as docs/mosquitto.conf, or the embedded aedes of `npm start`), data directory and Node-RED child,
// boards publishing as real boards do, and a checker that prints and asserts
// `missing N, duplicates N` of the readings the broker acknowledged.
//
//   const ctx = useScenario();                           // in a describe: hooks that clean up
//   const s = await ctx.start({ broker: 'mosquitto' });  // or 'embedded'; Node-RED started through
//                                                        // scripts/start.js with the shipped flows and
//                                                        // a probe board's frame in the database
//   const fleet = await s.boards({ count: 10, prefix: 'r' });
//   fleet.stream(40); ... faults: s.nr.interrupt(), s.nr.kill(), s.ferret.stop({ kill: true }),
//   s.ferret.restart(), s.mosquitto.restart() ...
//   const r = await s.finish('label', fleet);            // stop, settle, wait, count, print
//   assertNoLoss(r);                                     // 0 missing, 0 duplicates, every frame acked
// (scenario() alone gives the servers without Node-RED; s.cleanup() stops everything)
const assert = require('assert');
const fs = require('fs');
const services = require('../../../scripts/lib/services');
const { provision } = require('../../../scripts/lib/provision');
const { startBoards } = require('./boards');
const { Store } = require('./checker');
const { startNodeRed } = require('./node-red');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PROBE_PREFIX = 'probe';
const isProbe = (device) => typeof device === 'string' && device.startsWith(`${PROBE_PREFIX}-`);

/**
 * A probe board (device `probe-0001`, left out of every count) publishes a frame a second until
 * the database holds a document: whatever subscribes to the broker is up and writing. Fails
 * after `ms` with `explain()` (e.g. Node-RED's output).
 */
async function probePipeline({ url, store, ms = 90000, explain = () => '', identity }) {
    const probe = await startBoards({ url, count: 1, prefix: PROBE_PREFIX, sensors: ['temperature'], identity });
    const end = Date.now() + ms;
    try {
        for (;;) {
            probe.boards[0].publishOne();
            await sleep(1000);
            if ((await store.count()) > 0) return;
            if (Date.now() > end) assert.fail(`no probe frame reached the database within ${ms} ms:\n${explain()}`);
        }
    } finally {
        await probe.end();
    }
}

async function scenario({ broker = 'mosquitto', database = 'durability' } = {}) {
    const [ferret, mosquitto] = await Promise.all([
        services.startFerretDB(),
        broker === 'mosquitto' ? services.startMosquitto() : null,
    ]);
    const mqttPort = mosquitto ? null : await services.freePort();
    const brokerUrl = mosquitto ? mosquitto.url : `mqtt://127.0.0.1:${mqttPort}`;
    const dataDir = services.tmpDir('durability');
    // the embedded broker admits provisioned boards only (scripts/lib/provision.js, as `npm run
    // provision` does): each board gets its identity in the data dir the Node-RED child reads
    const identity = mosquitto ? undefined : (site, device, format) => provision({ dataDir, site, device, brokerHost: '127.0.0.1', legacy: format === 'legacy' });
    const store = new Store(ferret.uri, database);
    const fleets = [];
    const nodeReds = [];
    const events = []; // [name, ms since epoch]: printed beside the missing readings' times
    const s = {
        ferret, mosquitto, brokerUrl, dataDir, store, database,
        /** The current Node-RED child (the latest startNodeRed()). */
        nr: null,
        /** Notes when something happened (a fault, a restart), for the report. */
        mark(name) { events.push([name, Date.now()]); },
        async startNodeRed(o = {}) {
            s.nr = await startNodeRed({ dataDir, mongodbUri: ferret.uri, database, ...(mosquitto ? { mqttUrl: mosquitto.url } : { mqttPort }), ...o });
            nodeReds.push(s.nr);
            s.mark(`Node-RED ${nodeReds.length} ready`);
            return s.nr;
        },
        async boards(o) {
            const f = await startBoards({ url: brokerUrl, identity, ...o });
            fleets.push(f);
            return f;
        },
        /**
         * Node-RED is subscribed and the chain writes: see probePipeline(). Before that, a broker
         * may acknowledge frames nobody has subscribed to yet, which no implementation could store.
         */
        async waitPipeline(ms = 90000) {
            await probePipeline({ url: brokerUrl, store, ms, identity, explain: () => (s.nr ? s.nr.output().slice(-3000) : '(Node-RED not started)') });
        },
        /**
         * Ends a run: stops the fleet's stream, waits for the boards' frames to be acknowledged
         * (`settleMs`), then for the database to hold them (stops early once nothing new is stored
         * for `stallMs`), then counts and prints one line.
         */
        async finish(label, fleet, { settleMs = 60000, stallMs = 30000, maxMs = 240000 } = {}) {
            fleet.stopStream();
            const unacked = await fleet.settle(settleMs);
            const wait = await store.waitComplete(fleet.acked, { stallMs, maxMs, ignore: isProbe });
            const r = await store.check(fleet.acked, isProbe);
            const c = fleet.counts();
            Object.assign(r, { label, frames: c.frames, readings: c.readings, unacked, waitedMs: wait.waitedMs, complete: wait.complete });
            console.log(`      durability ${label}: missing ${r.missing}, duplicates ${r.duplicates} `
                + `(of ${r.acked} readings the broker acknowledged, ${c.readings} published; ${r.stored} documents stored, `
                + `${r.extra} stored but unacknowledged, ${unacked} frames never acknowledged; waited ${(wait.waitedMs / 1000).toFixed(0)} s${wait.stalled ? ', storing stalled' : ''})`);
            if (r.missing) {
                const t0 = events.length ? events[0][1] : 0;
                const at = (t) => `${((t - t0) / 1000).toFixed(1)} s`;
                console.log(`        missing readings were acknowledged from ${at(r.missingAcked[0])} to ${at(r.missingAcked[1])}; `
                    + `${events.map(([n, t]) => `${n} at ${at(t)}`).join(', ')}; e.g. ${r.missingSample.slice(0, 2).join(', ')}`);
            }
            return r;
        },
        /** The tail of every Node-RED run's output, for a failed test's report. */
        nodeRedOutput(chars = 2500) {
            return nodeReds.map((n, i) => `--- Node-RED run ${i + 1} (pid ${n.pid}) ---\n${n.output().slice(-chars)}`).join('\n');
        },
        async cleanup() {
            for (const f of fleets) await f.end().catch(() => {});
            for (const n of nodeReds) if (n.child.exitCode === null && n.child.signalCode === null) await n.kill();
            await store.close();
            await ferret.cleanup();
            if (mosquitto) await mosquitto.cleanup();
            fs.rmSync(dataDir, { recursive: true, force: true });
        },
    };
    return s;
}

/** The guarantee: every reading the broker acknowledged is stored, once; every frame was acknowledged. */
function assertNoLoss(r) {
    assert.ok(r.acked > 0, `${r.label}: the boards got no acknowledgement at all`);
    assert.strictEqual(r.missing, 0, `${r.label}: ${r.missing} of ${r.acked} acknowledged readings are not in the database (e.g. ${r.missingSample.join(', ')})`);
    assert.strictEqual(r.duplicates, 0, `${r.label}: ${r.duplicates} duplicate documents`);
    assert.strictEqual(r.unacked, 0, `${r.label}: ${r.unacked} frames were never acknowledged by the broker`);
}

/**
 * Mocha hooks for a durability file: `const ctx = useScenario()` in a describe; a test calls
 * `const s = await ctx.start({ broker })` (a scenario with Node-RED started and the pipeline
 * proven by a probe); afterEach prints Node-RED's output when the test failed and cleans up.
 */
function useScenario() {
    const ctx = {
        s: null,
        async start(o) {
            const s = ctx.s = await scenario(o);
            await s.startNodeRed();
            await s.waitPipeline();
            return s;
        },
    };
    afterEach(async function () {
        if (!ctx.s) return;
        if (this.currentTest && this.currentTest.state === 'failed') console.log(ctx.s.nodeRedOutput());
        await ctx.s.cleanup();
        ctx.s = null;
    });
    return ctx;
}

module.exports = { scenario, assertNoLoss, useScenario, probePipeline, isProbe, sleep, startBoards, Store, startNodeRed };
