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

/** Filters split into levels, kept: a node's filter is matched against every message it may get. */
const filterLevels = new Map<string, readonly string[]>();
const MAX_KEPT_FILTERS = 1024;

function levelsOf(filter: string): readonly string[] {
    let f = filterLevels.get(filter);
    if (f === undefined) {
        if (filterLevels.size >= MAX_KEPT_FILTERS) filterLevels.clear();
        f = plainFilter(filter).split('/');
        filterLevels.set(filter, f);
    }
    return f;
}

/** Whether `topic` (a published topic name) matches `filter` (wildcards + and #). */
export function topicMatches(filter: string, topic: string): boolean {
    const f = levelsOf(filter);
    // topics starting with $ (e.g. $SYS) never match a filter starting with a wildcard (§4.7.2)
    if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
    // walks the topic's levels in place (no split: this runs for every message)
    let start = 0;
    for (let i = 0; i < f.length; i++) {
        if (f[i] === '#') return true;
        if (start > topic.length) return false;
        let end = topic.indexOf('/', start);
        if (end < 0) end = topic.length;
        if (f[i] !== '+' && (end - start !== f[i].length || !topic.startsWith(f[i], start))) return false;
        start = end + 1;
    }
    return start > topic.length;
}
