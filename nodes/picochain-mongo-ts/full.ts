/**
 * The writer's "spool full" episode: when it began, the size of the record that did not fit, and
 * the log line said at once and every LOG_INTERVAL_MS while it lasts, then once when there is room
 * again. Pure: time and log are injected.
 */
import { Clock, LOG_INTERVAL_MS, LogLevel } from './writer-api';

/** The figures a report line gives. */
export interface FullFigures {
    usedBytes: number;
    maxBytes: number;
    /** Readings in the spool, not yet in the database. */
    unconfirmed: number;
    waiting: number;
    dropped: number;
    rejected: number;
}

export class FullSpool {
    /** The spool refused a record for room and has not had room for one since. */
    active = false;
    /** Payload size of the last record refused (room for it = room again). */
    refusedSize = 0;
    private since = 0;
    private timer: unknown = null;

    constructor(private readonly clock: Clock, private readonly log: (level: LogLevel, text: string) => void, private readonly figures: () => FullFigures) {}

    /** A record of `size` bytes found no room: the episode starts (reported now, then every interval). */
    refused(size: number): void {
        this.refusedSize = size;
        if (!this.active) {
            this.active = true;
            this.since = this.clock.now();
        }
        if (this.timer === null) this.report();
    }

    /** Readings wait for room (policy block): keep reporting even without a new refusal. */
    private report(): void {
        this.timer = null;
        if (!this.active) return;
        const f = this.figures();
        const mb = (b: number): number => Math.round(b / 1048576);
        this.log(f.dropped + f.rejected > 0 ? 'error' : 'warn',
            `spool full (${mb(f.usedBytes)} of ${mb(f.maxBytes)} MB, ${f.unconfirmed} readings not yet in the database) for ${this.seconds()} s: ${f.waiting} readings waiting for room, ${f.dropped} dropped and ${f.rejected} refused so far`);
        this.timer = this.clock.setTimeout(() => this.report(), LOG_INTERVAL_MS);
    }

    /** There is room again: say so once. Returns whether an episode ended. */
    end(): boolean {
        if (!this.active) return false;
        this.active = false;
        this.stop();
        const f = this.figures();
        this.log('info', `spool has room again after ${this.seconds()} s (${f.dropped} dropped and ${f.rejected} refused so far)`);
        return true;
    }

    /** Stops the reports (the writer closes). */
    stop(): void {
        if (this.timer !== null) this.clock.clearTimeout(this.timer);
        this.timer = null;
    }

    private seconds(): number {
        return Math.round((this.clock.now() - this.since) / 1000);
    }
}
