'use strict';
// The shipped flows' page functions (scripts/lib/flow-templates.js) run as Node-RED runs a function
// node's code, with a flow context: what the Overview, Fleet and Alerts pages receive. The browser
// tests show the same pages drawn from the real chain; here every case is exact.
const assert = require('assert');
const vm = require('vm');
const T = require('../../scripts/lib/flow-templates');

/** A function node's code as Node-RED runs it: (msg) → its return value, with a shared flow context. */
function fnNode(code, flow) {
    const run = new Function('msg', 'flow', 'env', 'node', 'context', code); // eslint-disable-line no-new-func
    return (msg) => run(msg, flow, { get: () => '' }, { status() {} }, flow);
}
function flowContext() {
    const store = {};
    return { get: (k) => (store[k] === undefined ? undefined : JSON.parse(JSON.stringify(store[k]))), set: (k, v) => { store[k] = JSON.parse(JSON.stringify(v)); } };
}
const T0 = Date.UTC(2026, 0, 1);
function reading(device, sensor, mean, minute, extra = {}) {
    return { device, sensor, unit: '°C', time: new Date(T0 + minute * 60000).toISOString(), mean, last: mean, min: mean, max: mean, state: 0, ...extra };
}

describe('page model (the shipped flows\' functions)', function () {
    let flow;
    let model;
    let page;
    beforeEach(function () {
        flow = flowContext();
        model = fnNode(T.FN_MODEL, flow);
        page = () => fnNode(T.FN_PAGE, flow)({}).payload;
    });

    it('counts each window once: a redelivered or replayed one is counted as replayed, and does not replace a newer card', function () {
        for (let m = 1; m <= 5; m++) model({ payload: reading('fridge-1', 'probe1', 4 + m / 10, m), seqGap: 0 });
        model({ payload: reading('fridge-1', 'probe1', 9, 3, { replay: true }) });
        model({ payload: reading('fridge-1', 'probe1', 9, 4, { replay: true }) });
        const p = page();
        const d = p.devices.find((x) => x.device === 'fridge-1');
        assert.deepStrictEqual([d.windows, d.replays], [5, 2]);
        assert.strictEqual(p.cards[0].value, 4.5, 'the newest window stays on the card');
    });

    it('a card shows the device\'s current alert state and presence (picochain-alert output 3), not the one of its last reading', function () {
        model({ payload: reading('fridge-1', 'probe1', 9, 1), alert: { state: 'normal' } });
        model({ topic: 'device-states', payload: [{ device: 'fridge-1', presence: 'online', lastSeen: 5, state: 'firing', severity: 'critical', sensors: { probe1: { state: 'firing', severity: 'critical', profile: 'fridge', unit: '°C' } } }] });
        let c = page().cards[0];
        assert.deepStrictEqual([c.alert, c.severity, c.kind, c.presence], ['firing', 'critical', 'fridge', 'online']);
        // the alert resolves with no new reading; then the device goes silent
        model({ topic: 'device-states', payload: [{ device: 'fridge-1', presence: 'silent', lastSeen: 5, state: 'firing', severity: 'critical', sensors: { probe1: { state: 'normal', severity: null, profile: 'fridge', unit: '°C' } } }] });
        c = page().cards[0];
        assert.deepStrictEqual([c.alert, c.severity, c.presence], ['normal', null, 'silent']);
        assert.strictEqual(page().devices[0].presence, 'silent');
    });

    it('the registry gives names, profiles and state labels; new devices come first', function () {
        model({ payload: reading('pico01', 'camera', 1, 1, { unit: null }) });
        model({ payload: reading('fridge-1', 'probe1', 4, 1) });
        model({ topic: 'devices', payload: [
            { device: 'pico01', name: null, location: null, kind: null, sensors: { camera: { unit: 'state', states: { 0: 'nothing', 1: 'present' } } } },
            { device: 'fridge-1', name: 'Fridge 1', location: 'depot', kind: 'fridge', sensors: { probe1: { unit: '°C' } } },
        ] });
        const p = page();
        assert.deepStrictEqual(p.devices.map((d) => [d.device, d.kind, d.name]), [['pico01', null, null], ['fridge-1', 'fridge', 'Fridge 1']]);
        const cam = p.cards.find((c) => c.sensor === 'camera');
        assert.deepStrictEqual(cam.labels, { 0: 'nothing', 1: 'present' });
        // the pages' formatting shows it as its label, not as "1.0"
        const pc = vm.runInNewContext(`({${require('../../scripts/lib/page-templates').HELPERS}})`);
        assert.strictEqual(pc.pcValue(cam), 'present');
        assert.strictEqual(pc.pcValue(p.cards.find((c) => c.sensor === 'probe1')), '4.0 °C');
    });

    it('counts what the writer stored and the readings it kept apart as conflicting with a stored one (its batch reports)', function () {
        // the writer's own report of two batches (nodes/picochain-mongo-ts/dedupe.ts reportBatch)
        const { reportBatch } = require('../../dist/nodes/picochain-mongo-ts/dedupe');
        const { RecentKeys } = require('../../dist/nodes/picochain-mongo-ts/writer-api');
        const entry = (device, sensor, minute) => ({ key: `${device}|${sensor}|${T0 + minute * 60000}`, doc: { mean: 4 }, time: new Date(T0 + minute * 60000) });
        const conflict = { key: `pico01|temperature|${T0 + 60000}`, device: 'pico01', sensor: 'temperature', time: new Date(T0 + 60000), stored: { mean: 4 }, received: { mean: 5 } };
        const recent = new RecentKeys(100);
        const b1 = reportBatch([entry('pico01', 'temperature', 1), entry('pico01', 'temperature', 1), entry('pico02', 'humidity', 1)],
            [{ kind: 'written' }, { kind: 'conflict', conflict }, { kind: 'written' }], recent);
        const b2 = reportBatch([entry('pico01', 'humidity', 2), entry('pico01', 'temperature', 2)], [{ kind: 'written' }, { kind: 'duplicate' }], recent);
        model({ topic: 'stored', payload: b1 });
        model({ topic: 'stored', payload: b2 });
        const byId = Object.fromEntries(page().devices.map((d) => [d.device, d]));
        assert.deepStrictEqual([byId.pico01.stored, byId.pico01.conflicts, byId.pico01.windows], [2, 1, 0], 'the writer\'s reports count stored readings, not windows');
        assert.deepStrictEqual([byId.pico02.stored, byId.pico02.conflicts], [1, 0]);
    });

    it('the alerts list follows each event: de-escalation lowers the severity, an ack is kept (with who) until an escalation', function () {
        const alerts = fnNode(T.FN_ALERTS, flow);
        const ev = (event, severity, extra = {}) => alerts({ payload: { id: 'a1', event, device: 'fridge-1', sensor: 'probe1', rule: 'high', severity, acknowledged: false, startedAt: 'x', ...extra } }).payload;
        ev('fired', 'critical');
        let a = ev('acknowledged', 'critical', { acknowledged: true, by: 'alice' }).active[0];
        assert.deepStrictEqual([a.state, a.by], ['acknowledged', 'alice']);
        a = ev('de-escalated', 'warning', { acknowledged: true }).active[0];
        assert.deepStrictEqual([a.state, a.severity, a.by], ['acknowledged', 'warning', 'alice']);
        a = ev('escalated', 'critical').active[0];
        assert.deepStrictEqual([a.state, a.severity, a.by], ['firing', 'critical', null]);
        const end = ev('resolved', 'critical');
        assert.deepStrictEqual([end.active.length, end.recent[0].state], [0, 'resolved']);
    });

    it('a page that opens and asks gets the current alerts, addressed to it alone; every change goes to every page', function () {
        const alerts = fnNode(T.FN_ALERTS, flow);
        // an acknowledgement from a page (its socket on it) changes the list: that goes to every page
        const fired = alerts({ payload: { id: 'a1', event: 'fired', device: 'fridge-1', sensor: 'probe1', rule: 'high', severity: 'warning', acknowledged: false, startedAt: 'x' }, socketid: 's0', _client: { socketId: 's0' } });
        assert.deepStrictEqual([fired.socketid, fired._client], [undefined, undefined]);
        // node-red-dashboard: msg.socketid (set by the page, or by npm start's guard with msg._client)
        const ui1 = alerts({ topic: 'refresh', payload: 'alerts', socketid: 's1', _client: { socketId: 's1', user: { username: 'viewer', role: 'viewer' } } });
        assert.deepStrictEqual([ui1.topic, ui1.socketid, ui1._client.socketId, ui1.payload.active.map((a) => [a.id, a.state])], ['alerts', 's1', 's1', [['a1', 'firing']]]);
        // Dashboard 2.0: msg._client
        const ui2 = alerts({ topic: 'refresh', payload: 'alerts', _client: { socketId: 's2' } });
        assert.deepStrictEqual([ui2.socketid, ui2._client, ui2.payload.active.length], [undefined, { socketId: 's2' }, 1]);
        // the flow's own refresh at start: to every page
        const start = alerts({ topic: 'refresh' });
        assert.deepStrictEqual([start.socketid, start._client, start.payload.active.length], [undefined, undefined, 1]);
    });

    it('the history chart\'s series and the hourly table get their sensor\'s unit', function () {
        const dash = flowContext();
        fnNode(T.FN_DEVICE_OPTIONS_UI2, dash)({ payload: { cards: [{ device: 'fridge-1', sensor: 'probe1', unit: '°C', t: 1 }] } });
        const chart = fnNode(T.FN_CHART_UNITS, dash)({ topic: 'fridge-1', payload: [{ x: 1, y: 4, series: 'probe1 mean' }] });
        assert.strictEqual(chart.payload[0].series, 'probe1 mean (°C)');
        const ui1 = fnNode(T.FN_CHART_UNITS, dash)({ topic: 'fridge-1', payload: [{ series: ['probe1 mean', 'probe1 max'], data: [[], []], labels: [''] }] });
        assert.deepStrictEqual(ui1.payload[0].series, ['probe1 mean (°C)', 'probe1 max (°C)']);
        const rows = fnNode(T.FN_HOURLY_UNITS_UI2, dash)({ payload: [{ hour: '2026-01-01T10:00:00.000Z', device: 'fridge-1', sensor: 'probe1', min: 3.5, mean: 4, max: 4.5, change: 0.25, windows: 60 }] });
        assert.deepStrictEqual([rows.payload[0].hour, rows.payload[0].min, rows.payload[0].change], ['2026-01-01 10:00', '3.50 °C', '+0.25 °C']);
    });
});
