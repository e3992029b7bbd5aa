'use strict';
// Issue 8: the database goes away. 60 s at 1 000 readings/s; and while it is away Node-RED is
// stopped with Ctrl-C, or the server loses power (SIGKILL), then everything starts again.
// Every reading the broker acknowledged to a board is stored once. Broker: Mosquitto as
// docs/mosquitto.conf (persistence, raised max_queued_messages).
const assert = require('assert');
const { assertNoLoss, useScenario, sleep } = require('./harness');

const SENSORS = ['temperature', 'humidity', 'probe1', 'probe2'];

describe('durability: database outages', function () {
    this.timeout(420000);
    const ctx = useScenario();

    it('database down 60 s at 1 000 readings/s: 0 missing, 0 duplicates', async function () {
        const s = await ctx.start({ broker: 'mosquitto' });
        // 50 boards, 4 sensors, 250 frames/s
        const fleet = await s.boards({ count: 50, prefix: 'outage', sensors: SENSORS });
        fleet.stream(1000);
        s.mark('stream');
        await sleep(5000);
        s.mark('database killed');
        await s.ferret.stop({ kill: true });
        await sleep(60000);
        await s.ferret.restart();
        s.mark('database back');
        await sleep(5000);
        const r = await s.finish('database down 60 s at 1 000 readings/s', fleet, { stallMs: 45000, maxMs: 300000 });
        assert.ok(r.acked >= 60000, `at least 60 000 readings acknowledged, got ${r.acked}`);
        assertNoLoss(r);
    });

    // Node-RED stopped while the database is away (Ctrl-C or power loss), then the server comes
    // back with Node-RED starting before the database does.
    async function downThenStop(how) {
        const s = await ctx.start({ broker: 'mosquitto' });
        const fleet = await s.boards({ count: 10, prefix: `down-${how}` });
        s.mark('database killed');
        await s.ferret.stop({ kill: true });
        // 600 readings: 300 frames of 2 sensors at 50 frames/s
        fleet.stream(100);
        s.mark('stream');
        while (fleet.counts().frames < 300) await sleep(50);
        fleet.stopStream();
        const unacked = await fleet.settle(30000);
        assert.strictEqual(unacked, 0, 'Mosquitto acknowledged every frame');
        await sleep(3000); // Node-RED has received them
        s.mark(how);
        if (how === 'Ctrl-C') {
            const stop = await s.nr.interrupt();
            assert.ok(!stop.timedOut, `Ctrl-C did not stop Node-RED within 30 s:\n${s.nr.output().slice(-2000)}`);
            console.log(`      (Ctrl-C took ${(stop.ms / 1000).toFixed(1)} s, exit code ${stop.code})`);
        } else {
            await s.nr.kill();
        }
        await s.startNodeRed();
        await sleep(5000);
        await s.ferret.restart();
        s.mark('database back');
        return { s, fleet };
    }

    it('database down, Ctrl-C, start again: 0 missing, 0 duplicates', async function () {
        const { s, fleet } = await downThenStop('Ctrl-C');
        assertNoLoss(await s.finish('database down, Ctrl-C, start', fleet));
    });

    it('database down, SIGKILL (power loss), start again: 0 missing, 0 duplicates', async function () {
        const { s, fleet } = await downThenStop('SIGKILL');
        assertNoLoss(await s.finish('database down, SIGKILL, start', fleet));
    });
});
