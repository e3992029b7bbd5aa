/**
 * picochain-alert Node-RED wrapper: wires the core engine to messages, a periodic tick, the node
 * context (state across restarts) and the status. All alert logic lives in core.ts.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { AlertEngine, AlertEvent, AlertStatus, AckSelector, AlertInputError, checkAlertReading, messageFor, summarise, validateOptions } from './core';
import { migrate, optionsFromConfig, STATE_KEY } from './options';
import type { Reading } from '../shared/reading';
import { ThrottledStatus, compactCount } from '../shared/node-status';
import { toError } from '../shared/errors';
import { translator } from '../shared/catalog';

/** Longest tick interval; shorter when a configured duration is short (ms). */
const MAX_TICK_MS = 1000;
const MIN_TICK_MS = 50;
/** Messages held while the saved state is being read from the context store. */
const MAX_QUEUED = 1000;
/** Bounded wait for the final state save on close (the runtime gives up at 15 s). */
const CLOSE_SAVE_WAIT_MS = 3000;

type Send = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[]) => void;
type Done = (err?: Error) => void;

interface ContextLike {
    get(key: string, store: string | undefined, cb: (err: Error | undefined, value: unknown) => void): void;
    set(key: string, value: unknown, store: string | undefined, cb: (err?: Error) => void): void;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires

export = function (RED: NodeAPI) {
    /**
     * Last saved state per node id, kept in this process: Node-RED deletes a node's context on
     * every close when no context store is configured (runtime Node.close), so without this copy
     * a redeploy would forget firing alerts and announce them again.
     */
    const inProcess = new Map<string, unknown>();

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
        const options = optionsFromConfig(config);
        const problems = validateOptions(options);
        const store = config.store ? String(config.store) : undefined;
        const status = new ThrottledStatus(node);
        const ctx = node.context() as unknown as ContextLike;
        const engine = new AlertEngine(options);
        let errors = 0;
        let ready = false;
        let closing = false;
        let dirty = false;
        let queued: [NodeMessageInFlow, Send, Done][] = [];
        let timer: ReturnType<typeof setInterval> | null = null;

        if (problems.length) {
            const text = problems.map((p) => t(`errors.${p.key}`, p.args ?? {})).join('; ');
            node.error(t('errors.invalid-config', { reason: text }));
            status.set({ fill: 'red', shape: 'ring', text: t('status.invalid') });
            node.on('input', (_msg: NodeMessageInFlow, _send: Send, done: Done) => done(new Error(t('errors.invalid-config', { reason: text }))));
            node.on('close', (_removed: boolean, done: () => void) => { status.close(); done(); });
            return;
        }

        function showStatus(): void {
            const c = engine.counts();
            const bad = errors ? t('status.bad', { count: compactCount(errors) }) : '';
            if (c.firing) status.set({ fill: 'red', shape: 'ring', text: t('status.firing', { count: compactCount(c.firing) }) + bad });
            else if (c.pending) status.set({ fill: 'yellow', shape: 'ring', text: t('status.pending', { count: compactCount(c.pending) }) + bad });
            else status.set({ fill: 'green', shape: 'dot', text: t('status.ok') + bad });
        }

        function save(cb?: () => void): void {
            dirty = false;
            const state = engine.serialise(Date.now());
            inProcess.set(node.id, state);
            ctx.set(STATE_KEY, state, store, (err?: Error) => {
                if (err) node.warn(t('errors.save', { reason: err.message }));
                if (cb) cb();
            });
        }

        function eventMessages(events: AlertEvent[]): NodeMessage[] {
            return events.map((e) => {
                const message = describe(e);
                return { topic: message, payload: { ...e, message } } as NodeMessage;
            });
        }

        function emit(send: Send, events: AlertEvent[], second: NodeMessage | null): void {
            if (events.length) save();
            else dirty = true;
            if (events.length || second) send([events.length ? eventMessages(events) : null, second]);
            showStatus();
        }

        function onTick(): void {
            if (!ready || closing) return;
            const events = engine.tick(Date.now());
            if (events.length) emit((m) => node.send(m as NodeMessage[]), events, null);
            else if (dirty) save();
        }

        /** A device status message (birth / last will), or null when the message is not one. */
        function deviceStatusOf(msg: NodeMessageInFlow): { device: string; online: boolean } | null {
            const topic = typeof msg.topic === 'string' ? msg.topic : '';
            let p: unknown = msg.payload;
            if (Buffer.isBuffer(p)) p = p.toString('utf8');
            if (typeof p === 'string' && p.trim().startsWith('{')) {
                try { p = JSON.parse(p); } catch { /* not JSON: judged as text below */ }
            }
            const fromTopic = /\/status$/.test(topic) ? topic.split('/').slice(-2, -1)[0] : undefined;
            let state: unknown;
            let device: unknown = fromTopic;
            if (typeof p === 'string') {
                if (!fromTopic) return null;
                state = p.trim();
            } else if (p && typeof p === 'object' && !Array.isArray(p) && 'state' in p && !('sensor' in p)) {
                state = (p as Record<string, unknown>).state;
                device = (p as Record<string, unknown>).device ?? fromTopic;
            } else {
                return null;
            }
            if (state !== 'online' && state !== 'offline') {
                throw new AlertInputError(`device status must be "online" or "offline", got ${JSON.stringify(state)}`);
            }
            if (typeof device !== 'string' || !device) throw new AlertInputError('device status without a device (payload.device or topic …/<device>/status)');
            return { device, online: state === 'online' };
        }

        function ackSelector(p: unknown): AckSelector {
            if (typeof p === 'string' && p) return { id: p };
            if (p && typeof p === 'object') return p as AckSelector;
            throw new AlertInputError('ack needs msg.payload = alert id, {id} or {device, sensor?, rule?}');
        }

        function handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
            const now = Date.now();
            const topic = typeof msg.topic === 'string' ? msg.topic : '';
            if (topic === 'ack') {
                const events = engine.ack(ackSelector(msg.payload), now);
                if (!events.length) node.warn(t('warn.no-match', { selector: JSON.stringify(msg.payload) }));
                emit(send, events, null);
                return done();
            }
            if (topic === 'reset') {
                const p = msg.payload as { device?: unknown } | undefined;
                engine.reset(p && typeof p === 'object' && typeof p.device === 'string' ? p.device : undefined);
                save();
                showStatus();
                return done();
            }
            if (topic === 'status') {
                const active = engine.active();
                send([null, { topic: 'status', payload: active, alert: { ...summarise(active), counts: engine.counts() } } as NodeMessage]);
                return done();
            }
            const ds = deviceStatusOf(msg);
            if (ds) {
                emit(send, engine.deviceStatus(ds.device, ds.online, now), null);
                return done();
            }
            const list = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
            if (!list.length) throw new AlertInputError('empty array of readings');
            // Check the whole batch first: a bad element sends nothing on and changes no state.
            const readings: Reading[] = list.map((r, i) => checkAlertReading(r, now, Array.isArray(msg.payload) ? `payload[${i}]` : 'payload'));
            const events: AlertEvent[] = [];
            for (const r of readings) events.push(...engine.ingest(r, now));
            let state: AlertStatus;
            if (readings.length === 1) {
                state = engine.statusOf(readings[0].device, readings[0].sensor);
            } else {
                const seen = new Map<string, AlertStatus['active'][number]>();
                for (const r of readings) for (const a of engine.statusOf(r.device, r.sensor).active) seen.set(a.id, a);
                state = summarise([...seen.values()]);
            }
            (msg as NodeMessageInFlow & { alert: AlertStatus }).alert = state;
            emit(send, events, msg as NodeMessage);
            done();
        }

        function processMsg(msg: NodeMessageInFlow, send: Send, done: Done): void {
            try {
                handle(msg, send, done);
            } catch (e) {
                errors++;
                showStatus();
                done(toError(e));
            }
        }

        node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
            if (ready) return processMsg(msg, send, done);
            if (queued.length >= MAX_QUEUED) {
                errors++;
                return done(new Error(t('errors.queue-full', { count: MAX_QUEUED })));
            }
            queued.push([msg, send, done]);
        });

        ctx.get(STATE_KEY, store, (err: Error | undefined, fromStore: unknown) => {
            if (closing) return;
            if (err) node.warn(t('errors.load', { reason: err.message }));
            const saved = fromStore ?? inProcess.get(node.id);
            if (saved !== undefined && !engine.restore(saved, Date.now())) node.warn(t('errors.load', { reason: 'unrecognised saved state' }));
            ready = true;
            const pruned = engine.pruneUnconfigured(Date.now());
            if (pruned.length) emit((m) => node.send(m as NodeMessage[]), pruned, null);
            const waiting = queued;
            queued = [];
            for (const [m, s, d] of waiting) processMsg(m, s, d);
            showStatus();
        });

        const durations = [options.forS, options.renotifyS, options.silentS].filter((d) => d > 0).map((d) => (d * 1000) / 4);
        const tickMs = Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, ...durations));
        timer = setInterval(onTick, tickMs);

        node.on('close', (removed: boolean, done: () => void) => {
            closing = true;
            if (timer) clearInterval(timer);
            timer = null;
            status.close();
            for (const [, , d] of queued) d();
            queued = [];
            if (removed) inProcess.delete(node.id);
            if (!ready) return done();
            // Save once more, but never let a slow store hold the redeploy.
            let finished = false;
            const finish = () => { if (!finished) { finished = true; clearTimeout(guard); done(); } };
            const guard = setTimeout(finish, CLOSE_SAVE_WAIT_MS);
            save(finish);
            if (removed) inProcess.delete(node.id);
        });
    }

    RED.nodes.registerType('picochain-alert', PicochainAlertNode);
};
