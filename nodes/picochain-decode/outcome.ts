/**
 * What picochain-decode produces for one message, and the counters it keeps.
 */
import { Reading, SourceFormat } from '../shared/reading';
import { ErrorKey, IgnoredOutcome } from './messages';
import { SeqInfo } from './seq';
import type { ConfigReport } from '../shared/board-config';

export type { IgnoredOutcome };

export type DeviceLinkState = 'online' | 'offline';

/** A device's birth message or last will, from `picochain/<site>/<device>/status`. */
export interface DeviceStatus {
    device: string;
    site: string | null;
    state: DeviceLinkState;
    receivedAt: Date;
    fw?: string;
    ip?: string;
    rssi?: number;
    boot?: number;
    buffered?: number;
    replayed?: number;
    dropped?: number;
    synced?: boolean;
    /** The board's remote configuration report (firmware/PROTOCOL.md "Remote configuration"). */
    config?: ConfigReport;
}

export interface ReadingsOutcome {
    kind: 'readings';
    format: SourceFormat;
    device: string;
    site: string | null;
    seq: number | null;
    seqInfo: SeqInfo;
    readings: Reading[];
}

export interface StatusOutcome {
    kind: 'status';
    status: DeviceStatus;
}

export type DecodeOutcome = ReadingsOutcome | StatusOutcome | IgnoredOutcome;

/** Counters of one decoder, shown in the node status and read by tests. */
export interface DecodeCounters {
    /** Messages that produced readings. */
    ok: number;
    /** Readings produced. */
    readings: number;
    /** Messages rejected. */
    err: number;
    /** Rejections per error key. */
    errors: Partial<Record<ErrorKey, number>>;
    /** Status messages decoded. */
    status: number;
    /** Messages dropped with a warning. */
    ignored: number;
    /** Windows missing, summed over all gaps. */
    missing: number;
    /** Frames that arrived after a gap. */
    gaps: number;
    replays: number;
    late: number;
    resets: number;
    /** Birth messages with a new boot counter (sequence state dropped). */
    reboots: number;
}

export function newCounters(): DecodeCounters {
    return { ok: 0, readings: 0, err: 0, errors: {}, status: 0, ignored: 0, missing: 0, gaps: 0, replays: 0, late: 0, resets: 0, reboots: 0 };
}

