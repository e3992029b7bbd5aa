/**
 * The narrow context a payload format (formats/*.ts) decodes with: one message's topic and
 * arrival, who sent it (identify: ids checked, payload against topic, allow-list), the shared
 * field checks, and the turning of a window frame into readings. A format sees nothing else of
 * the decoder.
 */
import type { WindowFrame } from '../shared/codec';
import { fieldProblem, ReadingField, SourceFormat, StatLimits, statLimits } from '../shared/reading';
import { fail, failProblem } from './messages';
import type { TimeZoneSetting } from './legacy-time';
import type { DecodeOptions } from './options';
import type { DecodeCounters, DecodeOutcome, ReadingsOutcome } from './outcome';
import type { Payload } from './payload';
import type { SeqTracker } from './seq';
import type { TopicMatcher } from './topic';
import { frameReadings } from './frame';

/** Where a frame's fields are, for error messages ("$.window", "byte 8"). */
export interface Located {
    /** Where a frame-level field is. */
    top(field: string): string;
    /** Where sensor `i`'s field is ("$.sensors[1].max", "byte 38"). */
    sensor(i: number, field: string): string;
}

/** How ctx.check reads a field: `label` is the payload's name for it; statistics need `limits`. */
export interface CheckOptions {
    label?: string;
    /** For a unit: the sensor it belongs to (a known kind has one unit). */
    sensor?: string;
    limits?: StatLimits;
}

const NO_OPTIONS: CheckOptions = {};

/** An id as the payload states it (`value` undefined when it has none) and where. */
export interface Claim {
    value: unknown;
    where: string;
    /** The payload's name for it ("noeud", "device_id"); the Reading field's name when absent. */
    label?: string;
}

/** Who a message is from, every id checked. */
export interface Identity {
    device: string;
    site: string | null;
}

export interface FormatContext {
    readonly topic: string | undefined;
    /** The topic's `+kind` level ("stats", "status", ...), when the pattern captured one. */
    readonly topicKind: string | undefined;
    readonly receivedAt: Date;
    /** True unless the node forces one format. */
    readonly auto: boolean;
    /** Legacy boards' time zone. */
    readonly legacyZone: TimeZoneSetting;
    /**
     * The device and site of the message. Payload and topic ids are validated before anything
     * else; when both name a device (or a site) they must agree: a board publishes only as
     * itself. Without a payload id the topic's is used. The device must be in the allow-list.
     */
    identify(device: Claim, site?: Claim): Identity;
    /** The topic's device id, validated, or undefined when the topic names none. */
    topicDevice(): string | undefined;
    /** The shared field check of nodes/shared/reading.ts, failing with a DecodeError at `where`. */
    check(field: ReadingField, value: unknown, where: string, opts?: CheckOptions): void;
    /** The plausible ranges of a sensor's statistics under this node's settings. */
    limits(sensor: string, unit: string | null): StatLimits;
    /** A clock reading (ms) before minTimeMs or beyond receivedAt + maxFutureMs fails. */
    checkTime(ms: number, where: string): void;
    /** Validates every field of a window frame and turns it into readings, with sequence tracking. */
    frameReadings(frame: WindowFrame, id: Identity, source: SourceFormat, loc: Located, receivedAt?: Date): ReadingsOutcome;
    /** Notes a birth message's boot counter (a new one drops the device's sequence state). */
    noteBoot(device: string, boot: number): void;
}

/** One payload format: one file in formats/, one line in formats/index.ts. */
export interface PayloadFormat {
    /** The format setting that forces it (and Reading.source of its readings), or 'status'. */
    readonly name: SourceFormat | 'status';
    /** 'raw': judged before JSON parsing (binary); 'object': on the parsed JSON object. */
    readonly input: 'raw' | 'object';
    /** Recognised whatever the format setting (status messages: the last will is plain text). */
    readonly always?: boolean;
    /** Whether an auto-detected payload is of this format (`p.obj` is set on the second pass). */
    detect(p: Payload, ctx: FormatContext): boolean;
    decode(p: Payload, ctx: FormatContext): DecodeOutcome;
}

/** What the decoder keeps between messages, as the context reads it. */
export interface DecoderState {
    readonly options: Readonly<DecodeOptions>;
    readonly topic: TopicMatcher;
    readonly legacyZone: TimeZoneSetting;
    /** options.tempMin … tempMax. */
    readonly temperature: readonly [number, number];
    /** statLimits per sensor (for the unit last asked) under `temperature`. */
    readonly limitsCache: Map<string, { asked: string | null; limits: StatLimits }>;
    readonly allowed: ReadonlySet<string> | null;
    readonly seq: SeqTracker;
    readonly counters: DecodeCounters;
}

/** The context of one message. */
export class MessageContext implements FormatContext {
    readonly auto: boolean;
    readonly legacyZone: TimeZoneSetting;
    readonly topicKind: string | undefined;

    constructor(private readonly state: DecoderState, readonly topic: string | undefined, private readonly fromTopic: Record<string, string>, readonly receivedAt: Date) {
        this.auto = state.options.format === 'auto';
        this.legacyZone = state.legacyZone;
        this.topicKind = fromTopic.kind;
    }

    identify(device: Claim, site?: Claim): Identity {
        const dev = this.pick('device', device);
        if (dev === null) return fail('no-device', { topic: String(this.topic ?? ''), pattern: this.state.topic.pattern, where: device.where });
        if (this.state.allowed !== null && !this.state.allowed.has(dev.id)) fail('unknown-device', { device: dev.id, where: dev.where });
        return { device: dev.id, site: this.pick('site', site ?? { value: undefined, where: '' })?.id ?? null };
    }

    topicDevice(): string | undefined {
        const t = this.fromTopic.device;
        if (t !== undefined) this.check('device', t, 'topic');
        return t;
    }

    check(field: ReadingField, value: unknown, where: string, opts: CheckOptions = NO_OPTIONS): void {
        const p = fieldProblem(field, value, opts);
        if (p) failProblem(p, where, opts.label);
    }

    limits(sensor: string, unit: string | null): StatLimits {
        const cache = this.state.limitsCache;
        const hit = cache.get(sensor);
        if (hit !== undefined && hit.asked === unit) return hit.limits;
        const limits = statLimits(sensor, unit, this.state.temperature);
        // sensor names and units come from payloads: keep the memo small whatever arrives
        if (cache.size >= 256) cache.clear();
        cache.set(sensor, { asked: unit, limits });
        return limits;
    }

    checkTime(ms: number, where: string): void {
        const o = this.state.options;
        if (ms > this.receivedAt.getTime() + o.maxFutureMs) fail('future', { time: new Date(ms).toISOString(), limit: Math.round(o.maxFutureMs / 1000), where });
        if (ms < o.minTimeMs) fail('ancient', { time: new Date(ms).toISOString(), min: new Date(o.minTimeMs).toISOString(), where });
    }

    frameReadings(frame: WindowFrame, id: Identity, source: SourceFormat, loc: Located, receivedAt: Date = this.receivedAt): ReadingsOutcome {
        return frameReadings(this, this.state, frame, id, source, loc, receivedAt);
    }

    noteBoot(device: string, boot: number): void {
        if (this.state.options.trackSeq && this.state.seq.noteBoot(device, boot)) this.state.counters.reboots++;
    }

    /** A payload id checked against the topic's (both validated first), or the topic's alone. */
    private pick(field: 'device' | 'site', claim: Claim): { id: string; where: string } | null {
        const fromTopic = this.fromTopic[field];
        // the topic's id is checked first, unless it is the very string the payload states (checked below)
        if (fromTopic !== undefined && fromTopic !== claim.value) this.check(field, fromTopic, 'topic');
        if (claim.value === undefined) return fromTopic === undefined ? null : { id: fromTopic, where: 'topic' };
        // null is not "absent" (it would become a device named "null"): a payload without an id leaves the key out
        if (claim.value === null) fail('type', { field: claim.label ?? field, expected: 'an id (leave the key out when there is none)', actual: 'null', where: claim.where });
        this.check(field, claim.value, claim.where, { label: claim.label });
        const id = claim.value as string;
        if (fromTopic !== undefined && id !== fromTopic) fail('topic-mismatch', { field: claim.label ?? field, value: id, topic: fromTopic, where: claim.where });
        return { id, where: claim.where };
    }
}
