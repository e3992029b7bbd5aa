/**
 * picochain-mqtt-in: subscribes through a picochain-broker (persistent session) and acknowledges
 * each QoS 1 message to the broker only once the readings it carried are durable in a
 * picochain-mongo-ts spool (or, with "acknowledge: on arrival", at once like Node-RED's mqtt in).
 * Thin wrapper: core.ts (settings, message, deliveries), picochain-broker/connection.ts (session).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { BrokerConfigNode, BrokerState } from '../picochain-broker/api';
import type { IncomingMessage, Subscription } from '../picochain-broker/connection';
import { copyMessage, DeliveryTracker, MqttInDefProps, parseMqttInSettings, toMessage } from './core';
import { compactCount, ThrottledStatus } from '../shared/node-status';
import { translator } from '../shared/catalog';
import { expandEnv } from '../shared/env';

type MqttInDef = NodeDef & MqttInDefProps & { broker: string };

const SWEEP_MS = 1000;
/** Held acknowledgements above which the status turns blue ("N unacked"). */
const BUSY_HELD = 100;

export = function (RED: NodeAPI): void {
    function PicochainMqttIn(this: Node, def: MqttInDef): void {
        RED.nodes.createNode(this, def);
        const node = this;
        const t = translator(RED._, __dirname, 'picochain-mqtt-in');
        const broker = RED.nodes.getNode(def.broker) as BrokerConfigNode | null;
        // `${PICOCHAIN_SHARE_GROUP}` in the shipped flows: unset or empty = no shared subscription
        const env = (name: string): string | undefined => {
            const v = RED.util.evaluateNodeProperty(name, 'env', node, {} as never);
            return v === undefined || v === null ? undefined : String(v);
        };
        const parsed = parseMqttInSettings({ ...def, shareGroup: expandEnv(String(def.shareGroup ?? ''), env) });
        const problem = !broker ? t('errors.no-broker') : parsed.error ? t('errors.invalid', { problem: parsed.error })
            : broker.problem || !broker.connection ? t('errors.broker', { problem: broker.problem || '' }) : null;
        if (problem || !parsed.settings || !broker || !broker.connection) {
            node.error(problem);
            node.status({ fill: 'red', shape: 'ring', text: t('status.invalid') });
            return;
        }
        const settings = parsed.settings;
        const conn = broker.connection;
        const tracker = new DeliveryTracker<{ msg: Record<string, unknown>; incoming: IncomingMessage }>(settings.unclaimedMs);
        // a message nothing took is sent again as it left (a redeploy may have dropped it); nodes
        // downstream replace properties (decode sets payload and raw), so a shallow copy goes out
        const resend = (t: { msg: Record<string, unknown> }): void => node.send(copyMessage(t.msg) as never);
        const status = new ThrottledStatus(node, 500);
        let unclaimedWarned = 0;

        // computed when the throttle applies it (the held count changes with every message)
        const showStatus = (): void => status.set(() => {
            const s = conn.state;
            if (s === 'connected') {
                const held = conn.heldAcks;
                if (held >= BUSY_HELD) return { fill: 'blue', shape: 'dot', text: t('status.busy', { n: compactCount(held) }) };
                return { fill: 'green', shape: 'dot', text: t('status.connected') };
            }
            if (s === 'error') {
                const kind = conn.failureKind;
                return { fill: 'red', shape: 'ring', text: t(kind === 'auth' ? 'status.auth' : kind === 'tls' ? 'status.tls' : 'status.refused') };
            }
            return { fill: 'yellow', shape: 'ring', text: t(s === 'connecting' ? 'status.connecting' : 'status.disconnected') };
        });
        const onState = (): void => showStatus();
        conn.on('state', onState);

        const sub: Subscription = {
            filter: settings.topic,
            qos: settings.qos,
            shareGroup: settings.shareGroup,
            ackAfterStore: settings.ack === 'stored',
            onMessage(m: IncomingMessage) {
                const msg = toMessage(m, settings.payloadType) as unknown as Record<string, unknown>;
                if (m.ack) {
                    const d = tracker.track(m.ack, { msg, incoming: m });
                    msg._delivery = d.id;
                    // the flow gets a copy: the kept one can be sent again unchanged
                    node.send(copyMessage(msg) as never);
                } else node.send(msg as never);
                if (conn.heldAcks >= BUSY_HELD) showStatus();
            },
        };
        conn.subscribe(sub);
        showStatus();

        const sweeper = setInterval(() => {
            const n = tracker.sweep(Date.now(), resend);
            if (n > 0) {
                unclaimedWarned += n;
                node.warn(t('log.unclaimed', { n, total: tracker.counters.unclaimed, s: Math.round(settings.unclaimedMs / 1000) }));
            }
            if (conn.state === 'connected') showStatus();
        }, SWEEP_MS);
        (node as Node & { stats?: () => unknown }).stats = () => ({ ...tracker.counters, open: tracker.size, held: conn.heldAcks, state: conn.state, reason: conn.reason, connection: { ...conn.stats }, unclaimedWarned });

        node.on('close', (_removed: boolean, done: () => void) => {
            clearInterval(sweeper);
            status.close();
            conn.removeListener('state', onState);
            conn.unsubscribe(sub, _removed);
            // what no node after this one ever saw waits in the connection for this node's
            // replacement (a redeploy), unacknowledged
            if (!_removed) for (const t of tracker.takeUntouched()) conn.requeue(t.incoming);
            // Messages whose readings are still on their way keep their held PUBACK: it goes out when
            // the writer has them durable (the connection may outlive this node on a partial
            // redeploy, and a held PUBACK must not block the ones after it). If the connection
            // closes first, the broker sends them again at the next start.
            if (tracker.size > 0) {
                const linger = setInterval(() => {
                    // this node is gone: nothing to send again through it
                    tracker.sweep(Date.now(), () => undefined);
                    if (tracker.size === 0 || conn.isClosed) clearInterval(linger);
                }, SWEEP_MS);
                linger.unref();
            }
            node.status({});
            done();
        });
    }

    RED.nodes.registerType('picochain-mqtt-in', PicochainMqttIn as never);
};
