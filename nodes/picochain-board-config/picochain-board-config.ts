/**
 * picochain-board-config: publishes boards' desired configurations (retained, on
 * picochain/<site>/<device>/config, through a picochain-broker) and follows their
 * acknowledgements in the status messages picochain-decode passes on. Thin wrapper over core.ts.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { BrokerConfigNode } from '../picochain-broker/api';
import type { IncomingMessage, Subscription } from '../picochain-broker/connection';
import { BoardConfigError, BoardRegistry, ConfigEvent, configTopic } from './core';
import { ThrottledStatus } from '../shared/node-status';
import { translator } from '../shared/catalog';
import { toError } from '../shared/errors';

type BoardConfigDef = NodeDef & { broker: string };

/** ms between two state messages (output 2) at most: a fleet reconnecting sends many statuses. */
const STATE_EVERY_MS = 250;
const CONFIG_FILTER = 'picochain/+/+/config';

export = function (RED: NodeAPI): void {
    function PicochainBoardConfig(this: Node, def: BoardConfigDef): void {
        RED.nodes.createNode(this, def);
        const node = this;
        const t = translator(RED._, __dirname, 'picochain-board-config');
        const broker = RED.nodes.getNode(def.broker) as BrokerConfigNode | null;
        if (!broker || broker.problem || !broker.connection) {
            node.error(broker ? t('errors.broker', { problem: broker.problem || '' }) : t('errors.no-broker'));
            node.status({ fill: 'red', shape: 'ring', text: t('status.invalid') });
            return;
        }
        const conn = broker.connection;
        const reg = new BoardRegistry();
        const status = new ThrottledStatus(node, 500);
        let refusedInputs = 0;
        let stateTimer: NodeJS.Timeout | null = null;

        const showStatus = (): void => status.set(() => {
            if (conn.state !== 'connected') return { fill: 'yellow', shape: 'ring', text: t(`status.${conn.state === 'error' ? 'refused' : 'disconnected'}`) };
            const c = reg.counts();
            const text = t('status.counts', { applied: c.applied, pending: c.pending + c.testing, refused: c.refused }) + (refusedInputs ? ` · ${t('status.errors', { n: refusedInputs })}` : '');
            return { fill: c.refused ? 'red' : c.pending + c.testing ? 'blue' : 'green', shape: 'dot', text };
        });
        const sendState = (): void => {
            stateTimer = null;
            node.send([null, { topic: 'config-state', payload: { devices: reg.view(), secretsAllowed: conn.settings.tls, at: Date.now() } }] as never);
            showStatus();
        };
        const stateSoon = (): void => { if (!stateTimer) stateTimer = setTimeout(sendState, STATE_EVERY_MS); };
        const eventMsgs = (events: ConfigEvent[]) => events.map((e) => ({ topic: `config/${e.event}`, payload: e }));

        // desired configs come back from the broker: retained after a restart, ours as an echo
        const sub: Subscription = {
            filter: CONFIG_FILTER, qos: 1, shareGroup: '', ackAfterStore: false,
            onMessage(m: IncomingMessage) { reg.noteDesired(m.topic, m.payload); stateSoon(); },
        };
        conn.subscribe(sub);
        const onState = (): void => showStatus();
        conn.on('state', onState);
        showStatus();

        const explain = (err: unknown): Error => {
            if (err instanceof BoardConfigError) return new Error(t(`errors.${err.key}`, err.params));
            return toError(err);
        };

        node.on('input', (msg: NodeMessageInFlow, send, done) => {
            const p = msg.payload as Record<string, unknown> | null;
            let work: Promise<unknown> = Promise.resolve();
            try {
                if (msg.topic === 'set' || msg.topic === 'clear') {
                    if (!p || typeof p !== 'object') throw new BoardConfigError('payload');
                    if (msg.topic === 'clear') {
                        // no desired config any more: each board keeps what it runs
                        const boards = reg.targets(p);
                        for (const b of boards) reg.noteDesired(configTopic(b.site, b.device), '');
                        work = Promise.all(boards.map((b) => conn.publish(configTopic(b.site, b.device), '', { qos: 1, retain: true })));
                    } else {
                        const pubs = reg.prepare(p, p.config, conn.settings.tls);
                        send([eventMsgs(pubs.map((x) => reg.published(x))), null]);
                        work = Promise.all(pubs.map((x) => conn.publish(x.topic, x.payload, { qos: 1, retain: true })));
                    }
                } else if (msg.topic === 'devices') {
                    reg.setDevices(msg.payload);
                } else if (p && typeof p === 'object' && (p.state === 'online' || p.state === 'offline')) {
                    const events = reg.noteStatus(p);
                    if (events.length) send([eventMsgs(events), null]);
                }
            } catch (err) {
                refusedInputs++;
                showStatus();
                done(explain(err));
                return;
            }
            stateSoon();
            work.then(() => done(), (err) => done(explain(err)));
        });

        node.on('close', (removed: boolean, done: () => void) => {
            if (stateTimer) clearTimeout(stateTimer);
            status.close();
            conn.removeListener('state', onState);
            conn.unsubscribe(sub, removed);
            node.status({});
            done();
        });
    }

    RED.nodes.registerType('picochain-board-config', PicochainBoardConfig as never);
};
