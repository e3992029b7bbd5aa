'use strict';
// What a palette user sees before any data: picochain-history's status follows its database
// (ready / connecting / unreachable / settings), in words from its catalog, and a config node whose
// field names an unset environment variable says which variable, in its log and in every error
// its users report. Real runtime (node-red-node-test-helper) and a real FerretDB.
const assert = require('assert');
const helper = require('node-red-node-test-helper');
const { startFerretDB, freePort } = require('../../scripts/lib/services');
const { until } = require('../support/wait');
const configNode = require('../../dist/nodes/picochain-mongo-config/picochain-mongo-config.js');
const historyNode = require('../../dist/nodes/picochain-history/picochain-history.js');
const { unsetEnvProblem } = require('../../dist/nodes/picochain-mongo-config/core');
const en = require('../../dist/nodes/picochain-history/locales/en-US/picochain-history.json')['picochain-history'];

helper.init(require.resolve('node-red'));

const UNSET = 'PICOCHAIN_TEST_NEVER_SET_URI';

function load(uri, extra = {}) {
    const flow = [
        { id: 'cfg', type: 'picochain-mongo-config', name: 'db', uri, database: 'picochain', connectTimeout: 1000, ...extra },
        { id: 'h', type: 'picochain-history', mongo: 'cfg', device: 'fridge-1', timeout: 2, wires: [['out'], []] },
        { id: 'c', type: 'catch', scope: ['h'], wires: [['caught']] },
        { id: 'out', type: 'helper' },
        { id: 'caught', type: 'helper' },
    ];
    return new Promise((resolve) => helper.load([configNode, historyNode], flow, { cfg: {} }, resolve));
}
const statusText = () => {
    const calls = helper.getNode('h').status.getCalls();
    return calls.length ? calls[calls.length - 1].args[0].text : undefined;
};

describe('picochain-history status and picochain-mongo-config settings from the environment', function () {
    this.timeout(60000);
    afterEach(async function () { await helper.unload(); });

    it('unsetEnvProblem names every unset or empty variable of a field, and nothing when all are set', function () {
        const env = { HOST: 'db', EMPTY: '' };
        const lookup = (n) => env[n];
        assert.strictEqual(unsetEnvProblem({ 'connection string': 'mongodb://${HOST}/' }, lookup), null);
        assert.strictEqual(unsetEnvProblem({ 'connection string': 'mongodb://127.0.0.1/' }, lookup), null);
        assert.match(unsetEnvProblem({ 'connection string': '${MONGODB_URI}' }, lookup), /^environment variable MONGODB_URI \(in the connection string "\$\{MONGODB_URI\}"\) is not set or empty/);
        assert.match(unsetEnvProblem({ 'connection string': 'mongodb://${HOST}/', 'database name': '${EMPTY}${DB}' }, lookup), /^environment variables EMPTY, DB \(in the database name/);
    });

    it(`a connection string of \${${UNSET}} (unset): the error names the variable, the status says "${en.status['db-error']}"`, async function () {
        assert.strictEqual(process.env[UNSET], undefined);
        await load(`\${${UNSET}}`);
        const cfg = helper.getNode('cfg');
        const logged = cfg.error.getCalls().map((c) => String(c.args[0]));
        assert.ok(logged.some((t) => t.includes(`environment variable ${UNSET}`)), `config node log: ${JSON.stringify(logged)}`);
        assert.ok(!logged.some((t) => /must start with mongodb/.test(t)), 'not reported as a bad connection string');
        await until(() => statusText() === en.status['db-error'], 'status db-error', 5000);
        const caught = [];
        helper.getNode('caught').on('input', (m) => caught.push(m));
        helper.getNode('h').receive({ payload: { device: 'fridge-1' } });
        await until(() => caught.length === 1, 'the request fails to a Catch node', 5000);
        assert.match(caught[0].error.message, new RegExp(`environment variable ${UNSET}`));
    });

    it(`a database that does not answer: "${en.status.connecting}" or "${en.status['no-database']}", never a raw key`, async function () {
        await load(`mongodb://127.0.0.1:${await freePort()}/`);
        await until(() => [en.status.connecting, en.status['no-database']].includes(statusText()), `status connecting, got ${statusText()}`, 5000);
    });

    it(`a reachable database: "${en.status.ready}"`, async function () {
        const fdb = await startFerretDB();
        try {
            await load(fdb.uri);
            await until(() => statusText() === en.status.ready, `status ready, got ${statusText()}`, 15000);
        } finally {
            await helper.unload();
            await fdb.cleanup();
        }
    });
});
