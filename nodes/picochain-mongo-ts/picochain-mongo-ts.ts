/**
 * picochain-mongo-ts: stores picochain readings in MongoDB, as a native time-series collection
 * where the server has them and as a regular indexed collection elsewhere (FerretDB 1.x), through
 * a disk spool so that no reading a message was acknowledged for is lost.
 * Thin wrapper: core.ts spools, batches and writes, spool.ts keeps the disk log, store.ts talks to
 * the driver, mode.ts decides the collection kind.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { nodeLogSink } from '../shared/node-log';
import type { EventEmitter } from 'events';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { MongoConfigNode } from '../picochain-mongo-config/api';
import { BatchReport, errorText, Held, WriterCore, WriterStatus } from './core';
import { mapPayload } from './document';
import { parseWriterSettings, WriterDefProps } from './settings';
import { prepareStore } from './store';
import { Spool } from './spool';
import { migrate } from './migrations';
import { compactCount, STATUS_INTERVAL_MS, ThrottledStatus } from '../shared/node-status';
import { translator } from '../shared/catalog';
import { Backoff } from '../shared/backoff';
import { claimReadings, settleReadings } from '../shared/delivery';

interface WriterDef extends NodeDef, WriterDefProps {
    mongo: string;
    outputs?: number;
}

// With the database reachable at close, a few seconds to write what the spool holds: the
// config node still needs time to close the client within the runtime's 15 s.
const CLOSE_DRAIN_MS = 5000;
const PREPARE_RETRY_MIN_MS = 500;
const PREPARE_RETRY_MAX_MS = 10000;

/** Where a writer keeps its spool: as configured (relative to the user directory, ~ = home), else <userDir>/picochain-spool/<node id>. */
function spoolDirectory(configured: string, userDir: string | undefined, nodeId: string): string {
    if (configured === '~' || configured.startsWith('~/')) return path.join(os.homedir(), configured.slice(1));
    if (configured) return path.resolve(userDir || process.cwd(), configured);
    // Node-RED always has a user directory (~/.node-red by default); only a test harness runs
    // without one: a directory of this process then, so two runs never share a spool
    const base = userDir || path.join(os.tmpdir(), `picochain-spool-${process.pid}`);
    return path.join(base, ...(userDir ? ['picochain-spool'] : []), nodeId.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

export = function (RED: NodeAPI): void {
    function PicochainMongoTs(this: Node, original: WriterDef): void {
        RED.nodes.createNode(this, original);
        const def = migrate(original as unknown as Record<string, unknown>) as unknown as WriterDef;
        const node = this;
        const t = translator(RED._, __dirname, 'picochain-mongo-ts');
        const config = RED.nodes.getNode(def.mongo) as MongoConfigNode | null;
        const parsed = parseWriterSettings(def);
        let setupError = !config ? t('errors.no-config') : parsed.error ? t('errors.invalid', { problem: parsed.error }) : null;
        const settings = parsed.settings;
        const emitOutput = Number(def.outputs ?? 1) > 0;
        const scrub = (text: unknown): string => (config ? config.redact(errorText(text)) : errorText(text));
        let closing = false;

        // status, throttled (spooled N changes with every message); unchanged texts are not resent
        const throttled = new ThrottledStatus(node);
        let lastStatus = '';
        // translated only when the throttle applies it: the status changes with every batch
        const applyStatus = (s: WriterStatus): void => throttled.set(() => {
            const params: Record<string, string | number> = { ...s.params };
            for (const [k, v] of Object.entries(params)) if (typeof v === 'number') params[k] = compactCount(v);
            if (typeof params.mode === 'string') params.mode = t(`mode.${params.mode}`);
            // refused credentials or TLS: red with the reason, whatever the spool does meanwhile
            const reason = config && config.state() === 'error' && typeof config.failure === 'function' ? config.failure() : '';
            const held = reason && s.key.startsWith('spooled') ? params.n : undefined;
            const text = !reason ? t(`status.${s.key}`, params) : held !== undefined ? t('status.db-refused-n', { reason, n: held }) : t('status.db-refused', { reason });
            const fill = reason ? 'red' : s.fill;
            const shape = reason ? 'ring' : s.shape;
            const key = `${fill}|${shape}|${text}`;
            if (key === lastStatus) return null;
            lastStatus = key;
            return { fill, shape, text };
        });
        // the core reports a status per message: a new kind of status is shown at once, new counts
        // of the same kind at most every STATUS_INTERVAL_MS (translated only then)
        let latest: WriterStatus | null = null;
        let latestKind = '';
        let statusTimer: NodeJS.Timeout | null = null;
        const onStatus = (s: WriterStatus): void => {
            if (closing) return;
            const kind = `${s.fill}|${s.shape}|${s.key}`;
            latest = s;
            if (kind !== latestKind) {
                latestKind = kind;
                applyStatus(s);
                return;
            }
            if (statusTimer === null) {
                statusTimer = setTimeout(() => {
                    statusTimer = null;
                    if (latest && !closing) applyStatus(latest);
                }, STATUS_INTERVAL_MS);
            }
        };

        let core: WriterCore | null = null;
        let spoolDir = '';
        if (!setupError && settings && config) {
            spoolDir = spoolDirectory(settings.spoolDir, (RED.settings as { userDir?: string }).userDir, node.id);
            const spool = new Spool<Held>({ dir: spoolDir, maxBytes: settings.spoolMaxBytes });
            core = new WriterCore(settings, spool, {
                onStatus,
                log: nodeLogSink(node, scrub),
                onBatch: (r: BatchReport) => { if (emitOutput) node.send({ topic: 'stored', payload: r }); },
            });
            try {
                const found = core.open();
                if (found.records > 0) node.log(t('log.replay', { n: found.records, dir: spoolDir }));
                if (found.cutBytes > 0) node.warn(t('log.spool-cut', { bytes: found.cutBytes, dir: spoolDir }));
                for (const file of found.setAside) node.warn(t('log.spool-set-aside', { file }));
            } catch (err) {
                setupError = t('errors.spool', { dir: spoolDir, error: errorText(err) });
                core = null;
            }
        }
        if (setupError || !core || !settings || !config) {
            const why = setupError || 'invalid settings';
            node.error(why);
            node.status({ fill: 'red', shape: 'ring', text: t(setupError && spoolDir ? 'status.spool-error' : 'status.invalid') });
            node.on('input', (_msg, _send, done) => done(new Error(why)));
            return;
        }
        const writer = core;
        applyStatus(writer.status());
        // read-only view for tests and debugging: counters, mode, readings held
        (node as Node & { stats?: () => unknown }).stats = () => ({
            ...writer.counters, mode: writer.mode, pending: writer.pending, spooled: writer.spooled, waiting: writer.waitingForRoom,
            full: writer.isFull, online: writer.isOnline, spoolDir,
        });

        const onState = (state: string): void => {
            if (closing) return;
            if (state === 'error') {
                if (typeof config.failure === 'function' && config.failure()) { applyStatus(writer.status()); return; }
                node.status({ fill: 'red', shape: 'ring', text: t('status.db-error') });
                lastStatus = '';
                return;
            }
            writer.connectionChanged(state === 'connected');
        };
        const events = config as unknown as EventEmitter;
        events.on('state', onState);
        config.register(node);

        // find or create the collection, once the database is reachable; retry until it works
        let prepareTimer: NodeJS.Timeout | null = null;
        let stopped = false;
        let preparing = false;
        const prepareBackoff = new Backoff(PREPARE_RETRY_MIN_MS, PREPARE_RETRY_MAX_MS);
        const prepare = async (): Promise<void> => {
            prepareTimer = null;
            if (stopped || preparing || writer.mode !== null) return;
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
                    const kept = decision.indexes || [];
                    const indexes = kept.length ? t('log.indexes', { names: kept.join(', ') }) : t('log.no-index');
                    node.log(t('log.fallback', { collection: settings.collection, indexes, retention, reason: scrub(decision.reason) }));
                }
                if (decision.timeField !== settings.timeField || decision.metaField !== settings.metaField) {
                    node.warn(t('log.fields-differ', { time: decision.timeField, meta: decision.metaField }));
                }
                writer.setStore(store);
            } catch (err) {
                if (stopped) return;
                const attempt = prepareBackoff.attempts;
                const delay = prepareBackoff.next();
                if (attempt === 0 || attempt % 10 === 0) node.warn(t('log.prepare-failed', { error: scrub(err), ms: delay }));
                if ((err as { transient?: boolean }).transient === false) {
                    // e.g. the collection is a view, or the user may not create it: say so in red
                    node.status({ fill: 'red', shape: 'ring', text: t('status.db-error') });
                    lastStatus = '';
                }
                prepareTimer = setTimeout(() => void prepare(), delay);
            } finally {
                preparing = false;
            }
        };
        void prepare();

        node.on('input', (msg, _send, done) => {
            const delivery = (msg as { _delivery?: unknown })._delivery;
            const { mapped, errors } = mapPayload(msg.payload, settings, new Date());
            claimReadings(delivery, mapped.length + errors.length);
            let refused: string | null = null;
            if (errors.length > 0) {
                writer.countInvalid(errors.length);
                settleReadings(delivery, errors.length, errors.length);
                refused = t('errors.refused', { n: errors.length, total: mapped.length + errors.length, first: errors[0].message })
                    + (errors.length > 1 ? ` (+${errors.length - 1})` : '');
            }
            if (mapped.length === 0) {
                done(new Error(refused || t('errors.empty')));
                return;
            }
            // done() once every reading is durable in the spool (or refused): not before. Readings
            // the writer could not take (stopped, spool failed) are not settled: the broker keeps them.
            writer.accept(mapped, (r) => {
                settleReadings(delivery, r.durable + r.dropped + r.failures.length, r.dropped + r.failures.length);
                const problems = refused ? [refused] : [];
                if (r.failures.length) problems.push(t('errors.not-stored', { n: r.failures.length, first: scrub(r.failures[0]) }));
                if (r.untaken.length) problems.push(t('errors.not-stored', { n: r.untaken.length, first: scrub(r.untaken[0]) }));
                if (problems.length) done(new Error(problems.join('; ')));
                else done();
            });
        });

        node.on('close', (removed: boolean, done: () => void) => {
            closing = true;
            if (statusTimer) clearTimeout(statusTimer);
            throttled.close();
            events.removeListener('state', onState);
            writer.close(writer.isOnline ? CLOSE_DRAIN_MS : 0).then(({ written, spooled, refused }) => {
                if (refused > 0) node.warn(t('log.close-refused', { n: refused }));
                if (spooled > 0 && removed) node.warn(t('log.removed-spooled', { n: spooled, dir: spoolDir }));
                else if (spooled > 0) node.log(t('log.close-spooled', { n: spooled, dir: spoolDir }));
                else if (written > 0) node.log(t('log.close-flushed', { n: written }));
                // a deleted node's default spool folder goes with it once nothing is left in it
                if (removed && spooled === 0 && !settings.spoolDir) {
                    try { fs.rmSync(spoolDir, { recursive: true, force: true }); } catch { /* left for the user */ }
                }
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
