/**
 * Device status on `picochain/<site>/<device>/status`: the retained birth JSON after each
 * connection, and the plain-text `offline` last will the broker publishes when a board drops
 * off. Recognised whatever the format setting; an empty retained message (a cleared status) is
 * ignored with a warning.
 */
import { checkReport } from '../../shared/board-config';
import { describe } from '../../shared/reading';
import type { FormatContext, PayloadFormat } from '../context';
import { fail, ignored } from '../messages';
import type { DeviceStatus, StatusOutcome } from '../outcome';
import { parseObject, Payload, trimmedText } from '../payload';
import { req } from './json-v1';

// Plausible ranges of the birth message's numbers (firmware/PROTOCOL.md): a radio reads about
// −30 … −100 dBm; counters are u32 on the board.
const RSSI_RANGE = [-200, 0] as const;
const MAX_COUNTER = 0xffffffff;
const COUNTERS = ['boot', 'buffered', 'replayed', 'dropped'] as const;

function statusText(p: Payload, ctx: FormatContext): string | undefined {
    if (p.text !== undefined) return trimmedText(p);
    // on a status topic even bytes that are not plausibly text are read as text (and then refused as JSON)
    if (p.bytes !== undefined && ctx.topicKind === 'status') return p.bytes.toString('utf8').trim();
    return undefined;
}

function isStatusShape(obj: Record<string, unknown>): boolean {
    return (obj.state === 'online' || obj.state === 'offline') && !('sensors' in obj) && !('v' in obj);
}

function decodeStatus(obj: Record<string, unknown>, ctx: FormatContext): StatusOutcome {
    const { device, site } = ctx.identify({ value: obj.device, where: '$.device' }, { value: obj.site, where: '$.site' });
    const state = req(obj, 'state', '$');
    if (state !== 'online' && state !== 'offline') {
        return fail('type', { field: 'state', expected: '"online" or "offline"', actual: describe(state), where: '$.state' });
    }
    const status: DeviceStatus = { device, site, state, receivedAt: ctx.receivedAt };
    const str = (k: 'fw' | 'ip', maxLen: number) => {
        const v = obj[k];
        if (v === undefined || v === null) return;
        if (typeof v !== 'string' || v.length > maxLen) fail('type', { field: k, expected: `a string of at most ${maxLen} characters`, actual: describe(v), where: `$.${k}` });
        status[k] = v as string;
    };
    str('fw', 32);
    str('ip', 64);
    if (obj.rssi !== undefined && obj.rssi !== null) {
        if (typeof obj.rssi !== 'number') fail('type', { field: 'rssi', expected: 'a number', actual: describe(obj.rssi), where: '$.rssi' });
        const rssi = obj.rssi as number;
        if (rssi < RSSI_RANGE[0] || rssi > RSSI_RANGE[1]) fail('range', { field: 'rssi', value: rssi, min: RSSI_RANGE[0], max: RSSI_RANGE[1], where: '$.rssi' });
        status.rssi = rssi;
    }
    for (const k of COUNTERS) {
        const v = obj[k];
        if (v === undefined || v === null) continue;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail('type', { field: k, expected: 'a non-negative integer', actual: describe(v), where: `$.${k}` });
        if ((v as number) > MAX_COUNTER) fail('range', { field: k, value: v as number, min: 0, max: MAX_COUNTER, where: `$.${k}` });
        status[k] = v as number;
    }
    if (obj.synced !== undefined && obj.synced !== null) {
        if (typeof obj.synced !== 'boolean') fail('type', { field: 'synced', expected: 'a boolean', actual: describe(obj.synced), where: '$.synced' });
        status.synced = obj.synced as boolean;
    }
    if (obj.config !== undefined && obj.config !== null) {
        const r = checkReport(obj.config);
        if (r.problem) fail('type', { field: r.problem.field, expected: r.problem.expected, actual: describe(r.problem.value), where: `$.${r.problem.field}` });
        status.config = r.report;
    }
    if (status.boot !== undefined) ctx.noteBoot(device, status.boot);
    return { kind: 'status', status };
}

export const status: PayloadFormat = {
    name: 'status',
    input: 'raw',
    always: true,
    detect(p, ctx) {
        if (ctx.topicKind === 'status') return true;
        const t = statusText(p, ctx);
        if (t === 'online' || t === 'offline') return true;
        // a birth message on another topic is only recognised when auto-detecting
        return ctx.auto && p.obj !== undefined && isStatusShape(p.obj);
    },
    decode(p, ctx) {
        const t = statusText(p, ctx);
        if (t === 'online' || t === 'offline') return decodeStatus({ state: t }, ctx);
        if (t === '' && ctx.topicKind === 'status') return ignored('status-cleared', { device: ctx.topicDevice() ?? '?' });
        return decodeStatus(parseObject(p.bytes !== undefined ? { text: p.bytes.toString('utf8') } : p), ctx);
    },
};
