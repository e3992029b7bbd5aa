'use strict';
// picochain-decode passes a board's remote-config report (firmware/PROTOCOL.md "Remote
// configuration") on with its status, checked; a bad report refuses the status message.
const assert = require('assert');
const { Decoder, DecodeError } = require('../../dist/nodes/picochain-decode/core');

const NOW = new Date('2026-11-24T10:00:00.000Z');
const TOPIC = 'picochain/foodbank/fridge-1/status';
const decode = (obj) => new Decoder({}).decode(JSON.stringify(obj), TOPIC, NOW);
const report = { applied: 3, last: 4, result: 'refused', reason: 'window_s must be an integer from sample_s to 3600',
    settings: { sample_s: 10, window_s: 300, send: 'stats', format: 'json', legacy: 'off', debug: false, thresholds: { default: { warn_high: 8 } }, wifi: { ssid: 'foodbank' }, broker: { host: '10.0.0.2', port: 1883, tls: false } } };

describe('picochain-decode: the config report of a status message', function () {
    it('passes the report on with the status', function () {
        const out = decode({ state: 'online', fw: '1.0.0', boot: 2, config: report });
        assert.strictEqual(out.kind, 'status');
        assert.deepStrictEqual(out.status.config, report);
        assert.strictEqual(decode({ state: 'online' }).status.config, undefined, 'none without one');
    });

    for (const [name, config, field] of [
        ['a negative applied version', { ...report, applied: -1 }, 'config.applied'],
        ['an unknown result', { ...report, result: 'ok' }, 'config.result'],
        ['a reason over 200 characters', { ...report, reason: 'x'.repeat(201) }, 'config.reason'],
        ['settings that are not an object', { ...report, settings: 'all' }, 'config.settings'],
    ]) {
        it(`refuses ${name}, naming the field`, function () {
            assert.throws(() => decode({ state: 'online', config }), (e) => e instanceof DecodeError && e.message.includes(field) && e.message.includes(`$.${field}`));
        });
    }
});
