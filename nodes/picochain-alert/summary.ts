/**
 * Alert records and what pages see of them (pure): a new record, its summary, the worst state of
 * a set of alerts.
 */
import { AlertRecord, AlertState, AlertStatus, AlertSummary, SEVERITY_RANK as RANK, Severity } from './types';

export function newRecord(device: string, sensor: string | null, rule: AlertRecord['rule'], profile: string | null, severity: Severity, now: number): AlertRecord {
    return {
        id: `${device}:${sensor ?? '*'}:${rule}:${now}`, device, sensor, rule, profile, level: 0, severity,
        value: null, threshold: null, unit: null, pendingSince: now, startedAt: null,
        enterSince: [null, null, null], leaveSince: [null, null, null],
        acknowledged: false, ackAt: null, lastNotifiedAt: null,
    };
}

export function toSummary(a: AlertRecord): AlertSummary {
    const s: AlertSummary = {
        id: a.id, device: a.device, sensor: a.sensor, rule: a.rule, profile: a.profile, state: a.level > 0 ? 'firing' : 'pending',
        severity: a.severity, value: a.value, threshold: a.threshold, unit: a.unit, acknowledged: a.acknowledged,
        startedAt: a.startedAt === null ? null : new Date(a.startedAt),
    };
    if (a.valueLabel !== undefined) s.valueLabel = a.valueLabel;
    return s;
}

/** Worst state and severity of a set of alerts: firing before pending, critical before warning. */
export function summarise(alerts: readonly (AlertRecord | AlertSummary)[]): AlertStatus {
    let state: AlertState = 'normal';
    let severity: Severity | null = null;
    for (const a of alerts) {
        const firing = 'level' in a ? a.level > 0 : a.state === 'firing';
        if (firing) {
            state = 'firing';
            if (!severity || RANK[a.severity] > RANK[severity]) severity = a.severity;
        } else if (state === 'normal') state = 'pending';
    }
    return { state, severity, active: alerts.map((a) => ('level' in a ? toSummary(a) : a)) };
}

