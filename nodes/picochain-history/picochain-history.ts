/**
 * picochain-history: Node-RED wrapper around core.ts. Reads a device's stored windows through a
 * picochain-mongo-config node (docs/ARCHITECTURE.md), buckets them on the server when it can
 * (MongoDB aggregation) or here after a projected find (FerretDB 1.x), and sends a chart on
 * output 1 and hourly statistics rows on output 2.
 */
import {
    Bucket, CHART_FORMATS, ChartFormat, DEFAULT_FIELDS, DocFields, HistoryError, HistoryRequest, MS_PER_HOUR, SeriesStat,
    bucketDocs, buildBucketPipeline, buildFilter, buildProjection, fromPipelineDocs, hourlyRows, isNotImplemented,
    parseRequest, parseStats, toChartPoints, toStoredWindow, toUiChart,
} from './core';
import type { EventEmitter } from 'events';
import { toError } from '../shared/errors';
import { translator } from '../shared/catalog';
import { migrate } from './migrations';
import type { ConnectionState, MongoConfigNode } from '../picochain-mongo-config/api';
import { HISTORY_LIMITS } from '../shared/rules';

/** Longest wait for the database before a request fails (ms). */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Most documents one fallback find reads: 24 h of 10 s raw frames for 4 sensors is ~35k. */
const MAX_DOCS = 200_000;

type Engine = 'auto' | 'aggregate' | 'find';

interface HistoryConfig {
    id: string;
    name?: string;
    mongo: string;
    collection?: string;
    timeField?: string;
    metaField?: string;
    device?: string;
    sensor?: string;
    range?: string;
    maxPoints?: number | string;
    stats?: string;
    format?: ChartFormat;
    engine?: Engine;
    hourly?: boolean;
    timeout?: number | string;
}

/** The part of the config node's runtime API (picochain-mongo-config/api.ts) the history uses. */
type MongoConfigApi = Pick<MongoConfigNode, 'register' | 'deregister' | 'getDb' | 'state'> & Pick<EventEmitter, 'on' | 'removeListener'>;

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
        p.finally(() => clearTimeout(timer)),
        new Promise<T>((_, reject) => { timer = setTimeout(() => reject(onTimeout()), ms); }),
    ]);
}

export = function (RED: any) {
    function PicochainHistoryNode(this: any, saved: HistoryConfig) {
        RED.nodes.createNode(this, saved);
        const config = migrate(saved as unknown as Record<string, unknown>) as unknown as HistoryConfig;
        const node = this;
        const mongo: MongoConfigApi | null = RED.nodes.getNode(config.mongo);
        const fields: DocFields = { timeField: config.timeField || DEFAULT_FIELDS.timeField, metaField: config.metaField || DEFAULT_FIELDS.metaField };
        const collection = config.collection || 'readings';
        const format: ChartFormat = CHART_FORMATS.includes(config.format as ChartFormat) ? config.format as ChartFormat : 'ui_chart';
        const timeoutMs = Number(config.timeout) > 0 && Number(config.timeout) <= HISTORY_LIMITS.maxTimeoutS ? Number(config.timeout) * 1000 : DEFAULT_TIMEOUT_MS;
        const hourly = config.hourly !== false;
        let engine: Engine = config.engine === 'aggregate' || config.engine === 'find' ? config.engine : 'auto';
        let closing = false;
        let stats: SeriesStat[];
        try {
            stats = parseStats(config.stats || 'mean,min,max');
        } catch {
            stats = ['mean', 'min', 'max'];
        }

        const defaults = {
            device: config.device || undefined,
            sensor: config.sensor || undefined,
            range: config.range || '24h',
            maxPoints: Number(config.maxPoints) || 300,
        };
        // the runtime's catalog may be missing (e.g. in the test helper): translator falls back to en-US
        const t = translator(RED._, __dirname, 'picochain-history');
        const statLabel = (s: SeriesStat): string => t(`stat.${s}`);
        const status = (fill: string, shape: string, key: string, params?: Record<string, string | number>): void => {
            node.status({ fill, shape, text: t(`status.${key}`, params) });
        };
        // until the first request, the status follows the database connection
        const onState = (state: ConnectionState): void => {
            if (state === 'connected') status('green', 'ring', 'ready');
            else if (state === 'error') status('red', 'ring', 'db-error');
            else status('yellow', 'ring', state === 'connecting' ? 'connecting' : 'no-database');
        };

        if (!mongo) {
            status('red', 'ring', 'no-config');
        } else {
            mongo.on('state', onState);
            mongo.register(node);
            onState(mongo.state());
        }

        /**
         * Buckets of `bucketMs` for the request, plus hourly ones when `hourly`: two aggregations on
         * a server that has them, else one projected find bucketed twice here.
         */
        async function query(req: HistoryRequest, withHourly: boolean): Promise<{ buckets: Bucket[]; hours: Bucket[] }> {
            const db = await withTimeout((mongo as MongoConfigApi).getDb(), timeoutMs,
                () => new HistoryError('no-database', t('errors.no-database', { s: timeoutMs / 1000 })));
            const col = db.collection(collection);
            if (engine !== 'find') {
                try {
                    const agg = async (bucketMs: number) => fromPipelineDocs(await col.aggregate(buildBucketPipeline({ ...req, bucketMs }, fields), { maxTimeMS: timeoutMs, allowDiskUse: true }).toArray());
                    const buckets = await agg(req.bucketMs);
                    const hours = !withHourly ? [] : req.bucketMs === MS_PER_HOUR ? buckets : await agg(MS_PER_HOUR);
                    if (engine === 'auto') engine = 'aggregate';
                    return { buckets, hours };
                } catch (e) {
                    if (engine === 'aggregate' || !isNotImplemented(e)) throw e;
                    // FerretDB 1.x: remember, and bucket here from now on
                    engine = 'find';
                    node.log(t('log.fallback'));
                }
            }
            const docs = await col.find(buildFilter(req, fields), { projection: buildProjection(fields), maxTimeMS: timeoutMs })
                .sort({ [fields.timeField]: 1 }).limit(MAX_DOCS).toArray();
            if (docs.length >= MAX_DOCS) node.warn(t('warn.truncated', { n: MAX_DOCS }));
            const windows = docs.map((d) => toStoredWindow(d, fields)).filter((w): w is NonNullable<typeof w> => w !== null);
            return { buckets: bucketDocs(windows, req.bucketMs), hours: withHourly ? bucketDocs(windows, MS_PER_HOUR) : [] };
        }

        node.on('input', async (msg: any, send: (m: any) => void, done: (err?: Error) => void) => {
            if (!mongo) {
                done(new Error(t('errors.no-config')));
                return;
            }
            const input: Record<string, unknown> = msg.payload !== null && typeof msg.payload === 'object' && !Array.isArray(msg.payload) && !(msg.payload instanceof Date)
                ? { ...msg.payload }
                : {};
            for (const k of ['device', 'sensor', 'range', 'from', 'to', 'bucket', 'maxPoints']) {
                if (input[k] === undefined && msg[k] !== undefined) input[k] = msg[k];
            }
            if (input.device === undefined && typeof msg.payload === 'string' && msg.payload !== '') input.device = msg.payload;
            status('blue', 'dot', 'reading');
            try {
                const req = parseRequest(input, defaults);
                const reqStats = input.stats !== undefined ? parseStats(input.stats) : stats;
                const started = Date.now();
                const { buckets, hours } = await query(req, hourly);
                if (closing) { done(); return; }
                const fmt = CHART_FORMATS.includes(msg.format) ? msg.format as ChartFormat : format;
                const chartOpts = { device: req.device, stats: reqStats, label: (s: string, st: SeriesStat) => `${s} ${statLabel(st)}` };
                const meta = {
                    device: req.device, sensor: req.sensor, from: new Date(req.from), to: new Date(req.to),
                    bucketMs: req.bucketMs, buckets: buckets.length, engine, ms: Date.now() - started,
                };
                const chartMsg = RED.util.cloneMessage(msg);
                chartMsg.topic = req.device;
                chartMsg.history = meta;
                if (fmt === 'ui_chart') chartMsg.payload = toUiChart(buckets, chartOpts);
                else if (fmt === 'points') { chartMsg.payload = toChartPoints(buckets, chartOpts); chartMsg.action = 'replace'; }
                else chartMsg.payload = buckets;
                const out2 = hourly ? { topic: req.device, history: meta, payload: hourlyRows(hours, req.device) } : null;
                send([chartMsg, out2]);
                status('green', 'dot', 'done', { n: buckets.length, engine: engine === 'find' ? 'find' : 'agg' });
                done();
            } catch (e) {
                const err = toError(e);
                if (e instanceof HistoryError) {
                    status('yellow', 'ring', e.code === 'no-database' ? 'no-database' : 'bad-request');
                } else {
                    status('red', 'ring', 'failed');
                }
                done(err);
            }
        });

        node.on('close', (_removed: boolean, done: () => void) => {
            closing = true;
            // the config node may or may not take a callback: give it a no-op and finish here
            if (mongo) {
                mongo.removeListener('state', onState);
                mongo.deregister(node, () => undefined);
            }
            done();
        });
    }

    RED.nodes.registerType('picochain-history', PicochainHistoryNode);
};
