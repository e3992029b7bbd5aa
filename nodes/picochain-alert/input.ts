/**
 * What picochain-alert accepts on its input, checked before anything changes (pure): readings
 * (one or an array, Dates or ISO strings) and device status messages (birth / last will).
 */
import { checkReading as checkSharedReading, Reading, ReadingCheckError } from '../shared/reading';
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
 * The readings of msg.payload (one reading or an array), checked and normalised by the shared
 * Reading check (Dates revived). The whole batch is checked first: a bad element throws, so nothing
 * is evaluated and no state changes.
 */
export function readingsOf(payload: unknown, now = Date.now()): Reading[] {
    const list = Array.isArray(payload) ? payload : [payload];
    if (!list.length) throw new AlertInputError('empty array of readings');
    return list.map((r, i) => checkReading(r, now, Array.isArray(payload) ? `payload[${i}]` : 'payload'));
}

/** The shared Reading check (nodes/shared/reading.ts), failures as AlertInputError. */
export function checkReading(r: unknown, now = Date.now(), path = 'reading'): Reading {
    try {
        return checkSharedReading(r, { now: new Date(now), path }) as Reading;
    } catch (e) {
        throw e instanceof ReadingCheckError ? new AlertInputError(e.message) : e;
    }
}
