/**
 * Delivery tokens: how the node that received a message from the broker learns that the readings
 * it carried are durable, so it can acknowledge the message to the broker only then.
 *
 * - picochain-mqtt-in opens a delivery per QoS 1 message and holds back its PUBACK;
 * - picochain-decode says how many readings the message became (`expect`; 0 for a status message
 *   or bad input, which settles it at once);
 * - picochain-mongo-ts claims the readings that reach it and settles them once they are in its
 *   disk spool or the database.
 * A delivery completes when as many readings are settled as were expected. One that no writer has
 * claimed for a while (the flow routed its readings elsewhere) is completed by its owner's sweep.
 *
 * The token travels as a string in `msg._delivery`, so it survives Node-RED's message cloning
 * (clones share the id, not an object). The registry is process-wide: every picochain module loaded
 * in the runtime sees the same one, even from two copies of the package.
 */

/** How a delivery ended: every expected reading settled, or the owner gave up waiting. */
export type DeliveryOutcome = 'settled' | 'unclaimed' | 'cancelled';

export class Delivery {
    /** Readings the message became; null until a decoder says. */
    expected: number | null = null;
    claimed = 0;
    settled = 0;
    /** Settled readings that were not stored (refused, dropped): counted, still acknowledged. */
    failed = 0;
    done = false;
    lastActivity: number;

    constructor(readonly id: string, private readonly onDone: (d: Delivery, outcome: DeliveryOutcome) => void, now: number) {
        this.lastActivity = now;
    }

    /** Completes the delivery once (the owner then acknowledges the message). */
    finish(outcome: DeliveryOutcome): void {
        if (this.done) return;
        this.done = true;
        registry().delete(this.id);
        this.onDone(this, outcome);
    }

    /** Readings claimed by a writer and not yet durable: while any are, the owner must wait. */
    get held(): number { return this.claimed - this.settled; }

    check(): void {
        if (!this.done && this.expected !== null && this.settled >= this.expected) this.finish('settled');
    }
}

const REGISTRY_KEY = Symbol.for('picochain.deliveries');

function registry(): Map<string, Delivery> {
    const g = globalThis as unknown as Record<symbol, Map<string, Delivery> | undefined>;
    let r = g[REGISTRY_KEY];
    if (!r) {
        r = new Map();
        g[REGISTRY_KEY] = r;
    }
    return r;
}

let counter = 0;

/** Opens a delivery; `onDone` runs once when it completes. */
export function openDelivery(onDone: (d: Delivery, outcome: DeliveryOutcome) => void, now = Date.now()): Delivery {
    counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
    const d = new Delivery(`${process.pid.toString(36)}.${counter.toString(36)}`, onDone, now);
    registry().set(d.id, d);
    return d;
}

function find(id: unknown): Delivery | undefined {
    return typeof id === 'string' ? registry().get(id) : undefined;
}

/** The decoder: the message carrying `id` became `n` readings (0: nothing will be stored). */
export function expectReadings(id: unknown, n: number, now = Date.now()): void {
    const d = find(id);
    if (!d) return;
    // a message fanned out to two decoders: the larger count holds
    d.expected = d.expected === null ? n : Math.max(d.expected, n);
    d.lastActivity = now;
    d.check();
}

/** A writer took `n` readings of delivery `id` in hand. */
export function claimReadings(id: unknown, n: number, now = Date.now()): void {
    const d = find(id);
    if (!d) return;
    d.claimed += n;
    d.lastActivity = now;
}

/** A writer has `n` readings of delivery `id` durable (or, with `failed`, will never store them). */
export function settleReadings(id: unknown, n: number, failed = 0, now = Date.now()): void {
    const d = find(id);
    if (!d) return;
    d.settled += n;
    d.failed += failed;
    d.lastActivity = now;
    d.check();
}

/** How many deliveries are open in this process (tests, status). */
export function openDeliveries(): number {
    return registry().size;
}
