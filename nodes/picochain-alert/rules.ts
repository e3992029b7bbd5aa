/**
 * Alert rules per cabinet profile and unit: which rule judges a reading, their validation, and the
 * food-safety defaults. Pure, no Node-RED import.
 *
 * A reading is judged by a rule only when all three match: its profile (the registry's cabinet
 * kind of the device or of that sensor; `*` rules match every profile), its sensor name (patterns
 * with `*`) and its unit (compared after normalising spellings such as "C" → "°C"). A humidity
 * reading (%) is therefore never judged by a °C rule, and a freezer never by a fridge rule.
 */
import { normUnit, Reading } from '../shared/reading';
import {
    ANY_PROFILE, AlertOptions, Band, CabinetInfo, PROFILES, RULE_KINDS, Rule, RuleKind, SEVERITIES, UNASSIGNED, VALUE_FIELDS,
} from './types';

/** A validation problem: a catalog key under `picochain-alert.errors.` and its arguments. */
export interface OptionProblem {
    key: string;
    args?: Record<string, string | number>;
}

export { normUnit };

/** What a reading is judged as: its profile, unit and state labels (reading first, registry second). */
export function readingInfo(r: Pick<Reading, 'sensor' | 'unit'>, cabinet: CabinetInfo | null | undefined, defaultProfile: string):
    { profile: string; unit: string | null; labels: Record<string, string> | undefined } {
    const si = cabinet && cabinet.sensors ? cabinet.sensors[r.sensor] : undefined;
    const profile = (si && si.kind) || (cabinet && cabinet.kind) || defaultProfile || UNASSIGNED;
    return { profile, unit: normUnit(r.unit) ?? normUnit(si && si.unit), labels: si && si.states ? si.states : undefined };
}

const MS_PER_MIN = 60000;

/** What a rise/fall rule judges: the least-squares slope of [ms, value] points in unit per minute; null below two distinct times. */
export function slopePerMinute(points: readonly [number, number][]): number | null {
    const n = points.length;
    if (n < 2) return null;
    const t0 = points[0][0];
    let st = 0, sv = 0;
    for (const [t, v] of points) { st += (t - t0) / MS_PER_MIN; sv += v; }
    const mt = st / n, mv = sv / n;
    let num = 0, den = 0;
    for (const [t, v] of points) {
        const dt = (t - t0) / MS_PER_MIN - mt;
        num += dt * (v - mv);
        den += dt * dt;
    }
    return den > 0 ? num / den : null;
}

/** Compiles "probe*, temperature" into one matcher; empty or "*" matches every sensor. */
export function sensorMatcher(patterns: readonly string[]): (sensor: string) => boolean {
    const list = patterns.map((p) => p.trim()).filter(Boolean);
    if (!list.length || list.includes('*')) return () => true;
    const re = new RegExp(`^(?:${list.map((p) => p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')).join('|')})$`);
    return (sensor) => re.test(sensor);
}

/** A rule compiled for matching: its place in the list decides ties. */
export interface CompiledRule {
    rule: Rule;
    index: number;
    matches: (sensor: string) => boolean;
    unit: string | null;
}

/** The rules that judge one (profile, sensor, unit): at most one per kind. */
export type RuleSet = ReadonlyMap<RuleKind, CompiledRule>;
const EMPTY: RuleSet = new Map();
/** Bound on cached (profile, sensor, unit) combinations (a memory guard; they are few in practice). */
const MAX_CACHED = 10000;

/**
 * Chooses the rules for readings: per kind, a rule of the reading's own profile before a `*` rule,
 * then the first in the list. Results are cached per (profile, sensor, unit), so a reading costs
 * one map lookup whatever the number of rules.
 */
export class RuleBook {
    private readonly compiled: CompiledRule[];
    private readonly cache = new Map<string, RuleSet>();

    constructor(rules: readonly Rule[]) {
        this.compiled = rules.map((rule, index) => ({ rule, index, matches: sensorMatcher(rule.sensors), unit: normUnit(rule.unit) }));
    }

    /** The rules judging a reading of `sensor` in `unit` from a device of `profile`. */
    rulesFor(profile: string, sensor: string, unit: string | null): RuleSet {
        const u = normUnit(unit);
        if (u === null) return EMPTY; // no unit: no rule can say what the number means
        const key = `${profile}\u0000${sensor}\u0000${u}`;
        let set = this.cache.get(key);
        if (set) return set;
        const out = new Map<RuleKind, CompiledRule>();
        for (const exact of [true, false]) {
            for (const c of this.compiled) {
                const p = c.rule.profile;
                if (exact ? p !== profile : p !== ANY_PROFILE) continue;
                if (c.unit !== u || !c.matches(sensor) || out.has(c.rule.kind)) continue;
                out.set(c.rule.kind, c);
            }
        }
        set = out.size ? out : EMPTY;
        if (this.cache.size >= MAX_CACHED) this.cache.clear();
        this.cache.set(key, set);
        return set;
    }
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks one rule; `n` is its 1-based position, named in every message. */
function validateRule(r: Rule, n: number): OptionProblem[] {
    const p: OptionProblem[] = [];
    const at = (key: string, args: Record<string, string | number> = {}) => p.push({ key, args: { rule: n, ...args } });
    if (r.profile !== ANY_PROFILE && !(PROFILES as readonly string[]).includes(r.profile) && r.profile !== UNASSIGNED) at('rule-profile', { profile: String(r.profile) });
    if (!RULE_KINDS.includes(r.kind)) { at('rule-kind', { kind: String(r.kind) }); return p; }
    if (normUnit(r.unit) === null) at('rule-unit');
    if (!VALUE_FIELDS.includes(r.value)) at('value-field', { field: String(r.value) });
    if (!r.warning && !r.critical) { at('rule-empty'); return p; }
    for (const sev of SEVERITIES) {
        const b = r[sev];
        if (!b) continue;
        if (!finite(b.fire) || !finite(b.clear)) at('not-a-number', { field: sev });
        else if (!finite(b.forS) || b.forS < 0) at('rule-duration', { field: `${sev} for` });
    }
    if (p.length) return p;
    if (r.kind === 'state') {
        if (!r.states.length || !r.states.every((s) => Number.isInteger(s))) at('state-values');
        return p;
    }
    const rate = r.kind === 'rise' || r.kind === 'fall';
    // "beyond" is above for high and for rate magnitudes, below for low
    const up = r.kind !== 'low';
    for (const sev of SEVERITIES) {
        const b = r[sev] as Band | null;
        if (!b) continue;
        if (rate && (b.fire <= 0 || b.clear < 0)) at('rate-positive', { field: sev });
        else if (up ? b.clear > b.fire : b.clear < b.fire) at(up ? 'clear-high' : 'clear-low', { field: sev, level: b.fire, clear: b.clear });
    }
    const w = r.warning;
    const c = r.critical;
    if (!p.length && w && c) {
        if (up ? c.fire <= w.fire : c.fire >= w.fire) at(up ? 'critical-high' : 'critical-low', { warning: w.fire, critical: c.fire });
        else if (up ? c.clear < w.clear : c.clear > w.clear) at('critical-clear', { warning: w.clear, critical: c.clear });
    }
    return p;
}

/**
 * Checks options for contradictions the editor also refuses (the runtime re-checks because flows
 * can be written by hand): every clear level on the quiet side of its fire level, critical beyond
 * warning and clearing before it, a unit on every rule, positive rates, durations ≥ 0.
 */
export function validateOptions(o: AlertOptions): OptionProblem[] {
    const p: OptionProblem[] = [];
    o.rules.forEach((r, i) => p.push(...validateRule(r, i + 1)));
    const durations: [string, number][] = [['renotify', o.renotifyS], ['keep-firing', o.keepFiringS], ['silent', o.silentS]];
    for (const [name, v] of durations) if (!finite(v) || v < 0) p.push({ key: 'duration', args: { field: name } });
    if (!finite(o.rateWindowS) || o.rateWindowS <= 0) p.push({ key: 'duration', args: { field: 'rate-window' } });
    if (!(PROFILES as readonly string[]).includes(o.defaultProfile) && o.defaultProfile !== UNASSIGNED) p.push({ key: 'default-profile', args: { profile: String(o.defaultProfile) } });
    return p;
}

const band = (fire: number, clear: number, forS: number): Band => ({ fire, clear, forS });
const rule = (profile: string, kind: RuleKind, unit: string, warning: Band | null, critical: Band | null): Rule => ({
    profile, sensors: [], unit, kind, value: 'mean', warning, critical, states: [],
});

/**
 * Food-safety defaults per cabinet profile, on the window mean (times in seconds of reading time):
 * - fridge and cold room, kept at 0–5 °C: warning above 5 °C held 1 h (an hour's margin on the
 *   2-hour rule for chilled food above 5 °C), critical above 8 °C (the legal ceiling for chilled
 *   food in the UK) held 30 min; warning below 0 °C held 1 h (food freezing);
 * - freezer, kept at −18 °C or colder: warning above −15 °C held 30 min (Directive 89/108/EEC
 *   tolerates brief rises of 3 °C above −18 °C), critical above −12 °C held 30 min;
 * - ambient (dry store, or a board's own sensor reading the room): warning above 30 °C held 1 h.
 * The pending times ride through door openings, restocking and compressor cycles.
 */
export const FOOD_SAFETY_RULES: readonly Rule[] = Object.freeze([
    rule('fridge', 'high', '°C', band(5, 4.5, 3600), band(8, 7, 1800)),
    rule('fridge', 'low', '°C', band(0, 0.5, 3600), null),
    rule('cold-room', 'high', '°C', band(5, 4.5, 3600), band(8, 7, 1800)),
    rule('cold-room', 'low', '°C', band(0, 0.5, 3600), null),
    rule('freezer', 'high', '°C', band(-15, -16, 1800), band(-12, -13, 1800)),
    rule('ambient', 'high', '°C', band(30, 28, 3600), null),
]);
