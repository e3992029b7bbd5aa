/**
 * Held acknowledgements. mqtt.js sends a QoS 1 PUBACK as soon as its message handler returns; the
 * broker then deletes the message. picochain holds each PUBACK back until every node that took the
 * message has made it durable, and sends them in the order the messages arrived (MQTT 3.1.1
 * §4.6 and MQTT 5 §4.6: PUBACKs go in receive order), without blocking the next messages.
 *
 * A connection that drops forgets what it held (`reset`): the broker keeps those messages in the
 * session and sends them again on reconnect, where the writer recognises them as duplicates.
 */

/** One QoS 1 message waiting for its PUBACK. */
export interface AckEntry {
    readonly messageId: number;
    readonly epoch: number;
    readonly receivedAt: number;
    /** Deliveries still to complete before the PUBACK may go. */
    waiting: number;
    /** The PUBACK mqtt.js wanted to send (held until the entry is complete and first in line). */
    packet: unknown;
}

export class AckQueue {
    /** Entries from `head` on are still held (a head index: shift() is slow on long arrays). */
    private entries: AckEntry[] = [];
    private head = 0;
    private epochNo = 0;
    /** PUBACKs sent after being held, and how many were forgotten by a reset. */
    sent = 0;
    forgotten = 0;

    constructor(private readonly send: (packet: unknown) => void) {}

    get epoch(): number { return this.epochNo; }
    /** Messages whose PUBACK is still held. */
    get held(): number { return this.entries.length - this.head; }
    /** Arrival time of the oldest held message (for the status), or null. */
    get oldest(): number | null { return this.held > 0 ? this.entries[this.head].receivedAt : null; }

    /** A QoS 1 message arrived; its PUBACK waits for `waiting` completions. */
    add(messageId: number, waiting: number, now = Date.now()): AckEntry {
        const e: AckEntry = { messageId, epoch: this.epochNo, receivedAt: now, waiting, packet: null };
        this.entries.push(e);
        return e;
    }

    /**
     * mqtt.js is about to send this PUBACK: keep it when its message is tracked (returns true),
     * else let it go (false).
     */
    hold(packet: { messageId?: number }): boolean {
        for (let i = this.entries.length - 1; i >= this.head; i--) {
            const e = this.entries[i];
            if (e.messageId === packet.messageId && e.packet === null) {
                e.packet = packet;
                this.release();
                return true;
            }
        }
        return false;
    }

    /** One delivery of the entry completed. */
    complete(e: AckEntry): void {
        if (e.epoch !== this.epochNo || e.waiting <= 0) return;
        e.waiting--;
        this.release();
    }

    /** Sends every PUBACK at the head of the line whose message is complete. */
    private release(): void {
        while (this.head < this.entries.length) {
            const e = this.entries[this.head];
            if (e.waiting > 0 || e.packet === null) break;
            this.head++;
            this.sent++;
            this.send(e.packet);
        }
        if (this.head === this.entries.length) {
            this.entries = [];
            this.head = 0;
        } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
            this.entries = this.entries.slice(this.head);
            this.head = 0;
        }
    }

    /** The connection dropped: held PUBACKs are void (the broker sends those messages again). */
    reset(): void {
        this.forgotten += this.held;
        this.entries = [];
        this.head = 0;
        this.epochNo++;
    }
}
