'use strict';
// The food-safety record end to end, in the real Node-RED runtime against a real FerretDB: a month
// of a test fleet (test/report/fleet-month.js: the simulator's cabinet model with a door left open
// and a compressor failure, a probe unplugged, a board without power) goes through the real writer
// into the database and through the real alert node; its alerts are acknowledged with what was
// done; the days are sealed, signed, corrected; then the PDF (rendered to PNG with pdftoppm, read
// back with pdftotext) and the CSV must say, day by day, exactly what an independent reading of the
// stored documents says: every check reading, min and max, excursion, gap and action. Then the
// tamper check must report a reading changed in the database, an edited and a removed entry.
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { MongoClient } = require('mongodb');
const { startFerretDB, tmpDir, ferretdbPath } = require('../../scripts/lib/services');
const { until } = require('../support/wait');
const F = require('./fleet-month');
const { expectedDays, parseCsv, rowText, strip } = require('./oracle');

const D = '../../dist/nodes/';
const NODES = ['picochain-mongo-config', 'picochain-mongo-ts', 'picochain-alert', 'picochain-report'].map((n) => require(`${D}${n}/${n}.js`));
const DOCS = path.join(__dirname, '..', '..', 'docs', 'screenshots');
const which = (cmd) => { try { execFileSync('which', [cmd]); return true; } catch { return false; } };

helper.init(require.resolve('node-red'));

describe('the food-safety record of a month (Node-RED runtime, FerretDB, pdftoppm)', function () {
    this.timeout(600000);
    let fdb, client, db, dir, events, answers, pdfText, csvRows, expected, acted, firedAt;

    before(async function () {
        if (!ferretdbPath()) { console.log('      skipped: FerretDB is not built (bash scripts/setup.sh test)'); this.skip(); }
        if (!which('pdftoppm') || !which('pdftotext')) {
            if (process.env.CI) throw new Error('pdftoppm/pdftotext missing under CI (scripts/setup.sh installs poppler-utils)');
            console.log('      skipped: pdftoppm/pdftotext missing (apt-get install poppler-utils)');
            this.skip();
        }
        dir = tmpDir('report');
        fdb = await startFerretDB();
        client = await MongoClient.connect(fdb.uri);
        db = client.db('picochain');
        await db.collection('devices').insertMany(F.registryDocs());
        const flow = [
            { id: 'cfg', type: 'picochain-mongo-config', name: 'db', uri: fdb.uri, database: 'picochain' },
            { id: 'writer', type: 'picochain-mongo-ts', mongo: 'cfg', collection: 'readings', spoolDir: path.join(dir, 'spool'), wires: [['stored']] },
            // output 1 is not wired to the report node here: replayed in seconds, a month's alert events carry
            // today's times (the engine stamps them with the clock), so the acknowledgements below give the
            // time each alert fired as the readings show it (output 2), which is what the events carry live
            { id: 'alert', type: 'picochain-alert', silent: '0', store: '', wires: [['events'], ['judged'], []] },
            { id: 'report', type: 'picochain-report', mongo: 'cfg', timeZone: F.TZ, site: 'Test food bank', locale: 'en-GB', unit: '°C', auto: false, wires: [['answers'], ['sealed']] },
            { id: 'stored', type: 'helper' }, { id: 'events', type: 'helper' }, { id: 'judged', type: 'helper' }, { id: 'answers', type: 'helper' }, { id: 'sealed', type: 'helper' },
        ];
        await new Promise((resolve) => helper.load(NODES, flow, { cfg: { user: '', password: '' } }, resolve));
        const written = [];
        events = [];
        answers = [];
        helper.getNode('stored').on('input', (m) => written.push(m.payload.written || 0));
        helper.getNode('events').on('input', (m) => events.push(m.payload));
        helper.getNode('answers').on('input', (m) => answers.push(m));
        firedAt = new Map();
        helper.getNode('judged').on('input', (m) => {
            for (const a of m.alert.active) if (a.state === 'firing' && !firedAt.has(a.id)) firedAt.set(a.id, new Date(m.payload.time).toISOString());
        });

        const t0 = Date.now();
        const readings = F.monthReadings();
        const cabinet = (device) => {
            const doc = F.registryDocs().find((d) => d._id === device);
            return { device, kind: doc.kind, name: doc.name, location: doc.location, sensors: doc.sensors };
        };
        for (let i = 0; i < readings.length; i += 500) helper.getNode('writer').receive({ payload: readings.slice(i, i + 500) });
        for (const r of readings) helper.getNode('alert').receive({ payload: r, cabinet: cabinet(r.device) });
        await until(() => written.reduce((a, b) => a + b, 0) >= readings.length, () => `the writer storing ${readings.length} readings (${written.reduce((a, b) => a + b, 0)} so far)`, 300000, { every: 200 });
        console.log(`      ${readings.length} readings of ${F.CABINETS.length} cabinets stored in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    after(async function () {
        await helper.unload();
        if (client) await client.close();
        if (fdb) await fdb.cleanup();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Sends a request to the report node; resolves with its answer (or rejects with its error). */
    function ask(topic, payload, extra = {}) {
        const node = helper.getNode('report');
        const n = answers.length;
        return new Promise((resolve, reject) => {
            const timer = setInterval(() => {
                if (answers.length > n) { clearInterval(timer); resolve(answers[answers.length - 1]); }
            }, 20);
            node.receive({ topic, payload, ...extra }, undefined, (err) => { if (err) { clearInterval(timer); reject(err); } });
            setTimeout(() => { clearInterval(timer); reject(new Error(`no answer to ${topic}`)); }, 240000);
        });
    }

    it('the alert node raised the door and compressor alerts (the compressor\'s escalating to critical); acknowledging them with what was done records the actions', async function () {
        const fired = events.filter((e) => e.event === 'fired');
        // the door: above 8 °C for 30 min at once; the compressor: above 5 °C for an hour, then above 8 °C
        assert.deepStrictEqual(fired.map((e) => `${e.device} ${e.sensor} ${e.rule} ${e.severity}`).sort(), ['fridge-1 probe1 high critical', 'fridge-2 probe1 high warning']);
        assert.ok(events.some((e) => e.event === 'escalated' && e.device === 'fridge-2' && e.severity === 'critical'), 'fridge-2 escalated to critical');
        acted = {};
        const door = fired.find((e) => e.device === 'fridge-1');
        const comp = fired.find((e) => e.device === 'fridge-2');
        const ack = async (e, action) => ({
            ...(await ask('ack', { id: e.id, device: e.device, sensor: e.sensor, rule: e.rule, startedAt: firedAt.get(e.id), action, by: 'alice' }, { _client: { user: { username: 'alice', role: 'admin' } } })).payload[0],
            ref: firedAt.get(e.id),
        });
        acted.door = await ack(door, 'door closed; food checked, kept');
        acted.moved = await ack(comp, 'moved stock to freezer-1');
        assert.strictEqual(acted.door.date, '2026-03-09');
        assert.strictEqual(acted.door.chain, 'fridge-1/probe1');
        assert.strictEqual(acted.moved.date, '2026-03-17');
    });

    it('seals the month, takes an action typed with initials, a correction and the supervisor\'s sign-off of a day and the month', async function () {
        const t0 = Date.now();
        const sealed = (await ask('seal', { until: '2026-03-31' })).payload.sealed;
        console.log(`      ${sealed.length} days sealed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        assert.strictEqual(sealed.length, 31 * 3);
        const comp = events.find((e) => e.event === 'fired' && e.device === 'fridge-2');
        // the technician called, about the excursion the alert is about (the page sends its start)
        const ref = firedAt.get(comp.id);
        acted.called = { ...(await ask('action', { device: 'fridge-2', sensor: 'probe1', text: 'called the technician', ref, initials: 'BK' })).payload[0], ref };
        acted.fix = (await ask('correction', { refers: acted.moved.id, text: 'stock went to freezer-1 and the walk-in', by: 'alice' }, { _client: { user: { username: 'alice', role: 'admin' } } })).payload[0];
        acted.dayOk = (await ask('signoff', { device: 'fridge-2', sensor: 'probe1', scope: 'day', date: '2026-03-17', by: 'bob' }, { _client: { user: { username: 'bob', role: 'admin' } } })).payload[0];
        acted.month = (await ask('signoff', { scope: 'month', month: '2026-03', by: 'bob' }, { _client: { user: { username: 'bob', role: 'admin' } } })).payload;
        assert.strictEqual(acted.month.length, 3);
    });

    it('the PDF (one line a day per cabinet, like the paper form) and the CSV match the stored readings exactly: checks, min, max, excursions, gaps, actions', async function () {
        const docs = await db.collection('readings').find({}).toArray();
        expected = expectedDays(docs, F, acted);
        const t0 = Date.now();
        const pdf = await ask('report', { month: '2026-03', format: 'pdf' });
        const csv = await ask('report', { month: '2026-03', format: 'csv' });
        console.log(`      PDF (${pdf.payload.length} bytes) and CSV (${csv.payload.length} characters) of the site's month in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        assert.strictEqual(pdf.filename, 'foodlog-site-2026-03.pdf');
        assert.ok(Buffer.isBuffer(pdf.payload) && pdf.payload.slice(0, 5).toString() === '%PDF-');
        const file = path.join(dir, pdf.filename);
        fs.writeFileSync(file, pdf.payload);
        pdfText = execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' });
        execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '8', file, path.join(dir, 'page')]);
        const pngs = fs.readdirSync(dir).filter((f) => /^page-\d+\.png$/.test(f)).sort();
        assert.ok(pngs.length >= 3, `pages rendered: ${pngs}`);
        for (const p of pngs) assert.ok(fs.statSync(path.join(dir, p)).size > 10000, `${p} has content`);
        if (process.env.PICOCHAIN_SCREENSHOTS === 'docs') {
            // fridge-2's first page: the compressor failure, its actions and the day's sign-off
            const first = pdfText.split('\f').findIndex((pg) => pg.includes('Produce fridge (fridge-2)'));
            execFileSync('pdftoppm', ['-png', '-r', '110', '-f', String(first + 1), '-l', String(first + 1), '-singlefile', file, path.join(DOCS, 'foodlog-pdf')]);
        }
        csvRows = parseCsv(csv.payload);
        assert.deepStrictEqual(csvRows[0].slice(0, 6), ['cabinet', 'probe', 'date', 'record', 'check_08:00', 'check_16:00']);

        const exact = (v) => (v === null ? '' : String(Number(v.toFixed(4))));
        let excursions = 0, gaps = 0, actions = 0;
        for (const [chain, days] of expected) {
            const sections = pdfText.split('\f').filter((pg) => pg.includes(`(${chain.split('/')[0]})`)).join('\n');
            const body = strip(sections);
            for (const day of days) {
                const csvRow = csvRows.find((r) => r[0].endsWith(`(${chain.split('/')[0]})`) && r[1] === 'probe1' && r[2] === day.date);
                assert.ok(csvRow, `CSV line of ${chain} ${day.date}`);
                assert.deepStrictEqual(
                    { checks: csvRow.slice(4, 6), min: csvRow[6], max: csvRow[7], excursions: csvRow[11], outside: csvRow[12], gaps: csvRow[13] },
                    { checks: day.checks.map(exact), min: exact(day.min), max: exact(day.max), excursions: day.excursions.map((x) => x.csv).join(' | '), outside: String(day.outsideMinutes), gaps: day.gaps.map((g) => g.csv).join(' | ') },
                    `${chain} ${day.date} in the CSV`);
                for (const a of day.actions) assert.ok(csvRow[14].includes(a.text), `${chain} ${day.date}: CSV action ${a.text} in ${csvRow[14]}`);
                // the PDF's line of the day: label, record state, check readings, min, max, mean, excursions, gaps, actions, initials, sign-off
                const at = body.indexOf(strip(day.label + 'sealed'));
                assert.ok(at >= 0, `${chain}: the PDF has the line of ${day.date}`);
                assert.ok(body.slice(at).startsWith(strip(rowText(day))), `${chain} ${day.date} in the PDF:\n  want ${rowText(day)}\n  got  ${body.slice(at, at + strip(rowText(day)).length + 40)}`);
                excursions += day.excursions.length;
                gaps += day.gaps.length;
                actions += day.actions.length;
            }
        }
        console.log(`      ${expected.size} cabinets × 31 days checked: ${excursions} excursions, ${gaps} gaps, ${actions} actions and corrections, in the PDF and the CSV`);
        assert.ok(excursions >= 2 && gaps >= 2 && actions >= 4, 'the month has excursions, gaps and actions');
        assert.ok(strip(pdfText).includes(strip('Month reviewed and signed by bob')), 'the month sign-off is printed');
        assert.ok(strip(pdfText).includes(strip('Tamper check: intact. 31 sealed days')), 'the tamper check is printed');
    });

    it('the tamper check reports a reading changed in the database (with its hour), an edited entry and a removed day; a backup puts the removed entry back', async function () {
        assert.strictEqual((await ask('verify', { month: '2026-03' })).payload.intact, true);
        const backup = (await ask('backup', {})).payload;
        // a reading of fridge-2 on the 12th at 10:05 (Paris) changed in the database
        const time = new Date(Date.UTC(2026, 2, 12, 9, 5));
        const r = await db.collection('readings').updateOne({ 'meta.device': 'fridge-2', 'meta.sensor': 'probe1', time }, { $set: { max: 4.1 } });
        assert.strictEqual(r.modifiedCount, 1);
        let v = (await ask('verify', { month: '2026-03' })).payload;
        assert.strictEqual(v.intact, false);
        assert.deepStrictEqual(v.problems.map((p) => [p.kind, p.chain, p.date, p.hours]), [['readings-changed', 'fridge-2/probe1', '2026-03-12', ['10:00']]]);
        // a sealed day's entry edited, another one removed
        const log = db.collection('foodlog');
        await log.updateOne({ chain: 'fridge-1/probe1', type: 'day', date: '2026-03-09' }, { $set: { 'body.record.max': 7.9 } });
        const gone = await log.findOneAndDelete({ chain: 'freezer-1/probe1', type: 'day', date: '2026-03-21' });
        v = (await ask('verify', { month: '2026-03' })).payload;
        assert.deepStrictEqual(v.problems.map((p) => `${p.kind} ${p.chain} ${p.date || `${p.from}..${p.to}`}`).sort(), [
            'day-missing freezer-1/probe1 2026-03-21', 'edited fridge-1/probe1 2026-03-09', 'missing freezer-1/probe1 2026-03-20..2026-03-22',
            'readings-changed fridge-2/probe1 2026-03-12',
        ]);
        const pdf = await ask('report', { device: 'fridge-1', month: '2026-03', format: 'pdf' });
        fs.writeFileSync(path.join(dir, 'tampered.pdf'), pdf.payload);
        const text = strip(execFileSync('pdftotext', ['-raw', path.join(dir, 'tampered.pdf'), '-'], { encoding: 'utf8' }));
        assert.ok(text.includes(strip('Tamper check: 1 problem(s) found:')) && text.includes(strip('was changed after it was written')), 'the PDF says so');
        const restored = (await ask('restore', backup)).payload;
        assert.deepStrictEqual([restored.inserted, restored.refused], [1, 0]);
        assert.ok(gone.value || gone._id);
        v = (await ask('verify', { month: '2026-03' })).payload;
        assert.deepStrictEqual(v.problems.map((p) => p.kind).sort(), ['edited', 'readings-changed']);
    });
});
