/**
 * picochain binary frame v1 (24 bytes per sensor, nodes/shared/codec.ts): a Buffer that is not
 * text, or hex text (base64 too when the format is forced). The device and site come from the
 * topic; a TTN uplink (ttn-v3.ts) carries the same bytes and names them itself.
 */
import { decodeBinaryFrame, FrameError, RECORD_BYTES, WindowFrame } from '../../shared/codec';
import { MAX_SENSORS_PER_FRAME, SourceFormat } from '../../shared/reading';
import type { FormatContext, Identity, Located, PayloadFormat } from '../context';
import { ErrorKey, fail } from '../messages';
import type { ReadingsOutcome } from '../outcome';
import { frameBytes, HEX_FRAME, trimmedText } from '../payload';

const BINARY_OFFSETS: Record<string, number> = {
    header: 0, state: 0, synced: 0, sensor: 1, unit: 1, seq: 2, ts: 4, window: 8, count: 10,
    min: 12, max: 14, mean: 16, last: 18, std: 20, slope: 22,
};

/** Field locations as byte offsets, after `prefix` ("$.uplink_message.frm_payload "). */
function binaryLocator(prefix: string): Located {
    const at = (i: number, f: string) => `${prefix}byte ${i * RECORD_BYTES + (BINARY_OFFSETS[f] ?? 0)}`;
    return { top: (f) => at(0, f), sensor: at };
}

/**
 * Decodes binary frame bytes into readings of `source`. `id` is who sent them when the carrier
 * says so (TTN); otherwise the topic names the device.
 */
export function binaryReadings(bytes: Buffer, ctx: FormatContext, source: SourceFormat, prefix: string, id: Identity | null, receivedAt?: Date): ReadingsOutcome {
    let frame: WindowFrame;
    try {
        frame = decodeBinaryFrame(bytes);
    } catch (e) {
        if (!(e instanceof FrameError)) throw e;
        const detail = e.message.replace(/\s*\(at [^)]*\)$/, '');
        const key: ErrorKey = /not a multiple|empty/.test(detail) ? 'truncated' : /version/.test(detail) ? 'version' : 'binary';
        if (key === 'version') {
            const v = /version (\d+)/.exec(detail);
            return fail('version', { value: v ? v[1] : '?', where: prefix + e.where });
        }
        return fail(key, { detail, where: prefix + e.where });
    }
    if (frame.sensors.length > MAX_SENSORS_PER_FRAME) {
        fail('range', { field: 'sensors.length', value: frame.sensors.length, min: 1, max: MAX_SENSORS_PER_FRAME, where: `${prefix}byte ${MAX_SENSORS_PER_FRAME * RECORD_BYTES}` });
    }
    const who = id ?? ctx.identify({ value: undefined, where: `${prefix}byte 0` });
    return ctx.frameReadings(frame, who, source, binaryLocator(prefix), receivedAt);
}

export const binaryV1: PayloadFormat = {
    name: 'binary-v1',
    input: 'raw',
    // hex text is accepted in auto mode too (handy from an inject node); base64 only when forced
    detect: (p) => p.obj === undefined && (p.bytes !== undefined || (p.text !== undefined && HEX_FRAME.test(trimmedText(p) as string))),
    decode: (p, ctx) => binaryReadings(frameBytes(p), ctx, 'binary-v1', '', null),
};
