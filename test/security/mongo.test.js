'use strict';
// picochain-mongo-config over TLS and with authentication, in the Node-RED runtime, against a real
// FerretDB 1.24 with its TLS listener (own test certificates) and SCRAM authentication
// (--test-enable-new-auth: FerretDB's other mode accepts any password). A wrong password or an
// untrusted certificate: red status with the reason, one warning line, never the password.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { MongoClient } = require('mongodb');
const configNode = require('../../dist/nodes/picochain-mongo-config/picochain-mongo-config.js');
const writerNode = require('../../dist/nodes/picochain-mongo-ts/picochain-mongo-ts.js');
const services = require('../../scripts/lib/services');
const { makeCerts } = require('../support/certs');
const { untilWith } = require('../support/wait');

const until = untilWith({ ms: 15000, every: 25 });
helper.init(require.resolve('node-red'));

const DB = 'picochain';
const USER = 'pcwriter';
const PASSWORD = 'Db pass: w1th spaces & symbols/@';

describe('picochain-mongo-config with TLS and authentication (FerretDB)', function () {
    this.timeout(60000);
    let dir;
    let certs;
    let ferret;
    before(async function () {
        if (!services.ferretdbPath()) this.skip();
        dir = services.tmpDir('mongosec');
        certs = makeCerts(path.join(dir, 'certs'));
        ferret = await services.startFerretDB({ auth: { user: USER, password: PASSWORD, database: DB }, tls: { cert: certs.server.cert, key: certs.server.key } });
    });
    after(async function () {
        if (ferret) await ferret.cleanup();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    const userDirs = [];
    afterEach(async () => {
        await helper.unload();
        for (const d of userDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    });

    /** Loads config + writer; `lines` records every log/warn/error/status text of both nodes. */
    async function load(config, credentials) {
        const nodes = [
            { id: 'f1', type: 'tab', label: 't' },
            { id: 'cfg', type: 'picochain-mongo-config', uri: `${ferret.tlsUri}${DB}`, database: DB, connectTimeout: 2000, tls: true, tlsCAFile: certs.ca.cert, ...config },
            { id: 'w', type: 'picochain-mongo-ts', z: 'f1', mongo: 'cfg', collection: 'readings', timeField: 'time', metaField: 'meta', granularity: 'minutes',
                retention: 0, retentionUnit: 'd', batchSize: 1, batchDelay: 0, bufferSize: 100, overflow: 'drop-oldest', outputs: 1, version: 1, wires: [[]] },
        ];
        // each load its own user directory: the writer's spool must not carry one test's reading into the next
        const userDir = services.tmpDir('mongosec-user');
        userDirs.push(userDir);
        helper.settings({ userDir });
        await helper.load([configNode, writerNode], nodes, { cfg: credentials });
        const lines = [];
        const statuses = [];
        for (const n of [helper.getNode('cfg'), helper.getNode('w')]) {
            for (const m of ['log', 'warn', 'error', 'status']) {
                const orig = n[m];
                n[m] = function (...args) {
                    lines.push(`${m} ${JSON.stringify(args.map((a) => (a instanceof Error ? a.message : a)))}`);
                    if (m === 'status') statuses.push(args[0]);
                    return orig.apply(this, args);
                };
            }
        }
        const w = helper.getNode('w');
        w.lastStatus = () => statuses[statuses.length - 1] || {};
        return { w, cfg: helper.getNode('cfg'), lines };
    }
    const reading = () => ({ device: 'fridge-1', site: 'foodbank', sensor: 'probe1', unit: '°C', time: new Date(), deviceTime: new Date(), receivedAt: new Date(),
        window: 60, count: 6, min: 3, max: 5, mean: 4, std: 0.5, slope: 0, last: 4, seq: 1, state: 0, source: 'json-v1' });
    const noSecret = (lines) => {
        const all = lines.join('\n');
        for (const s of [PASSWORD, encodeURIComponent(PASSWORD)]) assert.ok(!all.includes(s), `the password leaked:\n${all}`);
    };

    it('writes over TLS when the CA file signed the server certificate and the credentials are right', async function () {
        const { w, lines } = await load({}, { user: USER, password: PASSWORD });
        w.receive({ payload: reading() });
        await until(() => /^fallback 1$/.test(w.lastStatus().text || ''), () => `stored: ${lines.join('\n')}`);
        const c = await MongoClient.connect(`${ferret.uri}${DB}`, { auth: { username: USER, password: PASSWORD } });
        try { assert.strictEqual(await c.db(DB).collection('readings').countDocuments(), 1); } finally { await c.close(); }
        noSecret(lines);
    });

    it('a wrong password: red status "login refused" (and what waits), a warning naming the user, nothing written, no secret', async function () {
        const { w, lines } = await load({}, { user: USER, password: `${PASSWORD}x` });
        w.receive({ payload: reading() });
        await until(() => w.lastStatus().fill === 'red', () => `red status: ${lines.join('\n')}`);
        // the reading waits in the buffer meanwhile; the status keeps the reason in red
        await until(() => /, 1$/.test(w.lastStatus().text), () => `buffering: ${lines.join('\n')}`);
        assert.deepStrictEqual(w.lastStatus(), { fill: 'red', shape: 'ring', text: 'login refused, 1' });
        const warn = lines.filter((l) => l.startsWith('warn '));
        assert.strictEqual(warn.length, 1, lines.join('\n'));
        assert.match(warn[0], new RegExp(`the server refused user \\\\"${USER}\\\\" for ${DB}: check the user name and password \\(attempt 1, next in \\d+ ms\\): Authentication failed`));
        noSecret(lines); // the typed password starts with the real one: neither appears
        const c = await MongoClient.connect(`${ferret.uri}${DB}`, { auth: { username: USER, password: PASSWORD } });
        try { assert.strictEqual(await c.db(DB).collection('readings').countDocuments(), 1, 'only the first test\'s reading'); } finally { await c.close(); }
    });

    it('a server certificate the CA file did not sign: red status "TLS refused", a warning, no secret', async function () {
        const { w, lines } = await load({ tlsCAFile: certs.rogueCa.cert }, { user: USER, password: PASSWORD });
        await until(() => w.lastStatus().fill === 'red', () => `red status: ${lines.join('\n')}`);
        assert.deepStrictEqual(w.lastStatus(), { fill: 'red', shape: 'ring', text: 'db TLS refused' });
        assert.ok(lines.some((l) => /^warn .*TLS failed: check the CA file/.test(l)), lines.join('\n'));
        noSecret(lines);
    });
});
