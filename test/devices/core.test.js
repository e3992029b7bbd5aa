'use strict';
// picochain-devices core: the registry alone (no database): learning, assignments, annotations.
const assert = require('assert');
const { Registry, RegistryError, learnedSensor, fromDoc, toDoc, listed } = require('../../dist/nodes/picochain-devices/core');

const NOW = new Date(Date.UTC(2026, 10, 24, 12));
const r = (device, sensor, unit, source = 'json-v1') => ({ device, sensor, unit, source });

describe('picochain-devices registry (core)', function () {
    it('records an unknown device unassigned, then each new sensor with its unit, once', function () {
        const reg = new Registry();
        const c1 = reg.observe(r('fridge-9', 'probe1', '°C'), NOW);
        assert.strictEqual(c1.op, 'insert');
        assert.deepStrictEqual(c1.doc.sensors, { probe1: { unit: '°C' } });
        assert.strictEqual(c1.doc.kind, null);
        assert.strictEqual(reg.observe(r('fridge-9', 'probe1', '°C'), NOW), null, 'nothing new: nothing to write');
        const c2 = reg.observe(r('fridge-9', 'temperature', '°C'), NOW);
        assert.deepStrictEqual(c2, { op: 'set', device: 'fridge-9', set: { 'sensors.temperature': { unit: '°C', kind: 'ambient' }, updatedAt: NOW } });
        assert.strictEqual(reg.unassigned(), 1);
        assert.deepStrictEqual(reg.cabinet('fridge-9'), { device: 'fridge-9', kind: null, name: null, location: null, sensors: { probe1: { unit: '°C' }, temperature: { unit: '°C', kind: 'ambient' } } });
        assert.strictEqual(reg.cabinet('nope'), null);
    });

    it('learns what picochain sensors are: the board\'s own sensor reads the room, door is a state; old boards\' temperature is the cabinet', function () {
        assert.deepStrictEqual(learnedSensor(r('x', 'temperature', '°C', 'binary-v1')), { unit: '°C', kind: 'ambient' });
        assert.deepStrictEqual(learnedSensor(r('x', 'temperature', '°C', 'legacy')), { unit: '°C' });
        assert.deepStrictEqual(learnedSensor(r('x', 'humidity', '%', 'legacy')), { unit: '%' });
        assert.deepStrictEqual(learnedSensor(r('x', 'door', null)), { unit: 'state', states: { 0: 'closed', 1: 'open' } });
    });

    it('assigns kind, name, location and sensor overrides (state labels), recording who; refuses bad requests with a reason', function () {
        const reg = new Registry();
        reg.observe(r('pico01', 'camera', null, 'legacy'), NOW);
        const c = reg.assign({ device: 'pico01', kind: 'cold-room', name: 'Walk-in', location: 'depot', by: 'alice', sensors: { camera: { states: { 0: 'nothing', 1: 'present', 2: 'surplus' } } } }, NOW);
        assert.strictEqual(c.op, 'set');
        assert.strictEqual(c.set.kind, 'cold-room');
        assert.strictEqual(c.set.assignedBy, 'alice');
        assert.deepStrictEqual(reg.cabinet('pico01').sensors.camera, { unit: 'state', states: { 0: 'nothing', 1: 'present', 2: 'surplus' } });
        assert.strictEqual(reg.unassigned(), 0);
        const fresh = reg.assign({ device: 'freezer-9', kind: 'freezer' }, NOW);
        assert.strictEqual(fresh.op, 'insert', 'a device assigned before it ever sent');
        assert.strictEqual(reg.assign({ device: 'freezer-9', kind: 'unassigned' }, NOW).set.kind, null);
        const bad = [
            [{ device: 'fridge 1', kind: 'fridge' }, 'bad-device'],
            [{ device: 'f1', kind: 'fridgee' }, 'bad-kind'],
            [{ device: 'f1', name: 'x'.repeat(65) }, 'bad-text'],
            [{ device: 'f1', sensors: { 'a.b': {} } }, 'bad-sensor'],
            [{ device: 'f1', sensors: { cam: { states: { zero: 'x' } } } }, 'bad-states'],
            [null, 'bad-assignment'],
        ];
        for (const [a, key] of bad) assert.throws(() => reg.assign(a, NOW), (e) => e instanceof RegistryError && e.key === key, key);
        assert.deepStrictEqual(reg.remove('freezer-9'), { op: 'delete', device: 'freezer-9' });
        assert.strictEqual(reg.remove('freezer-9'), null);
    });

    it('a unit the device reports later replaces the recorded one', function () {
        const reg = new Registry();
        reg.observe(r('x1', 'probe1', null), NOW);
        assert.deepStrictEqual(reg.observe(r('x1', 'probe1', '°C'), NOW).set, { 'sensors.probe1.unit': '°C', updatedAt: NOW });
        assert.strictEqual(reg.observe(r('x1', 'probe1', null), NOW), null, 'a reading without unit keeps the known one');
    });

    it('loads stored documents, skipping ones that are not devices; lists unassigned first', function () {
        const reg = new Registry();
        const bad = reg.load([
            { _id: 'fridge-1', kind: 'fridge', name: 'Fridge 1', sensors: { probe1: { unit: '°C' } }, firstSeen: NOW },
            { _id: 'zz-new', kind: null, sensors: {}, firstSeen: NOW.toISOString() },
            { _id: 'x', kind: 'boiler' },
            { _id: 42 },
        ]);
        assert.strictEqual(bad, 2);
        assert.deepStrictEqual(reg.list().map((e) => e.device), ['zz-new', 'fridge-1']);
        const e = reg.get('fridge-1');
        assert.deepStrictEqual(fromDoc(toDoc(e)), e, 'toDoc and fromDoc are inverse');
        assert.strictEqual(listed(e).firstSeen, NOW.toISOString());
    });
});
