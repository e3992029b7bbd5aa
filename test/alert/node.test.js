'use strict';
// picochain-alert in the real Node-RED runtime (node-red-node-test-helper): outputs, control
// messages, status, errors, state across a redeploy and across a restart with a file context store.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');
const alertNode = require('../../dist/nodes/picochain-alert/picochain-alert.js');
const { STATE_KEY } = require('../../dist/nodes/picochain-alert/options');
const { sleep, until } = require('../support/wait');
const { collect, lastStatus } = require('../support/node-red');

helper.init(require.resolve('node-red'));

// Strictly increasing reading times: the alert skips a reading not newer than the last one.
let lastMs = 0;
function reading(v, extra = {}) {
    lastMs = Math.max(Date.now(), lastMs + 1);
    const time = new Date(lastMs);
    return {
        device: 'fridge-1', site: 'depot', sensor: 'temperature', unit: '°C', time, deviceTime: time, receivedAt: time,
        window: 60, count: 6, min: v, max: v, mean: v, std: 0, slope: null, last: v, seq: 1, state: null, source: 'json-v1',
        ...extra,
    };
}

function flow(props = {}) {
    return [
        { id: 'a1', type: 'picochain-alert', z: 'f1', name: 'alerts', highWarning: '8', highWarningClear: '6', wires: [['ev'], ['rd']], ...props },
        { id: 'ev', type: 'helper', z: 'f1' },
        { id: 'rd', type: 'helper', z: 'f1' },
        { id: 'f1', type: 'tab', label: 'alerts' },
    ];
}

/** Collects what the two helper nodes receive (re-attach after a restart: nodes are new objects). */
function attach() {
    return collect({ events: 'ev', readings: 'rd' });
}

/**
 * After a restart of node a1 whose alert `id` was firing: the status says "1 firing" again, a
 * reading at `high` passes as firing without a second "fired", and one at `low` resolves the same
 * alert. Resolves with that event message.
 */
async function stillFiringAfterRestart(id, high, low) {
    const out = attach();
    const n = helper.getNode('a1');
    await until(() => { const s = lastStatus(n); return s && s.text === '1 firing'; }, 'restored status "1 firing"');
    n.receive({ payload: reading(high) });
    await until(() => out.readings.length === 1, 'reading after restart');
    assert.strictEqual(out.readings[0].alert.state, 'firing');
    assert.strictEqual(out.events.length, 0, 'no second fired');
    n.receive({ payload: reading(low) });
    await until(() => out.events.length === 1, 'resolved');
    assert.strictEqual(out.events[0].payload.id, id);
    return out.events[0];
}

describe('picochain-alert node (Node-RED runtime)', function () {
    afterEach(async function () {
        await helper.unload();
    });

    it('fires on output 1 and passes readings with their alert state on output 2', async function () {
        await helper.load(alertNode, flow());
        const out = attach();
        const n = helper.getNode('a1');
        n.receive({ topic: 'picochain/depot/fridge-1/data', payload: reading(5) });
        n.receive({ payload: reading(9.25) });
        await until(() => out.readings.length === 2 && out.events.length === 1, 'two readings and one event');
        assert.strictEqual(out.readings[0].alert.state, 'normal');
        assert.strictEqual(out.readings[0].payload.mean, 5);
        assert.strictEqual(out.readings[1].alert.state, 'firing');
        assert.strictEqual(out.readings[1].alert.severity, 'warning');
        assert.strictEqual(out.readings[1].alert.active[0].rule, 'high');
        const e = out.events[0].payload;
        assert.strictEqual(e.event, 'fired');
        assert.strictEqual(e.device, 'fridge-1');
        assert.strictEqual(e.sensor, 'temperature');
        assert.strictEqual(e.rule, 'high');
        assert.strictEqual(e.severity, 'warning');
        assert.strictEqual(e.value, 9.25);
        assert.strictEqual(e.threshold, 8);
        assert.ok(e.startedAt instanceof Date);
        assert.strictEqual(e.endedAt, null);
        assert.strictEqual(e.acknowledged, false);
        assert.strictEqual(e.message, '[warning] fridge-1 temperature at 9.25 °C, above 8 °C');
        assert.strictEqual(out.events[0].topic, e.message);
    });

    it('accepts arrays and readings that went through JSON (ISO date strings)', async function () {
        await helper.load(alertNode, flow());
        const out = attach();
        const n = helper.getNode('a1');
        const batch = JSON.parse(JSON.stringify([reading(9), reading(50, { sensor: 'humidite', unit: '%' })]));
        n.receive({ payload: batch });
        await until(() => out.readings.length === 1 && out.events.length === 2, 'one batch and two events');
        assert.deepStrictEqual(out.events.map((m) => m.payload.sensor).sort(), ['humidite', 'temperature']);
        assert.strictEqual(out.readings[0].alert.state, 'firing');
        assert.strictEqual(out.readings[0].alert.active.length, 2);
    });

    it('acknowledges through a control message, then resolves; status counts firing alerts', async function () {
        await helper.load(alertNode, flow({ renotify: '0.2' }));
        const out = attach();
        const n = helper.getNode('a1');
        n.receive({ payload: reading(9) });
        await until(() => out.events.length === 1, 'fired');
        await until(() => { const s = lastStatus(n); return s && s.text === '1 firing'; }, 'status "1 firing"');
        assert.deepStrictEqual(lastStatus(n), { fill: 'red', shape: 'ring', text: '1 firing' });
        await until(() => out.events.some((m) => m.payload.event === 'renotify'), 'a renotify');
        n.receive({ topic: 'ack', payload: { device: 'fridge-1', sensor: 'temperature', rule: 'high' } });
        await until(() => out.events.some((m) => m.payload.event === 'acknowledged'), 'acknowledged');
        const ack = out.events.find((m) => m.payload.event === 'acknowledged').payload;
        assert.strictEqual(ack.id, out.events[0].payload.id);
        assert.strictEqual(ack.acknowledged, true);
        assert.match(ack.message, /^Acknowledged: fridge-1 temperature/);
        const before = out.events.length;
        await sleep(500);
        assert.strictEqual(out.events.length, before, 'no renotify after ack');
        n.receive({ payload: reading(5.5) });
        await until(() => out.events.length === before + 1, 'resolved');
        const res = out.events[before].payload;
        assert.strictEqual(res.event, 'resolved');
        assert.strictEqual(res.id, ack.id);
        assert.ok(res.endedAt instanceof Date);
        await until(() => { const s = lastStatus(n); return s && s.text === 'ok'; }, 'status "ok"');
        assert.deepStrictEqual(lastStatus(n), { fill: 'green', shape: 'dot', text: 'ok' });
    });

    it('an ack by id string works; an ack matching nothing warns', async function () {
        await helper.load(alertNode, flow());
        const out = attach();
        const n = helper.getNode('a1');
        n.receive({ payload: reading(9) });
        await until(() => out.events.length === 1, 'fired');
        n.receive({ topic: 'ack', payload: 'nope' });
        await until(() => n.warn.called, 'a warning');
        assert.match(String(n.warn.lastCall.args[0]), /ack matched no firing/);
        n.receive({ topic: 'ack', payload: out.events[0].payload.id });
        await until(() => out.events.length === 2, 'acknowledged');
        assert.strictEqual(out.events[1].payload.event, 'acknowledged');
    });

    it('bad input ends in done(err), nothing is sent and the status counts it', async function () {
        await helper.load(alertNode, flow());
        const out = attach();
        const n = helper.getNode('a1');
        const errors = [];
        n.on('call:error', (call) => errors.push(call.args[0]));
        n.receive({ payload: 'hello' });
        n.receive({ payload: [reading(9), { ...reading(9), device: '' }] });
        n.receive({ payload: { ...reading(9), time: 'not a date' } });
        await until(() => errors.length === 3, 'three errors');
        assert.match(String(errors[0]), /payload is not a reading object/);
        assert.match(String(errors[1]), /payload\[1\]\.device/);
        assert.match(String(errors[2]), /not a valid date/);
        await sleep(50);
        assert.strictEqual(out.events.length + out.readings.length, 0, 'a bad batch sends nothing, not even its good part');
        await until(() => { const s = lastStatus(n); return s && s.text === 'ok, 3 bad'; }, 'status "ok, 3 bad"');
    });

    it('the MQTT last will fires "silent" at once, the birth message resolves it; decode status payloads too', async function () {
        await helper.load(alertNode, flow());
        const out = attach();
        const n = helper.getNode('a1');
        n.receive({ topic: 'picochain/depot/fridge-1/status', payload: Buffer.from('offline') });
        await until(() => out.events.length === 1, 'fired');
        assert.strictEqual(out.events[0].payload.rule, 'silent');
        assert.strictEqual(out.events[0].payload.cause, 'offline');
        assert.strictEqual(out.events[0].payload.sensor, null);
        assert.strictEqual(out.events[0].payload.severity, 'critical');
        assert.strictEqual(out.events[0].payload.message, '[critical] fridge-1 went offline (last will)');
        // what picochain-decode sends for a birth message
        n.receive({ topic: 'picochain/depot/fridge-1/status', payload: { device: 'fridge-1', site: 'depot', state: 'online', receivedAt: new Date(), fw: '1.0.0' } });
        await until(() => out.events.length === 2, 'resolved');
        assert.strictEqual(out.events[1].payload.event, 'resolved');
        assert.strictEqual(out.events[1].payload.id, out.events[0].payload.id);
        assert.strictEqual(out.readings.length, 0, 'status messages are not readings');
    });

    it('a device that goes quiet fires "silent" from the periodic tick and resolves when it speaks', async function () {
        await helper.load(alertNode, flow({ silent: '0.3' }));
        const out = attach();
        const n = helper.getNode('a1');
        n.receive({ payload: reading(4) });
        await sleep(150);
        assert.strictEqual(out.events.length, 0);
        await until(() => out.events.length === 1, 'silent fired', 2000);
        assert.strictEqual(out.events[0].payload.cause, 'timeout');
        n.receive({ payload: reading(4) });
        await until(() => out.events.length === 2, 'silent resolved');
        assert.strictEqual(out.events[1].payload.event, 'resolved');
    });

    it('pending: fires after "for" from the tick, without a new reading', async function () {
        await helper.load(alertNode, flow({ forTime: '0.3' }));
        const out = attach();
        const n = helper.getNode('a1');
        n.receive({ payload: reading(9) });
        await until(() => out.readings.length === 1, 'reading');
        assert.strictEqual(out.readings[0].alert.state, 'pending');
        assert.strictEqual(out.events.length, 0);
        await until(() => out.events.length === 1, 'fired after the pending time', 2000);
        assert.strictEqual(out.events[0].payload.event, 'fired');
    });

    it('status query answers on output 2; reset forgets alerts without events', async function () {
        await helper.load(alertNode, flow());
        const out = attach();
        const n = helper.getNode('a1');
        n.receive({ payload: reading(9) });
        n.receive({ topic: 'status' });
        await until(() => out.readings.length === 2, 'status answer');
        assert.strictEqual(out.readings[1].topic, 'status');
        assert.strictEqual(out.readings[1].payload.length, 1);
        assert.strictEqual(out.readings[1].alert.counts.firing, 1);
        n.receive({ topic: 'reset' });
        n.receive({ topic: 'status' });
        await until(() => out.readings.length === 3, 'second status answer');
        assert.strictEqual(out.readings[2].payload.length, 0);
        assert.strictEqual(out.events.length, 1);
    });

    it('refuses a contradictory configuration (clear level above a high level) with a clear error', async function () {
        await helper.load(alertNode, flow({ highWarningClear: '9' }));
        const n = helper.getNode('a1');
        assert.ok(n.error.called);
        assert.match(String(n.error.firstCall.args[0]), /clear level \(9\) must be at or below the level \(8\)/);
        const errors = [];
        n.on('call:error', (call) => errors.push(call.args[0]));
        n.receive({ payload: reading(9) });
        await until(() => errors.some((e) => e instanceof Error && /configuration refused/.test(e.message)), 'error on input');
    });

    it('keeps a firing alert across a redeploy with default settings (no context store): no second "fired", same id resolves', async function () {
        await helper.load(alertNode, flow());
        const out = attach();
        helper.getNode('a1').receive({ payload: reading(9) });
        await until(() => out.events.length === 1, 'fired');
        const id = out.events[0].payload.id;
        await helper._redNodes.stopFlows();
        await helper._redNodes.startFlows();
        const resolved = await stillFiringAfterRestart(id, 9.5, 5);
        assert.strictEqual(resolved.payload.event, 'resolved');
    });

    it('keeps a firing alert across a Node-RED restart with a localfilesystem context store', async function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picochain-alert-ctx-'));
        const keep = fs.mkdtempSync(path.join(os.tmpdir(), 'picochain-alert-keep-'));
        const redNodes = helper._redNodes;
        const loadFlows = redNodes.loadFlows;
        // The helper does not open configured context stores: open them as the runtime does at start.
        redNodes.loadFlows = async function (...args) {
            await redNodes.loadContextsPlugin();
            return loadFlows.apply(this, args);
        };
        const settings = {
            contextStorage: { memoryOnly: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir, flushInterval: 30 } } },
        };
        try {
            helper.settings(settings);
            await helper.load(alertNode, flow({ store: 'file' }));
            const out = attach();
            helper.getNode('a1').receive({ payload: reading(9) });
            await until(() => out.events.length === 1, 'fired');
            const id = out.events[0].payload.id;
            // Node-RED stops: flows stop (the node saves), context stores close (flush to disk).
            await redNodes.stopFlows();
            await redNodes.closeContextsPlugin();
            const file = path.join(dir, 'context', 'f1', 'a1.json');
            assert.ok(fs.existsSync(file), 'state written to the file store');
            const saved = JSON.parse(fs.readFileSync(file, 'utf8'))[STATE_KEY];
            assert.strictEqual(saved.alerts[0].state, 'firing');
            // the helper's unload cleans node contexts; keep the files as a stopped Node-RED would
            fs.cpSync(dir, keep, { recursive: true });
            await helper.unload();
            fs.rmSync(dir, { recursive: true, force: true });
            fs.cpSync(keep, dir, { recursive: true });

            helper.settings(settings);
            await helper.load(alertNode, flow({ store: 'file' }));
            await stillFiringAfterRestart(id, 9.4, 4);
            await redNodes.stopFlows();
            await redNodes.closeContextsPlugin();
        } finally {
            redNodes.loadFlows = loadFlows;
            helper.settings({ contextStorage: undefined });
            fs.rmSync(dir, { recursive: true, force: true });
            fs.rmSync(keep, { recursive: true, force: true });
        }
    });

    it('closes quickly, with timers running and an alert firing', async function () {
        await helper.load(alertNode, flow({ silent: '60', renotify: '60', forTime: '1' }));
        const out = attach();
        helper.getNode('a1').receive({ payload: reading(9) });
        await until(() => out.readings.length === 1, 'reading');
        const t0 = Date.now();
        await helper._redNodes.stopFlows();
        assert.ok(Date.now() - t0 < 500, `close took ${Date.now() - t0} ms`);
    });
});
