/**
 * picochain-mongo-ts: stores picochain readings in MongoDB, as a native time-series collection
 * where the server has them and as a regular indexed collection elsewhere (FerretDB 1.x).
 * Thin wrapper: core.ts buffers and batches, store.ts talks to the driver, mode.ts decides.
 */
import { nodeLogSink } from '../shared/node-log';
import type { EventEmitter } from 'events';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { MongoConfigNode } from '../picochain-mongo-config/api';
import { errorText, WriterCore, WriterStatus } from './core';
import { mapPayload } from './document';
import { parseWriterSettings, WriterDefProps } from './settings';
import { prepareStore } from './store';
import { migrate } from './migrations';
import { compactCount, ThrottledStatus } from '../shared/node-status';
import { translator } from '../shared/catalog';

interface WriterDef extends NodeDef, WriterDefProps {
    mongo: string;
    outputs?: number;
}

// Bounded flush on close: leaves the config node time to close the client within the runtime's 15 s.
const CLOSE_FLUSH_MS = 8000;
// With the database already away at close, one short chance for it to return: a redeploy
// during an outage should not hang for the full bound.
const CLOSE_FLUSH_OFFLINE_MS = 2000;
const PREPARE_RETRY_MAX_MS = 10000;

export = function (RED: NodeAPI): void {
    function PicochainMongoTs(this: Node, original: WriterDef): void {
        RED.nodes.createNode(this, original);
        const def = migrate(original as unknown as Record<string, unknown>) as unknown as WriterDef;
        const node = this;
        const t = translator(RED._, __dirname, 'picochain-mongo-ts');
        const config = RED.nodes.getNode(def.mongo) as MongoConfigNode | null;
        const parsed = parseWriterSettings(def);
        const setupError = !config ? t('errors.no-config') : parsed.error ? t('errors.invalid', { problem: parsed.error }) : null;
        if (setupError || !parsed.settings || !config) {
            node.error(setupError);
            node.status({ fill: 'red', shape: 'ring', text: t('status.invalid') });
            node.on('input', (_msg, _send, done) => done(new Error(setupError || 'invalid settings')));
            return;
        }
        const settings = parsed.settings;
        const emitOutput = Number(def.outputs ?? 1) > 0;
        const scrub = (text: unknown): string => config.redact(errorText(text));
        let closing = false;

        // status, throttled (buffering N changes with every message); unchanged texts are not resent
        const throttled = new ThrottledStatus(node);
        let lastStatus = '';
        const applyStatus = (s: WriterStatus): void => {
            const params: Record<string, string | number> = { ...s.params };
            for (const [k, v] of Object.entries(params)) if (typeof v === 'number') params[k] = compactCount(v);
            if (typeof params.mode === 'string') params.mode = t(`mode.${params.mode}`);
            // refused credentials or TLS: red with the reason, whatever the buffer does meanwhile
            const reason = config.state() === 'error' && typeof config.failure === 'function' ? config.failure() : '';
            const held = reason && s.key.startsWith('buffering') ? params.n : undefined;
            const text = !reason ? t(`status.${s.key}`, params) : held !== undefined ? t('status.db-refused-n', { reason, n: held }) : t('status.db-refused', { reason });
            const fill = reason ? 'red' : s.fill;
            const shape = reason ? 'ring' : s.shape;
            const key = `${fill}|${shape}|${text}`;
            if (key === lastStatus) return;
            lastStatus = key;
            throttled.set({ fill, shape, text });
        };
        const onStatus = (s: WriterStatus): void => {
            if (!closing) applyStatus(s);
        };

        const core = new WriterCore(settings, {
            onStatus,
            log: nodeLogSink(node, scrub),
        });
        applyStatus(core.status());
        // read-only view for tests and debugging: counters, mode, readings held
        (node as Node & { stats?: () => unknown }).stats = () => ({ ...core.counters, mode: core.mode, pending: core.pending, online: core.isOnline });

        const onState = (state: string): void => {
            if (closing) return;
            if (state === 'error') {
                if (typeof config.failure === 'function' && config.failure()) { applyStatus(core.status()); return; }
                node.status({ fill: 'red', shape: 'ring', text: t('status.db-error') });
                lastStatus = '';
                return;
            }
            core.connectionChanged(state === 'connected');
        };
        const events = config as unknown as EventEmitter;
        events.on('state', onState);
        config.register(node);

        // find or create the collection, once the database is reachable; retry until it works
        let prepareTimer: NodeJS.Timeout | null = null;
        // Preparation goes on while the node closes (until its flush ends): readings that came
        // before the collection was ready are still written by the close flush.
        let stopped = false;
        let preparing = false;
        const prepare = async (attempt: number): Promise<void> => {
            prepareTimer = null;
            if (stopped || preparing || core.mode !== null) return;
            preparing = true;
            try {
                const db = await config.getDb();
                if (stopped) return;
                const { store, decision } = await prepareStore(db, settings);
                if (stopped) return;
                const retention = settings.retentionS > 0 ? t('log.retention', { s: settings.retentionS }) : t('log.keep');
                if (decision.mode === 'native') {
                    node.log(t('log.native', { collection: settings.collection, time: decision.timeField, meta: decision.metaField, granularity: settings.granularity, retention, reason: decision.reason }));
                } else {
                    node.log(t('log.fallback', { collection: settings.collection, time: decision.timeField, meta: decision.metaField, retention, reason: scrub(decision.reason) }));
                }
                if (decision.timeField !== settings.timeField || decision.metaField !== settings.metaField) {
                    node.warn(t('log.fields-differ', { time: decision.timeField, meta: decision.metaField }));
                }
                core.setStore(store);
            } catch (err) {
                if (stopped) return;
                const delay = Math.min(PREPARE_RETRY_MAX_MS, 500 * Math.pow(2, Math.min(attempt, 10)));
                if (attempt === 0 || attempt % 10 === 0) node.warn(t('log.prepare-failed', { error: scrub(err), ms: delay }));
                if ((err as { transient?: boolean }).transient === false) {
                    // e.g. the collection is a view, or the user may not create it: say so in red
                    node.status({ fill: 'red', shape: 'ring', text: t('status.db-error') });
                    lastStatus = '';
                }
                prepareTimer = setTimeout(() => void prepare(attempt + 1), closing ? Math.min(delay, 200) : delay);
            } finally {
                preparing = false;
            }
        };
        void prepare(0);

        node.on('input', (msg, send, done) => {
            const { mapped, errors } = mapPayload(msg.payload, settings, new Date());
            const total = mapped.length + errors.length;
            let refused: string | null = null;
            if (errors.length > 0) {
                core.countInvalid(errors.length);
                refused = t('errors.refused', { n: errors.length, total, first: errors[0].message })
                    + (errors.length > 1 ? ` (+${errors.length - 1})` : '');
            }
            if (mapped.length === 0) {
                done(new Error(refused || t('errors.empty')));
                return;
            }
            let released = false;
            const release = (problems: string[]): void => {
                if (released) return;
                released = true;
                if (problems.length) done(new Error(problems.join('; ')));
                else done();
            };
            core.accept(mapped, {
                onRelease: () => release(refused ? [refused] : []),
                onFinish: (r) => {
                    const problems = refused ? [refused] : [];
                    if (r.failures.length) {
                        problems.push(t('errors.not-stored', { n: r.failures.length, first: scrub(r.failures[0]) }));
                    }
                    if (emitOutput) {
                        const out = msg as typeof msg & { written: number; duplicates: number; dropped?: number };
                        out.written = r.written;
                        out.duplicates = r.duplicates;
                        if (r.dropped) out.dropped = r.dropped;
                        send(out);
                    }
                    if (released && r.failures.length) {
                        // done() already ran (safely buffered); report the later failure so Catch nodes see it
                        node.error(problems.join('; '), msg);
                    }
                    release(problems);
                },
            });
        });

        node.on('close', (_removed: boolean, done: () => void) => {
            closing = true;
            throttled.close();
            events.removeListener('state', onState);
            const held = core.pending;
            if (core.mode === null && held > 0 && prepareTimer) {
                // not prepared yet: try now rather than after the backoff
                clearTimeout(prepareTimer);
                void prepare(0);
            }
            const budget = core.isOnline || (core.mode === null && config.isConnected()) ? CLOSE_FLUSH_MS : CLOSE_FLUSH_OFFLINE_MS;
            core.close(budget).then(({ written, lost }) => {
                if (lost > 0) node.error(t('log.close-lost', { lost, held }));
                else if (written > 0) node.log(t('log.close-flushed', { n: written }));
            }, (err) => node.error(scrub(err))).finally(() => {
                stopped = true;
                if (prepareTimer) clearTimeout(prepareTimer);
                config.deregister(node);
                node.status({});
                done();
            });
        });
    }

    RED.nodes.registerType('picochain-mongo-ts', PicochainMongoTs as never);
};
