/**
 * picochain-broker: the Node-RED config node that owns one MQTT connection with a persistent
 * session for the picochain-mqtt-in nodes that use it. Thin wrapper over core.ts (settings) and
 * connection.ts (session, held acknowledgements); API in api.ts.
 */
import type { NodeAPI, NodeDef } from 'node-red';
import type { BrokerConfigNode } from './api';
import { BrokerDefProps, parseBrokerSettings, redactSecrets } from './core';
import { BrokerConnection } from './connection';
import { expandEnv, WHOLE_ENV } from '../shared/env';
import { nodeLogSink } from '../shared/node-log';
import { translator } from '../shared/catalog';

type BrokerDef = NodeDef & BrokerDefProps;

/** How long close waits for held acknowledgements to go out before disconnecting (ms). */
const ACK_DRAIN_MS = 3000;

export = function (RED: NodeAPI): void {
    function PicochainBroker(this: BrokerConfigNode, def: BrokerDef): void {
        RED.nodes.createNode(this, def);
        const node = this;
        const t = translator(RED._, __dirname, 'picochain-broker');
        const lookup = (name: string): string | undefined => {
            const v = RED.util.evaluateNodeProperty(name, 'env', node, {} as never);
            return v === undefined || v === null ? undefined : String(v);
        };
        const field = (v: unknown): string => expandEnv(String(v ?? ''), lookup).trim();
        const creds = node.credentials || {};
        const cred = (v: string | undefined): string | undefined => (v && WHOLE_ENV.test(v) ? expandEnv(v, lookup) : v);
        const user = cred(creds.user) || undefined;
        const password = cred(creds.password) || undefined;
        const expanded: BrokerDefProps = {};
        for (const k of ['broker', 'port', 'tls', 'caFile', 'certFile', 'keyFile', 'verifyServer', 'clientId', 'protocol', 'keepalive', 'sessionExpiry', 'receiveMaximum'] as const) {
            const v = def[k];
            (expanded as Record<string, unknown>)[k] = typeof v === 'string' ? field(v) : v;
        }
        const parsed = parseBrokerSettings(expanded, node.id, { user, password });
        const secrets = [password, creds.password];
        const scrub = (text: unknown): string => redactSecrets(text, secrets);
        node.problem = parsed.error ? scrub(parsed.error) : null;
        node.connection = null;
        if (!parsed.settings) {
            node.error(t('errors.invalid', { problem: node.problem || '' }));
        } else {
            node.connection = new BrokerConnection(parsed.settings, { log: nodeLogSink(node, scrub) });
        }

        node.on('close', (_removed: boolean, done: () => void) => {
            const conn = node.connection;
            if (!conn) { done(); return; }
            // held PUBACKs released by the writers' close (their spools sync first) still go out,
            // so the broker does not send those messages again at the next start
            const deadline = Date.now() + ACK_DRAIN_MS;
            const wait = (): void => {
                if (conn.completableAcks > 0 && Date.now() < deadline && conn.state === 'connected') { setTimeout(wait, 50); return; }
                conn.close().then(() => done(), () => done());
            };
            wait();
        });
    }

    RED.nodes.registerType('picochain-broker', PicochainBroker as never, {
        credentials: {
            user: { type: 'text' },
            password: { type: 'password' },
        },
    });
};
