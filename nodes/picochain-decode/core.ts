/**
 * picochain-decode core: turns one MQTT payload into normalised Readings or a DeviceStatus,
 * validating everything on the way (firmware/PROTOCOL.md). The Decoder here only shapes the
 * payload, picks a format from the table in formats/index.ts and keeps the counters; each
 * format is one file in formats/. No Node-RED import: picochain-decode.ts is the node wrapper.
 *
 * Modules: messages.ts (error/warning/status texts, DecodeError), options.ts, topic.ts,
 * legacy-time.ts, seq.ts (sequence tracking), payload.ts (size, text/binary, JSON checks),
 * context.ts (what a format sees), frame.ts (window frame -> readings), outcome.ts.
 */
import type { StatLimits } from '../shared/reading';
import { ReadingsOutcome } from './outcome';
import { DecoderState, MessageContext, PayloadFormat } from './context';
import { FORMATS } from './formats';
import { DecodeError, fail } from './messages';
import { DecodeOptions, resolveOptions } from './options';
import { DecodeCounters, DecodeOutcome, newCounters } from './outcome';
import { parseObject, Payload, shapePayload } from './payload';
import { SeqTracker } from './seq';
import { compileTopicPattern, TopicMatcher } from './topic';
import { TimeZoneSetting } from './legacy-time';

export * from './messages';
export * from './options';
export * from './outcome';
export * from './topic';
export * from './legacy-time';
export * from './seq';
export { bufferText, checkTree, looksLikeText } from './payload';
export type { FormatContext, PayloadFormat } from './context';
export { FORMATS } from './formats';

/**
 * One decoder per node: options, the topic matcher, per-device sequence state and counters.
 * `decode()` returns an outcome or throws a DecodeError; either way the counters are updated.
 */
export class Decoder implements DecoderState {
    readonly options: DecodeOptions;
    readonly counters: DecodeCounters = newCounters();
    readonly seq: SeqTracker;
    readonly topic: TopicMatcher;
    readonly legacyZone: TimeZoneSetting;
    readonly temperature: readonly [number, number];
    readonly limitsCache = new Map<string, { asked: string | null; limits: StatLimits }>();
    readonly allowed: ReadonlySet<string> | null;

    constructor(options: Partial<DecodeOptions> = {}) {
        const { options: o, legacyZone } = resolveOptions(options);
        this.options = o;
        this.topic = compileTopicPattern(o.topicPattern);
        this.legacyZone = legacyZone;
        this.temperature = [o.tempMin, o.tempMax];
        this.allowed = o.allowedDevices.length > 0 ? new Set(o.allowedDevices) : null;
        this.seq = new SeqTracker(o.maxTrackedDevices);
    }

    /**
     * Decodes one message. `payload` is a Buffer, a string or an already parsed object;
     * `receivedAt` is when it arrived (injectable for tests).
     */
    decode(payload: unknown, topic?: string, receivedAt: Date = new Date()): DecodeOutcome {
        let out: DecodeOutcome;
        try {
            out = this.decodeInner(payload, topic, receivedAt);
        } catch (e) {
            this.counters.err++;
            if (e instanceof DecodeError) this.counters.errors[e.key] = (this.counters.errors[e.key] ?? 0) + 1;
            throw e;
        }
        const c = this.counters;
        if (out.kind === 'readings') countReadings(c, out);
        else if (out.kind === 'status') c.status++;
        else c.ignored++;
        return out;
    }

    /** Sets all counters back to zero (sequence state is kept). */
    resetCounters(): void {
        Object.assign(this.counters, newCounters());
    }

    private decodeInner(payload: unknown, topic: string | undefined, receivedAt: Date): DecodeOutcome {
        const forced = this.options.format;
        const p = shapePayload(payload, this.options.maxBytes, forced === 'binary-v1');
        const ctx = new MessageContext(this, topic, this.topic.match(topic) ?? {}, receivedAt);
        // first the raw payload (status text, binary), then the parsed JSON object
        let format = this.pick(p, ctx, 'raw');
        if (format === undefined) {
            parseObject(p);
            format = this.pick(p, ctx, 'object');
        }
        if (format === undefined) return fail('unknown-format', { where: '$' });
        return format.decode(p, ctx);
    }

    private pick(p: Payload, ctx: MessageContext, pass: 'raw' | 'object'): PayloadFormat | undefined {
        const forced = this.options.format;
        for (const f of FORMATS) {
            if (f.name === forced) {
                if (pass === 'object' || f.input === 'raw') return f;
            } else if ((ctx.auto || f.always) && f.detect(p, ctx)) {
                return f;
            }
        }
        return undefined;
    }
}

function countReadings(c: DecodeCounters, out: ReadingsOutcome): void {
    c.ok++;
    c.readings += out.readings.length;
    const ev = out.seqInfo.event;
    if (ev === 'gap') {
        c.gaps++;
        c.missing += out.seqInfo.gap;
    } else if (ev === 'replay') c.replays++;
    else if (ev === 'late') c.late++;
    else if (ev === 'reset') c.resets++;
}
