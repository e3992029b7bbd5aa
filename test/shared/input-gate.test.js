'use strict';
// nodes/shared/input-gate.ts: what picochain-alert and picochain-devices hold while their state
// loads. Their help says "up to 50 000": the gate holds that many, in order, and refuses the next
// with the error the node gives to done(err).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { InputGate, GATE_MAX_QUEUED, GATE_REPORT_MS } = require('../../dist/nodes/shared/input-gate');
const { sleep, until } = require('../support/wait');

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

    it('logs its refusals (a Catch node takes their errors, and Node-RED logs none): at once, then at most every interval with the running count, and the total when it opens', async () => {
        assert.strictEqual(GATE_REPORT_MS, 10000, 'at most one line every 10 s');
        const reports = [];
        const every = 100;
        const gate = new InputGate(() => undefined, 2, () => new Error('queue full'), (e, done) => done(e), (total) => reports.push(total), every);
        const push = (n) => { for (let i = 0; i < n; i++) gate.input(i, null, () => undefined); };
        push(2);
        assert.deepStrictEqual(reports, [], 'nothing refused yet');
        const t0 = Date.now();
        push(3);
        assert.deepStrictEqual(reports, [1], 'the first refusal at once');
        await until(() => reports.length === 2, 'the second report', 5000, { every: 5 });
        assert.ok(Date.now() - t0 >= every - 5, 'not before the interval');
        assert.deepStrictEqual(reports, [1, 3], 'the running count after the interval');
        // the next interval passes with nothing refused: the timer stops (a loaded machine gets 4×)
        await sleep(4 * every);
        assert.deepStrictEqual(reports, [1, 3], 'no line while nothing more is refused');
        push(1);
        assert.deepStrictEqual(reports, [1, 3, 4], 'refusing again after a quiet interval: at once');
        push(2);
        assert.deepStrictEqual(reports, [1, 3, 4], 'within the interval: held back');
        gate.open();
        assert.deepStrictEqual(reports, [1, 3, 4, 6], 'the total when the gate opens');
        assert.strictEqual(gate.refused, 6);
        await sleep(2 * every);
        assert.deepStrictEqual(reports, [1, 3, 4, 6], 'nothing after it opened');
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
