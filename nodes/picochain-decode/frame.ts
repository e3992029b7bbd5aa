/**
 * A window frame (from JSON, binary or a TTN uplink) checked field by field with the shared
 * Reading rules and turned into Readings; then per-device sequence tracking, which only ever
 * sees frames that passed every check.
 */
import type { WindowFrame } from '../shared/codec';
import { describe, FieldContext, fieldProblem, kindUnit, LEVEL_FIELDS, Reading, ReadingField, SourceFormat } from '../shared/reading';
import type { FormatContext, Identity, Located, DecoderState } from './context';
import { fail, failProblem } from './messages';
import type { ReadingsOutcome } from './outcome';
import type { SeqInfo } from './seq';

// A board's uptime clock is a u32 of seconds (binary frame offset 4).
const MAX_TS = 0xffffffff;
// Levels first, so a frame beyond the binary range names its lowest value (min) first.
const CHECK_ORDER = [...LEVEL_FIELDS, 'std', 'slope'] as const;
const STAT_KIND = { min: 'level', max: 'level', mean: 'level', last: 'level', std: 'std', slope: 'slope' } as const;

export function frameReadings(
    ctx: FormatContext, state: DecoderState, frame: WindowFrame, id: Identity, source: SourceFormat, loc: Located, receivedAt: Date,
): ReadingsOutcome {
    checkTop('seq', frame.seq, loc);
    checkTop('window', frame.window, loc);
    if (typeof frame.ts !== 'number' || !Number.isInteger(frame.ts)) fail('type', { field: 'ts', expected: 'an integer', actual: describe(frame.ts), where: loc.top('ts') });
    if (frame.ts < 0 || frame.ts > MAX_TS) fail('range', { field: 'ts', value: frame.ts, min: 0, max: MAX_TS, where: loc.top('ts') });
    const deviceTime = frame.synced ? new Date(frame.ts * 1000) : null;
    if (deviceTime !== null) ctx.checkTime(deviceTime.getTime(), loc.top('ts'));

    const seen = new Set<string>();
    const readings: Reading[] = frame.sensors.map((s, i) => {
        checkAt('sensor', s.sensor, loc, i);
        if (seen.has(s.sensor)) fail('duplicate-sensor', { sensor: s.sensor, where: loc.sensor(i, 'sensor') });
        seen.add(s.sensor);
        checkAt('count', s.count, loc, i);
        // a known kind (temperature, probeN, humidity, door) has one unit, as in a binary frame
        if (s.unit !== undefined) checkAt('unit', s.unit, loc, i, { sensor: s.sensor });
        const known = kindUnit(s.sensor);
        const unit = known !== undefined ? known : s.unit ?? null;
        const limits = ctx.limits(s.sensor, unit);
        for (const f of CHECK_ORDER) {
            const v = s[f];
            const range = limits[STAT_KIND[f]];
            // inside the plausible range (or null) there is nothing to report: skip the full check
            if (v === null || (typeof v === 'number' && v >= range[0] && v <= range[1])) continue;
            checkAt(f, v, loc, i, { limits });
        }
        const state = s.state ?? null;
        checkAt('state', state, loc, i);
        const r: Reading = {
            device: id.device, site: id.site, sensor: s.sensor, unit,
            time: deviceTime ?? receivedAt, deviceTime, receivedAt,
            window: frame.window, count: s.count,
            min: s.min, max: s.max, mean: s.mean, std: s.std, slope: s.slope, last: s.last,
            seq: frame.seq, state, source,
        };
        if (s.fault !== undefined) {
            checkAt('fault', s.fault, loc, i);
            r.fault = s.fault;
        } else if (source !== 'json-v1' && s.count === 0) {
            // binary frames have no fault text: an empty window reads as the firmware's JSON would say it
            r.fault = 'no-samples';
        }
        return r;
    });

    let seqInfo: SeqInfo = { event: 'none', gap: 0, replay: false };
    if (state.options.trackSeq) {
        seqInfo = state.seq.observe(id.device, frame.seq, frame.ts, frame.window === 0 ? 'raw' : 'stats');
        if (seqInfo.replay) for (const r of readings) r.replay = true;
    }
    return { kind: 'readings', format: source, device: id.device, site: id.site, seq: frame.seq, seqInfo, readings };
}

// The shared field check, with the location only spelled out when something is wrong.
function checkTop(field: ReadingField, value: unknown, loc: Located): void {
    const p = fieldProblem(field, value);
    if (p !== null) failProblem(p, loc.top(field));
}

function checkAt(field: ReadingField, value: unknown, loc: Located, i: number, opts?: FieldContext): void {
    const p = fieldProblem(field, value, opts);
    if (p !== null) failProblem(p, loc.sensor(i, field));
}
