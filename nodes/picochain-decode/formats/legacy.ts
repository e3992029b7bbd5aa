/**
 * The original system's TOUCAN messages: `{"datetime":"2024-3-12 14:5:10.25","noeud":"pico_1",
 * "capteur":"temperature","metrique":"brute","valeur":21.4}`, one reading each. A sensor must be
 * one whose unit picochain knows (SENSORS below); any other is refused, never stored unitless.
 */
import { describe, kindUnit, MAX_WINDOW_S, Reading } from '../../shared/reading';
import type { PayloadFormat } from '../context';
import { parseLegacyDate } from '../legacy-time';
import { fail } from '../messages';
import { parseObject } from '../payload';
import { req } from './json-v1';

/**
 * The legacy sensor names picochain accepts: French names of the original boards, then every
 * name of a known sensor kind (temperature, temperatureN, probeN: °C; humidity: %; door), and the
 * discrete-state sensors of the original design (a camera: 0 nothing, 1 present, 2 surplus),
 * which have no unit: the device registry labels their states.
 */
const ALIASES: Readonly<Record<string, string>> = { humidite: 'humidity' };
const DISCRETE: ReadonlySet<string> = new Set(['camera']);

export const legacy: PayloadFormat = {
    name: 'legacy',
    input: 'object',
    detect: (p, ctx) => p.obj !== undefined && ('noeud' in p.obj || 'capteur' in p.obj || 'valeur' in p.obj || ctx.topic === 'TOUCAN'),
    decode(p, ctx) {
        const obj = parseObject(p);
        const { device, site } = ctx.identify({ value: req(obj, 'noeud', '$'), where: '$.noeud', label: 'noeud' });
        const capteur = req(obj, 'capteur', '$');
        if (typeof capteur !== 'string') return fail('type', { field: 'capteur', expected: 'a string', actual: describe(capteur), where: '$.capteur' });
        const sensor = ALIASES[capteur] ?? capteur;
        ctx.check('sensor', sensor, '$.capteur', { label: 'capteur' });
        const unit = DISCRETE.has(sensor) ? null : kindUnit(sensor);
        if (unit === undefined) fail('unknown-sensor', { value: capteur, where: '$.capteur' });

        const metrique = obj.metrique === undefined ? 'brute' : obj.metrique;
        if (typeof metrique !== 'string') return fail('type', { field: 'metrique', expected: 'a string', actual: describe(metrique), where: '$.metrique' });
        let window: number;
        if (metrique === 'brute') window = 0;
        else {
            const m = /^moy_(\d{1,5})_(sec|min)$/.exec(metrique);
            if (!m) return fail('type', { field: 'metrique', expected: '"brute", "moy_<n>_sec" or "moy_<n>_min"', actual: describe(metrique), where: '$.metrique' });
            window = Number(m[1]) * (m[2] === 'min' ? 60 : 1);
            if (window < 1 || window > MAX_WINDOW_S) fail('range', { field: 'metrique', value: `${window} s`, min: 1, max: MAX_WINDOW_S, where: '$.metrique' });
        }
        const valeur = req(obj, 'valeur', '$');
        if (typeof valeur !== 'number') return fail('type', { field: 'valeur', expected: 'a number', actual: describe(valeur), where: '$.valeur' });
        // valeur stands for min, max, mean and last alike
        ctx.check('mean', valeur, '$.valeur', { label: 'valeur', limits: ctx.limits(sensor, unit ?? null) });

        const dt = req(obj, 'datetime', '$');
        if (typeof dt !== 'string') return fail('type', { field: 'datetime', expected: 'a date string', actual: describe(dt), where: '$.datetime' });
        const time = parseLegacyDate(dt, ctx.legacyZone);
        if (time === null) return fail('bad-date', { value: dt, where: '$.datetime' });
        ctx.checkTime(time.getTime(), '$.datetime');

        const reading: Reading = {
            device, site, sensor, unit: unit ?? null, time, deviceTime: time, receivedAt: ctx.receivedAt,
            window, count: 1, min: valeur, max: valeur, mean: valeur,
            // one raw sample has no spread; a board-side mean's spread is unknown
            std: window === 0 ? 0 : null,
            slope: null, last: valeur, seq: null, state: null, source: 'legacy',
        };
        return { kind: 'readings', format: 'legacy', device, site, seq: null, seqInfo: { event: 'none', gap: 0, replay: false }, readings: [reading] };
    },
};
