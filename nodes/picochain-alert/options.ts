/**
 * picochain-alert editor config → core options, and config migrations (pure, no Node-RED import).
 * The editor stores numbers as text so an empty field can mean "off".
 */
import { Migration, runMigrations } from '../shared/migrations';
import { expandEnv } from '../shared/env';
import { isCollectionName, shareGroupProblem } from '../shared/rules';
import { FOOD_SAFETY_RULES, OptionProblem } from './rules';
import { AlertOptions, Band, Rule, RuleKind, Severity, UNASSIGNED, ValueField } from './types';

/** Node context key under which each device's saved state lives (picochain-alert.ts). */
export const STATE_KEY = 'picochainAlert';
/**
 * Changed devices the node saves per tick, at most: a whole fleet changing at once is saved over
 * several ticks, and a message never waits behind a long save (bench/alert.js measures one batch).
 */
export const SAVE_BATCH = 500;
/** Where version 1 kept the whole state in one value (read once, to upgrade). */
export const V1_STATE_KEY = 'picochainAlertState';

/** Current version of the node's editor config (`version` in the html defaults). */
export const CONFIG_VERSION = 2;

/** One rule as the editor saves it (numbers as text; empty: that severity is off). */
export interface RuleConfig {
    profile: string;
    sensors: string;
    unit: string;
    kind: RuleKind;
    value: ValueField;
    warning: string;
    warningClear: string;
    warningFor: string;
    critical: string;
    criticalClear: string;
    criticalFor: string;
    /** kind state: comma-separated states and the severity they raise. */
    states: string;
    severity: Severity;
}

/** The node's properties as the editor saves them (see `defaults` in picochain-alert.html). */
export interface AlertNodeConfig {
    name: string;
    defaultProfile: string;
    rules: RuleConfig[];
    rateWindow: string;
    rateSource: 'readings' | 'slope';
    renotify: string;
    keepFiring: string;
    silent: string;
    silentSeverity: Severity;
    offline: boolean;
    store: string;
    /**
     * Instances sharing this node's state (their share group; `${VAR}` allowed): empty = this
     * instance alone (node context); else each device's state in `stateCollection` of `mongo`.
     */
    group: string;
    mongo: string;
    stateCollection: string;
    version: number;
}

const text = (v: number | undefined | null): string => (v === undefined || v === null ? '' : String(v));

/** A core rule in the editor's form. */
export function ruleToConfig(r: Rule): RuleConfig {
    const sev: Severity = r.critical && !r.warning ? 'critical' : 'warning';
    const state = r.kind === 'state';
    return {
        profile: r.profile, sensors: r.sensors.join(','), unit: r.unit, kind: r.kind, value: r.value,
        warning: state ? '' : text(r.warning?.fire), warningClear: state ? '' : text(r.warning?.clear), warningFor: text(r.warning?.forS),
        critical: state ? '' : text(r.critical?.fire), criticalClear: state ? '' : text(r.critical?.clear), criticalFor: text(r.critical?.forS),
        states: r.states.join(','), severity: sev,
    };
}

export const DEFAULT_CONFIG: AlertNodeConfig = {
    name: '',
    defaultProfile: UNASSIGNED,
    rules: FOOD_SAFETY_RULES.map(ruleToConfig),
    rateWindow: '600',
    rateSource: 'readings',
    renotify: '0',
    keepFiring: '0',
    silent: '600',
    silentSeverity: 'critical',
    offline: false,
    store: '',
    group: '',
    mongo: '',
    stateCollection: 'alert_state',
    version: CONFIG_VERSION,
};

/** How often a node sharing its state reads what other instances wrote (ms). */
export const SHARED_REFRESH_MS = 2000;
/**
 * Superseded revisions of the shared state are removed once this old (ms): refresh() reads them
 * before, and instances' clocks must agree within a quarter of it (shared.ts).
 */
export const SHARED_PRUNE_AGE_MS = 600_000;
export const SHARED_PRUNE_EVERY_MS = 30_000;

/**
 * Where the state lives: `group` after `${VAR}` expansion (empty: node context) and its collection,
 * or the problem (a group needs a picochain-mongo-config node and a collection name).
 */
export function sharedSettings(c: AlertNodeConfig, lookup: (name: string) => string | undefined, hasMongo: boolean): { group: string; collection: string; problem?: OptionProblem } {
    const group = expandEnv(String(c.group ?? ''), lookup).trim();
    const collection = String(c.stateCollection || 'alert_state').trim();
    if (!group) return { group, collection };
    const bad = shareGroupProblem(group);
    if (bad) return { group, collection, problem: { key: 'shared-group', args: { problem: bad } } };
    if (!hasMongo) return { group, collection, problem: { key: 'shared-mongo' } };
    if (!isCollectionName(collection)) return { group, collection, problem: { key: 'shared-collection', args: { collection } } };
    return { group, collection };
}

/** Version 1's flat threshold fields, folded into rules by the version 2 migration. */
const V1_FIELDS = ['value', 'sensors', 'highWarning', 'highWarningClear', 'highCritical', 'highCriticalClear', 'lowWarning', 'lowWarningClear',
    'lowCritical', 'lowCriticalClear', 'rise', 'riseClear', 'fall', 'fallClear', 'rateSeverity', 'forTime'];

/** Version 1 (one set of thresholds for every sensor, no units) as `*` rules in °C. */
function v1Rules(c: Record<string, unknown>): RuleConfig[] {
    const s = (k: string): string => (c[k] === undefined || c[k] === null ? '' : String(c[k]).trim());
    const forTime = s('forTime') || '0';
    const value = (['mean', 'last', 'min', 'max'].includes(s('value')) ? s('value') : 'mean') as ValueField;
    const base = { profile: '*', sensors: s('sensors'), unit: '°C', value, states: '', severity: 'warning' as Severity };
    const out: RuleConfig[] = [];
    for (const side of ['high', 'low'] as const) {
        const w = s(`${side}Warning`);
        const cr = s(`${side}Critical`);
        if (!w && !cr) continue;
        out.push({ ...base, kind: side, warning: w, warningClear: w ? s(`${side}WarningClear`) : '', warningFor: w ? forTime : '',
            critical: cr, criticalClear: cr ? s(`${side}CriticalClear`) : '', criticalFor: cr ? forTime : '' });
    }
    for (const kind of ['rise', 'fall'] as const) {
        const l = s(kind);
        if (!l) continue;
        const crit = s('rateSeverity') === 'critical';
        const band = { fire: l, clear: s(`${kind}Clear`), for: forTime };
        out.push({ ...base, kind, warning: crit ? '' : band.fire, warningClear: crit ? '' : band.clear, warningFor: crit ? '' : band.for,
            critical: crit ? band.fire : '', criticalClear: crit ? band.clear : '', criticalFor: crit ? band.for : '' });
    }
    return out;
}

/**
 * Versioned config upgrades, oldest first (HA `migrations.ts` pattern). Version 0 is a config
 * without `version` (a hand-written or generated flow): missing properties take the defaults.
 */
export const MIGRATIONS: Migration[] = [
    {
        version: 1,
        up: (c) => ({ ...c }),
    },
    {
        // thresholds per profile and unit: version 1's single threshold set becomes `*` rules in °C;
        // a config that already has rules keeps them
        version: 2,
        up: (c) => {
            const out: Record<string, unknown> = { ...c };
            const had = V1_FIELDS.some((k) => out[k] !== undefined);
            if (!Array.isArray(out.rules)) out.rules = had ? v1Rules(out) : DEFAULT_CONFIG.rules.map((r) => ({ ...r }));
            if (had && out.offline === undefined) out.offline = true; // version 1's default
            if (had && out.rateWindow === undefined) out.rateWindow = '300';
            if (had && out.silent === undefined) out.silent = '0';
            for (const k of V1_FIELDS) delete out[k];
            return out;
        },
    },
];

/** Brings a saved config to CONFIG_VERSION and fills missing properties with their defaults. */
export function migrate(raw: Record<string, unknown>): AlertNodeConfig {
    const c = runMigrations(raw, MIGRATIONS);
    c.version = CONFIG_VERSION;
    for (const [k, v] of Object.entries(DEFAULT_CONFIG)) if (c[k] === undefined || c[k] === null) c[k] = v;
    return c as unknown as AlertNodeConfig;
}

/** Empty text → null; anything else → Number (NaN stays NaN so validation can say which field). */
function num(s: unknown): number | null {
    if (s === undefined || s === null) return null;
    const t = String(s).trim();
    return t === '' ? null : Number(t);
}

function band(fire: unknown, clear: unknown, forS: unknown): Band | null {
    const f = num(fire);
    if (f === null) return null;
    const c = num(clear);
    // no clear level given: clear at the fire level itself (no hysteresis)
    return { fire: f, clear: c === null ? f : c, forS: num(forS) ?? 0 };
}

/** A core rule from the editor's form. */
export function ruleFromConfig(r: Partial<RuleConfig>): Rule {
    const kind = String(r.kind ?? '') as RuleKind;
    const list = (s: unknown) => String(s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    const rule: Rule = {
        profile: String(r.profile ?? '*').trim() || '*', sensors: list(r.sensors), unit: String(r.unit ?? '').trim(), kind,
        value: (r.value ?? (kind === 'state' ? 'last' : 'mean')) as ValueField, warning: null, critical: null,
        states: list(r.states).map(Number),
    };
    if (kind === 'state') {
        const sev: Severity = r.severity === 'critical' ? 'critical' : 'warning';
        // the judged quantity is 1 while the state is one of `states`, else 0 (core.ts)
        rule[sev] = { fire: 0.5, clear: 0.5, forS: num(r[`${sev}For`]) ?? 0 };
    } else {
        rule.warning = band(r.warning, r.warningClear, r.warningFor);
        rule.critical = band(r.critical, r.criticalClear, r.criticalFor);
    }
    return rule;
}

/** Core options from an (already migrated) editor config. */
export function optionsFromConfig(c: AlertNodeConfig): AlertOptions {
    return {
        rules: (Array.isArray(c.rules) ? c.rules : []).map(ruleFromConfig),
        defaultProfile: String(c.defaultProfile || UNASSIGNED),
        rateWindowS: num(c.rateWindow) ?? 600,
        rateSource: c.rateSource === 'slope' ? 'slope' : 'readings',
        renotifyS: num(c.renotify) ?? 0,
        keepFiringS: num(c.keepFiring) ?? 0,
        silentS: num(c.silent) ?? 0,
        silentSeverity: c.silentSeverity === 'warning' ? 'warning' : 'critical',
        offlineAlerts: c.offline === true || String(c.offline) === 'true',
    };
}
