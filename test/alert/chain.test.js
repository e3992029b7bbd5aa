'use strict';
// picochain-decode → picochain-alert in the Node-RED runtime: the alert node takes what the decoder
// really sends (readings on its output 1, device status on its output 2), legacy TOUCAN messages
// and the last will included.
const assert = require('assert');
const path = require('path');
const helper = require('node-red-node-test-helper');

const decodeFile = path.join(__dirname, '..', '..', 'dist', 'nodes', 'picochain-decode', 'picochain-decode.js');
const alertNode = require('../../dist/nodes/picochain-alert/picochain-alert.js');
const { sleep, until } = require('../support/wait');

helper.init(require.resolve('node-red'));

/** A picochain JSON frame v1 (firmware/PROTOCOL.md) for one temperature window ending now. */
function frame(device, seq, mean, ageS) {
    return JSON.stringify({
        v: 1, device, site: 'foodbank', seq, ts: Math.floor(Date.now() / 1000) - ageS, synced: true, window: 60,
        sensors: [{ sensor: 'temperature', unit: '°C', count: 6, min: mean - 0.2, max: mean + 0.2, mean, std: 0.1, slope: 0.01, last: mean, state: 0 }],
    });
}

describe('picochain-decode → picochain-alert (Node-RED runtime)', function () {
    afterEach(async function () {
        await helper.unload();
    });

    it('alerts on decoded frames and on the decoded last will, with the decoder\'s own output', async function () {
        const decodeNode = require(decodeFile);
        await helper.load([decodeNode, alertNode], [
            { id: 'f1', type: 'tab', label: 'chain' },
            { id: 'dec', type: 'picochain-decode', z: 'f1', wires: [['al'], ['al']] },
            { id: 'al', type: 'picochain-alert', z: 'f1', highWarning: '8', highWarningClear: '6', wires: [['ev'], ['rd']] },
            { id: 'ev', type: 'helper', z: 'f1' },
            { id: 'rd', type: 'helper', z: 'f1' },
        ]);
        const events = [];
        const readings = [];
        helper.getNode('ev').on('input', (m) => events.push(m.payload));
        helper.getNode('rd').on('input', (m) => readings.push(m));
        const errors = [];
        helper.getNode('al').on('call:error', (c) => errors.push(c.args[0]));
        helper.getNode('dec').on('call:error', (c) => errors.push(c.args[0]));
        const dec = helper.getNode('dec');
        dec.receive({ topic: 'picochain/foodbank/fridge-1/data', payload: Buffer.from(frame('fridge-1', 1, 4.1, 60)) });
        dec.receive({ topic: 'picochain/foodbank/fridge-1/data', payload: Buffer.from(frame('fridge-1', 2, 9.3, 0)) });
        await until(() => readings.length === 2 && events.length === 1, 'two readings, one event');
        assert.deepStrictEqual(errors, []);
        assert.strictEqual(readings[0].alert.state, 'normal');
        assert.strictEqual(readings[1].alert.state, 'firing');
        assert.strictEqual(events[0].event, 'fired');
        assert.strictEqual(events[0].device, 'fridge-1');
        assert.strictEqual(events[0].unit, '°C');
        assert.strictEqual(events[0].value, 9.3);

        // the broker publishes the last will as plain text on the status topic
        dec.receive({ topic: 'picochain/foodbank/fridge-1/status', payload: Buffer.from('offline') });
        await until(() => events.length === 2, 'silent (offline) fired');
        assert.strictEqual(events[1].rule, 'silent');
        assert.strictEqual(events[1].cause, 'offline');
        dec.receive({ topic: 'picochain/foodbank/fridge-1/status', payload: Buffer.from(JSON.stringify({ state: 'online', fw: '1.0.0', boot: 2 })) });
        await until(() => events.length === 3, 'silent resolved');
        assert.strictEqual(events[2].event, 'resolved');
        assert.strictEqual(events[2].rule, 'silent');

        // the original system's message, still accepted by the decoder, reaches the alert too
        dec.receive({ topic: 'TOUCAN', payload: Buffer.from(JSON.stringify({ datetime: '2026-11-24 8:5:3.25', noeud: 'pico_1', capteur: 'temperature', metrique: 'brute', valeur: 12.5 })) });
        await until(() => events.length === 4, 'legacy reading fired');
        assert.strictEqual(events[3].device, 'pico_1');
        assert.strictEqual(events[3].value, 12.5);
        assert.deepStrictEqual(errors, []);
    });
});
