'use strict';
// examples/*.json (Import › Examples; the two full chains are also what npm start deploys): they
// parse, hang together within each file, hold no credentials, work with no environment variable
// set, name the modules they need, use only node types a real Node-RED with our package and both
// dashboards has, and deploy into the real runtime (the embedded start of scripts/lib/chain.js,
// in a child process).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { startChainProcess } = require('../browser/support/chain');
const services = require('../../scripts/lib/services');
const { sleep } = require('../support/wait');
const { request } = require('../support/node-red-process');

const ROOT = path.join(__dirname, '..', '..');
const FILES = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).map((f) => `examples/${f}`);
const FULL_DASHBOARD1 = 'examples/full chain with node-red-dashboard.json';
const FULL_DASHBOARD2 = 'examples/full chain with Dashboard 2.0.json';
/** The module that provides each node type a shipped flow uses, beyond Node-RED's own. */
const MODULE_OF = (type) => (type.startsWith('picochain-') ? '@picochain/node-red' : type.startsWith('ui_') ? 'node-red-dashboard' : type.startsWith('ui-') ? '@flowfuse/node-red-dashboard' : null);
const read = (f) => JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8'));
const STRUCTURAL = new Set(['tab', 'subflow', 'group', 'junction']);


describe('shipped flows and examples', function () {
    it('there are the two full chains and the six small examples', function () {
        for (const label of ['full chain with node-red-dashboard', 'full chain with Dashboard 2.0', 'basic chain', 'alerts and notification', 'dashboard (node-red-dashboard)', 'dashboard (FlowFuse Dashboard 2.0)', 'migration from TOUCAN', 'LoRaWAN uplink from The Things Stack']) {
            assert.ok(FILES.includes(`examples/${label}.json`), `examples/${label}.json`);
        }
    });

    it('every example is exactly what its source writes (npm run flows: scripts/lib/make-flows.js), byte for byte', function () {
        const { generatedFiles } = require('../../scripts/lib/make-flows');
        const files = generatedFiles();
        assert.deepStrictEqual(Object.keys(files).sort(), FILES.filter((f) => f.startsWith('examples/')).sort(), 'no example without a source, no source without its file');
        for (const [rel, text] of Object.entries(files)) {
            assert.ok(fs.readFileSync(path.join(ROOT, rel), 'utf8') === text, `${rel} differs from its source: run npm run flows`);
        }
    });

    it('npm start deploys both full chains as one: the chain tab once, linked to both dashboards, broker and database from its environment', function () {
        const { shippedFlows, SHIPPED_FLOWS } = require('../../scripts/lib/chain');
        assert.deepStrictEqual(SHIPPED_FLOWS, [FULL_DASHBOARD1, FULL_DASHBOARD2]);
        const flows = shippedFlows();
        const ids = new Set(flows.map((n) => n.id));
        assert.strictEqual(ids.size, flows.length, 'each node once');
        assert.deepStrictEqual(flows.filter((n) => n.type === 'global-config'), [], 'module information is for imports only');
        assert.deepStrictEqual(flows.filter((n) => n.type === 'tab').map((n) => n.label).sort(), ['dashboard (Dashboard 2.0)', 'dashboard (node-red-dashboard)', 'picochain']);
        const out = flows.find((n) => n.type === 'link out' && n.name === 'fleet model');
        assert.strictEqual(out.links.length, 2, 'the fleet model reaches both dashboards');
        for (const n of flows) for (const l of n.links || []) assert.ok(ids.has(l), `${n.name} links to missing ${l}`);
        for (const n of flows.filter((x) => x.type === 'mqtt-broker')) assert.deepStrictEqual([n.broker, n.port], ['${MQTT_HOST}', '${MQTT_PORT}']);
        for (const n of flows.filter((x) => x.type === 'picochain-mongo-config')) assert.deepStrictEqual([n.uri, n.database], ['${MONGODB_URI}', '${MONGODB_DB}']);
    });

    it('the pages keep no message a page sent, and an Alerts page that opens is answered by the flow, to it alone', function () {
        const { shippedFlows } = require('../../scripts/lib/chain');
        const flows = shippedFlows();
        const byId = new Map(flows.map((n) => [n.id, n]));
        // node-red-dashboard: a template whose page sends does not keep what it sent (else every
        // page shows it, and a page opened later is replayed it instead of the model)
        const sending = flows.filter((n) => n.type === 'ui_template' && /scope\.send\(/.test(n.format));
        assert.ok(sending.length >= 3, sending.map((n) => n.name).join());
        for (const n of sending) assert.strictEqual(n.storeOutMessages, false, `${n.name}: storeOutMessages`);
        // Dashboard 2.0: messages from or to one page (msg._client) are neither kept nor sent to every page
        for (const n of flows.filter((x) => x.type === 'ui-base')) assert.ok(n.acceptsClientConfig.includes('ui-template'), 'ui-base accepts client constraints for ui-template');
        // both Alerts pages ask when they open; the request reaches the alerts model, before any login check
        for (const n of flows.filter((x) => /^ui[-_]template$/.test(x.type) && x.name === 'Alerts + ack')) {
            assert.ok(/send\(\{ topic: "refresh", payload: "alerts" \}\)/.test(n.format), `${n.type}: asks when it opens`);
            const out = byId.get(n.wires[0][0]);
            const inn = flows.find((x) => x.type === 'link in' && x.links.includes(out.id));
            const asks = byId.get(inn.wires[0][0]);
            assert.deepStrictEqual([asks.type, asks.rules[0]], ['switch', { t: 'eq', v: 'refresh', vt: 'str' }]);
            assert.strictEqual(byId.get(asks.wires[0][0]).name, 'alerts model');
            assert.strictEqual(byId.get(asks.wires[1][0]).name, 'who asks');
        }
    });

    for (const file of FILES) {
        describe(file, function () {
            const nodes = read(file);
            it('is a flow array whose ids are unique and whose wires and tabs point inside it', function () {
                assert.ok(Array.isArray(nodes) && nodes.length > 0);
                const ids = new Set();
                for (const n of nodes) {
                    assert.ok(typeof n.id === 'string' && n.id && typeof n.type === 'string', JSON.stringify(n).slice(0, 80));
                    assert.ok(!ids.has(n.id), `duplicate id ${n.id}`);
                    ids.add(n.id);
                }
                const tabs = new Set(nodes.filter((n) => n.type === 'tab').map((n) => n.id));
                for (const n of nodes) {
                    if (n.z) assert.ok(tabs.has(n.z), `${n.type} ${n.id} on a missing tab ${n.z}`);
                    for (const port of n.wires || []) for (const w of port) assert.ok(ids.has(w), `${n.type} ${n.name || n.id} wired to missing ${w}`);
                    for (const l of n.links || []) assert.ok(ids.has(l), `${n.type} ${n.name || n.id} links to ${l}, not in this file`);
                    if (n.type === 'catch' && Array.isArray(n.scope)) for (const s of n.scope) assert.ok(ids.has(s), `catch scope ${s}`);
                }
            });

            it('gives our nodes only properties their editor defines', function () {
                const { readHtml } = require('../../scripts/lib/node-defaults');
                const NODE_KEYS = new Set(['id', 'type', 'z', 'x', 'y', 'wires', 'g', 'd', 'name', 'l']);
                for (const n of nodes.filter((x) => x.type.startsWith('picochain-'))) {
                    const html = path.join(ROOT, 'nodes', n.type, `${n.type}.html`);
                    const defs = readHtml(html)[n.type];
                    assert.ok(defs, `${n.type} editor definition`);
                    const extra = Object.keys(n).filter((k) => !NODE_KEYS.has(k) && !(k in defs.defaults));
                    assert.deepStrictEqual(extra, [], `${n.type} ${n.id}: properties unknown to its editor`);
                }
            });

            it('has a comment node explaining it', function () {
                assert.ok(nodes.some((n) => n.type === 'comment' && n.name && n.name.length > 20));
            });

            it('holds no credentials', function () {
                for (const n of nodes) {
                    assert.ok(!('credentials' in n), `${n.type} ${n.id} carries credentials`);
                    for (const [k, v] of Object.entries(n)) {
                        if (/^(password|passwd|pass|token|apikey|api_key|secret|user|username)$/i.test(k)) assert.ok(!v, `${n.type}.${k} is set`);
                    }
                }
                const text = JSON.stringify(nodes);
                assert.ok(!/mongodb(\+srv)?:\/\/[^"$\s/]+:[^"@\s]+@/.test(text), 'a connection string with a password');
                assert.ok(!/\b\d{8,10}:[A-Za-z0-9_-]{35}\b/.test(text), 'something like a Telegram bot token');
                assert.ok(!/https:\/\/hooks\.slack\.com\/services\/\w/.test(text), 'a Slack webhook');
            });

            it('works with no environment variable set: broker and database on this machine, no ${VAR} in any node', function () {
                for (const n of nodes.filter((x) => x.type === 'picochain-broker' && x.name === 'picochain broker')) assert.deepStrictEqual([n.broker, n.port], ['127.0.0.1', '']);
                for (const n of nodes.filter((x) => x.type === 'picochain-mongo-config')) assert.deepStrictEqual([n.uri, n.database], ['mongodb://127.0.0.1:27017/', 'picochain']);
                // texts (tab and comment info, function code, templates) may mention ${VAR}; settings may not
                const TEXT = new Set(['info', 'func', 'format', 'name']);
                const refs = nodes.flatMap((n) => Object.entries(n).filter(([k, v]) => !TEXT.has(k) && typeof v === 'string' && /\$\{[A-Za-z_]\w*\}/.test(v)).map(([k, v]) => `${n.type}.${k} = ${v}`));
                assert.deepStrictEqual(refs, []);
            });

            it('names the modules its node types come from (Node-RED offers to install missing ones on import)', function () {
                const needed = [...new Set(nodes.map((n) => MODULE_OF(n.type)).filter(Boolean))].sort();
                const foreign = needed.filter((m) => m !== '@picochain/node-red');
                const info = nodes.filter((n) => n.type === 'global-config');
                if (foreign.length === 0) return assert.ok(info.length <= 1);
                assert.strictEqual(info.length, 1, 'one global-config node with modules');
                assert.deepStrictEqual(Object.keys(info[0].modules).sort(), needed);
                for (const [m, v] of Object.entries(info[0].modules)) assert.match(v, /^\d+\.\d+\.\d+/, `${m} version`);
            });
        });
    }

    describe('in the real runtime (embedded start, no simulator)', function () {
        this.timeout(90000);
        let chain;
        let types;
        let dataDir;
        before(async function () {
            if (!services.ferretdbPath()) { console.log('      skipped: FerretDB is not built'); this.skip(); }
            chain = await startChainProcess({ port: 0, mqttPort: 0, dbPort: 0, dataDir: (dataDir = services.tmpDir('flows')), sim: false, logLevel: 'warn' });
            const res = await request('GET', `${chain.info.editorUrl}nodes`);
            assert.strictEqual(res.status, 200);
            types = new Set(JSON.parse(res.text).filter((s) => s.enabled !== false).flatMap((s) => s.types));
        });
        after(async function () {
            if (chain) await chain.stop();
            if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
        });

        it('knows our nodes and both dashboards', function () {
            for (const t of ['picochain-decode', 'picochain-mongo-config', 'picochain-mongo-ts', 'picochain-alert', 'picochain-history', 'ui_template', 'ui_chart', 'ui-template', 'ui-chart', 'mqtt in']) {
                assert.ok(types.has(t), `${t} registered`);
            }
        });

        for (const file of FILES) {
            it(`${file}: every node type exists and a full deploy is accepted`, async function () {
                const nodes = read(file);
                const unknown = [...new Set(nodes.map((n) => n.type).filter((t) => !STRUCTURAL.has(t) && !types.has(t)))];
                assert.deepStrictEqual(unknown, []);
                const before = chain.log().length;
                const res = await request('POST', `${chain.info.editorUrl}flows`, nodes, { 'node-red-deployment-type': 'full' });
                assert.ok(res.status === 200 || res.status === 204, `${res.status} ${res.text}`);
                await sleep(1500);
                const log = chain.log().slice(before);
                assert.ok(!/missing type|Waiting for missing/i.test(log), log);
                assert.ok(!/\[node-red (10|20)\]/.test(log), `errors after deploy:\n${log}`);
            });
        }
    });
});

describe('the shipped flow end to end: original boards (TOUCAN)', function () {
    this.timeout(90000);
    let chain;
    let dataDir;
    let legacyBoard;
    before(async function () {
        if (!services.ferretdbPath()) this.skip();
        dataDir = services.tmpDir('legacy');
        // an original board publishes TOUCAN: its identity must say so (provision --legacy)
        legacyBoard = require('../../scripts/lib/provision').provision({ dataDir, site: 'legacy', device: 'pico_1', brokerHost: '127.0.0.1', legacy: true });
        chain = await startChainProcess({ port: 0, mqttPort: 0, dbPort: 0, dataDir, sim: false, alertForS: 1, logLevel: 'warn' });
    });
    after(async function () {
        if (chain) await chain.stop();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('stores their messages, lists the board as new, and once it is assigned a fridge judges its temperature (°C) but never its humidity (%)', async function () {
        const mqtt = require('mqtt');
        const { MongoClient } = require('mongodb');
        const client = await mqtt.connectAsync(chain.info.mqttUrl, { username: legacyBoard.username, password: legacyBoard.password });
        const db = await MongoClient.connect(chain.info.mongodbUri);
        const main = read(FULL_DASHBOARD1);
        const tab = main.find((n) => n.type === 'tab').id;
        const devicesNode = main.find((n) => n.type === 'picochain-devices').id;
        const alerts = async () => {
            const res = await request('GET', `${chain.info.editorUrl}context/flow/${tab}?store=default`);
            const v = JSON.parse(res.text).default || JSON.parse(res.text);
            return v.alerts ? JSON.parse(v.alerts.msg) : { active: {} };
        };
        let i = 0;
        const publish = async (capteur, valeur) => {
            const d = new Date(Date.now() - 1000);
            // the boards' hand-made date: no zero padding, fractional seconds (firmware/PROTOCOL.md)
            const datetime = `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}-${d.getUTCDate()} ${d.getUTCHours()}:${d.getUTCMinutes()}:${d.getUTCSeconds()}.25`;
            await client.publishAsync('TOUCAN', JSON.stringify({ datetime, noeud: 'pico_1', capteur, metrique: 'brute', valeur: valeur + (i++) * 0.01 }), { qos: 0 });
        };
        try {
            const registry = db.db(chain.info.database).collection('devices');
            let doc = null;
            for (const deadline = Date.now() + 40000; !(doc && doc.sensors && doc.sensors.humidity) && Date.now() < deadline;) {
                await publish('temperature', 12.5);
                await publish('humidite', 88);
                await sleep(700);
                doc = await registry.findOne({ _id: 'pico_1' });
            }
            assert.ok(doc, `pico_1 in the devices collection:\n${chain.log().slice(-2000)}`);
            assert.ok(!doc.kind, 'a new board is unassigned (kind null; FerretDB 1.x leaves null fields out of an upsert)');
            assert.deepStrictEqual(doc.sensors, { temperature: { unit: '°C' }, humidity: { unit: '%' } });
            assert.deepStrictEqual(Object.values((await alerts()).active || {}).filter((a) => a.device === 'pico_1'), [], 'no rule judges an unassigned board');

            // the Fleet page assigns it (what its profile select sends through the "page requests" link)
            await chain.receive(devicesNode, { topic: 'assign', payload: { device: 'pico_1', kind: 'fridge' } });
            let active = [];
            for (const deadline = Date.now() + 40000; !active.length && Date.now() < deadline;) {
                await publish('temperature', 12.5);
                await publish('humidite', 88);
                await sleep(700);
                active = Object.values((await alerts()).active || {}).filter((a) => a.device === 'pico_1');
            }
            assert.ok(active.length > 0, `an alert for pico_1:\n${chain.log().slice(-2000)}`);
            assert.deepStrictEqual(active.map((a) => [a.sensor, a.rule, a.profile, a.severity, a.unit]), [['temperature', 'high', 'fridge', 'critical', '°C']]);
            await sleep(1500);
            assert.ok(Object.values((await alerts()).active).every((a) => a.sensor !== 'humidity'), 'humidity (%) is never judged by a °C rule');
            const stored = await db.db(chain.info.database).collection('readings').countDocuments({ 'meta.device': 'pico_1', 'meta.source': 'legacy' });
            assert.ok(stored > 0, 'legacy readings stored');
            assert.strictEqual((await registry.findOne({ _id: 'pico_1' })).kind, 'fridge');
        } finally {
            await client.endAsync();
            await db.close();
        }
    });
});
