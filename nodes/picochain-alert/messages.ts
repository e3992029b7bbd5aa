/**
 * Catalog keys (under `picochain-alert.message.`) and arguments for an event's human text: the
 * `condition` describes the situation ("high", "resolved-high", ...), the `event` wraps it
 * ("fired": "[__severity__] __text__"). The wrapper translates both with RED._, so the text follows
 * the runtime language. The severity and threshold are always those of the level that holds now.
 */
import type { AlertEvent } from './types';

const fmt = (v: number | null): string => (v === null ? '?' : String(Math.round(v * 100) / 100));

export function messageFor(e: AlertEvent): { condition: string; event: string; args: Record<string, string> } {
    const rate = e.rule === 'rise' || e.rule === 'fall';
    const args: Record<string, string> = {
        device: e.device, sensor: e.sensor ?? '',
        value: fmt(rate && e.value !== null ? Math.abs(e.value) : e.value),
        threshold: fmt(rate && e.threshold !== null ? Math.abs(e.threshold) : e.threshold),
        unit: e.unit && e.rule !== 'state' ? ` ${e.unit}` : '', severity: e.severity, previous: e.previousSeverity ?? '',
        label: e.valueLabel ?? fmt(e.value),
    };
    const rule = e.rule === 'silent' && e.cause === 'offline' ? 'offline' : e.rule;
    const condition = e.event !== 'resolved' ? rule : e.reason === 'unconfigured' ? 'resolved-unconfigured' : `resolved-${rule}`;
    return { condition, event: e.event, args };
}
