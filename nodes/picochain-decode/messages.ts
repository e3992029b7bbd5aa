/**
 * picochain-decode's message tables and its one error type. English templates with Node-RED's
 * i18n interpolation (`__name__`); the wrapper renders the same keys through
 * RED._('picochain-decode.<section>.<key>') and locales/en-US must equal these
 * (test/decode/editor.test.js checks it).
 */
import { describe, FieldProblem, ID_MAX_LENGTH, SENSOR_MAX_LENGTH } from '../shared/reading';

export const ERROR_MESSAGES = {
    'oversize': 'payload is __size__ bytes, over the __max__-byte limit (at __where__)',
    'not-json': 'payload is not JSON: __detail__ (at __where__)',
    'not-object': 'payload must be a JSON object, got __actual__ (at __where__)',
    'non-finite': 'non-finite number __value__ (at __where__)',
    'forbidden-key': 'key "__key__" is not allowed: keys may not contain $ or a dot (at __where__)',
    'too-deep': 'payload is nested deeper than __max__ levels (at __where__)',
    'missing': 'required field "__field__" is missing (at __where__)',
    'type': '"__field__" must be __expected__, got __actual__ (at __where__)',
    'range': '"__field__" = __value__ is out of range __min__ … __max__ (at __where__)',
    'implausible': '"__field__" = __value__ __unit__ is outside the plausible range __min__ … __max__ (at __where__)',
    'version': 'unknown frame version __value__, expected 1 (at __where__)',
    'future': 'timestamp __time__ is more than __limit__ s in the future (at __where__)',
    'ancient': 'timestamp __time__ is before __min__ (at __where__)',
    'bad-date': 'cannot read the date "__value__" (at __where__)',
    'bad-id': '"__field__" = "__value__" is not a valid id (1 to __max__ letters, digits, _ or -) (at __where__)',
    'topic-mismatch': '"__field__" = "__value__" in the payload differs from "__topic__" in the topic: a board may only publish as itself (at __where__)',
    'unknown-sensor': 'legacy sensor "__value__" has no known unit: use temperature, probe1 … probe31, humidity (humidite), door or camera (at __where__)',
    'duplicate-sensor': 'sensor "__sensor__" appears twice in one frame (at __where__)',
    'truncated': 'truncated binary frame: __detail__ (at __where__)',
    'binary': 'bad binary frame: __detail__ (at __where__)',
    'base64': '"__field__" is not base64 (at __where__)',
    'no-device': 'no device id: none in the payload, and the topic "__topic__" does not match "__pattern__" (at __where__)',
    'unknown-device': 'device "__device__" is not in the allow-list (at __where__)',
    'unknown-format': 'unrecognised payload: not a picochain frame, a TTN uplink, a legacy message nor a status message (at __where__)',
} as const;
export type ErrorKey = keyof typeof ERROR_MESSAGES;

/** Messages that are dropped with a warning rather than an error. */
export const WARN_MESSAGES = {
    'ttn-port': 'TTN uplink on port __port__ ignored: picochain frames use port 1 (at __where__)',
    'ttn-no-payload': 'TTN message without uplink payload ignored (at __where__)',
    'status-cleared': 'empty status message ignored: the retained status of __device__ was cleared',
} as const;
export type WarnKey = keyof typeof WARN_MESSAGES;

/** Node status texts (kept under 20 characters). */
export const STATUS_MESSAGES = {
    'counts': 'ok __ok__ · err __err__',
    'config-error': 'config error',
} as const;
export type StatusKey = keyof typeof STATUS_MESSAGES;

export type MessageParams = Record<string, string | number>;

/** Fills `__name__` placeholders, as Node-RED's i18next setup does. */
export function formatMessage(template: string, params: MessageParams): string {
    return template.replace(/__([A-Za-z0-9]+)__/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/** What every decode failure throws: a category key, its parameters and where it happened. */
export class DecodeError extends Error {
    constructor(public readonly key: ErrorKey, public readonly params: MessageParams) {
        super(formatMessage(ERROR_MESSAGES[key], params));
        this.name = 'DecodeError';
    }
    get where(): string {
        return String(this.params.where ?? '');
    }
}

export function fail(key: ErrorKey, params: MessageParams): never {
    throw new DecodeError(key, params);
}

/**
 * Throws the DecodeError for a shared field check's problem (nodes/shared/reading.ts), `label`
 * naming the field as the payload does ("noeud", "device_id").
 */
export function failProblem(p: FieldProblem, where: string, label: string = p.field): never {
    switch (p.rule) {
        case 'missing': return fail('missing', { field: label, where });
        case 'not-finite': return fail('non-finite', { value: String(p.value), where });
        case 'pattern': {
            const v = String(p.value);
            return fail('bad-id', { field: label, value: v.length > 40 ? `${v.slice(0, 40)}…` : v, max: p.field === 'sensor' ? SENSOR_MAX_LENGTH : ID_MAX_LENGTH, where });
        }
        case 'range': return fail('range', { field: label, value: String(p.value), min: String(p.min), max: String(p.max), where });
        case 'implausible': return fail('implausible', { field: label, value: String(p.value), unit: p.unit || '(no unit)', min: String(p.min), max: String(p.max), where });
        default: return fail('type', { field: label, expected: p.expected, actual: describe(p.value), where });
    }
}

/** An ignored message: dropped with a warning, not an error. */
export interface IgnoredOutcome {
    kind: 'ignored';
    key: WarnKey;
    params: MessageParams;
    message: string;
}

export function ignored(key: WarnKey, params: MessageParams): IgnoredOutcome {
    return { kind: 'ignored', key, params, message: formatMessage(WARN_MESSAGES[key], params) };
}
