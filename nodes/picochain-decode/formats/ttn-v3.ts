/**
 * The Things Stack v3 uplink (LoRaWAN): the binary frame travels base64-encoded in
 * `uplink_message.frm_payload` on FPort 1; the device is `end_device_ids.device_id` (The Things
 * Stack allows 36 characters), the site `application_ids.application_id`, the receive time the
 * network's `received_at`. Other ports, and messages without an uplink payload, are ignored.
 */
import { describe } from '../../shared/reading';
import type { Claim, PayloadFormat } from '../context';
import { fail, ignored } from '../messages';
import { BASE64, isPlainObject, parseObject } from '../payload';
import { binaryReadings } from './binary-v1';
import { req } from './json-v1';

// LoRaWAN's FPort is one byte; picochain frames use port 1.
const MAX_PORT = 255;
const PICOCHAIN_PORT = 1;

export const ttnV3: PayloadFormat = {
    name: 'ttn-v3',
    input: 'object',
    detect: (p) => p.obj !== undefined && ('end_device_ids' in p.obj || 'uplink_message' in p.obj),
    decode(p, ctx) {
        const obj = parseObject(p);
        const ids = req(obj, 'end_device_ids', '$');
        if (!isPlainObject(ids)) return fail('type', { field: 'end_device_ids', expected: 'an object', actual: describe(ids), where: '$.end_device_ids' });
        const device: Claim = { value: req(ids, 'device_id', '$.end_device_ids'), where: '$.end_device_ids.device_id', label: 'device_id' };
        let site: Claim | undefined;
        if (ids.application_ids !== undefined) {
            const app = ids.application_ids;
            if (!isPlainObject(app)) return fail('type', { field: 'application_ids', expected: 'an object', actual: describe(app), where: '$.end_device_ids.application_ids' });
            site = { value: app.application_id, where: '$.end_device_ids.application_ids.application_id', label: 'application_id' };
        }
        const id = ctx.identify(device, site);
        let at = ctx.receivedAt;
        if (obj.received_at !== undefined) {
            if (typeof obj.received_at !== 'string') return fail('type', { field: 'received_at', expected: 'an ISO 8601 string', actual: describe(obj.received_at), where: '$.received_at' });
            const d = new Date(obj.received_at);
            if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(obj.received_at)) fail('bad-date', { value: obj.received_at, where: '$.received_at' });
            // the network server's clock is trusted within the same bounds as a device's
            ctx.checkTime(d.getTime(), '$.received_at');
            at = d;
        }
        const up = obj.uplink_message;
        if (up === undefined) return ignored('ttn-no-payload', { where: '$.uplink_message' });
        if (!isPlainObject(up)) return fail('type', { field: 'uplink_message', expected: 'an object', actual: describe(up), where: '$.uplink_message' });
        if (up.frm_payload === undefined) return ignored('ttn-no-payload', { where: '$.uplink_message.frm_payload' });
        const port = up.f_port;
        if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port))) {
            return fail('type', { field: 'f_port', expected: 'an integer', actual: describe(port), where: '$.uplink_message.f_port' });
        }
        if (port !== undefined && (port < 0 || port > MAX_PORT)) fail('range', { field: 'f_port', value: port, min: 0, max: MAX_PORT, where: '$.uplink_message.f_port' });
        // TTN omits f_port 0 (MAC-only) frames' payload; anything but port 1 is not ours
        if (port !== PICOCHAIN_PORT) return ignored('ttn-port', { port: String(port), where: '$.uplink_message.f_port' });
        const b64 = up.frm_payload;
        if (typeof b64 !== 'string') return fail('type', { field: 'frm_payload', expected: 'a base64 string', actual: describe(b64), where: '$.uplink_message.frm_payload' });
        if (!BASE64.test(b64)) fail('base64', { field: 'frm_payload', where: '$.uplink_message.frm_payload' });
        return binaryReadings(Buffer.from(b64, 'base64'), ctx, 'ttn-v3', '$.uplink_message.frm_payload ', id, at);
    },
};
