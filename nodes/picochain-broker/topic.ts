/**
 * MQTT topic filters (MQTT 3.1.1 §4.7, MQTT 5 §4.8.2 shared subscriptions): validation and matching,
 * so one connection can hand each message to the nodes whose filters it matches.
 */

const SHARE_PREFIX = /^\$share\/([^/#+]+)\/(.+)$/;

/** The filter a broker matches against, without a `$share/<group>/` prefix. */
export function plainFilter(filter: string): string {
    const m = SHARE_PREFIX.exec(filter);
    return m ? m[2] : filter;
}

/** The filter to subscribe with: `$share/<group>/<filter>` when a group is given. */
export function subscriptionFilter(filter: string, shareGroup: string): string {
    return shareGroup ? `$share/${shareGroup}/${plainFilter(filter)}` : filter;
}

/** Returns an error text for a filter MQTT refuses, else null. */
export function checkFilter(filter: string): string | null {
    if (typeof filter !== 'string' || filter.length === 0) return 'the topic is empty';
    if (new TextEncoder().encode(filter).length > 65535) return 'the topic is longer than 65535 bytes';
    if (filter.includes('\0')) return 'the topic holds a NUL character';
    const levels = plainFilter(filter).split('/');
    for (let i = 0; i < levels.length; i++) {
        const l = levels[i];
        if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return '"#" must be a whole level, the last one';
        if (l.includes('+') && l !== '+') return '"+" must be a whole level';
    }
    return null;
}

/** Returns an error text for a shared-subscription group name MQTT refuses, else null. */
export function checkShareGroup(group: string): string | null {
    if (group === '') return null;
    return /^[^/#+\0]{1,128}$/.test(group) ? null : 'a share group is 1..128 characters without / # +';
}

/** Whether `topic` (a published topic name) matches `filter` (wildcards + and #). */
export function topicMatches(filter: string, topic: string): boolean {
    const f = plainFilter(filter).split('/');
    const t = topic.split('/');
    // topics starting with $ (e.g. $SYS) never match a filter starting with a wildcard (§4.7.2)
    if (t[0].startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
    for (let i = 0; i < f.length; i++) {
        if (f[i] === '#') return true;
        if (i >= t.length) return false;
        if (f[i] !== '+' && f[i] !== t[i]) return false;
    }
    return f.length === t.length;
}
