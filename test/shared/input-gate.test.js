'use strict';
// nodes/shared/input-gate.ts: what picochain-alert and picochain-devices hold while their state
// loads. Their help says "up to 50 000": the gate holds that many, in order, and refuses the next
// with the error the node gives to done(err).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { InputGate, GATE_MAX_QUEUED } = require('../../dist/nodes/shared/input-gate');

describe('input gate (messages held while a node loads its state)', () => {
    it('holds up to its limit in order, refuses the next with the node\'s error, and runs what it held once open', () => {
        const handled = [];
        const refused = [];
        const gate = new InputGate((msg, send, done) => { handled.push(msg); done(); }, GATE_MAX_QUEUED, () => new Error('queue full'), (e, done) => { refused.push(e.message); done(e); });
        const dones = [];
        for (let i = 0; i <= GATE_MAX_QUEUED; i++) gate.input(i, null, (err) => dones.push(err ? err.message : 'ok'));
        assert.deepStrictEqual(refused, ['queue full'], 'the one beyond the limit is refused');
        assert.deepStrictEqual(dones, ['queue full']);
        assert.strictEqual(handled.length, 0, 'nothing runs before the gate opens');
        gate.open();
        assert.strictEqual(handled.length, GATE_MAX_QUEUED);
        assert.ok(handled.every((m, i) => m === i), 'in arrival order');
        gate.input('late', null, () => undefined);
        assert.strictEqual(handled[handled.length - 1], 'late', 'once open, a message runs at once');
    });

    it('the limit the alert and registry help texts state (en-US, fr) is the gate\'s', () => {
        const shown = GATE_MAX_QUEUED.toLocaleString('fr-FR').replace(/\s/g, ' ');
        for (const node of ['picochain-alert', 'picochain-devices']) {
            for (const lang of ['en-US', 'fr']) {
                const html = fs.readFileSync(path.join(__dirname, '..', '..', 'nodes', node, 'locales', lang, `${node}.html`), 'utf8').replace(/\s+/g, ' ');
                assert.ok(html.includes(shown), `${node} ${lang} says ${shown}`);
            }
        }
    });
});
