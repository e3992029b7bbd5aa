'use strict';
// What the food-safety record of test/report/month.test.js must say, worked out here from the
// stored documents on their own (straight loops over the month's windows, not the node's code):
// per cabinet probe and local day, the check readings, min, max, mean, minutes outside the range,
// excursions of 30 min or more, hours for which no window with a temperature began, and the actions the test recorded,
// as the CSV cells and as the text of the PDF's line of the day.
const { dayBounds, instantOn, localTime, localDate, monthDates } = require('../../dist/nodes/picochain-report/tz');

const TOLERANCE_MS = 30 * 60000;
const RANGES = { fridge: { low: 0, high: 5 }, freezer: { low: null, high: -15 } };
const n1 = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false });
const temp = (v) => (v === null ? '—' : `${n1.format(v)} °C`);
const dur = (min) => (min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`);
const strip = (s) => s.replace(/\s+/g, '');

function dateTime(tz, iso) {
    const ms = Date.parse(iso);
    const d = new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: tz }).format(new Date(ms));
    return `${d} ${localTime(tz, ms)}`;
}

function expectedDays(docs, F, acted) {
    const tz = F.TZ;
    const out = new Map();
    for (const cab of F.CABINETS) {
        const chain = `${cab.device}/probe1`;
        const range = RANGES[cab.kind];
        const ws = docs.filter((d) => d.meta.device === cab.device && d.meta.sensor === 'probe1').map((d) => ({ ...d, t: d.time.getTime() })).sort((a, b) => a.t - b.t);
        const valid = (w) => w.count > 0 && w.mean !== null;
        const side = (w) => (!valid(w) ? null : range.high !== null && w.mean > range.high ? 'high' : range.low !== null && w.mean < range.low ? 'low' : null);
        // runs of contiguous windows (each starting where the one before ended) on one side
        const runs = [];
        for (const w of ws) {
            const s = side(w);
            const prev = runs.length ? runs[runs.length - 1] : null;
            if (s && prev && prev.side === s && prev.last.t === w.t - w.window * 1000) { prev.ws.push(w); prev.last = w; } else if (s) runs.push({ side: s, ws: [w], last: w });
            else if (prev) prev.last = { t: -1 };
        }
        const days = [];
        for (const date of monthDates(F.MONTH)) {
            const { from, to } = dayBounds(tz, date);
            const inDay = ws.filter((w) => w.t >= from && w.t < to);
            const temps = inDay.filter(valid);
            const checks = ['08:00', '16:00'].map((hhmm) => {
                const at = instantOn(tz, date, hhmm);
                let best = null;
                for (const w of temps) if (Math.abs(w.t - at) <= 30 * 60000 && (!best || Math.abs(w.t - at) < Math.abs(best.t - at))) best = w;
                return best ? (best.last ?? best.mean) : null;
            });
            let wsum = 0, wn = 0;
            for (const w of temps) { wsum += w.mean * w.count; wn += w.count; }
            const excursions = [];
            for (const r of runs) {
                const start = r.ws[0].t - r.ws[0].window * 1000, end = r.ws[r.ws.length - 1].t;
                if (end - start < TOLERANCE_MS || end <= from || start >= to) continue;
                const a = Math.max(start, from), b = Math.min(end, to);
                const mine = r.ws.filter((w) => w.t > from && w.t - w.window * 1000 < to);
                const peak = r.side === 'high' ? Math.max(...mine.map((w) => w.max)) : Math.min(...mine.map((w) => w.min));
                const span = `${localTime(tz, a)}–${b === to ? '24:00' : localTime(tz, b)}`;
                const minutes = Math.round((b - a) / 60000);
                const notes = [start < from ? 'from the day before' : '', end > to ? 'goes on next day' : ''].filter(Boolean);
                excursions.push({
                    runStart: start, runEnd: end, start: a, csv: `${span} ${r.side} ${minutes} min peak ${Number(peak.toFixed(4))}`,
                    pdf: `${r.side === 'high' ? 'above' : 'below'} ${span} (${dur(minutes)}), peak ${temp(peak)}${notes.length ? `, ${notes.join(', ')}` : ''}`,
                });
            }
            const hours = Math.round((to - from) / 3600000);
            const gaps = [];
            for (let h = 0; h < hours; h++) {
                const a = from + h * 3600000, b = a + 3600000;
                // the windows that began in the hour (a window is about the time it measured)
                const began = ws.filter((w) => w.t - w.window * 1000 >= a && w.t - w.window * 1000 < b);
                if (began.some(valid)) continue;
                const faults = began.filter((w) => !valid(w)).length;
                const last = gaps[gaps.length - 1];
                if (last && last.b === a) { last.b = b; last.hours++; last.faults += faults; } else gaps.push({ a, b, hours: 1, faults });
            }
            const outsideMinutes = temps.filter((w) => side(w)).length * 5;
            days.push({
                date, label: new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: '2-digit', month: '2-digit', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`)),
                checks, min: temps.length ? Math.min(...temps.map((w) => w.min)) : null, max: temps.length ? Math.max(...temps.map((w) => w.max)) : null,
                mean: wn ? Number((wsum / wn).toFixed(3)) : null, excursions, outsideMinutes, measured: temps.length,
                gaps: gaps.map((g) => {
                    const span = `${localTime(tz, g.a)}–${g.b === to ? '24:00' : localTime(tz, g.b)}`;
                    return { csv: `${span}${g.faults ? ' probe fault' : ''}`, pdf: `${span} (${g.hours} h${g.faults ? ', probe fault' : ''})` };
                }),
                actions: [], initials: [], supervisor: [],
            });
        }
        out.set(chain, days);
    }
    // the test's entries: where each must appear and how
    const author = (e) => (e.byKind === 'initials' ? `${e.by}*` : e.by);
    const attach = (e, text, isCorrectionOf) => {
        const day = out.get(e.chain).find((d) => d.date === e.date);
        if (isCorrectionOf) {
            // right after the action it corrects
            const i = day.actions.findIndex((a) => a.id === isCorrectionOf.id);
            day.actions.splice(i + 1, 0, { text, pdf: `correction of ${localTime(tz, Date.parse(isCorrectionOf.at))}: ${text} (${author(e)}, ${dateTime(tz, e.at)})` });
            return;
        }
        const ref = Date.parse(e.ref);
        const x = day.excursions.find((k) => ref >= k.runStart && ref <= k.runEnd + 30 * 60000);
        const about = x ? `${localTime(tz, x.start)} above: ` : '';
        day.actions.push({ id: e.id, text, pdf: `${about}${text} (${author(e)}, ${dateTime(tz, e.at)})` });
        if (!day.initials.includes(author(e))) day.initials.push(author(e));
    };
    attach({ ...acted.door, byKind: 'login' }, 'door closed; food checked, kept');
    attach({ ...acted.moved, byKind: 'login' }, 'moved stock to freezer-1');
    attach({ ...acted.fix, byKind: 'login' }, 'stock went to freezer-1 and the walk-in', acted.moved);
    attach({ ...acted.called, byKind: 'initials' }, 'called the technician');
    const signed = out.get(acted.dayOk.chain).find((d) => d.date === acted.dayOk.date);
    signed.supervisor.push(`bob, ${dateTime(tz, acted.dayOk.at)}`);
    return out;
}

/** The text of the PDF's line of a day, cell after cell. */
function rowText(d) {
    const out = [...d.excursions.map((x) => x.pdf), ...(d.outsideMinutes ? [`${d.outsideMinutes} min outside in total`] : [])];
    const gaps = d.measured === 0 ? ['no data all day'] : d.gaps.map((g) => g.pdf);
    return [d.label, 'sealed', ...d.checks.map((c) => (c === null ? 'no reading' : temp(c))), temp(d.min), temp(d.max), temp(d.mean),
        ...out, ...gaps, ...d.actions.map((a) => a.pdf), d.initials.join(', '), ...d.supervisor].join('\n');
}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF), after a byte-order mark. */
function parseCsv(text) {
    const rows = [];
    let row = [], cell = '', quoted = false;
    const s = text.replace(/^\ufeff/, '');
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (quoted) {
            if (c === '"' && s[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
        } else if (c === '"') quoted = true;
        else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r') { /* CRLF */ } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
    }
    return rows;
}

module.exports = { expectedDays, rowText, parseCsv, strip, localDate };
