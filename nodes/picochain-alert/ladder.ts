/**
 * The severity ladder of one alert (pure): each severity has its own fire level, clear level and
 * pending time, so an alert climbs warning → critical and comes back down critical → warning
 * ("de-escalated") before it resolves, as ThingsBoard updates an alarm's severity and as Grafana
 * gives every rule its own recovery threshold.
 *
 *   level 0 (pending) ──warning fire held forS──▶ 1 warning ──critical fire held forS──▶ 2 critical
 *        ▲                                         │  ▲                                    │
 *        └──────── warning clear held keep ────────┘  └──── critical clear held keep ──────┘
 *
 * Every time here is reading time (ms), so a burst of buffered readings after an outage counts the
 * minutes the readings cover, and an accelerated simulator runs the same rules faster.
 */
import type { AlertRecord, Band, Level } from './types';

/** The bands of a rule by level (index 1 warning, 2 critical). */
export type Bands = readonly [null, Band | null, Band | null];

export type Step = 'normal' | 'pending' | 'held' | 'fired' | 'escalated' | 'de-escalated' | 'resolved';

/** "Beyond" a level: above for high and rates, below for low. */
export type Beyond = (value: number, level: number) => boolean;
export const ABOVE: Beyond = (v, l) => v > l;
export const BELOW: Beyond = (v, l) => v < l;

const LEVELS = [1, 2] as const;

/** Highest level whose fire condition currently holds (a pending alert's candidate), 0 if none. */
export function candidate(a: AlertRecord): Level {
    return a.enterSince[2] !== null ? 2 : a.enterSince[1] !== null ? 1 : 0;
}

/**
 * Advances alert `a` for judged quantity `q` at reading time `t`. Mutates `a` (level and timers)
 * and says what happened: `normal` means the alert is back to nothing and can be forgotten.
 */
export function ladderStep(a: AlertRecord, bands: Bands, beyond: Beyond, q: number, t: number, keepMs: number): Step {
    const from = a.level;
    for (const L of LEVELS) {
        const b = bands[L];
        if (!b) {
            a.enterSince[L] = null;
            a.leaveSince[L] = null;
        } else if (from >= L) {
            a.enterSince[L] = null;
            a.leaveSince[L] = beyond(q, b.clear) ? null : (a.leaveSince[L] ?? t);
        } else {
            a.leaveSince[L] = null;
            a.enterSince[L] = beyond(q, b.fire) ? (a.enterSince[L] ?? t) : null;
        }
    }
    for (const L of [2, 1] as const) {
        const b = bands[L];
        const since = a.enterSince[L];
        if (L > from && b && since !== null && t - since >= b.forS * 1000) {
            a.level = L;
            for (const k of LEVELS) if (k <= L) { a.enterSince[k] = null; a.leaveSince[k] = null; }
            return from === 0 ? 'fired' : 'escalated';
        }
    }
    if (from === 0) return candidate(a) ? 'pending' : 'normal';
    for (const L of LEVELS) {
        const since = a.leaveSince[L];
        if (L > from || !bands[L] || since === null || t - since < keepMs) continue;
        // severity L and everything above it no longer hold: down to the highest level below L
        const to = (L === 2 && bands[1] ? 1 : 0) as Level;
        a.level = to;
        for (const k of LEVELS) {
            if (k <= to) continue;
            a.leaveSince[k] = null;
            const b = bands[k];
            a.enterSince[k] = b && beyond(q, b.fire) ? t : null;
        }
        return to === 0 ? 'resolved' : 'de-escalated';
    }
    return 'held';
}

/**
 * Moves an alert's clock (a device whose clock jumped back, e.g. re-synced): running pending and
 * keep-firing timers restart at `t`, nothing else changes.
 */
export function rebase(a: AlertRecord, t: number): void {
    for (const L of LEVELS) {
        if (a.enterSince[L] !== null) a.enterSince[L] = t;
        if (a.leaveSince[L] !== null) a.leaveSince[L] = t;
    }
}
