/**
 * picochain binary frame v1: 24 bytes per sensor window, little-endian (firmware/PROTOCOL.md).
 * The only TypeScript copy of the layout; firmware/frame.py is the device's, and both pass
 * test/vectors/frames.json.
 */
import { DeviceState, Reading, SENSOR_KINDS, sensorKind, StatField } from './reading';

export { SENSOR_KINDS };

/** One sensor's statistics inside a window frame (the JSON v1 `sensors[]` entry): a Reading's stats. */
export interface SensorStats extends Pick<Reading, 'sensor' | 'count' | StatField> {
    unit?: string | null;
    state?: DeviceState | null;
    fault?: string;
}

/** A window frame as the firmware builds it, before it becomes JSON or bytes. */
export interface WindowFrame {
    v: 1;
    device?: string;
    site?: string;
    seq: number;
    /** End of window, Unix seconds (seconds since boot when !synced). */
    ts: number;
    synced: boolean;
    /** Window length in seconds, 0 for a raw sample. */
    window: number;
    sensors: SensorStats[];
}

export const BINARY_VERSION = 1;
export const RECORD_BYTES = 24;
const I16_NULL = -0x8000;
const U16_NULL = 0xffff;
const STATE_NONE = 3;

export class FrameError extends Error {
    /** Byte offset or JSON path of the problem, for error messages that say where. */
    constructor(message: string, public readonly where: string) {
        super(`${message} (at ${where})`);
        this.name = 'FrameError';
    }
}

/** Sensor name -> sensor byte, or null when the name has no binary code. */
export function sensorCode(name: string): number | null {
    const k = sensorKind(name);
    return k === null ? null : (k.kind << 5) | k.index;
}

/** Sensor byte -> { name, unit }. */
export function sensorFromCode(code: number, where = 'byte 1'): { sensor: string; unit: string | null } {
    const kind = code >> 5;
    const index = code & 0x1f;
    const k = SENSOR_KINDS[kind];
    if (!k) throw new FrameError(`unknown sensor kind ${kind}`, where);
    return { sensor: index === 0 ? k.base : `${k.base}${index}`, unit: k.unit };
}

/** Round half away from zero: the firmware's rule too, so both sides agree on every byte. */
export function roundHalfAway(x: number): number {
    return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

function scaled(value: number | null, scale: number, lo: number, hi: number, nullValue: number): number {
    if (value === null || value === undefined || Number.isNaN(value)) return nullValue;
    const n = roundHalfAway(value * scale);
    return n < lo ? lo : n > hi ? hi : n;
}

function unscaled(raw: number, scale: number, nullValue: number): number | null {
    return raw === nullValue ? null : raw / scale;
}

/** Encodes a window frame as binary v1: one 24-byte record per sensor. */
export function encodeBinaryFrame(frame: WindowFrame): Buffer {
    const buf = Buffer.alloc(RECORD_BYTES * frame.sensors.length);
    frame.sensors.forEach((s, i) => {
        const o = i * RECORD_BYTES;
        const code = sensorCode(s.sensor);
        if (code === null) throw new FrameError(`sensor "${s.sensor}" has no binary code`, `sensors[${i}].sensor`);
        const state = s.state === null || s.state === undefined ? STATE_NONE : s.state;
        buf.writeUInt8((BINARY_VERSION << 4) | (frame.synced ? 0x08 : 0) | state, o);
        buf.writeUInt8(code, o + 1);
        buf.writeUInt16LE(frame.seq & 0xffff, o + 2);
        buf.writeUInt32LE(frame.ts >>> 0, o + 4);
        buf.writeUInt16LE(frame.window, o + 8);
        buf.writeUInt16LE(Math.min(s.count, 0xffff), o + 10);
        buf.writeInt16LE(scaled(s.min, 100, -32767, 32767, I16_NULL), o + 12);
        buf.writeInt16LE(scaled(s.max, 100, -32767, 32767, I16_NULL), o + 14);
        buf.writeInt16LE(scaled(s.mean, 100, -32767, 32767, I16_NULL), o + 16);
        buf.writeInt16LE(scaled(s.last, 100, -32767, 32767, I16_NULL), o + 18);
        buf.writeUInt16LE(scaled(s.std, 100, 0, 65534, U16_NULL), o + 20);
        buf.writeInt16LE(scaled(s.slope, 1000, -32767, 32767, I16_NULL), o + 22);
    });
    return buf;
}

/** Decodes binary v1. Throws FrameError naming the byte offset of what is wrong. */
export function decodeBinaryFrame(buf: Uint8Array): WindowFrame {
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    if (b.length === 0) throw new FrameError('empty binary frame', 'byte 0');
    if (b.length % RECORD_BYTES !== 0) {
        throw new FrameError(
            `binary frame is ${b.length} bytes, not a multiple of ${RECORD_BYTES} (truncated?)`,
            `byte ${b.length - (b.length % RECORD_BYTES)}`,
        );
    }
    let frame: WindowFrame | null = null;
    for (let o = 0; o < b.length; o += RECORD_BYTES) {
        const header = b.readUInt8(o);
        const version = header >> 4;
        if (version !== BINARY_VERSION) throw new FrameError(`unknown binary frame version ${version}`, `byte ${o}`);
        if (header & 0x04) throw new FrameError('reserved header bit 2 is set', `byte ${o}`);
        const stateBits = header & 0x03;
        const { sensor, unit } = sensorFromCode(b.readUInt8(o + 1), `byte ${o + 1}`);
        const seq = b.readUInt16LE(o + 2);
        const ts = b.readUInt32LE(o + 4);
        const window = b.readUInt16LE(o + 8);
        const synced = (header & 0x08) !== 0;
        if (frame === null) {
            frame = { v: 1, seq, ts, synced, window, sensors: [] };
        } else if (frame.seq !== seq || frame.ts !== ts || frame.window !== window || frame.synced !== synced) {
            throw new FrameError('records of one frame disagree on seq, ts, window or clock flag', `byte ${o}`);
        }
        frame.sensors.push({
            sensor,
            unit,
            count: b.readUInt16LE(o + 10),
            min: unscaled(b.readInt16LE(o + 12), 100, I16_NULL),
            max: unscaled(b.readInt16LE(o + 14), 100, I16_NULL),
            mean: unscaled(b.readInt16LE(o + 16), 100, I16_NULL),
            last: unscaled(b.readInt16LE(o + 18), 100, I16_NULL),
            std: unscaled(b.readUInt16LE(o + 20), 100, U16_NULL),
            slope: unscaled(b.readInt16LE(o + 22), 1000, I16_NULL),
            state: stateBits === STATE_NONE ? null : (stateBits as DeviceState),
        });
    }
    return frame as WindowFrame;
}

/** Rounds to at most 4 decimals, half away from zero: how JSON v1 numbers are written. */
export function round4(x: number | null): number | null {
    if (x === null || x === undefined || !Number.isFinite(x)) return null;
    return roundHalfAway(x * 10000) / 10000;
}

/**
 * Canonical JSON v1 text: compact, fixed key order, numbers rounded to 4 decimals.
 * The firmware writes exactly this text (test/vectors/frames.json holds both sides to it).
 */
export function encodeJsonFrame(frame: WindowFrame): string {
    const head: Record<string, unknown> = { v: 1 };
    if (frame.device !== undefined) head.device = frame.device;
    if (frame.site !== undefined) head.site = frame.site;
    head.seq = frame.seq;
    head.ts = frame.ts;
    head.synced = frame.synced;
    head.window = frame.window;
    head.sensors = frame.sensors.map((s) => {
        const out: Record<string, unknown> = { sensor: s.sensor };
        if (s.unit !== undefined && s.unit !== null) out.unit = s.unit;
        out.count = s.count;
        out.min = round4(s.min);
        out.max = round4(s.max);
        out.mean = round4(s.mean);
        out.std = round4(s.std);
        out.slope = round4(s.slope);
        out.last = round4(s.last);
        if (s.state !== undefined && s.state !== null) out.state = s.state;
        if (s.fault !== undefined) out.fault = s.fault;
        return out;
    });
    return JSON.stringify(head);
}
