/**
 * picochain-alert Node-RED wrapper: wires the core engine to messages, a periodic tick, the node
 * context (state across restarts, saved per changed device) and the status. All alert logic lives
 * in core.ts.
 */
import * as os from 'os';
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { AlertEngine, AlertEvent, AlertStatus, AckSelector, AlertInputError, CabinetInfo, DeviceState, messageFor, summarise, validateOptions } from './core';
import { migrate, optionsFromConfig, SAVE_BATCH, STATE_KEY, V1_STATE_KEY } from './options';
import { DeviceSnapshot, fromV1, isSnapshot } from './persist';
import { readingsOf, deviceStatusOf } from './input';
import type { MongoConfigNode } from '../picochain-mongo-config/api';
import { Op, SharedState } from './shared';
import { MongoSharedStore } from './mongo-state';
import { sharedSettings, SHARED_PRUNE_AGE_MS, SHARED_PRUNE_EVERY_MS, SHARED_REFRESH_MS } from './options';
import { ThrottledStatus, compactCount } from '../shared/node-status';
import { GATE_MAX_QUEUED, InputGate } from '../shared/input-gate';
import { toError } from '../shared/errors';
import { translator } from '../shared/catalog';

/** Longest tick interval; shorter when a configured duration is short (ms). */
const MAX_TICK_MS = 1000;
const MIN_TICK_MS = 50;
/** Changed devices are written to the context store at most this often (ms), SAVE_BATCH per tick. */
const SAVE_EVERY_MS = 1000;
/** Bounded wait for the final state save on close (the runtime gives up at 15 s). */
const CLOSE_SAVE_WAIT_MS = 3000;
/** Wait before reading the shared state again when the database did not answer at start (ms). */
const SHARED_RETRY_MS = 5000;

type Send = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[]) => void;
type Done = (err?: Error) => void;
type Snapshots = Map<string, DeviceSnapshot>;

interface ContextLike {
    get(key: string, store: string | undefined, cb: (err: Error | undefined, value: unknown) => void): void;
    set(key: string | string[], value: unknown, store: string | undefined, cb: (err?: Error) => void): void;
}

/** The context key of one device's snapshot (device ids outside [A-Za-z0-9_-] are encoded). */
function deviceKey(id: string): string {
    const safe = /^[A-Za-z0-9_-]{1,128}$/.test(id) ? id : `~${Buffer.from(id, 'utf8').toString('base64url')}`;
    return `${STATE_KEY}.devices["${safe}"]`;
}

/** What changes a device's line on a page (its last-seen time alone does not). */
const signature = (s: DeviceState): string => JSON.stringify([s.presence, s.state, s.severity, s.sensors]);

export = function (RED: NodeAPI) {
    /**
     * Last saved state per node id, kept in this process: Node-RED deletes a node's context on
     * every close when no context store is configured (runtime Node.close), so without this copy
     * a redeploy would forget firing alerts and announce them again.
     */
    const inProcess = new Map<string, Snapshots>();

    /** RED._ with the bundled en-US catalog as fallback (a test harness returns the key itself). */
    const t = translator(RED._, __dirname, 'picochain-alert');

    function describe(e: AlertEvent): string {
        const m = messageFor(e);
        const args = { ...m.args, severity: t(`severity.${e.severity}`), previous: e.previousSeverity ? t(`severity.${e.previousSeverity}`) : '' };
        return t(`message.${m.event}`, { ...args, text: t(`message.${m.condition}`, args) });
    }

    function PicochainAlertNode(this: Node, def: NodeDef & Record<string, unknown>) {
        RED.nodes.createNode(this, def);
        const node = this;
        const config = migrate(def);
        // shared between instances (a group name, ${VAR} allowed): state in MongoDB, late readings skipped
        const lookup = (name: string): string | undefined => {
            const v = RED.util.evaluateNodeProperty(name, 'env', node, {} as never);
            return v === undefined || v === null ? undefined : String(v);
        };
        const mongo = config.mongo ? RED.nodes.getNode(config.mongo) as unknown as MongoConfigNode | null : null;
        const sharing = sharedSettings(config, lookup, !!mongo);
        const options = { ...optionsFromConfig(config), skipLate: !!sharing.group };
        const problems = validateOptions(options);
        if (sharing.problem) problems.push(sharing.problem);
        const store = config.store ? String(config.store) : undefined;
        const status = new ThrottledStatus(node);
        const ctx = node.context() as unknown as ContextLike;
        const engine = new AlertEngine(options);
        const shown = new Map<string, string>(); // device → signature last sent on output 3
        let errors = 0;
        let closing = false;
        let statusDue = true;
        let lastSave = 0;
        let timer: ReturnType<typeof setInterval> | null = null;
        const timers: ReturnType<typeof setTimeout>[] = [];

        if (problems.length) {
            const reason = problems.map((p) => t(`errors.${p.key}`, p.args ?? {})).join('; ');
            node.error(t('errors.invalid-config', { reason }));
            status.set({ fill: 'red', shape: 'ring', text: t('status.invalid') });
            node.on('input', (_msg: NodeMessageInFlow, _send: Send, done: Done) => done(new Error(t('errors.invalid-config', { reason }))));
            node.on('close', (_removed: boolean, done: () => void) => { status.close(); done(); });
            return;
        }

        function showStatus(): void {
            statusDue = false;
            const c = engine.counts();
            const bad = errors ? t('status.bad', { count: compactCount(errors) }) : '';
            if (shared && (shared.isStoreDown || !sharedReady)) status.set({ fill: 'yellow', shape: 'ring', text: t('status.store-down', { count: compactCount(shared.pending) }) + bad });
            else if (c.firing) status.set({ fill: 'red', shape: 'ring', text: t('status.firing', { count: compactCount(c.firing) }) + bad });
            else if (c.pending) status.set({ fill: 'yellow', shape: 'ring', text: t('status.pending', { count: compactCount(c.pending) }) + bad });
            else status.set({ fill: 'green', shape: 'dot', text: t('status.ok') + bad });
        }

        /** Writes (up to `limit` of) the devices changed since the last save, each under its own key. */
        function save(cb?: () => void, limit = Infinity): void {
            lastSave = Date.now();
            const changed = engine.takeDirty(limit);
            if (!changed.size) { if (cb) cb(); return; }
            const mine = inProcess.get(node.id) ?? new Map<string, DeviceSnapshot>();
            inProcess.set(node.id, mine);
            const keys: string[] = [];
            const values: unknown[] = [];
            for (const [id, snap] of changed) {
                if (snap) mine.set(id, snap); else mine.delete(id);
                keys.push(deviceKey(id));
                values.push(snap ?? undefined);
            }
            ctx.set(keys, values, store, (err?: Error) => {
                if (err) node.warn(t('errors.save', { reason: err.message }));
                if (cb) cb();
            });
        }

        /** Device states whose page-visible part changed (`all`: every device, e.g. on start). */
        function deviceStates(devices: Iterable<string>, all = false): DeviceState[] {
            const out: DeviceState[] = [];
            for (const id of new Set(devices)) {
                const s = engine.deviceState(id);
                if (!s) { shown.delete(id); continue; }
                const sig = signature(s);
                if (!all && shown.get(id) === sig) continue;
                shown.set(id, sig);
                out.push(s);
            }
            return out;
        }

        function eventMessages(events: AlertEvent[]): NodeMessage[] {
            return events.map((e) => {
                const message = describe(e);
                return { topic: message, payload: { ...e, message } } as NodeMessage;
            });
        }

        function emit(send: Send, events: AlertEvent[], second: NodeMessage | null, touched: Iterable<string>): void {
            const states = deviceStates([...touched, ...events.map((e) => e.device)]);
            const third = states.length ? { topic: 'device-states', payload: states } as NodeMessage : null;
            if (events.length || second || third) send([events.length ? eventMessages(events) : null, second, third]);
            statusDue = true;
        }

        function onTick(): void {
            if (!gate.isOpen || closing) return;
            const now = Date.now();
            if (shared) return sharedTick(now);
            const events = engine.tick(now);
            if (events.length) emit((m) => node.send(m as NodeMessage[]), events, null, []);
            // more than a batch waiting (a whole fleet changed): the next batch at the next tick
            if (now - lastSave >= SAVE_EVERY_MS || engine.dirtyCount() > SAVE_BATCH) save(undefined, SAVE_BATCH);
            if (statusDue) showStatus();
        }

        function ackSelector(msg: NodeMessageInFlow): AckSelector {
            const p = msg.payload as unknown;
            if (typeof p === 'string' && p) return { id: p };
            if (p && typeof p === 'object' && !Array.isArray(p)) return p as AckSelector;
            throw new AlertInputError('ack needs msg.payload = alert id, {id} or {device, sensor?, rule?}, with an optional by');
        }

        function handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
            const now = Date.now();
            const topic = typeof msg.topic === 'string' ? msg.topic : '';
            // the status query answers from this copy; everything else changes the shared state
            if (shared && topic !== 'status') return handleShared(shared, msg, send, done);
            if (topic === 'ack') {
                const events = engine.ack(ackSelector(msg), now);
                if (!events.length) node.warn(t('warn.no-match', { selector: JSON.stringify(msg.payload) }));
                emit(send, events, null, []);
                return done();
            }
            if (topic === 'reset') {
                const p = msg.payload as { device?: unknown } | undefined;
                const device = p && typeof p === 'object' && typeof p.device === 'string' ? p.device : undefined;
                const gone = device === undefined ? engine.deviceIds() : [device];
                engine.reset(device);
                for (const id of gone) shown.delete(id);
                save();
                statusDue = true;
                return done();
            }
            if (topic === 'status') {
                const active = engine.active();
                send([null, { topic: 'status', payload: active, alert: { ...summarise(active), counts: engine.counts() } } as NodeMessage,
                    { topic: 'device-states', payload: deviceStates(engine.deviceIds(), true) } as NodeMessage]);
                return done();
            }
            const ds = deviceStatusOf(msg);
            if (ds) {
                emit(send, engine.deviceStatus(ds.device, ds.online, now), null, [ds.device]);
                return done();
            }
            const readings = readingsOf(msg.payload);
            const cabinet = (msg as { cabinet?: CabinetInfo }).cabinet;
            const info = cabinet && typeof cabinet === 'object' ? cabinet : null;
            const events: AlertEvent[] = [];
            // msg.cabinet describes one device: applied only to that device's readings
            for (const r of readings) events.push(...engine.ingest(r, now, info && (!info.device || info.device === r.device) ? info : null));
            (msg as NodeMessageInFlow & { alert: AlertStatus }).alert = alertState(readings);
            emit(send, events, msg as NodeMessage, readings.map((r) => r.device));
            done();
        }

        /** The alert state msg.alert carries for these readings (one sensor's, or the worst of several). */
        function alertState(readings: { device: string; sensor: string }[]): AlertStatus {
            if (readings.length === 1) return engine.statusOf(readings[0].device, readings[0].sensor);
            const seen = new Map<string, AlertStatus['active'][number]>();
            for (const r of readings) for (const a of engine.statusOf(r.device, r.sensor).active) seen.set(a.id, a);
            return summarise([...seen.values()]);
        }

        // ---- state shared with other instances (group set): every change is a revision in MongoDB ----
        const shared = sharing.group && mongo ? new SharedState(engine, new MongoSharedStore(async () => (await mongo.getDb()).collection(sharing.collection), sharing.group), {
            by: `${os.hostname()}:${process.pid}:${node.id}`,
            pruneAgeMs: SHARED_PRUNE_AGE_MS,
            onStoreError: (err) => {
                if (err) node.warn(t('errors.shared-store', { reason: mongo.redact(toError(err).message) }));
                statusDue = true;
            },
        }) : null;
        let sharedReady = false;
        let refreshedAt = 0;
        let lastPrune = Date.now();
        if (shared && mongo) mongo.register(node);

        /** Runs the operation on each device's latest shared state; resolves their events in order. */
        async function judge(state: SharedState, ops: [string, Op][]): Promise<AlertEvent[]> {
            const out = await Promise.all(ops.map(([device, op]) => state.run(device, op)));
            return out.flat();
        }

        function handleShared(state: SharedState, msg: NodeMessageInFlow, send: Send, done: Done): void {
            const topic = typeof msg.topic === 'string' ? msg.topic : '';
            const fail = (e: unknown) => { errors++; statusDue = true; done(toError(e)); };
            if (topic === 'ack') {
                const sel = ackSelector(msg);
                // an alert id starts with its device id (summary.ts newRecord)
                const device = typeof sel.device === 'string' ? sel.device : String(sel.id).split(':')[0];
                judge(state, [[device, (e) => e.ack(sel, Date.now())]]).then((events) => {
                    if (!events.length) node.warn(t('warn.no-match', { selector: JSON.stringify(msg.payload) }));
                    emit(send, events, null, []);
                    done();
                }, fail);
                return;
            }
            if (topic === 'reset') {
                const p = msg.payload as { device?: unknown } | undefined;
                const device = p && typeof p === 'object' && typeof p.device === 'string' ? p.device : undefined;
                const gone = device === undefined ? engine.deviceIds() : [device];
                judge(state, gone.map((id) => [id, (e) => { e.reset(id); return []; }])).then(() => {
                    for (const id of gone) shown.delete(id);
                    statusDue = true;
                    done();
                }, fail);
                return;
            }
            const ds = deviceStatusOf(msg);
            if (ds) {
                judge(state, [[ds.device, (e) => e.deviceStatus(ds.device, ds.online, Date.now())]]).then((events) => { emit(send, events, null, [ds.device]); done(); }, fail);
                return;
            }
            const readings = readingsOf(msg.payload);
            const cabinet = (msg as { cabinet?: CabinetInfo }).cabinet;
            const info = cabinet && typeof cabinet === 'object' ? cabinet : null;
            const byDevice = new Map<string, typeof readings>();
            for (const r of readings) {
                const id = r && typeof r === 'object' && typeof r.device === 'string' ? r.device : '';
                const list = byDevice.get(id);
                if (list) list.push(r); else byDevice.set(id, [r]);
            }
            const ops: [string, Op][] = [...byDevice].map(([id, list]) => [id, (e) => list.flatMap((r) => e.ingest(r, Date.now(), info && (!info.device || info.device === id) ? info : null))]);
            judge(state, ops).then((events) => {
                (msg as NodeMessageInFlow & { alert: AlertStatus }).alert = alertState(readings);
                emit(send, events, msg as NodeMessage, byDevice.keys());
                done();
            }, fail);
        }

        function sharedTick(now: number): void {
            const state = shared as SharedState;
            // silences and re-notifications due on this copy; each is judged again on the latest state
            for (const id of engine.dueDevices(now)) {
                if (state.busy(id)) continue;
                state.run(id, (e) => e.tickDevice(id, Date.now())).then((events) => {
                    if (events.length) emit((m) => node.send(m as NodeMessage[]), events, null, []);
                }, () => undefined);
            }
            if (now - refreshedAt >= SHARED_REFRESH_MS) {
                // what other instances wrote (with a margin for their clocks): their events go out
                // marked remote (pages show them; notifications are sent by the instance that wrote them)
                refreshedAt = now;
                state.refreshDue(SHARED_REFRESH_MS * 5).then((r) => {
                    if (!r) return; // the last one still runs
                    const { events, devices } = r;
                    if (closing || (!events.length && !devices.length)) return;
                    const remote = eventMessages(events).map((m) => ({ ...m, payload: { ...(m.payload as object), remote: true } }));
                    const states = deviceStates(devices);
                    if (remote.length || states.length) node.send([remote.length ? remote : null, null, states.length ? { topic: 'device-states', payload: states } as NodeMessage : null] as never);
                    statusDue = true;
                }, () => undefined);
            }
            if (now - lastPrune >= SHARED_PRUNE_EVERY_MS) {
                lastPrune = now;
                state.prune().catch(() => undefined);
            }
            if (statusDue) showStatus();
        }

        const gate = new InputGate<NodeMessageInFlow, Send>(handle, GATE_MAX_QUEUED, () => new Error(t('errors.queue-full', { count: GATE_MAX_QUEUED })), (e, done) => {
            errors++;
            statusDue = true;
            done(toError(e));
        }, (total) => node.warn(t('warn.gate-refused', { total, max: GATE_MAX_QUEUED })));
        node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => gate.input(msg, send, done));

        /** The saved devices: this version's per-device snapshots, else version 1's single state, else this process's copy. */
        function load(cb: (snaps: DeviceSnapshot[]) => void): void {
            ctx.get(STATE_KEY, store, (err: Error | undefined, saved: unknown) => {
                if (err) node.warn(t('errors.load', { reason: err.message }));
                const devices = saved && typeof saved === 'object' ? (saved as { devices?: Record<string, unknown> }).devices : undefined;
                if (devices && typeof devices === 'object') {
                    const all = Object.values(devices);
                    const good = all.filter(isSnapshot);
                    if (good.length < all.length) node.warn(t('errors.load', { reason: `${all.length - good.length} unrecognised device states` }));
                    return cb(good);
                }
                ctx.get(V1_STATE_KEY, store, (err1: Error | undefined, v1: unknown) => {
                    const converted = err1 || v1 === undefined ? null : fromV1(v1);
                    if (v1 !== undefined && !converted) node.warn(t('errors.load', { reason: 'unrecognised saved state' }));
                    if (converted) {
                        ctx.set(V1_STATE_KEY, undefined, store, () => undefined);
                        return cb(converted);
                    }
                    cb([...(inProcess.get(node.id)?.values() ?? [])]);
                });
            });
        }

        function started(): void {
            const now = Date.now();
            const pruned = shared ? [] : engine.pruneUnconfigured(now);
            // the pages learn every known device (presence, last seen, alerts) once at start
            const states = deviceStates(engine.deviceIds(), true);
            if (pruned.length || states.length) node.send([pruned.length ? eventMessages(pruned) : null, null, states.length ? { topic: 'device-states', payload: states } as NodeMessage : null]);
            gate.open();
            showStatus();
        }

        if (shared) {
            // every device's latest revision; while the database is away, tried again (the gate holds messages)
            const begin = (): void => {
                shared.start().then(() => {
                    if (closing) return;
                    sharedReady = true;
                    refreshedAt = Date.now();
                    // alerts no rule judges any more are resolved device by device, on the latest state
                    for (const id of new Set(engine.active().map((a) => a.device))) {
                        shared.run(id, (e) => e.pruneUnconfigured(Date.now(), id)).then((ev) => { if (ev.length) node.send([eventMessages(ev), null, null]); }, () => undefined);
                    }
                    started();
                }, (err) => {
                    if (closing) return;
                    node.warn(t('errors.shared-store', { reason: (mongo as MongoConfigNode).redact(toError(err).message) }));
                    showStatus();
                    timers.push(setTimeout(begin, SHARED_RETRY_MS));
                });
            };
            begin();
        } else {
            load((snaps) => {
                if (closing) return;
                engine.restore(snaps, Date.now());
                started();
            });
        }

        const durations = [options.renotifyS, options.silentS].filter((d) => d > 0).map((d) => (d * 1000) / 4);
        const tickMs = Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, ...durations));
        timer = setInterval(onTick, tickMs);

        node.on('close', (removed: boolean, done: () => void) => {
            closing = true;
            if (timer) clearInterval(timer);
            timer = null;
            status.close();
            gate.drop();
            for (const x of timers) clearTimeout(x);
            if (shared) {
                // every change is written as it happens: nothing to save
                shared.close();
                if (mongo) mongo.deregister(node, () => done()); else done();
                return;
            }
            if (!gate.isOpen) return done();
            // save once more, but never let a slow store hold the redeploy
            let finished = false;
            const finish = () => { if (!finished) { finished = true; clearTimeout(guard); done(); } };
            const guard = setTimeout(finish, CLOSE_SAVE_WAIT_MS);
            save(finish);
            if (removed) inProcess.delete(node.id);
        });
    }

    RED.nodes.registerType('picochain-alert', PicochainAlertNode);
};
