/**
 * What picochain-alert accepts on its input, checked before anything changes (pure): readings
 * (one or an array, Dates or ISO strings) and device status messages (birth / last will).
 */
import { reviveReading, Reading, SerialisedReading } from '../shared/reading';
import { AlertInputError } from './types';

/** A device status message, or null when the message is not one. Throws when it is one but malformed. */
export function deviceStatusOf(msg: { topic?: unknown; payload?: unknown }): { device: string; online: boolean } | null {
    const topic = typeof msg.topic === 'string' ? msg.topic : '';
    let p: unknown = msg.payload;
    if (Buffer.isBuffer(p)) p = p.toString('utf8');
    if (typeof p === 'string' && p.trim().startsWith('{')) {
        try { p = JSON.parse(p); } catch { /* not JSON: judged as text below */ }
    }
    const fromTopic = /\/status$/.test(topic) ? topic.split('/').slice(-2, -1)[0] : undefined;
    let state: unknown;
    let device: unknown = fromTopic;
    if (typeof p === 'string') {
        if (!fromTopic) return null;
        state = p.trim();
    } else if (p && typeof p === 'object' && !Array.isArray(p) && 'state' in p && !('sensor' in p)) {
        state = (p as Record<string, unknown>).state;
        device = (p as Record<string, unknown>).device ?? fromTopic;
    } else {
        return null;
    }
    if (state !== 'online' && state !== 'offline') {
        throw new AlertInputError(`device status must be "online" or "offline", got ${JSON.stringify(state)}`);
    }
    if (typeof device !== 'string' || !device) throw new AlertInputError('device status without a device (payload.device or topic …/<device>/status)');
    return { device, online: state === 'online' };
}

/**
 * The readings of msg.payload (one reading or an array), with their Dates revived. The whole batch
 * is checked first: a bad element throws, so nothing is evaluated and no state changes.
 */
export function readingsOf(payload: unknown): Reading[] {
    const list = Array.isArray(payload) ? payload : [payload];
    if (!list.length) throw new AlertInputError('empty array of readings');
    return list.map((r, i) => {
        const where = Array.isArray(payload) ? `payload[${i}]` : 'payload';
        if (!r || typeof r !== 'object' || Array.isArray(r)) throw new AlertInputError(`${where} is not a reading object`);
        const rec = r as Record<string, unknown>;
        if (typeof rec.device !== 'string' || !rec.device) throw new AlertInputError(`${where}.device must be a non-empty string`);
        if (typeof rec.sensor !== 'string' || !rec.sensor) throw new AlertInputError(`${where}.sensor must be a non-empty string`);
        if (!(rec.time instanceof Date) && typeof rec.time !== 'string' && typeof rec.time !== 'number') {
            throw new AlertInputError(`${where}.time must be a date`);
        }
        const revived = reviveReading({
            ...rec, deviceTime: rec.deviceTime ?? null, receivedAt: rec.receivedAt ?? rec.time,
            time: typeof rec.time === 'number' ? new Date(rec.time) : rec.time,
        } as unknown as SerialisedReading);
        if (Number.isNaN(revived.time.getTime())) throw new AlertInputError(`${where}.time is not a valid date: ${JSON.stringify(rec.time)}`);
        return revived;
    });
}

/** The fields the engine cannot do without (core.ts ingest). */
export function checkReading(r: Reading): void {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new AlertInputError('reading must be an object');
    if (typeof r.device !== 'string' || r.device === '') throw new AlertInputError('reading.device must be a non-empty string');
    if (typeof r.sensor !== 'string' || r.sensor === '') throw new AlertInputError(`reading.sensor must be a non-empty string (device ${r.device})`);
    if (!(r.time instanceof Date) || Number.isNaN(r.time.getTime())) throw new AlertInputError(`reading.time must be a valid date (device ${r.device}, sensor ${r.sensor})`);
}
