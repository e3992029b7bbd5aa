'use strict';
// Issue 8: a fleet replaying after an outage: 1 000 original boards send 100 readings each
// (TOUCAN messages) as fast as they can, 100 000 readings, into the shipped flows with their
// shipped settings. Every reading the broker acknowledged is stored once. Broker: Mosquitto as
// docs/mosquitto.conf.
const assert = require('assert');
const { assertNoLoss, useScenario } = require('./harness');

const BOARDS = 1000;
const PER_BOARD = 100;

describe('durability: burst', function () {
    this.timeout(600000);
    const ctx = useScenario();

    it('100 000 legacy readings in one burst, shipped defaults: 0 missing, 0 duplicates', async function () {
        const s = await ctx.start({ broker: 'mosquitto' });
        const fleet = await s.boards({ count: BOARDS, prefix: 'burst', format: 'legacy', sensors: ['temperature'] });
        s.mark('burst');
        const t0 = Date.now();
        await fleet.burst(PER_BOARD);
        const unacked = await fleet.settle(120000);
        s.mark('all acknowledged');
        console.log(`      (${BOARDS * PER_BOARD} messages acknowledged by Mosquitto in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${unacked} still waiting)`);
        const r = await s.finish('100 000-reading burst, shipped defaults', fleet, { stallMs: 45000, maxMs: 400000 });
        assert.strictEqual(r.acked, BOARDS * PER_BOARD, 'every reading acknowledged');
        assertNoLoss(r);
    });
});
