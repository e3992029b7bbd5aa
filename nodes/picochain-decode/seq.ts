/**
 * Per-device window sequence tracking (gaps, replays, late frames, restarted counters), bounded
 * in memory. The board's side is firmware/main.py (`seq`, `raw_seq`) and firmware/PROTOCOL.md.
 */
import { SEQ_MODULO } from '../shared/reading';

/** Devices remembered by default (least recently seen dropped first). */
export const DEFAULT_MAX_TRACKED_DEVICES = 10000;

/** What a frame's seq says about delivery. */
export type SeqEvent = 'none' | 'first' | 'next' | 'gap' | 'replay' | 'late' | 'reset';

export interface SeqInfo {
    event: SeqEvent;
    /** Windows missing just before this one (uint16 wrap aware); 0 unless event is 'gap'. */
    gap: number;
    /** True when this (seq, ts) was already seen: a redelivery or a store-and-forward replay. */
    replay: boolean;
}

// Seqs remembered per device, to tell a replay (same seq, same ts) from a restarted counter.
const SEQ_HISTORY = 32;
const HALF_SEQ = SEQ_MODULO / 2;

interface DeviceSeqState {
    last: number;
    lastTs: number;
    seqs: Uint16Array;
    ts: Float64Array;
    size: number;
    next: number;
}

/**
 * Per-device window sequence tracking with uint16 wrap. Memory is bounded: at most `maxDevices`
 * devices (least recently seen dropped first), each with the last SEQ_HISTORY (seq, ts) pairs of
 * its window stream and of its raw-sample stream (about 0.7 KiB per device at most).
 *
 * - seq already seen with the same ts: replay (passed on, marked).
 * - seq ahead by d (d < 32768, modulo 65536): d - 1 windows were lost (gap).
 * - seq behind, not seen, within the remembered span and older than the newest ts: late.
 * - anything else (seq seen with another ts, or far behind): the device restarted its counter.
 */
export class SeqTracker {
    private readonly devices = new Map<string, DeviceEntry>();

    constructor(public readonly maxDevices = DEFAULT_MAX_TRACKED_DEVICES) {}

    /** Devices currently remembered. */
    get size(): number {
        return this.devices.size;
    }

    /**
     * Classifies one frame of `device`. Raw-sample frames count their own seq on the board
     * (firmware/main.py `raw_seq`), so they are tracked as a separate stream.
     */
    observe(device: string, seq: number, ts: number, stream: SeqStream = 'stats'): SeqInfo {
        const entry = this.entry(device);
        const st = entry[stream];
        if (st === undefined) {
            entry[stream] = newSeqState(seq, ts);
            return { event: 'first', gap: 0, replay: false };
        }
        const seenTs = recall(st, seq);
        if (seenTs !== null) {
            if (seenTs === ts) return { event: 'replay', gap: 0, replay: true };
            restart(st, seq, ts);
            return { event: 'reset', gap: 0, replay: false };
        }
        const ahead = (seq - st.last + SEQ_MODULO) % SEQ_MODULO;
        if (ahead > 0 && ahead < HALF_SEQ) {
            st.last = seq;
            st.lastTs = ts;
            remember(st, seq, ts);
            return ahead === 1 ? { event: 'next', gap: 0, replay: false } : { event: 'gap', gap: ahead - 1, replay: false };
        }
        const behind = SEQ_MODULO - ahead;
        if (behind < SEQ_HISTORY && ts < st.lastTs) {
            remember(st, seq, ts);
            return { event: 'late', gap: 0, replay: false };
        }
        restart(st, seq, ts);
        return { event: 'reset', gap: 0, replay: false };
    }

    /**
     * Notes the boot counter of a device's birth message. When it differs from the one noted
     * before, the board restarted and its counters began again at 0: its sequence state is
     * dropped (the next frame is 'first', not a replay or a huge gap). Returns true then.
     */
    noteBoot(device: string, boot: number): boolean {
        const entry = this.entry(device);
        const rebooted = entry.boot !== null && entry.boot !== boot;
        entry.boot = boot;
        if (rebooted) {
            entry.stats = undefined;
            entry.raw = undefined;
        }
        return rebooted;
    }

    forget(device: string): void {
        this.devices.delete(device);
    }

    clear(): void {
        this.devices.clear();
    }

    /** The device's entry, created if needed, moved to the most recent end of the LRU order. */
    private entry(device: string): DeviceEntry {
        let e = this.devices.get(device);
        if (e !== undefined) {
            // a Map iterates in insertion order: re-inserting makes it the most recent
            this.devices.delete(device);
        } else {
            if (this.devices.size >= this.maxDevices) this.devices.delete(this.devices.keys().next().value as string);
            e = { boot: null };
        }
        this.devices.set(device, e);
        return e;
    }
}

export type SeqStream = 'stats' | 'raw';

interface DeviceEntry {
    /** Boot counter of the last birth message, null before one was seen. */
    boot: number | null;
    stats?: DeviceSeqState;
    raw?: DeviceSeqState;
}

function newSeqState(seq: number, ts: number): DeviceSeqState {
    const st: DeviceSeqState = { last: seq, lastTs: ts, seqs: new Uint16Array(SEQ_HISTORY), ts: new Float64Array(SEQ_HISTORY), size: 0, next: 0 };
    remember(st, seq, ts);
    return st;
}

function remember(st: DeviceSeqState, seq: number, ts: number): void {
    st.seqs[st.next] = seq;
    st.ts[st.next] = ts;
    st.next = (st.next + 1) % SEQ_HISTORY;
    if (st.size < SEQ_HISTORY) st.size++;
}

function recall(st: DeviceSeqState, seq: number): number | null {
    for (let i = 0; i < st.size; i++) if (st.seqs[i] === seq) return st.ts[i];
    return null;
}

function restart(st: DeviceSeqState, seq: number, ts: number): void {
    st.size = 0;
    st.next = 0;
    st.last = seq;
    st.lastTs = ts;
    remember(st, seq, ts);
}
