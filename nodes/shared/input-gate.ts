/**
 * A node's input held until the node is ready (its saved state or registry loaded): messages wait
 * in order, at most `max` of them, and run once the gate opens; what a handler throws goes to
 * `onError` (which ends in done(err)). Shared by picochain-alert and picochain-devices.
 */
export type Done = (err?: Error) => void;

/**
 * Messages a gate holds at most. A node starting (a restart, a redeploy) is handed at once what
 * the broker kept for it meanwhile: with persistent sessions that backlog is thousands of
 * readings, which arrive while the state loads (from the database for several instances). A
 * message refused here is never judged, so the limit only guards memory (about 1 KB a reading).
 */
export const GATE_MAX_QUEUED = 50_000;
export type Handler<M, S> = (msg: M, send: S, done: Done) => void;

/** A refusing gate says so in the log at once, then at most this often while it goes on. */
export const GATE_REPORT_MS = 10_000;

export class InputGate<M, S> {
    private queue: [M, S, Done][] = [];
    private ready = false;
    private refusedTotal = 0;
    private reportedTotal = 0;
    private reportTimer: ReturnType<typeof setTimeout> | null = null;

    /**
     * `onError(e, done)` answers a message whose handler threw, or that finds the queue full (then
     * `e` is `full()`); it must call done with an error. A refused message's done(err) goes to a
     * Catch node, which Node-RED does not log: `report(total)` writes the running count of refusals
     * to the log, at once and then at most every `reportEveryMs` while refusals go on, and once
     * more when the gate opens.
     */
    constructor(private readonly handler: Handler<M, S>, private readonly max: number,
        private readonly full: () => Error, private readonly onError: (e: unknown, done: Done) => void,
        private readonly report: (total: number) => void = () => undefined, private readonly reportEveryMs = GATE_REPORT_MS) {}

    private handle(msg: M, send: S, done: Done): void {
        try {
            this.handler(msg, send, done);
        } catch (e) {
            this.onError(e, done);
        }
    }

    get isOpen(): boolean {
        return this.ready;
    }

    /** Messages refused because the gate was full. */
    get refused(): number {
        return this.refusedTotal;
    }

    /** The node's input handler. */
    input(msg: M, send: S, done: Done): void {
        if (this.ready) return this.handle(msg, send, done);
        if (this.queue.length >= this.max) {
            this.refusedTotal++;
            if (this.reportTimer === null) this.reportRefused();
            return this.onError(this.full(), done);
        }
        this.queue.push([msg, send, done]);
    }

    /** Reports refusals not yet reported; with `rearm`, waits `reportEveryMs` before the next report. */
    private reportRefused(rearm = true): void {
        if (this.refusedTotal === this.reportedTotal) return;
        this.reportedTotal = this.refusedTotal;
        this.report(this.refusedTotal);
        if (!rearm) return;
        this.reportTimer = setTimeout(() => { this.reportTimer = null; this.reportRefused(); }, this.reportEveryMs);
        this.reportTimer.unref?.();
    }

    private stopReports(): void {
        if (this.reportTimer !== null) clearTimeout(this.reportTimer);
        this.reportTimer = null;
    }

    /** Opens the gate and runs what waited, in order. */
    open(): void {
        if (this.ready) return;
        this.ready = true;
        // the final count, now: an open gate refuses nothing more
        this.stopReports();
        this.reportRefused(false);
        const waiting = this.queue;
        this.queue = [];
        for (const [m, s, d] of waiting) this.handle(m, s, d);
    }

    /** On close: what still waits is done (nothing sent). */
    drop(): void {
        this.stopReports();
        for (const [, , d] of this.queue) d();
        this.queue = [];
    }
}
