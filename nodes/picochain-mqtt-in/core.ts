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

export interface TrackerCounters {
    /** Messages acknowledged once every reading was durable. */
    stored: number;
    /** Messages acknowledged because no writer claimed them in time. */
    unclaimed: number;
}

/**
 * The open deliveries of one node, oldest first. `sweep(now)` completes those no writer holds
 * any more and nobody touched for `unclaimedMs`.
 */
export class DeliveryTracker {
    private readonly open: Delivery[] = [];
    readonly counters: TrackerCounters = { stored: 0, unclaimed: 0 };

    constructor(private readonly unclaimedMs: number) {}

    get size(): number { return this.open.length; }

    /** Opens a delivery whose completion calls `ack` (unless it was cancelled). */
    track(ack: () => void, now = Date.now()): Delivery {
        const d = openDelivery((_d: Delivery, outcome: DeliveryOutcome) => {
            if (outcome === 'cancelled') return;
            if (outcome === 'settled') this.counters.stored++;
            else this.counters.unclaimed++;
            ack();
        }, now);
        this.open.push(d);
        return d;
    }

    /** Completes stale unclaimed deliveries; drops finished ones from the front. Returns how many it completed. */
    sweep(now = Date.now()): number {
        let n = 0;
        for (const d of this.open) {
            if (d.done) continue;
            if (now - d.lastActivity < this.unclaimedMs) continue;
            // a writer still holds readings of it (e.g. its spool is full): keep waiting, that is back-pressure
            if (d.held > 0) continue;
            d.finish('unclaimed');
            n++;
        }
        let i = 0;
        while (i < this.open.length && this.open[i].done) i++;
        if (i > 0) this.open.splice(0, i);
        // finished deliveries further in do not pile up: compact now and then
        if (this.open.length > 1000 && this.open.some((d) => d.done)) {
            const keep = this.open.filter((d) => !d.done);
            this.open.length = 0;
            this.open.push(...keep);
        }
        return n;
    }
}
