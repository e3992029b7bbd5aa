/**
 * Status helpers shared by the picochain wrappers: short counter text and a throttled setter,
 * so a node handling hundreds of messages per second does not flood the editor with status events.
 */

export type StatusFill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';
export type StatusShape = 'ring' | 'dot';

export interface NodeStatusValue {
    fill?: StatusFill;
    shape?: StatusShape;
    text?: string;
}

/** Anything with Node-RED's `node.status()`. */
export interface StatusTarget {
    status(s: NodeStatusValue | Record<string, never>): void;
}

/** 999 -> "999", 1234 -> "1.2k", 1234567 -> "1.2M": keeps counters inside the ~20 visible characters. */
export function compactCount(n: number): string {
    if (!Number.isFinite(n)) return String(n);
    const a = Math.abs(n);
    if (a < 1000) return String(n);
    if (a < 1e6) return `${trim1(n / 1e3)}k`;
    if (a < 1e9) return `${trim1(n / 1e6)}M`;
    return `${trim1(n / 1e9)}G`;
}

function trim1(x: number): string {
    // one decimal below 10 ("1.2k"), none above ("12k"): the text stays short either way
    return Math.abs(x) < 10 ? x.toFixed(1).replace(/\.0$/, '') : String(Math.floor(x));
}

/** A status value, or a function that computes it when it is applied (null: no change). */
export type StatusSource = NodeStatusValue | (() => NodeStatusValue | null);

/** Default minimum interval between two status updates of one node (ms). */
export const STATUS_INTERVAL_MS = 250;

/**
 * Sets a node's status at most once per `intervalMs`: the first update is immediate, later ones
 * within the interval are coalesced and the last one is always applied. Call `close()` in the
 * node's close handler so no timer outlives the node.
 */
export class ThrottledStatus {
    private pending: StatusSource | null = null;
    private timer: ReturnType<typeof setTimeout> | null = null;
    private lastAt = 0;
    private closed = false;

    constructor(private readonly target: StatusTarget, private readonly intervalMs = STATUS_INTERVAL_MS) {}

    /**
     * Sets the status, or a function computing it: a function is called only when the update is
     * applied (translating a status text for every message costs more than the message itself);
     * it may return null to leave the status as it is.
     */
    set(s: StatusSource): void {
        if (this.closed) return;
        const now = Date.now();
        if (this.timer === null && now - this.lastAt >= this.intervalMs) {
            this.apply(s);
            return;
        }
        this.pending = s;
        if (this.timer === null) {
            this.timer = setTimeout(() => this.flush(), Math.max(0, this.intervalMs - (now - this.lastAt)));
        }
    }

    /** Applies a coalesced update now, if any. */
    flush(): void {
        if (this.timer !== null) {
            clearTimeout(this.timer);
            this.timer = null;
        }
        if (this.pending !== null && !this.closed) {
            const s = this.pending;
            this.pending = null;
            this.apply(s);
        }
    }

    /** Drops any pending update and stops the timer; later `set()` calls are ignored. */
    close(): void {
        if (this.timer !== null) clearTimeout(this.timer);
        this.timer = null;
        this.pending = null;
        this.closed = true;
    }

    private apply(s: StatusSource): void {
        const v = typeof s === 'function' ? s() : s;
        if (v === null) return;
        this.lastAt = Date.now();
        this.target.status(v);
    }
}
