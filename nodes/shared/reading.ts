/**
 * The one normalised reading every picochain node speaks: what picochain-decode emits, what
 * picochain-mongo-ts stores and what picochain-alert watches. Its JSON Schema twin is
 * reading.schema.json (a unit test keeps the two in step).
 */

/** On-device state, the original system's "discrete state" idea: 0 ok, 1 warning, 2 alarm. */
export type DeviceState = 0 | 1 | 2;

/** Which wire format a reading came from. */
export type SourceFormat = 'json-v1' | 'binary-v1' | 'ttn-v3' | 'legacy';

export const SOURCE_FORMATS: readonly SourceFormat[] = ['json-v1', 'binary-v1', 'ttn-v3', 'legacy'];

export interface Reading {
    /** Device id, e.g. "fridge-1" (the original system's `noeud`). */
    device: string;
    /** Site the device belongs to, from the frame or the topic; null when unknown. */
    site: string | null;
    /** Sensor name, e.g. "temperature", "probe1", "humidity". */
    sensor: string;
    /** Unit of min/max/mean/std/last ("°C", "%"); slope is unit per minute. Null when unknown. */
    unit: string | null;
    /** When the window ended: the device's clock when it was synced, else the receive time. */
    time: Date;
    /** The device's own timestamp, null when its clock was not synced. */
    deviceTime: Date | null;
    /** When picochain-decode received the message (or the LoRaWAN network's received_at). */
    receivedAt: Date;
    /** Window length in seconds; 0 for a single raw sample. */
    window: number;
    /** Samples in the window; 0 when the sensor failed for the whole window. */
    count: number;
    min: number | null;
    max: number | null;
    mean: number | null;
    /** Population standard deviation. */
    std: number | null;
    /** Least-squares slope in unit per minute; null below two samples. */
    slope: number | null;
    /** Last sample of the window. */
    last: number | null;
    /** Window sequence number (uint16, wraps); null for legacy messages. */
    seq: number | null;
    /** On-device state; null when the device did not compute one. */
    state: DeviceState | null;
    /** Why a window has no samples ("no-samples", "probe-missing", ...). */
    fault?: string;
    /** Which wire format the reading came from. */
    source: SourceFormat;
    /** Set by picochain-decode when this (device, seq) was already seen: a redelivery or replay. */
    replay?: boolean;
}

/** The fields a Reading must carry, in schema order (used by tests and by the schema check). */
export const READING_FIELDS = [
    'device', 'site', 'sensor', 'unit', 'time', 'deviceTime', 'receivedAt', 'window', 'count',
    'min', 'max', 'mean', 'std', 'slope', 'last', 'seq', 'state', 'fault', 'source', 'replay',
] as const;

/** The statistics fields, all number | null. */
export const STAT_FIELDS = ['min', 'max', 'mean', 'std', 'slope', 'last'] as const;
export type StatField = typeof STAT_FIELDS[number];

// Limits shared by the decoder, the writer and the firmware (see firmware/PROTOCOL.md).
export const MAX_WINDOW_S = 3600;
export const MAX_SENSORS_PER_FRAME = 32;
export const SEQ_MODULO = 65536;
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const SENSOR_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** A stable key for "the same reading": what duplicate detection compares. */
export function readingKey(r: Pick<Reading, 'device' | 'sensor' | 'time'>): string {
    return `${r.device}|${r.sensor}|${r.time.getTime()}`;
}

/** A reading with Dates turned into ISO strings, as it crosses JSON (context stores, websockets). */
export type SerialisedReading = Omit<Reading, 'time' | 'deviceTime' | 'receivedAt'> & {
    time: string;
    deviceTime: string | null;
    receivedAt: string;
};

/** Accepts a Reading that went through JSON (a context store, a link node) and restores its Dates. */
export function reviveReading(r: Reading | SerialisedReading): Reading {
    const toDate = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));
    return {
        ...(r as Reading),
        time: toDate(r.time) as Date,
        deviceTime: toDate(r.deviceTime),
        receivedAt: toDate(r.receivedAt) as Date,
    };
}
