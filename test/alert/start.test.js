'use strict';
// `npm start` raises no false alert: its whole chain (scripts/lib/chain.js, what scripts/start.js
// runs) with the default scenario's six boards, registry seeding and shipped flows, accelerated to
// 300× so ten model hours (ten real minutes at npm start's 60×) pass in two minutes. Every alert the
// Alerts page's model records is collected: only fridge-2's compressor failure may fire, and it must.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { startChainProcess } = require('../browser/support/chain');
const services = require('../../scripts/lib/services');
const { sleep } = require('../support/wait');

const SPEED = 300;
const MODEL_HOURS = 10;
const TAB = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'full chain with node-red-dashboard.json'), 'utf8')).find((n) => n.type === 'tab').id;

function get(url) {
    return new Promise((resolve, reject) => http.get(url, (res) => {
        let t = '';
        res.on('data', (d) => { t += d; });
        res.on('end', () => resolve(t));
    }).on('error', reject));
}

describe('npm start: no false alert (default scenario at 300×)', function () {
    this.timeout((MODEL_HOURS * 3600 / SPEED + 180) * 1000);
    let chain;
    let dataDir;
    before(async function () {
        if (!services.ferretdbPath()) { console.log('      skipped: FerretDB is not built'); this.skip(); }
        chain = await startChainProcess({ port: 0, mqttPort: 0, dbPort: 0, dataDir: (dataDir = services.tmpDir('nofalse')), speed: SPEED, logLevel: 'warn' });
    });
    after(async function () {
        if (chain) await chain.stop();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it(`in ${MODEL_HOURS} model hours only fridge-2's compressor failure fires; every board is judged by its own cabinet's rules`, async function () {
        const seen = new Map(); // alert id + event → the event
        const due = MODEL_HOURS * 3600 / 60; // windows of 60 s
        let model = {};
        let status = [];
        // until the fleet's clock has run ten model hours (boards boot a few at a time)
        for (const deadline = Date.now() + this.timeout() - 30000; Date.now() < deadline;) {
            await sleep(2000);
            const v = JSON.parse(await get(`${chain.info.editorUrl}context/flow/${TAB}?store=default`));
            const ctx = v.default || v;
            const alerts = ctx.alerts ? JSON.parse(ctx.alerts.msg) : { active: {}, recent: [] };
            for (const a of [...Object.values(alerts.active || {}), ...(alerts.recent || [])]) seen.set(`${a.id} ${a.event}`, a);
            if (ctx.model) model = JSON.parse(ctx.model.msg);
            status = await chain.status();
            if (status.length && Math.min(...status.map((b) => b.expectedWindows)) >= due) break;
        }
        const events = [...seen.values()];
        console.log(`      ${events.length} alert event(s): ${events.map((e) => `${e.event} ${e.device} ${e.sensor || ''} ${e.rule} ${e.severity}`).join('; ') || 'none'}`);
        console.log(`      windows received / due: ${status.map((b) => `${b.id} ${b.windows}/${b.expectedWindows}`).join(', ')}`);
        // the run covered the hours it should: every board sent most of its windows (a slow machine would make it meaningless)
        assert.strictEqual(status.length, 6);
        for (const b of status) {
            assert.ok(b.expectedWindows >= due, `${b.id}: the clock reached ${b.expectedWindows} windows of ${due}`);
            assert.ok(b.windows >= 0.8 * b.expectedWindows, `${b.id}: ${b.windows} windows received of ${b.expectedWindows} due`);
        }
        // each board under its own profile, from the registry npm start filled
        for (const d of Object.values(model.devices)) assert.strictEqual(d.kind, d.device.replace(/-\d+$/, ''), `${d.device} profile`);
        const alerted = new Set(events.map((e) => `${e.device}/${e.sensor}/${e.rule}`));
        assert.deepStrictEqual([...alerted], ['fridge-2/probe1/high'], 'only the compressor failure');
        assert.ok(events.some((e) => e.device === 'fridge-2' && e.severity === 'critical'), 'the failed fridge reached critical');
    });
});
