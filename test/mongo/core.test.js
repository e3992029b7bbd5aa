'use strict';
// picochain-mongo-ts and picochain-mongo-config cores alone (no Node-RED, no server): document
// mapping and validation, mode detection with fake capability answers, settings and config
// migrations, redaction. The writer engine itself: writer.test.js; its spool: spool.test.js.
const assert = require('assert');
const { toDocument, mapPayload, checkFieldNames, reviveDate, findUnsafeKey, ReadingError } = require('../../dist/nodes/picochain-mongo-ts/document');
const { detectMode, explainCanUseIndex, isTransientError, isUnsupportedError, majorVersion } = require('../../dist/nodes/picochain-mongo-ts/mode');
const { parseWriterSettings } = require('../../dist/nodes/picochain-mongo-ts/settings');
const { redact, expandEnv, checkSettings, clientOptions, MongoConnection } = require('../../dist/nodes/picochain-mongo-config/core');
const { freePort } = require('../../scripts/lib/services');
const { sleep } = require('../support/wait');

const { FIELDS, NOW, T0, reading, mapped, netError } = require('./writer-fakes');

describe('picochain-mongo-ts document mapping', function () {
    it('maps a reading to the contract document: Dates stay Dates, numbers numbers, _id = device|sensor|ms', function () {
        const { doc, key } = mapped(0);
        assert.strictEqual(doc._id, `fridge-1|temperature|${T0}`);
        assert.strictEqual(key, doc._id);
        assert.ok(doc.time instanceof Date && doc.time.getTime() === T0);
        assert.ok(doc.deviceTime instanceof Date && doc.receivedAt instanceof Date);
        assert.deepStrictEqual(doc.meta, { device: 'fridge-1', sensor: 'temperature', site: 'foodbank', unit: '°C', source: 'json-v1' });
        for (const f of ['window', 'count', 'min', 'max', 'mean', 'std', 'slope', 'last', 'seq', 'state']) assert.strictEqual(typeof doc[f], 'number', f);
        assert.ok(!('fault' in doc));
        assert.deepStrictEqual(Object.keys(doc).sort(), ['_id', 'count', 'deviceTime', 'last', 'max', 'mean', 'meta', 'min', 'receivedAt', 'seq', 'slope', 'state', 'std', 'time', 'window'].sort());
    });

    it('revives ISO strings of a reading that crossed JSON into Dates', function () {
        const viaJson = JSON.parse(JSON.stringify(reading(1)));
        assert.strictEqual(typeof viaJson.time, 'string');
        const { doc } = toDocument(viaJson, FIELDS, NOW);
        assert.ok(doc.time instanceof Date && doc.time.getTime() === T0 + 60000);
        assert.ok(doc.receivedAt instanceof Date && doc.deviceTime instanceof Date);
        assert.strictEqual(reviveDate('not a date'), null);
        assert.strictEqual(reviveDate('2026-13-45T99:00:00Z'), null);
        assert.strictEqual(reviveDate(T0).getTime(), T0);
    });

    it('uses the configured time and meta field names; optional fields default to null, receivedAt to now', function () {
        const { doc } = toDocument({ device: 'd1', sensor: 's1', time: new Date(T0) }, { timeField: 'ts', metaField: 'm' }, NOW);
        assert.ok(doc.ts instanceof Date && !('time' in doc));
        assert.deepStrictEqual(doc.m, { device: 'd1', sensor: 's1', site: null, unit: null, source: null });
        assert.strictEqual(doc.receivedAt.getTime(), NOW.getTime());
        assert.strictEqual(doc.mean, null);
        assert.strictEqual(doc.window, 0);
    });

    const bad = [
        ['not an object', 'hello', /not a reading object/],
        ['null', null, /not a reading object/],
        ['missing device', reading(0, { device: undefined }), /missing device/],
        ['device of the wrong type', reading(0, { device: 42 }), /device must be a string/],
        ['device with a $', reading(0, { device: '$where' }), /device/],
        ['missing time', reading(0, { time: undefined }), /missing time/],
        ['unparsable time', reading(0, { time: 'yesterday' }), /time is not a valid date/],
        ['a string count', reading(0, { count: '6' }), /count must be a number/],
        ['NaN mean', reading(0, { mean: NaN }), /mean must be finite/],
        ['Infinity max', reading(0, { max: Infinity }), /max must be finite/],
        ['a $ key', { ...reading(0), $set: { x: 1 } }, /key "\$set"/],
        ['a nested dotted key', { ...reading(0), extra: { 'a.b': 1 } }, /key "extra.a.b"/],
        ['state 7', reading(0, { state: 7 }), /state must be 0, 1 or 2/],
        ['unknown source', reading(0, { source: 'carrier-pigeon' }), /source must be one of/],
    ];
    for (const [what, input, re] of bad) {
        it(`refuses ${what} with a message naming the field`, function () {
            assert.throws(() => toDocument(input, FIELDS, NOW, 2), (err) => err instanceof ReadingError && re.test(err.message) && /^reading 2:/.test(err.message));
        });
    }

    it('keeps the good readings of an array and lists the bad ones by index', function () {
        const { mapped: ok, errors } = mapPayload([reading(0), { device: 'x' }, reading(1, { mean: NaN }), reading(2)], FIELDS, NOW);
        assert.deepStrictEqual(ok.map((m) => m.doc.seq), [0, 2]);
        assert.deepStrictEqual(errors.map((e) => e.index), [1, 2]);
        assert.strictEqual(mapPayload([], FIELDS, NOW).errors.length, 1);
    });

    it('checks time and meta field names', function () {
        assert.strictEqual(checkFieldNames(FIELDS), null);
        assert.match(checkFieldNames({ timeField: '$t', metaField: 'meta' }), /plain name/);
        assert.match(checkFieldNames({ timeField: 'a.b', metaField: 'meta' }), /plain name/);
        assert.match(checkFieldNames({ timeField: 'count', metaField: 'meta' }), /collides/);
        assert.match(checkFieldNames({ timeField: 'x', metaField: 'x' }), /differ/);
        assert.strictEqual(findUnsafeKey({ a: { b: [{ $c: 1 }] } }), 'a.b.0.$c');
    });
});

describe('picochain-mongo-ts mode detection (fake capability answers)', function () {
    function probe({ info = null, version = '7.0.0', create = null, after = { type: 'timeseries' } } = {}) {
        const p = { created: [], infoCalls: 0 };
        p.collectionInfo = async () => (p.infoCalls++ === 0 ? info : (p.created.length ? after : info));
        p.serverVersion = async () => version;
        p.createTimeseries = async () => { p.created.push('ts'); if (create) { p.created.pop(); throw create; } };
        p.createRegular = async () => { p.created.push('regular'); };
        return p;
    }
    const ferretRefusal = Object.assign(new Error('create: support for field "timeseries" is not implemented yet'), { name: 'MongoServerError', code: 238 });

    it('FerretDB-like: reports 7.0.42 but refuses timeseries (238) -> fallback with a regular collection', async function () {
        const p = probe({ version: '7.0.42', create: ferretRefusal });
        const d = await detectMode(p, FIELDS);
        assert.strictEqual(d.mode, 'fallback');
        assert.deepStrictEqual(p.created, ['regular']);
        assert.match(d.reason, /refused a time-series collection.*not implemented/);
        assert.strictEqual(d.existing, false);
    });

    it('MongoDB >= 5 that creates it and lists it as timeseries -> native', async function () {
        const p = probe({ version: '7.0.12' });
        const d = await detectMode(p, FIELDS);
        assert.strictEqual(d.mode, 'native');
        assert.deepStrictEqual(p.created, ['ts']);
    });

    it('a server that accepts the option but lists a regular collection -> fallback (capability, not version)', async function () {
        const d = await detectMode(probe({ version: '6.0.0', after: { type: 'collection' } }), FIELDS);
        assert.strictEqual(d.mode, 'fallback');
    });

    it('MongoDB 4.4 -> fallback without trying', async function () {
        const p = probe({ version: '4.4.18' });
        const d = await detectMode(p, FIELDS);
        assert.strictEqual(d.mode, 'fallback');
        assert.deepStrictEqual(p.created, ['regular']);
        assert.match(d.reason, /4\.4\.18/);
    });

    it('uses an existing collection as it is: time-series with its own fields, regular as fallback, view refused', async function () {
        const ts = await detectMode(probe({ info: { type: 'timeseries', options: { timeseries: { timeField: 'ts', metaField: 'tags' } } } }), FIELDS);
        assert.deepStrictEqual([ts.mode, ts.existing, ts.timeField, ts.metaField], ['native', true, 'ts', 'tags']);
        const p = probe({ info: { type: 'collection' } });
        const reg = await detectMode(p, FIELDS);
        assert.deepStrictEqual([reg.mode, reg.existing, p.created.length], ['fallback', true, 0]);
        await assert.rejects(detectMode(probe({ info: { type: 'view' } }), FIELDS), /view/);
    });

    it('throws transient errors (to retry) instead of falling back', async function () {
        await assert.rejects(detectMode(probe({ create: netError() }), FIELDS), /ECONNREFUSED/);
    });

    it('classifies errors', function () {
        assert.ok(isTransientError(netError()));
        assert.ok(isTransientError({ name: 'MongoServerSelectionError', message: 'x' }));
        assert.ok(isTransientError({ name: 'MongoServerError', code: 11600 }));
        assert.ok(!isTransientError(ferretRefusal));
        assert.ok(isUnsupportedError(ferretRefusal));
        assert.ok(!isUnsupportedError({ name: 'MongoServerError', code: 13, message: 'not authorized' }));
        assert.ok(!isUnsupportedError(netError()));
        assert.strictEqual(majorVersion('7.0.42'), 7);
        assert.ok(Number.isNaN(majorVersion(null)));
    });

    it('an index is kept unless the explain says neither filter nor sort reaches the storage (FerretDB 1.x)', function () {
        // FerretDB 1.24 on SQLite, the history query: a full scan
        assert.strictEqual(explainCanUseIndex({ queryPlanner: { Plan: ['SCAN t'] }, filterPushdown: false, sortPushdown: false, ok: 1 }), false);
        // either one pushed down: an index can serve it
        assert.strictEqual(explainCanUseIndex({ filterPushdown: true, sortPushdown: false }), true);
        assert.strictEqual(explainCanUseIndex({ filterPushdown: false, sortPushdown: true }), true);
        // MongoDB's explain has no such fields; nothing to go by: keep the index
        assert.strictEqual(explainCanUseIndex({ queryPlanner: { winningPlan: { stage: 'COLLSCAN' } }, ok: 1 }), true);
        assert.strictEqual(explainCanUseIndex(null), true);
        assert.strictEqual(explainCanUseIndex({ filterPushdown: 'false', sortPushdown: 0 }), true);
    });
});

describe('picochain-mongo-ts MongoStore.insert error handling (fake collection)', function () {
    const { MongoStore } = require('../../dist/nodes/picochain-mongo-ts/store');
    const bulk = (writeErrors, message = 'E11000 duplicate key') => Object.assign(new Error(message), { name: 'MongoBulkWriteError', code: writeErrors.length ? writeErrors[0].code : undefined, writeErrors, insertedCount: 1 });
    const storeThrowing = (err) => new MongoStore('fallback', { insertMany: async () => { throw err; } }, FIELDS);
    const docs = [mapped(0).doc, mapped(1).doc, mapped(2).doc];

    it('duplicate-key write errors (11000) are duplicates, other write errors are per-document failures', async function () {
        const r = await storeThrowing(bulk([{ index: 0, code: 11000 }, { index: 2, code: 121, errmsg: 'Document failed validation' }])).insert(docs);
        assert.deepStrictEqual(r.duplicateIndexes, [0]);
        assert.deepStrictEqual(r.failed, [{ index: 2, message: 'Document failed validation (code 121)' }]);
    });

    it('a bulk error without write errors (server unreachable) is thrown as transient, never taken as success', async function () {
        const err = bulk([], 'connect ECONNREFUSED 127.0.0.1:27017');
        await assert.rejects(storeThrowing(err).insert(docs), (e) => e === err && e.transient === true);
        const closed = bulk([], 'connection 1 to 127.0.0.1:27017 closed');
        await assert.rejects(storeThrowing(closed).insert(docs), (e) => e.transient === true);
    });

    it('a transient per-document error (shutdown) retries the whole batch', async function () {
        await assert.rejects(storeThrowing(bulk([{ index: 1, code: 11600, errmsg: 'interrupted at shutdown' }])).insert(docs));
    });

    it('renames time and meta fields for an existing time-series collection with other names', async function () {
        let got = null;
        const s = new MongoStore('native', { insertMany: async (d) => { got = d; return { insertedCount: d.length }; } }, FIELDS, { timeField: 'ts', metaField: 'tags' });
        await s.insert([mapped(0).doc]);
        assert.ok(got[0].ts instanceof Date && got[0].tags.device === 'fridge-1' && !('time' in got[0]) && !('meta' in got[0]));
    });
});

describe('picochain-mongo-ts settings', function () {
    it('defaults: readings, time/meta, minutes, keep, batch 500 / 200 ms, 4 in flight, 512 MB spool, block, default folder', function () {
        const { settings } = parseWriterSettings({});
        assert.deepStrictEqual(settings, {
            collection: 'readings', timeField: 'time', metaField: 'meta', granularity: 'minutes', retentionS: 0, batchSize: 500, batchDelayMs: 200,
            inFlight: 4, whenFull: 'block', spoolMaxBytes: 512 * 1048576, spoolDir: '',
        });
        assert.strictEqual(parseWriterSettings({ retention: 30, retentionUnit: 'd' }).settings.retentionS, 30 * 86400);
        const s = parseWriterSettings({ inFlight: '16', spoolSize: '16', whenFull: 'drop-newest', spoolDir: ' /var/spool/pc ' }).settings;
        assert.deepStrictEqual([s.inFlight, s.spoolMaxBytes, s.whenFull, s.spoolDir], [16, 16 * 1048576, 'drop-newest', '/var/spool/pc']);
    });
    for (const [what, props, re] of [
        ['batch size 0', { batchSize: 0 }, /batch size/],
        ['batch delay of 2 minutes', { batchDelay: 120000 }, /batch delay/],
        ['0 batches in flight', { inFlight: 0 }, /in flight/],
        ['17 batches in flight', { inFlight: 17 }, /in flight/],
        ['a spool of 15 MB', { spoolSize: 15 }, /spool size/],
        ['a spool of 1.5 MB', { spoolSize: 1.5 }, /spool size/],
        ['the old policy drop-oldest', { whenFull: 'drop-oldest' }, /spool-full policy/],
        ['a spool folder with a NUL', { spoolDir: 'a\0b' }, /spool directory/],
        ['negative retention', { retention: -1 }, /retention/],
        ['granularity days', { granularity: 'days' }, /granularity/],
        ['a $ collection', { collection: 'a$b' }, /collection/],
        ['timeField with a dot', { timeField: 'a.b' }, /timeField/],
    ]) {
        it(`refuses ${what}`, function () {
            assert.match(parseWriterSettings(props).error, re);
        });
    }
});

describe('picochain-mongo-ts config migrations', function () {
    const { migrate, CONFIG_VERSION } = require('../../dist/nodes/picochain-mongo-ts/migrations');
    it('v0 (no version): retention was expireAfterSeconds -> unit "s"; an output port; spool defaults', function () {
        const old = { id: 'w', type: 'picochain-mongo-ts', mongo: 'cfg', collection: 'readings', retention: 604800 };
        const m = migrate(old);
        assert.deepStrictEqual([m.version, m.retentionUnit, m.outputs, m.retention], [CONFIG_VERSION, 's', 1, 604800]);
        assert.deepStrictEqual([m.whenFull, m.inFlight, m.spoolSize, m.spoolDir], ['block', 4, 512, '']);
        assert.strictEqual(parseWriterSettings(m).settings.retentionS, 604800);
        assert.strictEqual(migrate({ id: 'w' }).retentionUnit, 'd');
        assert.ok(!('version' in old), 'the original config is not modified');
    });
    for (const [overflow, whenFull] of [['drop-oldest', 'block'], ['drop-newest', 'drop-newest'], ['reject', 'reject'], [undefined, 'block']]) {
        it(`v1 -> v2: buffer policy ${overflow} becomes spool policy ${whenFull}; bufferSize and overflow go, batches kept`, function () {
            const v1 = { version: 1, retention: 30, retentionUnit: 'd', outputs: 0, batchSize: 100, batchDelay: 1000, bufferSize: 10000, overflow };
            const m = migrate(v1);
            assert.deepStrictEqual(m, { version: 2, retention: 30, retentionUnit: 'd', outputs: 0, batchSize: 100, batchDelay: 1000, whenFull, inFlight: 4, spoolSize: 512, spoolDir: '' });
            assert.strictEqual(parseWriterSettings(m).error, undefined);
        });
    }
    it('a v1 node opened in the new editor (whenFull filled in) keeps its policy; v2 configs pass unchanged', function () {
        assert.strictEqual(migrate({ version: 1, overflow: 'reject', whenFull: 'drop-newest' }).whenFull, 'drop-newest');
        const v2 = { version: 2, whenFull: 'reject', inFlight: 2, spoolSize: 64, spoolDir: 'spool', outputs: 1 };
        assert.deepStrictEqual(migrate(v2), v2);
    });
});

describe('picochain-mongo-config core', function () {
    it('redact() removes the password, its URL-encoded form and any URI password', function () {
        const pw = 's3cr:t/p@ss';
        const text = `auth failed for mongodb://bob:${encodeURIComponent(pw)}@db:27017/x (password ${pw}) and mongodb+srv://al:other@c.net/`;
        const out = redact(text, [pw]);
        assert.ok(!out.includes(pw) && !out.includes(encodeURIComponent(pw)) && !out.includes('other'), out);
        assert.match(out, /mongodb:\/\/bob:\*\*\*@db:27017/);
        assert.strictEqual(redact(new Error(`bad ${pw}`), [pw]), 'bad ***');
        assert.strictEqual(redact('nothing secret', [undefined, '']), 'nothing secret');
    });

    it('expandEnv() replaces ${VAR} anywhere in a field', function () {
        const env = { HOST: 'db.local', PORT: '27018' };
        assert.strictEqual(expandEnv('mongodb://${HOST}:${PORT}/', (n) => env[n]), 'mongodb://db.local:27018/');
        assert.strictEqual(expandEnv('${MISSING}x', () => undefined), 'x');
    });

    it('checkSettings() refuses bad strings, names and timeouts; clientOptions() keeps credentials out of the URI', function () {
        const ok = { uri: 'mongodb://h:1/', database: 'picochain', tls: false, connectTimeoutMs: 1000 };
        assert.strictEqual(checkSettings(ok), null);
        assert.match(checkSettings({ ...ok, uri: 'http://h' }), /mongodb:\/\//);
        assert.match(checkSettings({ ...ok, database: 'a.b' }), /database name/);
        assert.match(checkSettings({ ...ok, connectTimeoutMs: 5 }), /timeout/);
        assert.match(checkSettings({ ...ok, tls: true, tlsCAFile: '/nonexistent/ca.pem' }), /CA file .* does not exist/);
        assert.match(checkSettings({ ...ok, password: 'x' }), /needs a username/);
        const o = clientOptions({ ...ok, user: 'bob', password: 'pw', tls: true, tlsCAFile: '/ca.pem', tlsAllowInvalidCertificates: true });
        assert.deepStrictEqual(o.auth, { username: 'bob', password: 'pw' });
        assert.deepStrictEqual([o.tls, o.tlsCAFile, o.tlsAllowInvalidCertificates], [true, '/ca.pem', true]);
        assert.ok(!('tls' in clientOptions(ok)), 'TLS left to the connection string when not forced');
    });

    it('MongoConnection: waits while the server is unreachable, logs redacted, getDb rejects on close', async function () {
        this.timeout(10000);
        const port = await freePort();
        const logs = [];
        const states = [];
        const pw = 'hunter2-very-secret';
        const conn = new MongoConnection(
            { uri: `mongodb://bob:${pw}@127.0.0.1:${port}/`, database: 'x', user: 'bob', password: pw, tls: false, connectTimeoutMs: 300 },
            { log: (l, t) => logs.push(t) });
        conn.on('state', (s) => states.push(s));
        const user = {};
        conn.register(user);
        const db = conn.getDb();
        let settled = false;
        db.then(() => { settled = true; }, () => { settled = true; });
        await sleep(900);
        assert.ok(!settled, 'getDb waits while unreachable');
        assert.ok(!conn.isConnected());
        assert.deepStrictEqual(states.slice(0, 2), ['connecting', 'disconnected']);
        assert.ok(logs.length >= 1);
        for (const l of logs.concat([conn.error])) assert.ok(!l.includes(pw), `leak: ${l}`);
        conn.deregister(user);
        await conn.close(100);
        await assert.rejects(db, /closed/);
        assert.strictEqual(settled, true);
    });
});
