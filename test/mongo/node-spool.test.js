'use strict';
// picochain-mongo-ts's spool in the real Node-RED runtime against a real FerretDB 1.24, each test
// with its own Node-RED user directory (writer-flow.js): done() only once the spool is synced,
// start with the database down, a full spool blocking then draining, Ctrl-C / restart / a real
// SIGKILL with the database down (nothing lost, nothing doubled), a deleted node's spool folder,
// one spool folder per writer.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const helper = require('node-red-node-test-helper');
const { freePort } = require('../../scripts/lib/services');
const { sleep } = require('../support/wait');
const { T0, reading, lastStatus, total, record, until, writerFlows } = require('./writer-flow');

describe('picochain-mongo-ts spool in the Node-RED runtime (FerretDB)', function () {
    this.timeout(60000);
    const t = writerFlows();
    const { flow, load, whenUp, deployWithout } = t;

    it('starts with the database down: spools (status, done) and writes everything once it is up', async function () {
        const port = await freePort();
        const f = flow({ batchSize: 10, batchDelay: 100 }, {}, `mongodb://127.0.0.1:${port}/`);
        const { w, out } = await load(f);
        for (let i = 0; i < 25; i++) w.receive({ payload: reading(i) });
        await until(() => lastStatus(w).text === 'spooled 25', `"spooled 25", got ${JSON.stringify(lastStatus(w))}`);
        assert.deepStrictEqual([lastStatus(w).fill, lastStatus(w).shape], ['yellow', 'ring']);
        await until(() => out.completed.length === 25, 'done() for every message: durable in the spool');
        assert.strictEqual(out.written.length, 0);
        assert.strictEqual(w.stats().spoolDir, path.join(t.userDir, 'picochain-spool', 'w'));
        await whenUp(port, f, async (coll) => {
            await until(() => total(out.written, 'written') === 25, 'written after the database came up', 30000);
            const docs = await coll.find({}).sort({ time: 1 }).toArray();
            assert.deepStrictEqual(docs.map((d) => d.seq), Array.from({ length: 25 }, (_, i) => i));
            await until(() => /^fallback 25$/.test(lastStatus(w).text || ''), 'status back to green');
        });
    });

    it('completes a message only once its readings are synced to disk (fdatasync held back 400 ms)', async function () {
        const { w, out } = await load(flow({ batchDelay: 60000 }));
        await until(() => w.stats().online, 'online');
        const real = fs.fdatasync;
        const synced = [];
        // a slow disk, as a thin shim around the real call: the data is really synced, 400 ms late
        fs.fdatasync = (fd, cb) => real(fd, (err) => setTimeout(() => { synced.push(Date.now()); cb(err); }, 400));
        let doneAt = 0;
        try {
            helper.getNode('completed').on('input', () => { doneAt = Date.now(); });
            w.receive({ payload: reading(42) });
            await sleep(250);
            assert.strictEqual(out.completed.length, 0, 'not done while the sync runs');
            await until(() => out.completed.length === 1, 'done after the sync');
        } finally {
            fs.fdatasync = real;
        }
        assert.ok(synced.length >= 1 && synced[0] <= doneAt, `synced at ${synced[0]}, done at ${doneAt}`);
        const seg = fs.readdirSync(w.stats().spoolDir).filter((n) => n.endsWith('.seg')).map((n) => fs.readFileSync(path.join(w.stats().spoolDir, n), 'utf8')).join('');
        assert.ok(seg.includes(`fridge-1|temperature|${T0 + 42000}`), 'the reading is in the spool file');
    });

    it('a full spool (block): messages wait unreleased, "spool full" in status and log, nothing lost once the database is up', async function () {
        this.timeout(120000);
        const port = await freePort();
        const f = flow({ batchSize: 1000, spoolSize: 16 }, {}, `mongodb://127.0.0.1:${port}/`);
        const { w, out } = await load(f);
        // about 38 000 readings fill 16 MB; send 42 000 in messages of 1000
        const N = 42000;
        for (let i = 0; i < N; i += 1000) w.receive({ payload: Array.from({ length: 1000 }, (_, k) => reading(i + k)) });
        await until(() => w.stats().full && w.stats().waiting > 0, 'the spool is full', 30000);
        await sleep(300);
        const waiting = w.stats().waiting;
        assert.ok(out.completed.length < N / 1000, `${out.completed.length} messages done, the rest waits`);
        assert.strictEqual(out.caught.length, 0);
        await until(() => /^full, [\d.]+k? waiting$/.test(lastStatus(w).text || ''), `status, got ${JSON.stringify(lastStatus(w))}`);
        assert.strictEqual(lastStatus(w).fill, 'red');
        const fullLog = w.warn.getCalls().map((c) => String(c.args[0])).find((l) => /^spool full \(1[56] of 16 MB/.test(l));
        assert.ok(fullLog && /readings waiting for room, 0 dropped and 0 refused so far/.test(fullLog), fullLog);
        assert.ok(waiting > 0);
        await whenUp(port, f, async (coll) => {
            await until(async () => (await coll.countDocuments()) === N, `${N} documents`, 90000, { every: 500 });
            await until(() => out.completed.length === N / 1000, 'every message done');
            assert.strictEqual(out.caught.length, 0);
            assert.strictEqual(w.stats().dropped + w.stats().rejected, 0);
            assert.ok(w.log.getCalls().some((c) => /^spool has room again/.test(String(c.args[0]))));
        });
    });

    it('database down, then Ctrl-C: closes at once, says what stays in the spool, and the next start writes it', async function () {
        const port = await freePort();
        const f = flow({}, {}, `mongodb://127.0.0.1:${port}/`);
        let { w, out } = await load(f);
        const seen = [];
        record(w, seen);
        for (let i = 0; i < 7; i++) w.receive({ payload: reading(i) });
        await until(() => out.completed.length === 7, 'all durable');
        const t0 = Date.now();
        await helper.unload();
        const took = Date.now() - t0;
        assert.ok(took < 15000, `closed in ${took} ms`);
        assert.ok(seen.some((c) => c.m === 'log' && /closed with 7 readings in the spool \(.*picochain-spool.*\), not yet in the database: they are written at the next start/.test(c.text)), JSON.stringify(seen));
        await whenUp(port, f, async (coll) => {
            ({ w, out } = await load(f));
            assert.ok(w.log.getCalls().some((c) => /^7 readings found in the spool/.test(String(c.args[0]))));
            await until(() => total(out.written, 'written') === 7, 'written at the next start', 30000);
            assert.strictEqual(w.stats().replayed, 7);
            assert.strictEqual(await coll.countDocuments(), 7);
        });
    });

    it('Node-RED restarts while the database is down: everything is written once it is up, no duplicate', async function () {
        const port = await freePort();
        const f = flow({ batchSize: 20, batchDelay: 50 }, {}, `mongodb://127.0.0.1:${port}/`);
        let { w, out } = await load(f);
        for (let i = 0; i < 50; i++) w.receive({ payload: reading(i) });
        await until(() => out.completed.length === 50, 'first 50 durable');
        await helper.unload();
        ({ w, out } = await load(f));
        assert.strictEqual(w.stats().replayed, 50);
        // some readings again (a broker redelivering), and new ones
        for (let i = 40; i < 100; i++) w.receive({ payload: reading(i) });
        await until(() => out.completed.length === 60, 'next 60 durable');
        await helper.unload();
        await whenUp(port, f, async (coll) => {
            ({ w, out } = await load(f));
            assert.strictEqual(w.stats().replayed, 110);
            await until(() => w.stats().pending === 0 && total(out.written, 'written') === 100, `100 written, ${JSON.stringify(w.stats())}`, 30000);
            const docs = await coll.find({}).sort({ time: 1 }).toArray();
            assert.deepStrictEqual(docs.map((d) => d.seq), Array.from({ length: 100 }, (_, i) => i), 'each reading once');
            assert.strictEqual(total(out.written, 'duplicates'), 10);
        });
    });

    it('SIGKILL with the database down (no close handler runs): the next start writes every acknowledged reading', async function () {
        this.timeout(90000);
        const port = await freePort();
        const f = flow({ batchSize: 50 }, {}, `mongodb://127.0.0.1:${port}/`);
        const N = 400;
        const child = `
            const helper = require(${JSON.stringify(require.resolve('node-red-node-test-helper'))});
            helper.init(${JSON.stringify(require.resolve('node-red'))});
            helper.settings({ userDir: ${JSON.stringify(t.userDir)} });
            const nodes = [require(${JSON.stringify(require.resolve('../../dist/nodes/picochain-mongo-config/picochain-mongo-config.js'))}),
                require(${JSON.stringify(require.resolve('../../dist/nodes/picochain-mongo-ts/picochain-mongo-ts.js'))})];
            const reading = ${reading.toString()};
            const T0 = ${T0};
            helper.load(nodes, ${JSON.stringify(f.nodes)}).then(() => {
                let done = 0;
                helper.getNode('completed').on('input', () => {
                    if (++done === ${N}) { process.stdout.write('all done'); process.kill(process.pid, 'SIGKILL'); }
                });
                for (let i = 0; i < ${N}; i++) helper.getNode('w').receive({ payload: reading(i) });
            });`;
        const run = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 60000 });
        assert.strictEqual(run.signal, 'SIGKILL', run.stderr);
        assert.strictEqual(run.stdout, 'all done', run.stderr);
        await whenUp(port, f, async (coll) => {
            const { w, out } = await load(f);
            assert.strictEqual(w.stats().replayed, N);
            await until(() => total(out.written, 'written') === N, `${N} written`, 30000);
            const docs = await coll.find({}).sort({ time: 1 }).toArray();
            assert.deepStrictEqual(docs.map((d) => d.seq), Array.from({ length: N }, (_, i) => i));
        });
    });

    it('a deleted node removes its empty spool folder; one still holding readings is kept and named in a warning', async function () {
        const port = await freePort();
        const f = flow({}, {}, `mongodb://127.0.0.1:${port}/`);
        const { w, out } = await load(f);
        const dir = w.stats().spoolDir;
        assert.ok(fs.existsSync(dir));
        for (let i = 0; i < 3; i++) w.receive({ payload: reading(i) });
        await until(() => out.completed.length === 3, 'durable');
        await deployWithout(f, 'w');
        await until(() => w.warn.getCalls().some((c) => /^node deleted with 3 readings in its spool \(.*\), not in the database/.test(String(c.args[0]))), 'the warning');
        assert.ok(fs.existsSync(dir), 'kept: it holds readings');
        await helper.unload();
        const g = flow();
        const again = await load(g);
        await until(() => again.w.stats().online && again.w.stats().pending === 0, 'the 3 readings written from the spool');
        await deployWithout(g, 'w');
        await until(() => !fs.existsSync(again.w.stats().spoolDir), 'the empty folder is removed');
    });

    it('two writers with the same spool folder: the second refuses to start (it would corrupt the first)', async function () {
        const f = flow({ spoolDir: 'shared-spool' });
        f.nodes.push({ ...f.nodes[2], id: 'w2', wires: [[]] });
        await load(f);
        const errors = [helper.getNode('w'), helper.getNode('w2')].flatMap((n) => n.error.getCalls().map((c) => String(c.args[0])));
        assert.ok(errors.some((e) => /spool folder .*shared-spool is already used by another writer/.test(e)), JSON.stringify(errors));
        assert.ok(fs.existsSync(path.join(t.userDir, 'shared-spool')), 'a relative folder is taken from the user directory');
    });
});
