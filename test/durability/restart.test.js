'use strict';
// Issue 8: Node-RED restarted (Ctrl-C, start again) while boards publish, on the embedded broker
// of `npm start` and on Mosquitto; Mosquitto restarted mid-stream; a full redeploy while the
// broker hands over a backlog. Every reading the broker
// acknowledged to a board is stored once.
const assert = require('assert');
const { assertNoLoss, useScenario, sleep } = require('./harness');

// 10 boards, 2 sensors, 20 frames/s: 40 readings/s, about 1 200 readings per run
const BOARDS = 10;
const READINGS_PER_S = 40;

describe('durability: restarts under load', function () {
    this.timeout(300000);
    const ctx = useScenario();

    async function restartNodeRed(broker) {
        const s = await ctx.start({ broker });
        const fleet = await s.boards({ count: BOARDS, prefix: `restart-${broker}` });
        fleet.stream(READINGS_PER_S);
        s.mark('stream');
        await sleep(10000);
        const downAt = Date.now();
        const ackedBefore = fleet.acked.size;
        s.mark('Ctrl-C');
        const stop = await s.nr.interrupt();
        s.mark('Node-RED stopped');
        assert.ok(!stop.timedOut, `Ctrl-C did not stop Node-RED within 30 s:\n${s.nr.output().slice(-2000)}`);
        // Node-RED away at least 6 s, as in the run on Mosquitto
        await sleep(Math.max(0, 6000 - (Date.now() - downAt)));
        const ackedWhileDown = fleet.acked.size - ackedBefore;
        await s.startNodeRed();
        console.log(`      (Ctrl-C took ${(stop.ms / 1000).toFixed(1)} s; Node-RED away ${((Date.now() - downAt) / 1000).toFixed(1)} s)`);
        await sleep(10000);
        return { s, fleet, ackedWhileDown };
    }

    it('Node-RED restarted (Ctrl-C, start) under load, embedded broker: 0 missing, 0 duplicates', async function () {
        const { s, fleet } = await restartNodeRed('embedded');
        assertNoLoss(await s.finish('Node-RED restart, embedded broker', fleet));
    });

    it('Node-RED restarted (Ctrl-C, start) under load, Mosquitto: 0 missing, 0 duplicates', async function () {
        const { s, fleet, ackedWhileDown } = await restartNodeRed('mosquitto');
        const r = await s.finish('Node-RED restart, Mosquitto', fleet);
        assertNoLoss(r);
        assert.ok(ackedWhileDown > 0, 'the boards published to Mosquitto while Node-RED was away');
    });

    it('Mosquitto restarted mid-stream: 0 missing, 0 duplicates', async function () {
        const s = await ctx.start({ broker: 'mosquitto' });
        const fleet = await s.boards({ count: BOARDS, prefix: 'mosquitto-restart' });
        fleet.stream(READINGS_PER_S);
        s.mark('stream');
        await sleep(10000);
        s.mark('Mosquitto restart');
        await s.mosquitto.restart();
        s.mark('Mosquitto back');
        await sleep(15000);
        assertNoLoss(await s.finish('Mosquitto restart', fleet));
    });

    // a user pressing Deploy while the broker hands over what it kept: Node-RED drops the messages
    // in transit to the nodes it stops; none of them may be acknowledged
    for (const broker of ['embedded', 'mosquitto']) {
        it(`full redeploy just after a restart with a backlog (${broker}): 0 missing, 0 duplicates`, async function () {
            const s = await ctx.start({ broker });
            const fleet = await s.boards({ count: BOARDS, prefix: `redeploy-${broker}` });
            fleet.stream(READINGS_PER_S);
            s.mark('stream');
            await sleep(3000);
            await s.nr.interrupt();
            s.mark('Node-RED stopped');
            await sleep(5000); // a backlog builds up in the broker's session
            await s.startNodeRed();
            const api = { 'Node-RED-API-Version': 'v2', 'content-type': 'application/json' };
            const flows = JSON.parse((await request('GET', `${s.nr.editorUrl}flows`, null, api)).text);
            const deployed = await request('POST', `${s.nr.editorUrl}flows`, JSON.stringify({ flows: flows.flows, rev: flows.rev }), { ...api, 'Node-RED-Deployment-Type': 'full' });
            assert.strictEqual(deployed.status, 200, deployed.text);
            s.mark('full deploy');
            await sleep(5000);
            assertNoLoss(await s.finish(`full redeploy with a backlog, ${broker}`, fleet));
        });
    }
});

function request(method, url, body, headers) {
    return new Promise((resolve, reject) => {
        const r = require('http').request(url, { method, headers }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, text }));
        });
        r.on('error', reject);
        r.end(body);
    });
}
