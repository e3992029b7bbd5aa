'use strict';
// Issue 8: the server loses power (SIGKILL of Node-RED) with the database up while boards publish
// 20 frames/s; Node-RED starts again on the same data. Every reading the broker acknowledged to a
// board is stored once. Broker: Mosquitto as docs/mosquitto.conf.
const { assertNoLoss, useScenario, sleep } = require('./harness');

describe('durability: power loss', function () {
    this.timeout(300000);
    const ctx = useScenario();

    it('SIGKILL with the database up at 20 frames/s, start again: 0 missing, 0 duplicates', async function () {
        const s = await ctx.start({ broker: 'mosquitto' });
        const fleet = await s.boards({ count: 10, prefix: 'kill' });
        fleet.stream(40); // 20 frames/s of 2 sensors
        s.mark('stream');
        await sleep(15000);
        s.mark('SIGKILL');
        await s.nr.kill();
        await s.startNodeRed();
        await sleep(15000);
        assertNoLoss(await s.finish('SIGKILL at 20 frames/s', fleet));
    });
});
