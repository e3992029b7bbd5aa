/**
 * picochain JSON frame v1 (firmware/PROTOCOL.md): `{"v":1,"device":…,"seq":…,"ts":…,"window":…,
 * "sensors":[…]}`. Presence and shape are checked here; every value by the shared Reading rules
 * in frame.ts, as for a binary frame.
 */
import type { SensorStats, WindowFrame } from '../../shared/codec';
import { describe, MAX_SENSORS_PER_FRAME } from '../../shared/reading';
import type { Located, PayloadFormat } from '../context';
import { fail } from '../messages';
import { isPlainObject, parseObject } from '../payload';

const JSON_LOCATOR: Located = {
    top: (f) => `$.${f}`,
    sensor: (i, f) => `$.sensors[${i}].${f}`,
};

/** obj[field], failing as `missing` at `base` when absent. */
export function req(obj: Record<string, unknown>, field: string, base: string): unknown {
    if (!(field in obj) || obj[field] === undefined) fail('missing', { field, where: base });
    return obj[field];
}

/** A `sensors[]` entry with its values as given: frame.ts checks each against the Reading rules. */
function jsonSensor(s: unknown, path: string): SensorStats {
    if (!isPlainObject(s)) return fail('type', { field: 'sensor entry', expected: 'an object', actual: describe(s), where: path });
    // an absent statistic reads as null (the firmware always writes all six)
    return {
        sensor: req(s, 'sensor', path), count: req(s, 'count', path),
        min: s.min ?? null, max: s.max ?? null, mean: s.mean ?? null, std: s.std ?? null, slope: s.slope ?? null, last: s.last ?? null,
        unit: s.unit, state: s.state, fault: s.fault,
    } as SensorStats;
}

export const jsonV1: PayloadFormat = {
    name: 'json-v1',
    input: 'object',
    detect: (p) => p.obj !== undefined && ('v' in p.obj || 'sensors' in p.obj),
    decode(p, ctx) {
        const obj = parseObject(p);
        if (!('v' in obj)) fail('missing', { field: 'v', where: '$' });
        if (obj.v !== 1) fail('version', { value: typeof obj.v === 'string' ? `"${obj.v}"` : String(obj.v), where: '$.v' });
        const id = ctx.identify({ value: obj.device, where: '$.device' }, { value: obj.site, where: '$.site' });
        const seq = req(obj, 'seq', '$');
        const ts = req(obj, 'ts', '$');
        const window = req(obj, 'window', '$');
        const synced = obj.synced === undefined ? true : obj.synced;
        if (typeof synced !== 'boolean') fail('type', { field: 'synced', expected: 'a boolean', actual: describe(synced), where: '$.synced' });
        const sensors = req(obj, 'sensors', '$');
        if (!Array.isArray(sensors)) return fail('type', { field: 'sensors', expected: 'an array', actual: describe(sensors), where: '$.sensors' });
        if (sensors.length < 1 || sensors.length > MAX_SENSORS_PER_FRAME) {
            fail('range', { field: 'sensors.length', value: sensors.length, min: 1, max: MAX_SENSORS_PER_FRAME, where: '$.sensors' });
        }
        const frame = { v: 1, seq, ts, synced, window, sensors: sensors.map((s, i) => jsonSensor(s, `$.sensors[${i}]`)) } as WindowFrame;
        return ctx.frameReadings(frame, id, 'json-v1', JSON_LOCATOR);
    },
};
