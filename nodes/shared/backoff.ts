/**
 * Retry delays that double from a minimum up to a cap: the one backoff every picochain node uses
 * (writer retries, collection preparation, reconnects).
 */
export class Backoff {
    private attempt = 0;

    constructor(private readonly minMs: number, private readonly maxMs: number) {}

    /** The delay before the next attempt; each call doubles it, up to the cap. */
    next(): number {
        const d = Math.min(this.maxMs, this.minMs * Math.pow(2, Math.min(this.attempt, 30)));
        this.attempt++;
        return d;
    }

    /** Attempts since the last reset. */
    get attempts(): number { return this.attempt; }

    reset(): void { this.attempt = 0; }
}
