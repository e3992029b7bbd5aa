/**
 * picochain-devices Node-RED wrapper: the device registry (core.ts) kept in a MongoDB collection
 * through a picochain-mongo-config node. Annotates readings with msg.cabinet, takes assignments,
 * and sends the device list on output 2 whenever it changes. Only the changed device's document
 * is written; writes wait (in order) while the database is unreachable.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { Collection, Document } from 'mongodb';
import { Assignment, Change, Registry, RegistryError, listed, toDoc } from './core';
import type { MongoConfigNode } from '../picochain-mongo-config/api';
import { ThrottledStatus, compactCount } from '../shared/node-status';
import { GATE_MAX_QUEUED, InputGate } from '../shared/input-gate';
import { toError } from '../shared/errors';
import { translator } from '../shared/catalog';

/** Node context key of the last known registry: readings are annotated before the database answers. */
const CACHE_KEY = 'picochainDevices';
/** Node context key of assignments not yet written when the node closed (written at the next start). */
const PENDING_KEY = 'picochainDevicesPending';
/**
 * New devices and sensors change the registry, and each change sends the whole list (output 2).
 * A burst of new boards (a fleet's first start, a replayed backlog) changes it with nearly every
 * reading: the list then goes out at once and afterwards at most this often, the last one always.
 */
const LIST_EVERY_MS = 1000;
/** Date fields of a change, revived after a trip through a context store. */
const DATE_FIELDS = ['firstSeen', 'updatedAt', 'assignedAt'];
/** Readings held until the registry is known; after this wait they go on unannotated (ms). */
const READY_WAIT_MS = 10000;
/** Writes waiting for the database, at most (the oldest learned-sensor writes are dropped first). */
const MAX_PENDING = 10000;
const RETRY_MS = 5000;
const CLOSE_WAIT_MS = 3000;

type Send = (msg: NodeMessage | (NodeMessage | null)[]) => void;
type Done = (err?: Error) => void;
type MongoApi = Pick<MongoConfigNode, 'register' | 'deregister' | 'getDb' | 'redact'>;
interface Pending { change: Change; assign: boolean }
interface Config { name?: string; mongo: string; collection?: string; reload?: string | number }
interface ContextLike {
    get(key: string, cb: (err: Error | undefined, value: unknown) => void): void;
    set(key: string, value: unknown, cb: (err?: Error) => void): void;
}

/** The MongoDB operation of one change: upserts, so a document seeded or edited elsewhere is not clobbered. */
async function write(col: Collection<Document>, c: Change): Promise<void> {
    if (c.op === 'delete') { await col.deleteOne({ _id: c.device } as Document); return; }
    if (c.op === 'insert') {
        const { _id, ...doc } = c.doc;
        void _id;
        // a device first seen: recorded unless the document exists (seeded, or written by another instance)
        await col.updateOne({ _id: c.device } as Document, { $setOnInsert: doc }, { upsert: true });
        return;
    }
    await col.updateOne({ _id: c.device } as Document, { $set: c.set }, { upsert: true });
}

function isReading(r: unknown): r is { device: string; sensor: string; unit: string | null; source: string } {
    return !!r && typeof r === 'object' && !Array.isArray(r) && typeof (r as { device?: unknown }).device === 'string' && typeof (r as { sensor?: unknown }).sensor === 'string';
}

export = function (RED: NodeAPI) {
    const t = translator(RED._, __dirname, 'picochain-devices');

    function PicochainDevicesNode(this: Node, def: NodeDef & Config) {
        RED.nodes.createNode(this, def);
        const node = this;
        const mongo = RED.nodes.getNode(def.mongo) as unknown as MongoApi | null;
        const collection = String(def.collection || 'devices');
        const reloadMs = Math.max(0, Number(def.reload ?? 60)) * 1000;
        const registry = new Registry();
        const status = new ThrottledStatus(node);
        const ctx = node.context() as unknown as ContextLike;
        let closing = false;
        let errors = 0;
        let dbDown = false;
        let pending: Pending[] = [];
        let writing: Promise<void> | null = null;
        let refresh: () => Promise<void> = () => Promise.resolve();
        const timers: ReturnType<typeof setTimeout>[] = [];

        function showStatus(): void {
            const text = t('status.devices', { count: compactCount(registry.size), unassigned: compactCount(registry.unassigned()) })
                + (pending.length ? t('status.pending', { count: compactCount(pending.length) }) : '') + (errors ? t('status.bad', { count: compactCount(errors) }) : '');
            status.set({ fill: dbDown ? 'yellow' : registry.unassigned() ? 'blue' : 'green', shape: dbDown ? 'ring' : 'dot', text });
        }

        function listMessage(changed?: string): NodeMessage {
            return { topic: 'devices', payload: registry.list().map(listed), ...(changed ? { device: changed } : {}) } as NodeMessage;
        }

        let listTimer: ReturnType<typeof setTimeout> | null = null;
        let listOwed = false;
        /** The list after devices or sensors were learned: at once, then at most every LIST_EVERY_MS. */
        function listSoon(): void {
            if (listTimer !== null) { listOwed = true; return; }
            node.send([null, listMessage()]);
            listTimer = setTimeout(() => {
                listTimer = null;
                if (listOwed && !closing) { listOwed = false; listSoon(); }
            }, LIST_EVERY_MS);
        }

        function cache(): void {
            ctx.set(CACHE_KEY, registry.list().map(toDoc), () => undefined);
        }

        function revive(c: Change): Change {
            const fix = (o: Record<string, unknown>) => { for (const k of DATE_FIELDS) if (typeof o[k] === 'string') o[k] = new Date(o[k] as string); return o; };
            if (c.op === 'insert') fix(c.doc);
            if (c.op === 'set') fix(c.set);
            return c;
        }

        async function collectionOf(): Promise<Collection<Document>> {
            return (await (mongo as MongoApi).getDb()).collection(collection);
        }

        /** Writes the queued changes in order; on a failure waits RETRY_MS and goes on. */
        function flush(): Promise<void> {
            if (writing || !mongo || !pending.length) return writing ?? Promise.resolve();
            writing = (async () => {
                while (pending.length && !closing) {
                    try {
                        await write(await collectionOf(), pending[0].change);
                        pending.shift();
                        dbDown = false;
                    } catch (e) {
                        if (closing) break;
                        if (!dbDown) node.warn(t('warn.write', { reason: mongo.redact(toError(e).message) }));
                        dbDown = true;
                        showStatus();
                        await new Promise((r) => timers.push(setTimeout(r, RETRY_MS)));
                    }
                }
            })().finally(() => { writing = null; showStatus(); });
            return writing;
        }

        function record(change: Change | null, assign: boolean): void {
            if (!change) return;
            pending.push({ change, assign });
            if (pending.length > MAX_PENDING) {
                const i = pending.findIndex((p) => !p.assign);
                pending.splice(i >= 0 ? i : 0, 1);
                errors++;
            }
            cache();
            void flush();
        }

        /** Reads the whole collection (a registry is small: one document per board) unless writes are waiting. */
        async function load(): Promise<void> {
            if (!mongo || pending.length) return;
            const col = await collectionOf();
            const docs = await col.find({}).toArray();
            if (closing || pending.length) return;
            const bad = registry.load(docs as Record<string, unknown>[]);
            if (bad) node.warn(t('warn.bad-docs', { count: bad, collection }));
            dbDown = false;
            cache();
        }

        function annotate(msg: NodeMessageInFlow, send: Send): void {
            const p = msg.payload as unknown;
            const list = Array.isArray(p) ? p : [p];
            if (!list.length || !list.every(isReading)) { send([msg as NodeMessage, null]); return; }
            const now = new Date();
            let changed = false;
            for (const r of list) {
                const c = registry.observe({ device: r.device, sensor: r.sensor, unit: r.unit ?? null, source: r.source as never }, now);
                if (c) { record(c, false); changed = true; }
            }
            const devices = [...new Set(list.map((r) => r.device))];
            const out: NodeMessage[] = devices.length === 1
                ? [Object.assign(msg, { cabinet: registry.cabinet(devices[0]) }) as NodeMessage]
                // an array from several devices goes on as one message per device, each with its own cabinet
                : devices.map((d) => ({ ...RED.util.cloneMessage(msg), payload: list.filter((r) => r.device === d), cabinet: registry.cabinet(d) }) as NodeMessage);
            for (const m of out) send([m, null]);
            if (changed) { listSoon(); showStatus(); }
        }

        function handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
            const topic = typeof msg.topic === 'string' ? msg.topic : '';
            if (topic === 'assign') {
                const a = msg.payload as Assignment;
                record(registry.assign(a, new Date()), true);
                send([null, listMessage(a.device)]);
                showStatus();
                return done();
            }
            if (topic === 'remove') {
                const device = msg.payload && typeof msg.payload === 'object' ? (msg.payload as { device?: unknown }).device : msg.payload;
                if (typeof device !== 'string') throw new RegistryError('bad-device', { device: String(device) });
                record(registry.remove(device), true);
                send([null, listMessage(device)]);
                showStatus();
                return done();
            }
            if (topic === 'list') {
                send([null, listMessage()]);
                return done();
            }
            annotate(msg, send);
            done();
        }

        const gate = new InputGate<NodeMessageInFlow, Send>(handle, GATE_MAX_QUEUED, () => new Error(t('errors.queue-full', { count: GATE_MAX_QUEUED })), (e, done) => {
            errors++;
            showStatus();
            done(e instanceof RegistryError ? new Error(t(`errors.${e.key}`, e.args)) : toError(e));
        }, (total) => node.warn(t('warn.gate-refused', { total, max: GATE_MAX_QUEUED })));
        node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => gate.input(msg, send, done));

        function becomeReady(): void {
            if (gate.isOpen || closing) return;
            gate.open();
            node.send([null, listMessage()]);
            showStatus();
        }

        if (!mongo) {
            status.set({ fill: 'red', shape: 'ring', text: t('status.no-config') });
            gate.open();
        } else {
            mongo.register(node);
            status.set({ fill: 'grey', shape: 'ring', text: t('status.loading') });
            ctx.get(PENDING_KEY, (err0, saved) => {
                if (!err0 && Array.isArray(saved) && saved.length) {
                    pending.unshift(...(saved as Change[]).map((c) => ({ change: revive(c), assign: true })));
                    ctx.set(PENDING_KEY, undefined, () => undefined);
                    void flush().then(() => refresh());
                }
            });
            ctx.get(CACHE_KEY, (err, cached) => {
                if (!err && Array.isArray(cached) && cached.length && !gate.isOpen) {
                    registry.load(cached as Record<string, unknown>[]);
                    becomeReady();
                }
            });
            timers.push(setTimeout(() => { if (!gate.isOpen) { dbDown = true; becomeReady(); } }, READY_WAIT_MS));
            refresh = () => load().then(() => {
                if (gate.isOpen) node.send([null, listMessage()]);
                becomeReady();
                showStatus();
            }, (e) => {
                if (!closing) { dbDown = true; node.warn(t('warn.load', { reason: mongo.redact(toError(e).message) })); showStatus(); }
            });
            void refresh();
            if (reloadMs > 0) {
                const every = setInterval(() => { if (gate.isOpen && !closing) void refresh(); }, reloadMs);
                timers.push(every as unknown as ReturnType<typeof setTimeout>);
            }
        }

        node.on('close', (_removed: boolean, done: () => void) => {
            closing = true;
            if (listTimer !== null) clearTimeout(listTimer);
            for (const x of timers) { clearTimeout(x); clearInterval(x as unknown as ReturnType<typeof setInterval>); }
            status.close();
            gate.drop();
            const end = () => { if (mongo) mongo.deregister(node, () => undefined); done(); };
            // assignments not written yet are written at the next start; learned sensors are learned again
            const keep = pending.filter((p) => p.assign).map((p) => p.change);
            if (keep.length) ctx.set(PENDING_KEY, keep, () => undefined);
            if (!writing) return end();
            let finished = false;
            const finish = () => { if (!finished) { finished = true; clearTimeout(guard); end(); } };
            const guard = setTimeout(finish, CLOSE_WAIT_MS);
            writing.then(finish, finish);
            pending = [];
        });
    }

    RED.nodes.registerType('picochain-devices', PicochainDevicesNode);
};
