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

/** A rule in the editor's form: one severity band per [fire, clear, for] (strings), kind high by default. */
function rule(o = {}) {
    return { profile: '*', sensors: '', unit: '°C', kind: 'high', value: 'mean', warning: '8', warningClear: '6', warningFor: '0',
        critical: '', criticalClear: '', criticalFor: '', states: '', severity: 'warning', ...o };
}

function flow(props = {}) {
    return [
        { id: 'a1', type: 'picochain-alert', z: 'f1', name: 'alerts', rules: [rule()], silent: '0', version: 2, wires: [['ev'], ['rd'], ['ds']], ...props },
        { id: 'ev', type: 'helper', z: 'f1' },
        { id: 'rd', type: 'helper', z: 'f1' },
        { id: 'ds', type: 'helper', z: 'f1' },
        { id: 'f1', type: 'tab', label: 'alerts' },
    ];
}

/** Collects what the two helper nodes receive (re-attach after a restart: nodes are new objects). */
function attach() {
    return collect({ events: 'ev', readings: 'rd', devices: 'ds' });
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
        // output 3: the device's line for the pages, sent when it changes
        await until(() => out.devices.length >= 2, 'device states');
        const last = out.devices[out.devices.length - 1].payload;
        assert.deepStrictEqual(last.map((d) => [d.device, d.presence, d.state, d.severity, d.sensors.temperature.state]), [['fridge-1', 'online', 'firing', 'warning', 'firing']]);
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

    it('accepts arrays and readings that went through JSON (ISO date strings); a reading in another unit is never judged', async function () {
        await helper.load(alertNode, flow());
        const out = attach();
        const n = helper.getNode('a1');
        const batch = JSON.parse(JSON.stringify([reading(9), reading(9, { sensor: 'probe1' }), reading(88, { sensor: 'humidity', unit: '%' })]));
        n.receive({ payload: batch });
        await until(() => out.readings.length === 1 && out.events.length === 2, 'one batch and two events');
        assert.deepStrictEqual(out.events.map((m) => m.payload.sensor).sort(), ['probe1', 'temperature']);
        assert.strictEqual(out.readings[0].alert.state, 'firing');
        assert.strictEqual(out.readings[0].alert.active.length, 2);
    });

    it('judges by msg.cabinet (the registry): a freezer by freezer rules, an unassigned device by none; severities climb and come back down', async function () {
        await helper.load(alertNode, flow({ rules: [
            rule({ profile: 'fridge', warning: '5', warningClear: '4.5', critical: '8', criticalClear: '7', criticalFor: '0' }),
            rule({ profile: 'freezer', warning: '-15', warningClear: '-16' }),
        ] }));
        const out = attach();
        const n = helper.getNode('a1');
        n.receive({ payload: reading(-18, { device: 'freezer-1' }), cabinet: { device: 'freezer-1', kind: 'freezer', sensors: {} } });
        n.receive({ payload: reading(20, { device: 'new-board' }), cabinet: { device: 'new-board', kind: null, sensors: {} } });
        n.receive({ payload: reading(9), cabinet: { kind: 'fridge' } });
        n.receive({ payload: reading(6), cabinet: { kind: 'fridge' } });
        n.receive({ payload: reading(4), cabinet: { kind: 'fridge' } });
        await until(() => out.events.length === 3, 'fired, de-escalated, resolved');
        assert.deepStrictEqual(out.events.map((m) => m.payload.message), [
            '[critical] fridge-1 temperature at 9 °C, above 8 °C',
            '[warning] down from critical: fridge-1 temperature at 6 °C, above 5 °C',
            'Resolved: fridge-1 temperature back to 4 °C (clear level 4.5 °C)',
        ]);
        assert.ok(out.events.every((m) => m.payload.profile === 'fridge'));
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
        n.receive({ topic: 'ack', payload: { device: 'fridge-1', sensor: 'temperature', rule: 'high', by: 'alice' } });
        await until(() => out.events.some((m) => m.payload.event === 'acknowledged'), 'acknowledged');
        const ack = out.events.find((m) => m.payload.event === 'acknowledged').payload;
        assert.strictEqual(ack.id, out.events[0].payload.id);
        assert.strictEqual(ack.acknowledged, true);
        assert.strictEqual(ack.by, 'alice');
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

    it('the MQTT last will marks the device offline; with "fire at once" it fires "silent", the birth message resolves it', async function () {
        await helper.load(alertNode, flow());
        let out = attach();
        let n = helper.getNode('a1');
        n.receive({ topic: 'picochain/depot/fridge-1/status', payload: Buffer.from('offline') });
        await until(() => out.devices.length === 1, 'device state');
        assert.strictEqual(out.devices[0].payload[0].presence, 'offline');
        assert.strictEqual(out.events.length, 0, 'no alert for a last will by default');
        await helper.unload();
        await helper.load(alertNode, flow({ offline: true }));
        out = attach();
        n = helper.getNode('a1');
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
        await until(() => out.devices.some((m) => m.payload[0].presence === 'silent') && out.devices[out.devices.length - 1].payload[0].presence === 'online', 'presence silent, then online');
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

    it('pending counts reading time: a replayed burst covering the pending time fires at once', async function () {
        await helper.load(alertNode, flow({ rules: [rule({ warningFor: '600' })] }));
        const out = attach();
        const n = helper.getNode('a1');
        const t0 = Date.now() - 3600e3;
        const burst = Array.from({ length: 12 }, (_, i) => reading(9, { time: new Date(t0 + i * 60e3) }));
        n.receive({ payload: burst.slice(0, 10) });
        await until(() => out.readings.length === 1, 'first part');
        assert.strictEqual(out.readings[0].alert.state, 'pending');
        n.receive({ payload: burst.slice(10) });
        await until(() => out.events.length === 1, 'fired once the readings cover 10 minutes');
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
        await until(() => out.devices.some((m) => m.payload.length === 1 && m.payload[0].state === 'firing'), 'every device on output 3');
        assert.strictEqual(out.readings[1].payload.length, 1);
        assert.strictEqual(out.readings[1].alert.counts.firing, 1);
        n.receive({ topic: 'reset' });
        n.receive({ topic: 'status' });
        await until(() => out.readings.length === 3, 'second status answer');
        assert.strictEqual(out.readings[2].payload.length, 0);
        assert.strictEqual(out.events.length, 1);
    });

    it('refuses a contradictory configuration (clear level above the fire level) with a clear error', async function () {
        await helper.load(alertNode, flow({ rules: [rule({ warningClear: '9' })] }));
        const n = helper.getNode('a1');
        assert.ok(n.error.called);
        assert.match(String(n.error.firstCall.args[0]), /rule 1, warning: the clear level \(9\) must be at or below the fire level \(8\)/);
        const errors = [];
        n.on('call:error', (call) => errors.push(call.args[0]));
        n.receive({ payload: reading(9) });
        await until(() => errors.some((e) => e instanceof Error && /configuration refused/.test(e.message)), 'error on input');
    });

    it('runs a version-1 flow (flat thresholds, no rules) as * rules in °C', async function () {
        await helper.load(alertNode, [{ ...flow()[0], rules: undefined, version: 1, highWarning: '8', highWarningClear: '6' }, ...flow().slice(1)]);
        const out = attach();
        helper.getNode('a1').receive({ payload: [reading(9), reading(90, { sensor: 'humidity', unit: '%' })] });
        await until(() => out.events.length === 1, 'fired on °C only');
        assert.strictEqual(out.events[0].payload.sensor, 'temperature');
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

    /**
     * Runs `body(restart)` with a localfilesystem context store; restart(props) stops Node-RED (flows
     * stop, the node saves, stores flush), keeps the files as a stopped Node-RED would, and loads again.
     */
    async function withFileStore(props, body) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picochain-alert-ctx-'));
        const keep = fs.mkdtempSync(path.join(os.tmpdir(), 'picochain-alert-keep-'));
        const redNodes = helper._redNodes;
        const loadFlows = redNodes.loadFlows;
        // The helper does not open configured context stores: open them as the runtime does at start.
        redNodes.loadFlows = async function (...args) {
            await redNodes.loadContextsPlugin();
            return loadFlows.apply(this, args);
        };
        const settings = { contextStorage: { memoryOnly: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir, flushInterval: 30 } } } };
        const restart = async (between) => {
            await redNodes.stopFlows();
            await redNodes.closeContextsPlugin();
            if (between) await between(dir);
            // the helper's unload cleans node contexts; keep the files as a stopped Node-RED would
            fs.cpSync(dir, keep, { recursive: true });
            await helper.unload();
            fs.rmSync(dir, { recursive: true, force: true });
            fs.cpSync(keep, dir, { recursive: true });
            helper.settings(settings);
            await helper.load(alertNode, flow({ store: 'file', ...props }));
        };
        try {
            helper.settings(settings);
            await helper.load(alertNode, flow({ store: 'file', ...props }));
            await body(restart);
            await redNodes.stopFlows();
            await redNodes.closeContextsPlugin();
        } finally {
            redNodes.loadFlows = loadFlows;
            helper.settings({ contextStorage: undefined });
            fs.rmSync(dir, { recursive: true, force: true });
            fs.rmSync(keep, { recursive: true, force: true });
        }
    }

    it('keeps a firing alert across a Node-RED restart with a localfilesystem context store, saved per device', async function () {
        await withFileStore({}, async (restart) => {
            const out = attach();
            helper.getNode('a1').receive({ payload: reading(9) });
            await until(() => out.events.length === 1, 'fired');
            const id = out.events[0].payload.id;
            await restart((dir) => {
                const file = path.join(dir, 'context', 'f1', 'a1.json');
                assert.ok(fs.existsSync(file), 'state written to the file store');
                const saved = JSON.parse(fs.readFileSync(file, 'utf8'))[STATE_KEY];
                assert.strictEqual(saved.devices['fridge-1'].series[0].alerts[0].level, 1, 'saved per device');
            });
            await stillFiringAfterRestart(id, 9.4, 4);
        });
    });

    it('after a restart, "silent" counts from each device\'s last reading, not from the restart; its last reading time is kept', async function () {
        this.timeout(20000);
        const T = 6000;
        await withFileStore({ silent: String(T / 1000), rules: [] }, async (restart) => {
            let out = attach();
            helper.getNode('a1').receive({ payload: reading(4) });
            const spoke = Date.now();
            await until(() => out.readings.length === 1, 'reading');
            let restartedAt = 0;
            await restart(async () => { await sleep(2500); restartedAt = Date.now(); });
            out = attach();
            helper.getNode('a1').receive({ topic: 'status' });
            await until(() => out.devices.length >= 1, 'every device on output 3');
            assert.deepStrictEqual(out.devices[0].payload.map((d) => [d.device, d.presence, d.lastSeen >= spoke - 1000]), [['fridge-1', 'online', true]]);
            await until(() => out.events.length === 1, 'silent', T + 3000);
            const e = out.events[0].payload;
            assert.strictEqual(e.cause, 'timeout');
            // fired about T after the reading; from the restart it would be T after restartedAt
            assert.ok(e.at.getTime() < restartedAt + T - 1000, `fired ${e.at.getTime() - spoke} ms after the reading, ${e.at.getTime() - restartedAt} ms after the restart`);
            assert.ok(e.at.getTime() >= spoke + T);
        });
    });

    it('closes quickly, with timers running and an alert firing', async function () {
        await helper.load(alertNode, flow({ silent: '60', renotify: '60', rules: [rule({ warningFor: '1' })] }));
        const out = attach();
        helper.getNode('a1').receive({ payload: reading(9) });
        await until(() => out.readings.length === 1, 'reading');
        const t0 = Date.now();
        await helper._redNodes.stopFlows();
        assert.ok(Date.now() - t0 < 500, `close took ${Date.now() - t0} ms`);
    });
});
