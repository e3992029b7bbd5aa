/**
 * MQTT-style topic patterns with named wildcards: where picochain-decode finds the device, the
 * site and the kind of message in a topic (`picochain/+site/+device/+kind`).
 */

export interface TopicMatcher {
    readonly pattern: string;
    /** Named wildcard values, or null when the topic does not match. */
    match(topic: string | undefined): Record<string, string> | null;
}

/**
 * Compiles an MQTT-style pattern: `+name` matches one level and captures it as `name`, a bare `+`
 * matches one level, a final `#` matches the rest. Throws on a malformed pattern.
 */
export function compileTopicPattern(pattern: string): TopicMatcher {
    const problem = topicPatternProblem(pattern);
    if (problem) throw new Error(`topic pattern "${pattern}": ${problem}`);
    const names: string[] = [];
    const parts = pattern.split('/');
    let src = '';
    parts.forEach((p, i) => {
        const sep = i === 0 ? '' : '/';
        if (p === '#') {
            // "a/#" also matches "a" (MQTT semantics)
            src += i === 0 ? '.*' : '(?:/.*)?';
        } else if (p.startsWith('+')) {
            src += `${sep}([^/]+)`;
            names.push(p.slice(1));
        } else {
            src += sep + p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        }
    });
    const re = new RegExp(`^${src}$`);
    return {
        pattern,
        match(topic) {
            if (typeof topic !== 'string') return null;
            const m = re.exec(topic);
            if (!m) return null;
            const out: Record<string, string> = {};
            names.forEach((n, i) => {
                if (n) out[n] = m[i + 1];
            });
            return out;
        },
    };
}

/** Why a topic pattern is malformed, or null when it is fine (the editor validator uses the same rules). */
export function topicPatternProblem(pattern: unknown): string | null {
    if (typeof pattern !== 'string' || pattern.length === 0) return 'empty';
    const parts = pattern.split('/');
    for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (p === '#') {
            if (i !== parts.length - 1) return '# must be the last level';
        } else if (p.startsWith('+')) {
            if (!/^\+[A-Za-z0-9_]*$/.test(p)) return `bad wildcard "${p}"`;
        } else if (p.includes('+') || p.includes('#')) {
            return `"${p}" mixes a wildcard with text`;
        }
    }
    return null;
}
