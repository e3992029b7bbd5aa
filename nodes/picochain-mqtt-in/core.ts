/**
 * picochain-mqtt-in, apart from Node-RED: its settings, the message it sends for an MQTT message,
 * and the deliveries it waits for before a message is acknowledged to the broker
 * (nodes/shared/delivery.ts explains the token; nodes/picochain-broker/acks.ts the held PUBACKs).
 */
import { Delivery, DeliveryOutcome, openDelivery } from '../shared/delivery';
import { checkFilter, checkShareGroup } from '../picochain-broker/topic';

export type AckMode = 'stored' | 'received';
export type PayloadType = 'buffer' | 'utf8';

export interface MqttInSettings {
    topic: string;
    qos: 0 | 1;
    shareGroup: string;
    ack: AckMode;
    /** A message no writer claimed within this time is acknowledged anyway (ms). */
    unclaimedMs: number;
    payloadType: PayloadType;
}

export const DEFAULT_UNCLAIMED_S = 30;

export interface MqttInDefProps {
    topic?: unknown;
    qos?: unknown;
    shareGroup?: unknown;
    ack?: unknown;
    unclaimed?: unknown;
    datatype?: unknown;
}

/** The editor's properties → settings, or an error text naming the field. */
export function parseMqttInSettings(p: MqttInDefProps): { settings?: MqttInSettings; error?: string } {
    const topic = String(p.topic ?? '').trim();
    const topicProblem = checkFilter(topic);
    if (topicProblem) return { error: `topic: ${topicProblem}` };
    const qos = Number(p.qos ?? 1);
    if (qos !== 0 && qos !== 1) return { error: 'QoS: 0 or 1' };
    const shareGroup = String(p.shareGroup ?? '').trim();
    const groupProblem = checkShareGroup(shareGroup);
    if (groupProblem) return { error: `share group: ${groupProblem}` };
    const ack = String(p.ack || 'stored') as AckMode;
    if (ack !== 'stored' && ack !== 'received') return { error: 'acknowledge: "stored" or "received"' };
    const unclaimed = p.unclaimed === undefined || p.unclaimed === '' ? DEFAULT_UNCLAIMED_S : Number(p.unclaimed);
    if (!Number.isFinite(unclaimed) || unclaimed < 1 || unclaimed > 86400) return { error: 'unclaimed timeout: 1..86400 s' };
    const payloadType = String(p.datatype || 'buffer') as PayloadType;
    if (payloadType !== 'buffer' && payloadType !== 'utf8') return { error: 'payload: buffer or utf8' };
    return { settings: { topic, qos: qos as 0 | 1, shareGroup, ack, unclaimedMs: Math.round(unclaimed * 1000), payloadType } };
}

/** What Node-RED's mqtt in puts in a message, for the same MQTT message. */
export interface MqttInMessage {
    topic: string;
    payload: Buffer | string;
    qos: number;
    retain: boolean;
    _delivery?: string;
    contentType?: unknown;
    userProperties?: unknown;
    responseTopic?: unknown;
    correlationData?: unknown;
    messageExpiryInterval?: unknown;
}

export function toMessage(m: { topic: string; payload: Buffer; qos: number; retain: boolean; properties?: Record<string, unknown> }, payloadType: PayloadType): MqttInMessage {
    const msg: MqttInMessage = { topic: m.topic, payload: payloadType === 'utf8' ? m.payload.toString('utf8') : m.payload, qos: m.qos, retain: m.retain };
    const p = m.properties;
    if (p) {
        for (const k of ['contentType', 'userProperties', 'responseTopic', 'correlationData', 'messageExpiryInterval'] as const) {
            if (p[k] !== undefined) msg[k] = p[k];
        }
    }
    return msg;
}

/**
 * A shallow copy of a message for the flow. Object.assign, not `{ ...msg }`: on Node 20 (V8 11)
 * every property later added to an object made by spread takes V8's slow path (about 0.8 µs
 * each, new hidden classes to collect), and Node-RED and picochain-decode add nine to each
 * message: 8 µs a message; Node-RED's CPU for bench/pipeline.js's burst fell from 3.9 s to 3.1 s.
 */
export function copyMessage<M extends object>(msg: M): M {
    return Object.assign({}, msg);
}

export interface TrackerCounters {
    /** Messages acknowledged once every reading was durable. */
    stored: number;
    /** Messages acknowledged because no writer claimed them in time. */
    unclaimed: number;
    /** Messages sent into the flow again because no node took them (lost in a redeploy). */
    resent: number;
}

/** How many times a message nothing took is sent into the flow again before it is given up. */
export const MAX_RESENDS = 2;

/** An open delivery, the message it left with and how often it was sent again. */
interface Tracked<M> {
    d: Delivery;
    msg: M;
    resends: number;
}

/**
 * The open deliveries of one node, oldest first, with their messages. `sweep(now)` looks at those
 * no writer holds and nobody touched for `unclaimedMs`:
 * - a decoder saw it (it knows how many readings) but no writer took them: the flow sends them
 *   elsewhere; acknowledged ("unclaimed");
 * - no node said anything: the message was most likely dropped by Node-RED while the nodes after
 *   this one restarted (a redeploy); it is sent again (`resend`), at most MAX_RESENDS times, then
 *   acknowledged as unclaimed.
 */
export class DeliveryTracker<M = unknown> {
    private readonly open: Tracked<M>[] = [];
    readonly counters: TrackerCounters = { stored: 0, unclaimed: 0, resent: 0 };

    constructor(private readonly unclaimedMs: number) {}

    get size(): number { return this.open.length; }

    /** Opens a delivery for `msg` whose completion calls `ack`. */
    track(ack: () => void, msg: M, now = Date.now()): Delivery {
        const d = openDelivery((_d: Delivery, outcome: DeliveryOutcome) => {
            if (outcome === 'cancelled') return;
            if (outcome === 'settled') this.counters.stored++;
            else this.counters.unclaimed++;
            ack();
        }, now);
        this.open.push({ d, msg, resends: 0 });
        return d;
    }

    /**
     * Completes or resends stale deliveries (see the class comment); `resend(msg)` sends a message
     * again. Returns how many were acknowledged unclaimed.
     */
    /**
     * The node stops for a redeploy: deliveries no node after it ever saw (Node-RED drops messages
     * sent to nodes that are stopping) are closed without acknowledgement and their messages given
     * back, for the node that replaces this one. The others finish as their readings settle.
     */
    takeUntouched(): M[] {
        const out: M[] = [];
        for (const t of this.open) {
            if (t.d.done || t.d.expected !== null || t.d.claimed !== 0) continue;
            t.d.finish('cancelled');
            out.push(t.msg);
        }
        return out;
    }

    sweep(now = Date.now(), resend: (msg: M) => void = () => undefined): number {
        let n = 0;
        for (const t of this.open) {
            const d = t.d;
            if (d.done) continue;
            if (now - d.lastActivity < this.unclaimedMs) continue;
            // a writer still holds readings of it (e.g. its spool is full): keep waiting, that is back-pressure
            if (d.held > 0) continue;
            if (d.expected === null && d.claimed === 0 && t.resends < MAX_RESENDS) {
                t.resends++;
                this.counters.resent++;
                d.lastActivity = now;
                resend(t.msg);
                continue;
            }
            d.finish('unclaimed');
            n++;
        }
        let i = 0;
        while (i < this.open.length && this.open[i].d.done) i++;
        if (i > 0) this.open.splice(0, i);
        // finished deliveries further in do not pile up: compact now and then
        if (this.open.length > 1000 && this.open.some((t) => t.d.done)) {
            const keep = this.open.filter((t) => !t.d.done);
            this.open.length = 0;
            this.open.push(...keep);
        }
        return n;
    }
}
