/**
 * picochain-board-config, apart from Node-RED: the desired and reported configuration of every
 * board, the state of each (pending, testing, applied, refused), the version of a new desired
 * config and its message (firmware/PROTOCOL.md "Remote configuration").
 *
 * Desired configs live on the broker (retained on picochain/<site>/<device>/config), reported
 * ones in the boards' retained status: both come back after a restart, so this registry is
 * rebuilt from the broker and needs no store of its own.
 */
import { checkRemote, ConfigReport, maskSecrets, MAX_VERSION, SECRET_PATHS, secretsIn } from '../shared/board-config';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

export type BoardConfigState = 'none' | 'pending' | 'testing' | 'applied' | 'refused';

export interface Desired {
    version: number;
    config: Obj;
    /** When it was published (ms), or when it was read back from the broker. */
    at: number;
}

export interface Reported extends ConfigReport {
    at: number;
}

interface Board {
    device: string;
    site: string;
    /** From a `devices` message (the device registry), else the id without its number. */
    profile: string | null;
    online: boolean | null;
    desired: Desired | null;
    reported: Reported | null;
}

/** One board as the Fleet page and a device registry see it (secrets masked). */
export interface BoardView {
    device: string;
    site: string;
    profile: string;
    online: boolean | null;
    state: BoardConfigState;
    reason: string | null;
    desired: Desired | null;
    reported: Reported | null;
}

/** An acknowledgement (or its absence) worth an event: what changed for a board. */
export interface ConfigEvent {
    event: 'pending' | 'testing' | 'applied' | 'refused';
    device: string;
    site: string;
    version: number | null;
    reason: string | null;
    at: number;
}

/** A message to publish: retained, QoS 1, on the board's config topic. */
export interface Publication {
    device: string;
    site: string;
    topic: string;
    payload: string;
    version: number;
    config: Obj;
}

/** An error with a catalog key (locales/<lang>/picochain-board-config.json "errors.<key>"). */
export class BoardConfigError extends Error {
    constructor(readonly key: string, readonly params: Record<string, string | number> = {}, text?: string) {
        super(text || `${key} ${JSON.stringify(params)}`);
        this.name = 'BoardConfigError';
    }
}

const IDENT = /^[A-Za-z0-9_-]{1,36}$/;
const CONFIG_TOPIC = /^picochain\/([^/]+)\/([^/]+)\/config$/;
/** What the page validates against before a board has reported its settings. */
const UNKNOWN_BASE: Obj = Object.freeze({ broker: { host: 'unknown' } });

/** What maskSecrets() shows instead of a password. */
const MASK = '***';

/**
 * `config` with each masked secret ("***", as this node's state shows it) replaced by the one the
 * board's current desired config holds: a page can send back what it was shown.
 */
function restoreSecrets(config: unknown, prev: Obj | null, device: string): unknown {
    if (!config || typeof config !== 'object') return config;
    let out = config as Obj;
    for (const [a, k] of SECRET_PATHS) {
        const part = out[a];
        if (!part || typeof part !== 'object' || part[k] !== MASK) continue;
        const old = prev && prev[a] && prev[a][k];
        if (typeof old !== 'string') throw new BoardConfigError('masked', { device, secret: `${a}.${k}` });
        out = { ...out, [a]: { ...part, [k]: old } };
    }
    return out;
}

export const configTopic = (site: string, device: string): string => `picochain/${site}/${device}/config`;

/** The profile of a device no registry named: its id without the trailing number ("fridge-12" -> "fridge"). */
export function defaultProfile(device: string): string {
    return device.replace(/[-_]?\d+$/, '') || device;
}

export class BoardRegistry {
    private readonly boards = new Map<string, Board>();

    constructor(private readonly now: () => number = Date.now) {}

    get size(): number { return this.boards.size; }

    private board(device: string, site: string): Board {
        let b = this.boards.get(device);
        if (!b) {
            b = { device, site, profile: null, online: null, desired: null, reported: null };
            this.boards.set(device, b);
        }
        b.site = site;
        return b;
    }

    /**
     * A device status from picochain-decode's second output: online/offline and the config
     * report. Returns the events it means (applied, refused, testing).
     */
    noteStatus(s: { device?: unknown; site?: unknown; state?: unknown; config?: ConfigReport }): ConfigEvent[] {
        if (typeof s.device !== 'string' || !IDENT.test(s.device) || typeof s.site !== 'string' || !IDENT.test(s.site)) return [];
        const b = this.board(s.device, s.site);
        if (s.state === 'online' || s.state === 'offline') b.online = s.state === 'online';
        const r = s.config;
        if (!r) return [];
        const before = b.reported;
        b.reported = { ...r, at: this.now() };
        const same = before && before.last === r.last && before.result === r.result && before.applied === r.applied && before.reason === r.reason;
        if (same || r.result === 'none') return [];
        return [{ event: r.result, device: b.device, site: b.site, version: r.last, reason: r.reason || null, at: this.now() }];
    }

    /** A retained desired config read back from the broker (after a restart, or our own publish). */
    noteDesired(topic: string, payload: Buffer | string): void {
        const m = CONFIG_TOPIC.exec(topic);
        if (!m || !IDENT.test(m[1]) || !IDENT.test(m[2])) return;
        const text = payload.toString();
        const b = this.board(m[2], m[1]);
        if (text === '') { b.desired = null; return; }
        try {
            const o = JSON.parse(text);
            if (o && o.v === 1 && Number.isInteger(o.version) && o.config && typeof o.config === 'object') {
                if (!b.desired || b.desired.version !== o.version) b.desired = { version: o.version, config: o.config, at: this.now() };
            }
        } catch { /* not ours: the board will refuse it and say so */ }
    }

    /** Device list from a registry: [{device, site?, profile?}]. */
    setDevices(list: unknown): number {
        if (!Array.isArray(list)) throw new BoardConfigError('devices');
        let n = 0;
        for (const d of list) {
            if (!d || typeof d.device !== 'string' || !IDENT.test(d.device)) throw new BoardConfigError('device', { device: String(d && d.device) });
            const known = this.boards.get(d.device);
            const site = typeof d.site === 'string' && IDENT.test(d.site) ? d.site : known ? known.site : null;
            if (!site) throw new BoardConfigError('no-site', { device: d.device });
            this.board(d.device, site).profile = typeof d.profile === 'string' && d.profile ? d.profile : null;
            n++;
        }
        return n;
    }

    profileOf(b: Board): string { return b.profile || defaultProfile(b.device); }

    /** The devices a `set` is for: one device, or every known board of a profile. */
    targets(t: { device?: unknown; site?: unknown; profile?: unknown }): Board[] {
        if (typeof t.device === 'string') {
            if (!IDENT.test(t.device)) throw new BoardConfigError('device', { device: t.device });
            const known = this.boards.get(t.device);
            const site = typeof t.site === 'string' ? t.site : known && known.site;
            if (!site) throw new BoardConfigError('no-site', { device: t.device });
            if (!IDENT.test(site)) throw new BoardConfigError('site', { site });
            return [this.board(t.device, site)];
        }
        if (typeof t.profile === 'string' && t.profile) {
            const list = [...this.boards.values()].filter((b) => this.profileOf(b) === t.profile);
            if (!list.length) throw new BoardConfigError('empty-profile', { profile: t.profile });
            return list.sort((a, b) => a.device.localeCompare(b.device));
        }
        throw new BoardConfigError('no-target');
    }

    /**
     * The messages that make `config` the desired config of `target`'s boards, each checked as
     * its board would (against the settings it reported, or the defaults before its first
     * report). `serverTls`: whether our broker connection is TLS. A masked secret ("***") is the
     * one the board's desired config holds. Throws BoardConfigError (the first refusal) and
     * changes nothing then.
     */
    prepare(target: { device?: unknown; site?: unknown; profile?: unknown }, given: unknown, serverTls: boolean): Publication[] {
        const boards = this.targets(target);
        const out: Publication[] = [];
        for (const b of boards) {
            const config = restoreSecrets(given, b.desired && b.desired.config, b.device);
            const secrets = secretsIn(config);
            if (secrets.length && !serverTls) throw new BoardConfigError('secret-server', { secret: secrets.join(', ') });
            const base = (b.reported && b.reported.settings) || UNKNOWN_BASE;
            const boardTls = !!(b.reported && b.reported.settings && b.reported.settings.broker && b.reported.settings.broker.tls);
            const v = checkRemote(config, base, boardTls);
            if (v.error) throw new BoardConfigError('refused', { device: b.device, reason: v.error });
            const version = Math.max(b.desired ? b.desired.version : 0, b.reported ? b.reported.applied : 0, (b.reported && b.reported.last) || 0) + 1;
            if (version > MAX_VERSION) throw new BoardConfigError('version', { device: b.device });
            const cfg = config as Obj;
            out.push({ device: b.device, site: b.site, topic: configTopic(b.site, b.device), payload: JSON.stringify({ v: 1, version, config: cfg }), version, config: cfg });
        }
        return out;
    }

    /** Records a published desired config: the board is pending until it answers. */
    published(p: Publication): ConfigEvent {
        const b = this.board(p.device, p.site);
        b.desired = { version: p.version, config: p.config, at: this.now() };
        return { event: 'pending', device: p.device, site: p.site, version: p.version, reason: null, at: this.now() };
    }

    private stateOf(b: Board): { state: BoardConfigState; reason: string | null } {
        const r = b.reported;
        const d = b.desired;
        if (!d) {
            if (r && r.result === 'refused') return { state: 'refused', reason: r.reason || null };
            return { state: r && r.applied > 0 ? 'applied' : 'none', reason: null };
        }
        if (r && r.last === d.version && r.result !== 'none') return { state: r.result, reason: r.result === 'refused' ? r.reason || null : null };
        if (r && r.applied >= d.version) return { state: 'applied', reason: null };
        return { state: 'pending', reason: null };
    }

    /** Every board, sorted, for the page and a registry. */
    view(): BoardView[] {
        return [...this.boards.values()].sort((a, b) => a.device.localeCompare(b.device)).map((b) => {
            const s = this.stateOf(b);
            return {
                device: b.device, site: b.site, profile: this.profileOf(b), online: b.online, state: s.state, reason: s.reason,
                desired: b.desired ? { ...b.desired, config: maskSecrets(b.desired.config) } : null,
                reported: b.reported,
            };
        });
    }

    /** Counts per state, for the node status. */
    counts(): Record<BoardConfigState, number> {
        const c: Record<BoardConfigState, number> = { none: 0, pending: 0, testing: 0, applied: 0, refused: 0 };
        for (const v of this.view()) c[v.state]++;
        return c;
    }
}
