/**
 * picochain-report: Node-RED wrapper of the food-safety log (core.ts, requests.ts) over a
 * picochain-mongo-config node. It seals the days that are due every 10 minutes (and at start),
 * purges entries past retention and checks the current and last month once a day; requests
 * arrive by msg.topic (requests.ts) and are answered on output 1; sealed days, revisions and
 * tamper findings go out on output 2.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { FoodLog, Who } from './core';
import { MongoLogStore } from './store';
import { ReportError } from './cabinets';
import { handle } from './requests';
import { parseSettings } from './settings';
import { localDate, systemTimeZone } from './tz';
import { intact } from './verify';
import type { MongoConfigNode } from '../picochain-mongo-config/api';
import { toError } from '../shared/errors';
import { translator } from '../shared/catalog';

/** How often due days are sealed (ms). */
const TICK_MS = 10 * 60_000;
const FIRST_TICK_MS = 5_000;
const CLOSE_WAIT_MS = 10_000;

type MongoApi = Pick<MongoConfigNode, 'register' | 'deregister' | 'getDb' | 'redact'>;
type Send = (msg: NodeMessage | (NodeMessage | null)[]) => void;
type Done = (err?: Error) => void;
interface Config extends Record<string, unknown> {
    name?: string; mongo: string; readings?: string; timeField?: string; metaField?: string; devices?: string; collection?: string; auto?: boolean;
}

export = function (RED: NodeAPI) {
    const t = translator(RED._, __dirname, 'picochain-report');

    function PicochainReportNode(this: Node, def: NodeDef & Config) {
        RED.nodes.createNode(this, def);
        const node = this;
        const mongo = RED.nodes.getNode(def.mongo) as unknown as MongoApi | null;
        const { settings, bad } = parseSettings(def, systemTimeZone());
        for (const field of bad) node.warn(t('warn.setting', { field }));
        const store = new MongoLogStore(() => (mongo as MongoApi).getDb(), {
            readings: def.readings || 'readings', timeField: def.timeField || 'time', metaField: def.metaField || 'meta',
            devices: def.devices || 'devices', log: def.collection || 'foodlog',
        });
        const log = new FoodLog(store, settings);
        let closing = false;
        let timer: ReturnType<typeof setTimeout> | null = null;
        let running: Promise<void> | null = null;
        let checkedOn = '';
        let lastSealed = '';
        let tamper = 0;
        let revisedAt = 0;

        const showStatus = (fill: 'green' | 'yellow' | 'red' | 'blue', key: string, params: Record<string, string | number> = {}) => node.status({ fill, shape: fill === 'green' ? 'dot' : 'ring', text: t(`status.${key}`, params) });
        const idle = () => (tamper ? showStatus('red', 'tamper', { n: tamper }) : showStatus('green', lastSealed ? 'sealed' : 'ready', { date: lastSealed }));

        /** Seals what is due; once a day purges and checks the current and last month. */
        async function tick(): Promise<void> {
            const now = Date.now();
            // readings that arrived after their day was sealed are looked for once an hour
            const revise = now - revisedAt >= 3_600_000;
            const r = await log.sealDue(now, revise);
            if (revise) revisedAt = now;
            if (r.sealed.length || r.revised.length) {
                lastSealed = r.sealed.length ? r.sealed[r.sealed.length - 1].split(' ')[1] : lastSealed;
                node.send([null, { topic: 'foodlog/sealed', payload: r } as NodeMessage]);
            }
            const today = localDate(settings.timeZone, now);
            if (checkedOn !== today) {
                const purged = await log.purge(now);
                if (purged) node.send([null, { topic: 'foodlog/purged', payload: { entries: purged, before: log.keepFrom(now) } } as NodeMessage]);
                const problems = [];
                for (const month of [today.slice(0, 7), localDate(settings.timeZone, now - 31 * 86_400_000).slice(0, 7)]) {
                    const a = await handle('verify', { month }, log, store, { by: null, byKind: 'flow' }, now);
                    problems.push(...((a?.payload as { problems: { kind: string }[] }).problems));
                }
                tamper = problems.filter((p) => !intact([p as never])).length;
                if (tamper) {
                    node.warn(t('warn.tamper', { n: tamper }));
                    node.send([null, { topic: 'foodlog/tamper', payload: problems } as NodeMessage]);
                }
                checkedOn = today;
            }
        }

        function schedule(ms: number): void {
            if (closing || def.auto === false) return;
            timer = setTimeout(() => {
                timer = null;
                running = tick().then(idle, (e) => {
                    showStatus('yellow', 'db-error');
                    node.warn(t('warn.tick', { reason: mongo ? mongo.redact(toError(e).message) : toError(e).message }));
                }).finally(() => { running = null; schedule(TICK_MS); });
            }, ms);
        }

        if (!mongo) {
            showStatus('red', 'no-config');
        } else {
            mongo.register(node);
            idle();
            schedule(FIRST_TICK_MS);
        }

        /** Who asked: the dashboard login the guard put on the message, else initials typed on the page, else the flow. */
        function whoOf(msg: NodeMessageInFlow): Who {
            const p = (msg.payload && typeof msg.payload === 'object' ? msg.payload : {}) as Record<string, unknown>;
            const user = ((msg as unknown as { _client?: { user?: { username?: unknown; role?: unknown } } })._client || {}).user;
            const role = user && typeof user.role === 'string' ? user.role : null;
            if (typeof p.by === 'string' && p.by) return { by: p.by, byKind: user && user.username === p.by ? 'login' : 'flow', role };
            if (typeof p.initials === 'string' && p.initials.trim()) return { by: p.initials.trim(), byKind: 'initials', role };
            return { by: null, byKind: 'flow', role };
        }

        node.on('input', async (msg: NodeMessageInFlow, send: Send, done: Done) => {
            if (!mongo) { done(new Error(t('errors.no-config'))); return; }
            const p = msg.payload as Record<string, unknown> | undefined;
            // picochain-alert's events: remembered for an acknowledgement that says what was done
            if (msg.topic !== 'ack' && p && typeof p === 'object' && typeof p.event === 'string' && typeof p.id === 'string') {
                log.noteAlert(p);
                done();
                return;
            }
            const topic = typeof msg.topic === 'string' ? msg.topic : '';
            showStatus('blue', 'working', { topic });
            try {
                const answer = await handle(topic, msg.payload, log, store, whoOf(msg), Date.now());
                if (answer && !closing) {
                    const out = RED.util.cloneMessage(msg) as NodeMessage & Record<string, unknown>;
                    out.request = topic;
                    Object.assign(out, answer);
                    if (Buffer.isBuffer(answer.payload)) out.payload = answer.payload;
                    if (answer.filename === undefined) delete out.filename;
                    send([out, null]);
                }
                idle();
                done();
            } catch (e) {
                if (e instanceof ReportError) {
                    idle();
                    done(new Error(t(`errors.${e.key}`, e.args)));
                } else {
                    showStatus('yellow', 'db-error');
                    done(new Error(mongo.redact(toError(e).message)));
                }
            }
        });

        node.on('close', (_removed: boolean, done: () => void) => {
            closing = true;
            if (timer) clearTimeout(timer);
            const finish = () => { if (mongo) mongo.deregister(node, () => undefined); done(); };
            // a sealing round in progress ends first, or is left after 10 s (a database that does not answer)
            if (running) void Promise.race([running, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS))]).then(finish); else finish();
        });
    }

    RED.nodes.registerType('picochain-report', PicochainReportNode);
};
