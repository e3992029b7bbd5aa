/**
 * One MQTT connection with a persistent session, shared by the picochain-mqtt-in nodes of a
 * picochain-broker config node. Apart from Node-RED (mqtt.js only):
 * - fixed client id, clean session off, MQTT 5 session expiry: messages published while
 *   Node-RED is away wait in the broker's session;
 * - every QoS 1 PUBACK is held (acks.ts) until the nodes that took the message say it is durable;
 * - MQTT 5 first, MQTT 3.1.1 when the broker refuses 5 (protocol "auto");
 * - refusals (bad password, not authorised) are reported with their reason and retried slowly;
 * - subscriptions are made again on every connect and dispatched by topic filter.
 */
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as net from 'net';
import * as mqtt from 'mqtt';
import { AckEntry, AckQueue } from './acks';
import { BrokerSettings, classifyFailure, FailureKind, redactSecrets } from './core';
import { subscriptionFilter, topicMatches } from './topic';
import { Backoff } from '../shared/backoff';
import type { LogLevel } from '../shared/node-log';

const noTrace = (): void => undefined;

export type BrokerState = 'connecting' | 'connected' | 'disconnected' | 'error';

/** What a subscriber gets for each message. `ack` is set for a QoS 1 message whose PUBACK waits for it. */
export interface IncomingMessage {
    topic: string;
    payload: Buffer;
    qos: 0 | 1 | 2;
    retain: boolean;
    dup: boolean;
    properties?: Record<string, unknown>;
    /** Call once the message is durable (or will never be stored): releases its PUBACK. */
    ack: (() => void) | null;
    /** The MQTT packet's fields a redelivery needs (requeue). */
    messageId?: number;
}

export interface Subscription {
    /** Filter as configured (plain; the share group is applied when subscribing). */
    filter: string;
    qos: 0 | 1;
    shareGroup: string;
    /** false: the message is acknowledged as soon as it arrives (like Node-RED's mqtt in). */
    ackAfterStore: boolean;
    onMessage(m: IncomingMessage): void;
}

export interface PublishOptions {
    qos?: 0 | 1;
    retain?: boolean;
}

/**
 * The held entry behind an ack function handed out, for requeue: a property of the function
 * itself (a WeakMap entry per message cost about 0.5 µs more, mostly the GC's ephemeron work).
 */
const ACK_ENTRY = Symbol('picochain.ackEntry');
type AckFn = (() => void) & { [ACK_ENTRY]?: AckEntry };

/** A publish waiting for the connection or for its PUBACK. */
interface PendingPublish {
    topic: string;
    payload: string | Buffer;
    opts: { qos: 0 | 1; retain: boolean };
    sent: boolean;
    resolve: () => void;
    reject: (err: Error) => void;
}

export interface ConnectionHooks {
    log?: (level: LogLevel, text: string) => void;
}

/** Retry pace after a refusal (bad password, not authorised): slow, so the broker's log is not flooded. */
const REFUSED_RETRY_MIN_MS = 5000;
const REFUSED_RETRY_MAX_MS = 60000;
const RECONNECT_MS = 2000;
const CONNECT_TIMEOUT_MS = 10000;
/** Bounded graceful end on close before the socket is destroyed (the runtime gives 15 s in all). */
export const END_WAIT_MS = 3000;
/**
 * Messages handed to the nodes before the connection lets the event loop turn. A socket read can
 * hold thousands of messages; without a turn each stage of the flow (decode, writer) would take
 * them all before the next one sees any, so the database waited for the whole wave.
 */
export const MESSAGES_PER_TURN = 256;

export class BrokerConnection extends EventEmitter {
    private client: mqtt.MqttClient | null = null;
    private readonly subs = new Set<Subscription>();
    private readonly outbox: PendingPublish[] = [];
    private readonly acks: AckQueue;
    private readonly log: (level: LogLevel, text: string) => void;
    private protocol: 4 | 5;
    private stateNow: BrokerState = 'disconnected';
    private lastReason = '';
    private lastKind: FailureKind | null = null;
    private readonly refusedBackoff = new Backoff(REFUSED_RETRY_MIN_MS, REFUSED_RETRY_MAX_MS);
    private retryTimer: NodeJS.Timeout | null = null;
    private closing = false;
    /** Filters of nodes that left without being deleted (restarting), and what came for them. */
    private readonly departed = new Set<string>();
    private orphans: { topic: string; payload: Buffer; packet: mqtt.IPublishPacket; entry: AckEntry }[] = [];
    /** mqtt.js's own packet sender of the current client, for the PUBACKs released later. */
    private sendRaw: ((packet: unknown) => void) | null = null;
    /** Counters for the status and tests. */
    readonly stats = { received: 0, acked: 0, connects: 0, subscribed: 0, sessionPresent: false };

    constructor(readonly settings: BrokerSettings, hooks: ConnectionHooks = {}) {
        super();
        this.setMaxListeners(0);
        this.log = hooks.log || (() => undefined);
        this.protocol = settings.protocol === '4' ? 4 : 5;
        this.acks = new AckQueue((packet) => this.sendHeld(packet));
    }

    get state(): BrokerState { return this.stateNow; }
    /** close() was called: nothing more will be sent or received. */
    get isClosed(): boolean { return this.closing; }
    /** Why the last connection attempt failed ('' when connected). */
    get reason(): string { return this.lastReason; }
    get failureKind(): FailureKind | null { return this.lastKind; }
    get protocolVersion(): 4 | 5 { return this.protocol; }
    /** QoS 1 messages received whose PUBACK is still held. */
    get heldAcks(): number { return this.acks.held; }
    get oldestHeldAt(): number | null { return this.acks.oldest; }

    /** Text safe to log or show: no password, no user:password@ of a URL. */
    redact(text: unknown): string {
        return redactSecrets(text, [this.settings.password]);
    }

    private setState(s: BrokerState, reason = ''): void {
        this.lastReason = reason;
        if (s === this.stateNow && s !== 'error') return;
        this.stateNow = s;
        this.emit('state', s, reason);
    }

    /** Adds a subscriber; connects on the first one. */
    subscribe(sub: Subscription): void {
        this.subs.add(sub);
        this.departed.delete(sub.filter);
        if (!this.client) this.connect();
        else if (this.client.connected) this.subscribeOne(sub);
        // what arrived for this filter while no node took it (a redeploy between two nodes)
        const waiting = this.orphans.filter((o) => topicMatches(sub.filter, o.topic));
        if (waiting.length) {
            this.orphans = this.orphans.filter((o) => !waiting.includes(o));
            for (const o of waiting) this.deliver([sub], o.topic, o.payload, o.packet, o.entry);
        }
    }

    /**
     * Removes a subscriber. The broker subscription stays (the session keeps it) unless
     * `unsubscribe` (the node was deleted). A node that is only restarting (a redeploy) leaves its
     * filter behind: messages for it that arrive meanwhile are held, unacknowledged, for the node
     * that replaces it, or for the broker to send again if the connection closes first.
     */
    unsubscribe(sub: Subscription, unsubscribe = false): void {
        this.subs.delete(sub);
        const filter = subscriptionFilter(sub.filter, sub.shareGroup);
        const stillUsed = [...this.subs].some((s) => subscriptionFilter(s.filter, s.shareGroup) === filter);
        if (unsubscribe && !stillUsed && this.client && this.client.connected) this.client.unsubscribe(filter);
        if (!unsubscribe && sub.ackAfterStore) this.departed.add(sub.filter);
    }

    /**
     * A restarting node gives back a message it took but no node after it ever saw (Node-RED drops
     * messages sent to nodes that are stopping): it waits, unacknowledged, for the node that
     * replaces it, like a message that arrived in between. Its `ack` must not be called afterwards.
     */
    requeue(m: IncomingMessage): void {
        const entry = m.ack ? (m.ack as AckFn)[ACK_ENTRY] : undefined;
        if (!entry || entry.epoch !== this.acks.epoch) return; // acknowledged, or the connection changed
        const packet = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, dup: true, properties: m.properties, messageId: m.messageId } as unknown as mqtt.IPublishPacket;
        // the entry still counts this node's completion: the orphan's placeholder
        this.orphans.push({ topic: m.topic, payload: m.payload, packet, entry });
    }

    /** Held acknowledgements that a node may still complete (orphans wait for a node or the reconnect). */
    get completableAcks(): number { return this.acks.held - this.orphans.length; }

    /**
     * Publishes a message (e.g. a retained desired config): resolves once the broker has it
     * (its PUBACK for QoS 1, written for QoS 0). While disconnected it waits, and connects if no
     * subscriber did; a message whose PUBACK a dropped connection lost is sent again (the broker
     * may then get it twice). Rejects only when the connection is closed.
     */
    publish(topic: string, payload: string | Buffer, opts: PublishOptions = {}): Promise<void> {
        if (this.closing) return Promise.reject(new Error('the broker connection is closed'));
        return new Promise<void>((resolve, reject) => {
            this.outbox.push({ topic, payload, opts: { qos: opts.qos === 0 ? 0 : 1, retain: !!opts.retain }, sent: false, resolve, reject });
            if (!this.client) this.connect();
            else this.flushOutbox();
        });
    }

    /** Publishes are waiting for the connection or their PUBACK. */
    get pendingPublishes(): number { return this.outbox.length; }

    private flushOutbox(): void {
        const client = this.client;
        if (!client || !client.connected) return;
        for (const p of this.outbox) {
            if (p.sent) continue;
            p.sent = true;
            client.publish(p.topic, p.payload, p.opts, (err) => {
                if (err && !this.closing) { p.sent = false; return; } // sent again at the next connect
                const i = this.outbox.indexOf(p);
                if (i >= 0) this.outbox.splice(i, 1);
                if (err) p.reject(new Error(`publish to ${p.topic} failed: ${this.redact(err)}`)); else p.resolve();
            });
        }
    }

    private options(): mqtt.IClientOptions {
        const s = this.settings;
        const o: mqtt.IClientOptions = {
            protocol: s.tls ? 'mqtts' : 'mqtt',
            host: s.host,
            port: s.port,
            clientId: s.clientId,
            clean: false,
            protocolVersion: this.protocol,
            keepalive: s.keepaliveS,
            reconnectPeriod: RECONNECT_MS,
            connectTimeout: CONNECT_TIMEOUT_MS,
            resubscribe: false,
            queueQoSZero: false,
        };
        // mqtt.js traces every packet through the `debug` package; off (DEBUG unset, the usual
        // case) that still costs a call and an argument array each time, some 2 KB of garbage a message
        if (!process.env.DEBUG) o.log = noTrace;
        if (this.protocol === 5) o.properties = { sessionExpiryInterval: s.sessionExpiryS, receiveMaximum: s.receiveMaximum };
        if (s.user) { o.username = s.user; o.password = s.password || ''; }
        if (s.tls) {
            o.rejectUnauthorized = s.verifyServer;
            // SNI takes a host name only (RFC 6066)
            if (!net.isIP(s.host)) o.servername = s.host;
            if (s.caFile) o.ca = fs.readFileSync(s.caFile);
            if (s.certFile) o.cert = fs.readFileSync(s.certFile);
            if (s.keyFile) o.key = fs.readFileSync(s.keyFile);
        }
        return o;
    }

    private connect(): void {
        if (this.closing) return;
        this.setState('connecting');
        let client: mqtt.MqttClient;
        try {
            client = mqtt.connect(this.options());
        } catch (err) {
            this.fail(err as Error);
            return;
        }
        this.client = client;
        this.hookAcks(client);
        this.paceMessages(client);
        client.on('connect', (connack: { sessionPresent?: boolean }) => {
            this.stats.connects++;
            this.stats.sessionPresent = !!connack.sessionPresent;
            this.refusedBackoff.reset();
            this.lastKind = null;
            const s = this.settings;
            this.log('info', `connected to ${s.tls ? 'mqtts' : 'mqtt'}://${s.host}:${s.port} as ${s.clientId} (MQTT ${this.protocol === 5 ? '5' : '3.1.1'}, ${connack.sessionPresent ? 'session resumed' : 'new session'})`);
            for (const sub of this.subs) this.subscribeOne(sub);
            this.setState('connected');
            this.flushOutbox();
        });
        client.on('message', (topic: string, payload: Buffer, packet: mqtt.IPublishPacket) => this.dispatch(topic, payload, packet));
        client.on('error', (err: Error & { code?: unknown }) => this.fail(err));
        client.on('close', () => {
            // held PUBACKs belong to the connection: the broker redelivers those messages
            this.acks.reset();
            this.orphans = [];
            // a publish whose PUBACK did not come goes out again on the next connection
            for (const p of this.outbox) p.sent = false;
            if (!this.closing && this.stateNow === 'connected') {
                this.log('warn', 'connection to the broker lost; reconnecting (queued messages wait in the session)');
                this.setState('disconnected', 'connection lost');
            }
        });
    }

    /** Classifies a failure: a protocol refusal under "auto" retries at once with 3.1.1; a refusal waits longer. */
    private fail(err: Error & { code?: unknown }): void {
        if (this.closing) return;
        const { kind, reason } = classifyFailure(err);
        const safe = this.redact(reason);
        if (kind === 'protocol' && this.settings.protocol === 'auto' && this.protocol === 5) {
            this.protocol = 4;
            this.log('info', 'the broker speaks MQTT 3.1.1, not 5: connecting with 3.1.1 (how long it keeps the session is then its own setting)');
            this.restart(0);
            return;
        }
        const changed = kind !== this.lastKind || safe !== this.lastReason;
        this.lastKind = kind;
        if (kind === 'auth' || kind === 'refused' || kind === 'protocol' || kind === 'tls') {
            const delay = this.refusedBackoff.next();
            if (changed) this.log('warn', `the broker refused the connection: ${safe}; retrying in ${Math.round(delay / 1000)} s`);
            this.setState('error', safe);
            this.restart(delay);
            return;
        }
        if (changed) this.log('warn', `cannot reach the broker ${this.settings.host}:${this.settings.port}: ${safe}; retrying`);
        this.setState(this.stateNow === 'connected' ? 'disconnected' : this.stateNow === 'error' ? 'error' : 'connecting', safe);
    }

    /** Ends the client and connects a new one after `delayMs` (mqtt.js stops retrying after a refusal). */
    private restart(delayMs: number): void {
        const old = this.client;
        this.client = null;
        if (old) { old.removeAllListeners(); old.on('error', () => undefined); old.end(true); }
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => { this.retryTimer = null; if (!this.client) this.connect(); }, delayMs);
    }

    private subscribeOne(sub: Subscription): void {
        const client = this.client;
        if (!client) return;
        const filter = subscriptionFilter(sub.filter, sub.shareGroup);
        client.subscribe(filter, { qos: sub.qos }, (err, granted) => {
            if (err) { this.log('warn', `subscribe to ${filter} failed: ${this.redact(err)}`); return; }
            const g = granted && granted[0];
            if (g && g.qos === 128) { this.log('warn', `the broker refused the subscription to ${filter} (not authorised?)`); return; }
            this.stats.subscribed++;
            this.emit('subscribed', filter);
        });
    }

    /**
     * mqtt.js takes the next packet once handleMessage calls back (its documented back-pressure
     * hook): every MESSAGES_PER_TURN messages it calls back from setImmediate, so the flow's queued
     * deliveries run in between, and the socket is read on only as fast as they go.
     */
    private paceMessages(client: mqtt.MqttClient): void {
        let sinceTurn = 0;
        client.handleMessage = (_packet, callback) => {
            if (++sinceTurn < MESSAGES_PER_TURN) { callback(); return; }
            sinceTurn = 0;
            setImmediate(callback);
        };
    }

    /** Replaces mqtt.js's PUBACK sending for tracked messages: held until released in order. */
    private hookAcks(client: mqtt.MqttClient): void {
        const c = client as unknown as { _sendPacket: (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void };
        const original = c._sendPacket.bind(client);
        c._sendPacket = (packet, cb, ...rest) => {
            if (packet.cmd === 'puback') {
                // a client being ended (close, or replaced after a refusal) acknowledges nothing
                // more: what it still receives is not taken by any node, so the broker must keep it
                const gone = this.closing || this.client !== client;
                if (gone || this.acks.hold(packet)) {
                    // the stream goes on with the next packet; a held PUBACK leaves when released
                    if (cb) cb();
                    return;
                }
            }
            original(packet, cb, ...rest);
        };
        this.sendRaw = (packet: unknown) => original(packet as never);
    }

    private sendHeld(packet: unknown): void {
        const client = this.client;
        if (!client || !client.connected || !this.sendRaw) return;
        this.stats.acked++;
        this.sendRaw(packet);
    }

    private dispatch(topic: string, payload: Buffer, packet: mqtt.IPublishPacket): void {
        this.stats.received++;
        const targets: Subscription[] = [];
        for (const s of this.subs) if (topicMatches(s.filter, topic)) targets.push(s);
        const qos1 = packet.qos === 1 && typeof packet.messageId === 'number';
        if (targets.length === 0 && qos1 && [...this.departed].some((f) => topicMatches(f, topic))) {
            // its node is restarting: hold the message (and its PUBACK) for the one replacing it
            this.orphans.push({ topic, payload, packet, entry: this.acks.add(packet.messageId as number, 1) });
            return;
        }
        this.deliver(targets, topic, payload, packet, null);
    }

    /**
     * Hands a message to its subscribers. Its PUBACK waits for those that acknowledge after
     * storing; a message no node wants to hold (QoS 0, only ack-on-arrival nodes, or a filter left
     * in the session by an older flow) is acknowledged by mqtt.js as usual. `held`: the entry of an
     * orphan, already counted once.
     */
    private deliver(targets: Subscription[], topic: string, payload: Buffer, packet: mqtt.IPublishPacket, held: AckEntry | null): void {
        const tracked = packet.qos === 1 && typeof packet.messageId === 'number' ? targets.filter((s) => s.ackAfterStore).length : 0;
        let entry: AckEntry | null = held;
        if (held) {
            // the orphan's one pending completion becomes one per node that now holds it
            held.waiting += tracked;
            this.acks.complete(held);
        } else if (tracked > 0) entry = this.acks.add(packet.messageId as number, tracked);
        for (const s of targets) {
            let acked = false;
            let ack: AckFn | null = null;
            if (entry && s.ackAfterStore) {
                ack = () => { if (!acked) { acked = true; this.acks.complete(entry as AckEntry); } };
                ack[ACK_ENTRY] = entry;
            }
            try {
                s.onMessage({ topic, payload, qos: packet.qos, retain: !!packet.retain, dup: !!packet.dup, properties: packet.properties as Record<string, unknown> | undefined, ack, messageId: packet.messageId });
            } catch (err) {
                this.log('error', `a subscriber failed on ${topic}: ${this.redact(err)}`);
                if (ack) ack();
            }
        }
    }

    /** Ends the connection gracefully (DISCONNECT keeps the session), within END_WAIT_MS. */
    close(): Promise<void> {
        this.closing = true;
        if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = null; }
        const client = this.client;
        this.client = null;
        this.subs.clear();
        for (const p of this.outbox.splice(0)) p.reject(new Error('the broker connection was closed before the broker had the message'));
        if (!client) return Promise.resolve();
        return new Promise<void>((resolve) => {
            const timer = setTimeout(() => { client.end(true); resolve(); }, END_WAIT_MS);
            client.end(false, {}, () => { clearTimeout(timer); resolve(); });
        }).then(() => {
            client.removeAllListeners();
            client.on('error', () => undefined);
            this.setState('disconnected');
        });
    }
}
