/**
 * The month as a PDF laid out like the paper refrigeration log (pdfkit, on the server): A4
 * landscape, the cabinet and its safe range on top, one line a day (check temperatures, min,
 * max, mean, excursions, hours without data, corrective actions, initials, supervisor), the
 * month's sign-off with room for a wet signature, and the tamper check's verdict. A site's
 * report puts each cabinet probe on its own pages. The standard Helvetica font (no font file to
 * ship) writes Latin-1 text: characters outside it are replaced (pdfSafe).
 */
import PDFDocument from 'pdfkit';
import { dayRow, Formatter, problemText } from './format';
import type { MonthView } from './month';
import { INFORMATIONAL } from './verify';
import { fill } from './texts';

const PAGE = { width: 841.89, height: 595.28, margin: 28 };
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const SIZE = 7.5;
const PAD = 3;
const FOOTER = 16;

/** Text the standard PDF fonts can write (WinAnsi): the minus sign, narrow spaces and arrows replaced. */
export function pdfSafe(s: string): string {
    return s.replace(/[\u2212\u2010\u2011]/g, '-').replace(/[\u202f\u2009\u2007\u00a0]/g, ' ').replace(/\u2192/g, '->')
        // anything else outside Latin-1 and the WinAnsi punctuation (– — ‘ ’ “ ” • … € ‰) becomes '?'
        .replace(/[^\u0000-\u00ff\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]/g, '?');
}

interface Column { key: string; title: string; width: number }

function columns(view: MonthView, f: Formatter): Column[] {
    const T = f.T;
    const checks = view.checks.map((c, i) => ({ key: `check${i}`, title: c, width: 40 }));
    const fixed = 52 + checks.length * 40 + 3 * 42 + 40 + 66;
    const rest = PAGE.width - 2 * PAGE.margin - fixed;
    return [
        { key: 'date', title: T.colDate, width: 52 }, ...checks,
        { key: 'min', title: T.colMin, width: 42 }, { key: 'max', title: T.colMax, width: 42 }, { key: 'mean', title: T.colMean, width: 42 },
        { key: 'out', title: T.colOut, width: Math.round(rest * 0.4) }, { key: 'gaps', title: T.colGaps, width: Math.round(rest * 0.17) },
        { key: 'actions', title: T.colActions, width: rest - Math.round(rest * 0.4) - Math.round(rest * 0.17) },
        { key: 'initials', title: T.colInitials, width: 40 }, { key: 'supervisor', title: T.colSupervisor, width: 66 },
    ];
}

/** Renders the views; resolves with the PDF bytes. */
export function toPdf(views: MonthView[], f: Formatter, title: string): Promise<Buffer> {
    const first = views[0];
    const doc = new PDFDocument({
        size: 'A4', layout: 'landscape', margin: PAGE.margin, bufferPages: true, autoFirstPage: false,
        info: { Title: pdfSafe(title), Author: 'picochain', Creator: 'picochain', CreationDate: new Date(first ? first.generatedAt : 0) },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const finished = new Promise<Buffer>((resolve, reject) => {
        doc.on('end', () => resolve(Buffer.concat(chunks)));
        doc.on('error', reject);
    });
    const text = (s: string, x: number, y: number, o: PDFKit.Mixins.TextOptions = {}) => doc.text(pdfSafe(s), x, y, { lineBreak: true, ...o });
    const bottom = PAGE.height - PAGE.margin - FOOTER;

    for (const view of views) {
        const cols = columns(view, f);
        const T = f.T;
        const c = view.cabinet;
        let y = 0;
        const header = (full: boolean) => {
            doc.addPage();
            y = PAGE.margin;
            doc.font(BOLD).fontSize(14).fillColor('#000');
            text(`${T.title} · ${T.kind[c.kind] ?? c.kind} · ${f.monthLabel(view.month)}`, PAGE.margin, y);
            y += 20;
            doc.font(FONT).fontSize(8.5);
            const facts = [
                [T.site, view.site || '—'], [T.cabinet, c.name ? `${c.name} (${c.device})` : c.device], [T.sensor, c.sensor],
                [T.location, c.location || '—'], [T.safeRange, f.range(view.range)], [T.checksAt, view.checks.join(', ')], [T.timeZone, view.tz],
            ];
            const line = facts.map(([k, v]) => `${k}: ${v}`).join('    ');
            text(line, PAGE.margin, y, { width: PAGE.width - 2 * PAGE.margin });
            y = doc.y + 2;
            if (full) {
                doc.fontSize(7.5).fillColor('#444');
                text(fill(T.rule, { min: view.toleranceMin }), PAGE.margin, y, { width: PAGE.width - 2 * PAGE.margin });
                y = doc.y + 4;
            }
            doc.fillColor('#000');
            // the table's header row
            doc.font(BOLD).fontSize(SIZE);
            const h = Math.max(...cols.map((col) => doc.heightOfString(pdfSafe(col.title), { width: col.width - 2 * PAD }))) + 2 * PAD;
            let x = PAGE.margin;
            doc.rect(PAGE.margin, y, PAGE.width - 2 * PAGE.margin, h).fillAndStroke('#dde6ee', '#555');
            doc.fillColor('#000');
            for (const col of cols) {
                text(col.title, x + PAD, y + PAD, { width: col.width - 2 * PAD });
                x += col.width;
            }
            y += h;
            doc.font(FONT);
        };
        header(true);
        for (const d of view.days) {
            const r = dayRow(d, f);
            const cells: Record<string, string> = {
                date: `${r.label}\n${r.status}`, min: r.min, max: r.max, mean: r.mean,
                out: r.out.join('\n'), gaps: r.gaps.join('\n'), actions: r.actions.join('\n'), initials: r.initials, supervisor: r.supervisor.join('\n'),
            };
            view.checks.forEach((_, i) => { cells[`check${i}`] = r.checks[i] ?? ''; });
            doc.font(FONT).fontSize(SIZE);
            const h = Math.max(...cols.map((col) => doc.heightOfString(pdfSafe(cells[col.key] || ' '), { width: col.width - 2 * PAD }))) + 2 * PAD;
            if (y + h > bottom) header(false);
            const excursion = d.record !== null && d.record.excursions.length > 0;
            const gap = d.record !== null && d.record.gaps.length > 0;
            doc.rect(PAGE.margin, y, PAGE.width - 2 * PAGE.margin, h).fillAndStroke(excursion ? '#fbe3e1' : gap ? '#f1f1f1' : '#ffffff', '#999');
            doc.fillColor('#000');
            let x = PAGE.margin;
            for (const col of cols) {
                doc.moveTo(x, y).lineTo(x, y + h).strokeColor('#999').stroke();
                text(cells[col.key] || '', x + PAD, y + PAD, { width: col.width - 2 * PAD });
                x += col.width;
            }
            y += h;
        }
        // the month's sign-off and the tamper check
        const tamper = view.problems.filter((p) => !INFORMATIONAL.has(p.kind));
        const info = view.problems.filter((p) => INFORMATIONAL.has(p.kind));
        const lines: { s: string; bold?: boolean; color?: string }[] = [];
        lines.push(view.monthSignoffs.length
            ? { s: view.monthSignoffs.map((s) => fill(T.monthSigned, { by: f.author(s), at: f.dateTime(s.at) })).join(' '), bold: true }
            : { s: T.monthUnsigned });
        if (tamper.length) {
            lines.push({ s: fill(T.integrityBad, { n: tamper.length }), bold: true, color: '#b00020' });
            for (const p of tamper) lines.push({ s: `- ${problemText(p as never, f)}`, color: '#b00020' });
        } else lines.push({ s: fill(T.integrityOk, { days: view.sealedDays }), bold: true });
        if (info.length) {
            lines.push({ s: T.integrityInfo });
            for (const p of info) lines.push({ s: `- ${problemText(p as never, f)}` });
        }
        if (view.head) lines.push({ s: `${T.lastEntry}: ${view.head}`, color: '#444' });
        y += 8;
        for (const l of lines) {
            doc.font(l.bold ? BOLD : FONT).fontSize(8.5).fillColor(l.color ?? '#000');
            const h = doc.heightOfString(pdfSafe(l.s), { width: PAGE.width - 2 * PAGE.margin });
            if (y + h > bottom) header(false);
            text(l.s, PAGE.margin, y, { width: PAGE.width - 2 * PAGE.margin });
            y = doc.y + 2;
        }
        doc.fillColor('#000');
    }
    if (!views.length) doc.addPage();
    // footers, now that the page count is known
    const range = doc.bufferedPageRange();
    for (let i = 0; i < range.count; i++) {
        doc.switchToPage(range.start + i);
        doc.font(FONT).fontSize(7).fillColor('#555');
        const s = `${fill(f.T.generated, { at: first ? f.dateTime(first.generatedAt) : '' })} · ${fill(f.T.page, { n: i + 1, m: range.count })}`;
        // below the bottom margin: keep pdfkit from adding a page for it
        const m = doc.page.margins.bottom;
        doc.page.margins.bottom = 0;
        text(s, PAGE.margin, PAGE.height - PAGE.margin - 8, { width: PAGE.width - 2 * PAGE.margin, align: 'right', lineBreak: false });
        doc.page.margins.bottom = m;
    }
    doc.end();
    return finished;
}
