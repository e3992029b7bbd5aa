/**
 * The original (legacy TOUCAN) boards' hand-made local dates, and the time zone setting that
 * turns them into instants: a fixed UTC offset or an IANA zone with daylight saving.
 */

/** "+01:00", "-0530", "+2", "Z", "UTC", "" -> minutes east of UTC; null when unreadable. */
export function parseUtcOffset(s: string): number | null {
    const t = s.trim();
    if (t === '' || /^(?:Z|UTC|GMT)$/i.test(t)) return 0;
    const m = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(t);
    if (!m) return null;
    const h = Number(m[2]);
    const min = m[3] === undefined ? 0 : Number(m[3]);
    if (h > 14 || min > 59) return null;
    return (m[1] === '-' ? -1 : 1) * (h * 60 + min);
}

/** A legacy time zone setting: a fixed offset in minutes east of UTC, or an IANA zone name. */
export type TimeZoneSetting = number | string;

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(zone: string): Intl.DateTimeFormat {
    let f = zoneFormats.get(zone);
    if (f === undefined) {
        f = new Intl.DateTimeFormat('en-US', {
            timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
            hour: 'numeric', minute: 'numeric', second: 'numeric',
        });
        zoneFormats.set(zone, f);
    }
    return f;
}

/** "+01:00" -> 60, "Europe/Paris" -> "Europe/Paris", anything else -> null. */
export function parseTimeZone(s: string): TimeZoneSetting | null {
    const off = parseUtcOffset(s);
    if (off !== null) return off;
    const zone = s.trim();
    if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(zone)) return null;
    try {
        zoneFormat(zone);
        return zone;
    } catch {
        return null;
    }
}

/** Minutes east of UTC of `zone` at the instant `utcMs`. */
export function zoneOffsetMin(zone: string, utcMs: number): number {
    const p: Record<string, number> = {};
    for (const part of zoneFormat(zone).formatToParts(new Date(utcMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60000);
}

/** A wall-clock time (given as if it were UTC) in `zone` -> the UTC instant. */
function wallToUtc(wallMs: number, zone: TimeZoneSetting): number {
    if (typeof zone === 'number') return wallMs - zone * 60000;
    // the offset at the wall time read as UTC is right except within hours of a DST change: check once more
    let t = wallMs - zoneOffsetMin(zone, wallMs) * 60000;
    const again = zoneOffsetMin(zone, t);
    if (wallMs - again * 60000 !== t) t = wallMs - again * 60000;
    return t;
}

/**
 * Reads the original boards' hand-made dates leniently: "2024-3-12 14:5:10.25", with or without
 * zero padding, seconds, fraction, a "T" separator or a zone suffix ("Z", "+01:00"). Without a
 * suffix the date is wall-clock time in `zone` (minutes east of UTC, or an IANA zone name).
 * Null when unreadable or impossible (month 13, 31 April, hour 24).
 */
export function parseLegacyDate(s: string, zone: TimeZoneSetting = 0): Date | null {
    const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?\s*$/i.exec(s);
    if (!m) return null;
    const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => (m[i] === undefined ? 0 : Number(m[i])));
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return null;
    const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (d > daysInMonth) return null;
    const ms = m[7] === undefined ? 0 : Math.round(Number(`0.${m[7]}`) * 1000);
    const wall = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
    if (m[8] === undefined) return new Date(wallToUtc(wall, zone));
    const offset = parseUtcOffset(m[8]);
    return offset === null ? null : new Date(wall - offset * 60000);
}
