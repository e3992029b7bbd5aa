'use strict';
// picochain-devices in the real runtime (node-red-node-test-helper) against a real FerretDB 1.24,
// and decode → devices → alert: readings judged by their cabinet's rules, units respected.
const assert = require('assert');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { MongoClient } = require('mongodb');
const { startFerretDB } = require('../../scripts/lib/services');
const { until } = require('../support/wait');
const { collect, lastStatus } = require('../support/node-red');

const dist = (n) => path.join(__dirname, '..', '..', 'dist', 'nodes', n, `${n}.js`);
const configNode = require(dist('picochain-mongo-config'));
const devicesNode = require(dist('picochain-devices'));
const alertNode = require(dist('picochain-alert'));
const decodeNode = require(dist('picochain-decode'));

helper.init(require.resolve('node-red'));

let seq = 0;
function reading(device, sensor, mean, unit = '°C', source = 'json-v1') {
    const time = new Date(Date.now() - 1000 + (seq++));
    return { device, site: 'test', sensor, unit, time, deviceTime: time, receivedAt: time, window: 60, count: 6, min: mean, max: mean, mean, std: 0, slope: 0, last: mean, seq, state: 0, source };
}

describe('picochain-devices node against FerretDB', function () {
    this.timeout(60000);
    let fdb;
    let client;
    let col;
    before(async function () {
        fdb = await startFerretDB();
        client = await MongoClient.connect(fdb.uri);
        col = client.db('picochain').collection('devices');
    });
    after(async function () {
        if (client) await client.close();
        if (fdb) await fdb.cleanup();
    });
    afterEach(async function () {
        await helper.unload();
        await col.deleteMany({});
    });

    const cfg = () => ({ id: 'cfg', type: 'picochain-mongo-config', name: 'db', uri: fdb.uri, database: 'picochain' });
    function load(nodes, flow) {
        return new Promise((resolve) => helper.load([configNode, ...nodes], [cfg(), ...flow], { cfg: { user: '', password: '' } }, resolve));
    }

    /** A devices node with its readings and lists collected, once it has sent its first list. */
    async function startWithList() {
        await load([devicesNode], [
            { id: 'dev', type: 'picochain-devices', mongo: 'cfg', collection: 'devices', reload: '0', wires: [['rd'], ['list']] },
            { id: 'rd', type: 'helper' }, { id: 'list', type: 'helper' },
        ]);
        const out = collect({ readings: 'rd', lists: 'list' });
        await until(() => out.lists.length >= 1, 'the list at start', 15000);
        return { out, dev: helper.getNode('dev') };
    }

    it('records unknown devices and their sensors, annotates readings, and takes assignments from a page', async function () {
        await col.insertOne({ _id: 'freezer-1', kind: 'freezer', name: 'Freezer 1', location: 'depot', sensors: { probe1: { unit: '°C' } }, firstSeen: new Date() });
        const { out, dev } = await startWithList();
        dev.receive({ payload: reading('freezer-1', 'probe1', -18) });
        dev.receive({ payload: reading('pico01', 'temperature', 4, '°C', 'legacy') });
        dev.receive({ payload: reading('pico01', 'humidity', 80, '%', 'legacy') });
        await until(() => out.readings.length === 3, 'three readings');
        assert.deepStrictEqual(out.readings.map((m) => m.cabinet && m.cabinet.kind), ['freezer', null, null]);
        assert.strictEqual(out.readings[0].cabinet.name, 'Freezer 1');
        const last = out.lists[out.lists.length - 1].payload;
        assert.deepStrictEqual(last.map((d) => [d.device, d.kind]), [['pico01', null], ['freezer-1', 'freezer']], 'the new device first, unassigned');
        await until(async () => (await col.findOne({ _id: 'pico01' })) && Object.keys((await col.findOne({ _id: 'pico01' })).sensors).length === 2, 'pico01 stored with its two sensors');
        const stored = await col.findOne({ _id: 'pico01' });
        assert.deepStrictEqual(stored.sensors, { temperature: { unit: '°C' }, humidity: { unit: '%' } });
        assert.ok(stored.firstSeen instanceof Date, 'a BSON date');

        // the Fleet page assigns it; the user is recorded
        dev.receive({ topic: 'assign', payload: { device: 'pico01', kind: 'fridge', name: 'Old board 1', by: 'alice' } });
        await until(async () => ((await col.findOne({ _id: 'pico01' })) || {}).kind === 'fridge', 'assignment stored');
        const doc = await col.findOne({ _id: 'pico01' });
        assert.deepStrictEqual([doc.name, doc.assignedBy, Object.keys(doc.sensors).length], ['Old board 1', 'alice', 2]);
        dev.receive({ payload: reading('pico01', 'temperature', 4, '°C', 'legacy') });
        await until(() => out.readings.length === 4, 'fourth reading');
        assert.strictEqual(out.readings[3].cabinet.kind, 'fridge');
        assert.strictEqual(out.lists[out.lists.length - 1].device, 'pico01');

        // a bad request fails with the reason, and nothing changes
        const errors = [];
        dev.on('call:error', (c) => errors.push(String(c.args[0])));
        dev.receive({ topic: 'assign', payload: { device: 'pico01', kind: 'boiler' } });
        await until(() => errors.length === 1, 'the refusal');
        assert.match(errors[0], /"boiler" is not a cabinet kind/);
        assert.strictEqual((await col.findOne({ _id: 'pico01' })).kind, 'fridge');
        await until(() => /2 dev\., 0 new, 1 bad/.test((lastStatus(dev) || {}).text || ''), () => `status ${JSON.stringify(lastStatus(dev))}`);
    });

    it('a backlog bigger than 1 000 readings arriving while the registry loads (a restart) is held and annotated, none refused', async function () {
        await col.insertOne({ _id: 'fridge-7', kind: 'fridge', name: 'Fridge 7', location: 'depot', sensors: { probe1: { unit: '°C' } }, firstSeen: new Date() });
        await load([devicesNode], [
            { id: 'dev', type: 'picochain-devices', mongo: 'cfg', collection: 'devices', reload: '0', wires: [['rd'], []] },
            { id: 'rd', type: 'helper' },
        ]);
        const out = collect({ readings: 'rd' });
        const dev = helper.getNode('dev');
        // handed over at once, before the registry is read from the database
        for (let i = 0; i < 3000; i++) dev.receive({ payload: reading('fridge-7', 'probe1', 4) });
        await until(() => out.readings.length === 3000 || dev.error.called, 'three thousand readings', 30000);
        assert.strictEqual(dev.error.called, false, `no reading refused: ${dev.error.called ? dev.error.firstCall.args[0] : ''}`);
        assert.ok(out.readings.every((m) => m.cabinet && m.cabinet.kind === 'fridge'), 'each annotated from the registry');
    });

    it('a burst of 600 new boards: every reading annotated, the device list sent at once and then at most once a second, the last one complete', async function () {
        const { out, dev } = await startWithList();
        const atStart = out.lists.length;
        const t0 = Date.now();
        for (let i = 0; i < 600; i++) dev.receive({ payload: reading(`burst-${i}`, 'probe1', 4) });
        await until(() => out.readings.length === 600, 'six hundred readings', 30000);
        const listedAll = () => { const l = out.lists[out.lists.length - 1]; return l && l.payload.filter((d) => d.device.startsWith('burst-')).length === 600; };
        await until(listedAll, () => `the last list holds all 600 (lists: ${out.lists.slice(atStart).map((l) => l.payload.length).join(', ')})`, 15000);
        const lists = out.lists.length - atStart;
        const seconds = (Date.now() - t0) / 1000;
        assert.ok(lists >= 2 && lists <= Math.ceil(seconds) + 1, `${lists} lists in ${seconds.toFixed(1)} s for 600 new boards (one per new board before)`);
        assert.ok(out.readings.every((m) => 'cabinet' in m), 'each reading annotated');
    });

    it('keeps assignments made while the database is down and writes them when it is back', async function () {
        await load([devicesNode], [
            { id: 'dev', type: 'picochain-devices', mongo: 'cfg', collection: 'devices', reload: '0', wires: [['rd'], ['list']] },
            { id: 'rd', type: 'helper' }, { id: 'list', type: 'helper' },
        ]);
        const out = collect({ readings: 'rd', lists: 'list' });
        await until(() => out.lists.length >= 1, 'ready', 15000);
        await fdb.stop();
        const dev = helper.getNode('dev');
        dev.receive({ topic: 'assign', payload: { device: 'fridge-7', kind: 'fridge' } });
        dev.receive({ payload: reading('fridge-7', 'probe1', 4) });
        await until(() => out.readings.length === 1, 'annotated while the database is down');
        assert.strictEqual(out.readings[0].cabinet.kind, 'fridge');
        await fdb.restart();
        await until(async () => {
            try { return ((await col.findOne({ _id: 'fridge-7' })) || {}).kind === 'fridge'; } catch { return false; }
        }, 'written once the database is back', 40000, { every: 500 });
    });

    it('decode → devices → alert: a freezer at -18 °C, an unknown board and a humidity sensor raise nothing; a warm fridge does', async function () {
        await col.insertMany([
            { _id: 'freezer-1', kind: 'freezer', sensors: {}, firstSeen: new Date() },
            { _id: 'fridge-1', kind: 'fridge', sensors: {}, firstSeen: new Date() },
        ]);
        await load([decodeNode, devicesNode, alertNode], [
            { id: 'dec', type: 'picochain-decode', wires: [['dev'], ['al']] },
            { id: 'dev', type: 'picochain-devices', mongo: 'cfg', collection: 'devices', reload: '0', wires: [['al'], ['list']] },
            // the food-safety defaults, with no pending time so the test does not wait an hour
            { id: 'al', type: 'picochain-alert', rules: [
                { profile: 'fridge', sensors: '', unit: '°C', kind: 'high', value: 'mean', warning: '5', warningClear: '4.5', warningFor: '0', critical: '8', criticalClear: '7', criticalFor: '0', states: '', severity: 'warning' },
                { profile: 'freezer', sensors: '', unit: '°C', kind: 'high', value: 'mean', warning: '-15', warningClear: '-16', warningFor: '0', critical: '', criticalClear: '', criticalFor: '', states: '', severity: 'warning' },
            ], version: 2, wires: [['ev'], ['rd'], ['ds']] },
            { id: 'list', type: 'helper' }, { id: 'ev', type: 'helper' }, { id: 'rd', type: 'helper' }, { id: 'ds', type: 'helper' },
        ]);
        const out = collect({ lists: 'list', events: 'ev', readings: 'rd', states: 'ds' });
        const errors = [];
        for (const id of ['dec', 'dev', 'al']) helper.getNode(id).on('call:error', (c) => errors.push(`${id}: ${c.args[0]}`));
        await until(() => out.lists.length >= 1, 'registry ready', 15000);
        const frame = (device, s, n) => JSON.stringify({ v: 1, device, site: 'test', seq: n, ts: Math.floor(Date.now() / 1000) - 100 + n, synced: true, window: 60, sensors: s });
        const stat = (sensor, unit, mean) => ({ sensor, unit, count: 6, min: mean, max: mean, mean, std: 0, slope: 0, last: mean, state: 0 });
        const dec = helper.getNode('dec');
        dec.receive({ topic: 'picochain/test/freezer-1/stats', payload: Buffer.from(frame('freezer-1', [stat('probe1', '°C', -18), stat('temperature', '°C', 22)], 1)) });
        dec.receive({ topic: 'picochain/test/pico9/stats', payload: Buffer.from(frame('pico9', [stat('probe1', '°C', 20)], 2)) });
        const d = new Date(Date.now() - 60000);
        // the original boards' hand-made date (UTC here: the decoder's default zone), no zero padding
        const datetime = `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}-${d.getUTCDate()} ${d.getUTCHours()}:${d.getUTCMinutes()}:${d.getUTCSeconds()}.25`;
        dec.receive({ topic: 'TOUCAN', payload: Buffer.from(JSON.stringify({ datetime, noeud: 'fridge-1', capteur: 'humidite', metrique: 'brute', valeur: 88 })) });
        await until(() => out.readings.flatMap((m) => [].concat(m.payload)).length === 4, () => `four readings through the alert (errors: ${errors})`);
        assert.deepStrictEqual(out.events, [], 'no alert');
        dec.receive({ topic: 'picochain/test/fridge-1/stats', payload: Buffer.from(frame('fridge-1', [stat('probe1', '°C', 9.5)], 3)) });
        await until(() => out.events.length === 1, 'the warm fridge');
        const e = out.events[0].payload;
        assert.deepStrictEqual([e.event, e.device, e.profile, e.severity, e.threshold, e.unit], ['fired', 'fridge-1', 'fridge', 'critical', 8, '°C']);
        assert.match(e.message, /^\[critical\] fridge-1 probe1 at 9\.5 °C, above 8 °C$/);
        // output 3: the device's state for the pages
        const ds = out.states.flatMap((m) => m.payload).filter((s) => s.device === 'fridge-1').pop();
        assert.deepStrictEqual([ds.presence, ds.state, ds.severity, ds.sensors.probe1.state], ['online', 'firing', 'critical', 'firing']);
        // lists after learned devices go out at most once a second: the one naming pico9 may follow
        const lastListed = () => out.lists[out.lists.length - 1].payload.find((d) => d.device === 'pico9');
        await until(lastListed, 'pico9 in the device list', 5000);
        assert.strictEqual(lastListed().kind, null, 'the unknown board is listed, unassigned');
    });

    it('a discrete sensor of an original board (a camera: 0 nothing, 1 present, 2 surplus) is decoded, stored, alerted on when "0 for 10 min", and labelled', async function () {
        const writerNode = require(dist('picochain-mongo-ts'));
        await load([decodeNode, devicesNode, alertNode, writerNode], [
            { id: 'dec', type: 'picochain-decode', format: 'legacy', wires: [['dev', 'wr'], []] },
            { id: 'wr', type: 'picochain-mongo-ts', mongo: 'cfg', collection: 'readings', batchDelay: 0.05, wires: [[]] },
            { id: 'dev', type: 'picochain-devices', mongo: 'cfg', collection: 'devices', reload: '0', wires: [['al'], ['list']] },
            { id: 'al', type: 'picochain-alert', version: 2, rules: [
                { profile: '*', sensors: 'camera', unit: 'state', kind: 'state', value: 'last', warning: '', warningClear: '', warningFor: '600', critical: '', criticalClear: '', criticalFor: '', states: '0', severity: 'warning' },
            ], wires: [['ev'], [], []] },
            { id: 'list', type: 'helper' }, { id: 'ev', type: 'helper' },
        ]);
        const out = collect({ lists: 'list', events: 'ev' });
        await until(() => out.lists.length >= 1, 'registry ready', 15000);
        const dev = helper.getNode('dev');
        dev.receive({ topic: 'assign', payload: { device: 'pico07', kind: 'custom', sensors: { camera: { unit: 'state', states: { 0: 'nothing', 1: 'present', 2: 'surplus' } } } } });
        const dec = helper.getNode('dec');
        const at = (minAgo) => {
            const d = new Date(Date.now() - minAgo * 60000);
            return `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}-${d.getUTCDate()} ${d.getUTCHours()}:${d.getUTCMinutes()}:${d.getUTCSeconds()}.25`;
        };
        // the original boards send a raw value per message; the shelf is empty for twelve minutes
        for (let m = 12; m >= 0; m--) dec.receive({ topic: 'TOUCAN', payload: Buffer.from(JSON.stringify({ datetime: at(m), noeud: 'pico07', capteur: 'camera', metrique: 'brute', valeur: 0 })) });
        await until(() => out.events.length === 1, 'the "nothing for 10 min" alert');
        const e = out.events[0].payload;
        assert.deepStrictEqual([e.event, e.rule, e.sensor, e.value, e.valueLabel, e.unit], ['fired', 'state', 'camera', 0, 'nothing', 'state']);
        assert.strictEqual(e.message, '[warning] pico07 camera is “nothing”');
        dec.receive({ topic: 'TOUCAN', payload: Buffer.from(JSON.stringify({ datetime: at(-0.05), noeud: 'pico07', capteur: 'camera', metrique: 'brute', valeur: 1 })) });
        await until(() => out.events.length === 2, 'resolved when something is there');
        assert.strictEqual(out.events[1].payload.message, 'Resolved: pico07 camera now “present”');
        const readings = client.db('picochain').collection('readings');
        await until(async () => (await readings.countDocuments({ 'meta.device': 'pico07', 'meta.sensor': 'camera' })) === 14, 'the 14 states stored', 10000, { every: 200 });
    });
});
