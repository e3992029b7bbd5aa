/**
 * picochain-decode node: the Node-RED wrapper around core.ts. Output 1 carries readings, output 2
 * device status (birth messages and the `offline` last will); bad input ends in done(err).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { compactCount, ThrottledStatus } from '../shared/node-status';
import { toError } from '../shared/errors';
import { expectReadings } from '../shared/delivery';
import {
    DecodeCounters,
    DecodeError,
    Decoder,
    ERROR_MESSAGES,
    formatMessage,
    MessageParams,
    STATUS_MESSAGES,
    WARN_MESSAGES,
} from './core';
import { DecodeConfig, migrate, optionsFromConfig } from './migrations';

const TYPE = 'picochain-decode';

interface DecodeNode extends Node {
    /** Live counters of this node (tests and the status read them). */
    counters?: DecodeCounters;
}

type Def = NodeDef & Partial<DecodeConfig>;

export = function (RED: NodeAPI) {
    /** RED._ with the core's English text as fallback (the test helper's RED._ returns the key). */
    function t(section: 'errors' | 'warn' | 'status', key: string, params: MessageParams = {}): string {
        const full = `${TYPE}.${section}.${key}`;
        const s = RED._(full, params);
        if (typeof s === 'string' && s !== full && s.length > 0) return s;
        const table: Record<string, string> = section === 'errors' ? ERROR_MESSAGES : section === 'warn' ? WARN_MESSAGES : STATUS_MESSAGES;
        return formatMessage(table[key] ?? key, params);
    }

    function PicochainDecodeNode(this: DecodeNode, def: Def) {
        RED.nodes.createNode(this, def);
        const node = this;
        const config = migrate(def as unknown as Record<string, unknown>);
        const status = new ThrottledStatus(node);

        let decoder: Decoder | null = null;
        let configError: Error | null = null;
        try {
            decoder = new Decoder(optionsFromConfig(config));
            node.counters = decoder.counters;
        } catch (e) {
            configError = toError(e);
            node.error(configError.message);
            status.set({ fill: 'red', shape: 'ring', text: t('status', 'config-error') });
        }

        const showCounts = (lastFailed: boolean) => {
            if (decoder === null) return;
            const c = decoder.counters;
            // the text is made when the throttled status is applied, not for every message
            status.set(() => ({
                fill: lastFailed ? 'yellow' : 'green',
                shape: lastFailed ? 'ring' : 'dot',
                text: t('status', 'counts', { ok: compactCount(c.ok + c.status), err: compactCount(c.err) }),
            }));
        };

        node.on('input', (msg: NodeMessageInFlow, send, done) => {
            if (decoder === null) {
                expectReadings((msg as Record<string, unknown>)._delivery, 0);
                done(configError ?? new Error('not configured'));
                return;
            }
            const m = msg as NodeMessageInFlow & Record<string, unknown>;
            // a picochain-mqtt-in message's acknowledgement waits for the readings it becomes
            const delivery = m._delivery;
            let out;
            try {
                out = decoder.decode(m.payload, typeof m.topic === 'string' ? m.topic : undefined, new Date());
            } catch (e) {
                showCounts(true);
                const err = toError(e);
                if (e instanceof DecodeError) err.message = t('errors', e.key, e.params);
                expectReadings(delivery, 0);
                done(err);
                return;
            }
            showCounts(false);

            if (out.kind === 'ignored') {
                expectReadings(delivery, 0);
                node.warn(t('warn', out.key, out.params));
                done();
                return;
            }
            m.raw = m.payload;
            if (out.kind === 'status') {
                m.payload = out.status;
                m.device = out.status.device;
                m.site = out.status.site;
                expectReadings(delivery, 0);
                send([null, m]);
                done();
                return;
            }

            m.device = out.device;
            m.site = out.site;
            m.format = out.format;
            m.seq = out.seq;
            m.seqGap = out.seqInfo.gap;
            m.seqEvent = out.seqInfo.event;
            m.replay = out.seqInfo.replay;

            const readings = out.readings;
            expectReadings(delivery, readings.length);
            if (config.output === 'split') {
                // one message per reading, with msg.parts so a join node can rebuild the frame
                const id = RED.util.generateId();
                m.payload = null;
                const msgs: NodeMessage[] = readings.map((r, index) => {
                    const one = (index === readings.length - 1 ? m : RED.util.cloneMessage(m)) as NodeMessage & Record<string, unknown>;
                    one.payload = r;
                    one.parts = { id, index, count: readings.length, type: 'array', len: 1 };
                    return one;
                });
                send([msgs, null]);
            } else {
                m.payload = config.output === 'array' || readings.length > 1 ? readings : readings[0];
                send([m, null]);
            }
            done();
        });

        node.on('close', (_removed: boolean, done: () => void) => {
            status.close();
            decoder?.seq.clear();
            done();
        });
    }

    RED.nodes.registerType(TYPE, PicochainDecodeNode);
};
