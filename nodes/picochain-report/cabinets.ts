/**
 * Which cabinet probes have a food-safety log (pure): the registry's devices (picochain-devices'
 * documents) of a logged kind (fridge, cold room, freezer), each temperature sensor of theirs that
 * sits in the cabinet (not one whose registry entry places it elsewhere, like a board's own
 * sensor reading the room). And the requests' checks: texts, names, who.
 */
import type { Cabinet } from './month';
import { CABINETS_LOGGED, LoggedKind } from './settings';
import { chainId } from './ledger';

const TEMP_UNITS: Record<string, '°C' | '°F'> = { '°C': '°C', C: '°C', '°F': '°F', F: '°F' };

/** The logged cabinet probes of the registry's documents, sorted by device then sensor. */
export function cabinetsOf(docs: Record<string, unknown>[]): Cabinet[] {
    const out: Cabinet[] = [];
    for (const d of docs) {
        const kind = d.kind as LoggedKind;
        if (typeof d._id !== 'string' || !(CABINETS_LOGGED as readonly string[]).includes(kind)) continue;
        const sensors = d.sensors && typeof d.sensors === 'object' ? d.sensors as Record<string, { unit?: unknown; kind?: unknown; states?: unknown }> : {};
        for (const [sensor, s] of Object.entries(sensors)) {
            const unit = TEMP_UNITS[String(s && s.unit)];
            if (!unit || (s.kind && s.kind !== kind)) continue;
            out.push({
                device: d._id, sensor, kind, unit,
                name: typeof d.name === 'string' && d.name ? d.name : null,
                location: typeof d.location === 'string' && d.location ? d.location : null,
            });
        }
    }
    return out.sort((a, b) => a.device.localeCompare(b.device) || a.sensor.localeCompare(b.sensor));
}

export const cabinetChain = (c: Cabinet): string => chainId(c.device, c.sensor);

/** A request the log refuses: `key` is the catalog key under `picochain-report.errors`. */
export class ReportError extends Error {
    constructor(readonly key: string, readonly args: Record<string, string | number> = {}) {
        super(`${key} ${JSON.stringify(args)}`);
        this.name = 'ReportError';
    }
}

/** A free text of an action or correction: trimmed, 1 to 500 characters, no control characters but line breaks. */
export function checkText(v: unknown, field: string): string {
    const s = typeof v === 'string' ? v.trim().replace(/\r\n?/g, '\n') : '';
    if (!s || s.length > 500 || /[\u0000-\u0009\u000b-\u001f\u007f]/.test(s)) throw new ReportError('bad-text', { field });
    return s;
}

/** Who: a login name or typed initials, 1 to 64 printable characters. */
export function checkWho(v: unknown): string | null {
    if (v === undefined || v === null || v === '') return null;
    const s = typeof v === 'string' ? v.trim() : '';
    if (!s || s.length > 64 || /[\u0000-\u001f\u007f]/.test(s)) throw new ReportError('bad-who');
    return s;
}

/** The cabinets a request names: `device` (and `sensor`), or all of them when `all` is allowed and no device is given. */
export function selectCabinets(all: Cabinet[], req: { device?: unknown; sensor?: unknown }, allowAll: boolean): Cabinet[] {
    if (req.device === undefined || req.device === null || req.device === '' || req.device === '*') {
        if (!allowAll) throw new ReportError('no-device');
        return all;
    }
    const picked = all.filter((c) => c.device === req.device && (req.sensor === undefined || req.sensor === null || req.sensor === '' || req.sensor === '*' || c.sensor === req.sensor));
    if (!picked.length) throw new ReportError('unknown-cabinet', { device: String(req.device), sensor: req.sensor ? String(req.sensor) : '' });
    return picked;
}
