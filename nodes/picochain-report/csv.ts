/**
 * The month as CSV (pure): one line a day per cabinet probe, as the paper form, with exact values
 * (the stored °C values in the site's unit to 4 decimals: a DS18B20's 0.0625 °C steps stay exact),
 * the site's decimal mark, and `;` between fields where the decimal mark is a comma (what a
 * spreadsheet of that locale expects). A byte-order mark makes spreadsheets read it as UTF-8.
 */
import { Formatter } from './format';
import type { MonthView } from './month';

function cell(v: string, sep: string): string {
    return /["\r\n]/.test(v) || v.includes(sep) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The lines of one month view (no header). */
export function csvLines(view: MonthView, f: Formatter): string[][] {
    const c = view.cabinet;
    const join = (xs: string[]): string => xs.join(' | ');
    const lines = view.days.map((d) => {
        const r = d.record;
        const excursions = r ? r.excursions.map((x) => `${f.span(x.start, x.end, r.to)} ${x.side} ${x.minutes} min ${f.T.peak} ${f.exact(x.peak)}`) : [];
        const gaps = r ? r.gaps.map((g) => `${f.span(g.start, g.end, r.to)}${g.faultWindows ? ` ${f.T.probeFault}` : ''}`) : [];
        const actions: string[] = [];
        for (const a of d.actions) {
            actions.push(f.action(a, d));
            for (const k of a.corrections) actions.push(f.correction(k, a.id, d.date));
        }
        for (const k of d.corrections) actions.push(f.correction(k, k.refers, d.date));
        return [
            c.name ? `${c.name} (${c.device})` : c.device, c.sensor, d.date, d.status,
            ...view.checks.map((_, i) => (r && r.checks[i] ? f.exact(r.checks[i].value) : '')),
            r ? f.exact(r.min) : '', r ? f.exact(r.max) : '', r && r.mean !== null ? String(Number(r.mean.toFixed(2))).replace('.', f.decimal()) : '', f.unit,
            r ? String(r.measured) : '', join(excursions), r ? String(r.outsideMinutes) : '', join(gaps), join(actions),
            [...new Set(d.actions.map((a) => f.author(a)))].join(', '), join(d.signoffs.map((s) => f.signoff(s))), d.hash ?? '',
        ];
    });
    // the month's sign-off: a line of its own, with the month in the date column
    if (view.monthSignoffs.length && lines.length) {
        const blank = lines[0].map(() => '');
        blank[0] = lines[0][0]; blank[1] = c.sensor; blank[2] = view.month; blank[3] = 'month';
        blank[blank.length - 2] = join(view.monthSignoffs.map((s) => f.signoff(s)));
        blank[blank.length - 1] = view.head ?? '';
        lines.push(blank);
    }
    return lines;
}

/** A CSV document of the views (one cabinet probe, or every one of a site). */
export function toCsv(views: MonthView[], f: Formatter): string {
    const sep = f.decimal() === ',' ? ';' : ',';
    const checks = views[0] ? views[0].checks : [];
    const head = f.T.csv.flatMap((h) => (h === '*checks' ? checks.map((t) => `${f.lang === 'fr' ? 'releve' : 'check'}_${t}`) : [h]));
    const lines = [head, ...views.flatMap((v) => csvLines(v, f))];
    return `\ufeff${lines.map((l) => l.map((v) => cell(v, sep)).join(sep)).join('\r\n')}\r\n`;
}
