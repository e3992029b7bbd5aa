'use strict';
// picochain-report's pure core: local days in a time zone, a day's record (checks, excursions with
// the tolerance and across midnight, gaps never filled), the hash chain and what its check finds,
// the readings' digests, and the log service over an in-memory store (sealing, actions attached to
// their excursion, sign-off, corrections, late readings, retention, two writers at once).
const assert = require('assert');
const R = '../../dist/nodes/picochain-report/';
const tz = require(`${R}tz`);
const { computeDay, windowLine } = require(`${R}daylog`);
const { nextEntry, verifyChain, entryHash } = require(`${R}ledger`);
const { checkDayReadings } = require(`${R}verify`);
const { FoodLog } = require(`${R}core`);
const { parseSettings, parseChecks, isLocale, DEFAULTS } = require(`${R}settings`);
const { handle } = require(`${R}requests`);
const { TEXTS } = require(`${R}texts`);
const { MemoryStore } = require('./memory-store');

const PARIS = 'Europe/Paris';
const MIN = 60000;
const who = { by: 'alice', byKind: 'login', role: 'admin' };

/** 5-minute windows of the given means, the first ending at `from` (ms), each 5 min after the previous. */
function windows(from, means, extra = {}) {
    return means.map((m, i) => {
        const time = from + i * 5 * MIN;
        const w = { time, window: 300, count: m === null ? 0 : 10, min: m === null ? null : m - 0.25, max: m === null ? null : m + 0.25, mean: m, last: m, receivedAt: time + 1000, ...extra };
        return { ...w, line: windowLine({ ...w, deviceTime: time, std: 0, slope: null, state: 0, seq: i, fault: null }) };
    });
}

function dayOpts(date, o = {}) {
    const { from, to } = tz.dayBounds(PARIS, date);
    return { date, tz: PARIS, from, to, range: { low: 0, high: 5 }, checks: ['08:00', '16:00'], checkAt: ['08:00', '16:00'].map((t) => tz.instantOn(PARIS, date, t)), toleranceMs: 30 * MIN, ...o };
}

describe('picochain-report core', function () {
    describe('local days (tz.ts)', function () {
        it('a day runs from local midnight to local midnight: 23 h when the clocks go forward, 25 h when they go back', function () {
            const h = (d) => { const b = tz.dayBounds(PARIS, d); return (b.to - b.from) / 3600000; };
            assert.strictEqual(h('2026-03-28'), 24);
            assert.strictEqual(h('2026-03-29'), 23);
            assert.strictEqual(h('2026-10-25'), 25);
            assert.strictEqual(new Date(tz.dayBounds(PARIS, '2026-03-01').from).toISOString(), '2026-02-28T23:00:00.000Z');
            assert.strictEqual(new Date(tz.dayBounds(PARIS, '2026-07-01').from).toISOString(), '2026-06-30T22:00:00.000Z');
            assert.strictEqual(tz.localTime(PARIS, tz.instantOn(PARIS, '2026-03-29', '08:00')), '08:00');
            assert.strictEqual(tz.monthDates('2026-02').length, 28);
            assert.strictEqual(tz.previousMonth('2026-01'), '2025-12');
            assert.strictEqual(tz.isTimeZone('Mars/Olympus'), false);
        });
    });

    describe('a day\'s record (daylog.ts)', function () {
        const date = '2026-03-10';
        const { from } = tz.dayBounds(PARIS, date);

        it('min, max and weighted mean; the check readings are the windows ending nearest 08:00 and 16:00 (their last sample)', function () {
            const means = Array.from({ length: 288 }, (_, i) => 3 + (i % 12) / 10);
            const rec = computeDay(windows(from, means), dayOpts(date));
            assert.strictEqual(rec.windows, 288);
            assert.strictEqual(rec.min, 2.75);
            assert.strictEqual(rec.max, 4.35);
            assert.strictEqual(rec.checks[0].time, new Date(tz.instantOn(PARIS, date, '08:00')).toISOString());
            assert.strictEqual(rec.checks[0].value, means[96]); // the window ending at 08:00
            assert.deepStrictEqual(rec.excursions, []);
            assert.deepStrictEqual(rec.gaps, []);
        });

        it('an excursion lasts at least the tolerance: 35 min above 5 °C is one (start, end, duration, peak), 25 min is only minutes outside', function () {
            const means = Array(288).fill(4);
            for (let i = 120; i < 127; i++) means[i] = 7; // windows ending 10:00 to 10:30
            for (let i = 200; i < 205; i++) means[i] = 6; // 16:35-17:00
            const rec = computeDay(windows(from, means), dayOpts(date));
            assert.strictEqual(rec.excursions.length, 1);
            const x = rec.excursions[0];
            assert.deepStrictEqual([tz.localTime(PARIS, Date.parse(x.start)), tz.localTime(PARIS, Date.parse(x.end)), x.minutes, x.peak, x.side], ['09:55', '10:30', 35, 7.25, 'high']);
            assert.strictEqual(rec.outsideMinutes, 60);
        });

        it('a missing window breaks an excursion (never filled in), and a gap is an hour for which no window with a temperature began', function () {
            const means = Array(288).fill(4);
            for (let i = 120; i < 140; i++) means[i] = 8;
            const ws = windows(from, means).filter((_, i) => i !== 130 && !(i >= 25 && i < 61)); // 10:50 missing; none from 02:00 to 05:00
            const rec = computeDay(ws, dayOpts(date));
            assert.deepStrictEqual(rec.excursions.map((x) => x.minutes), [50, 45]);
            assert.deepStrictEqual(rec.gaps.map((g) => [tz.localTime(PARIS, Date.parse(g.start)), g.hours, g.faultWindows]), [['02:00', 3, 0]]);
        });

        it('windows without samples (probe unplugged) are a gap with their count; an open day judges only the hours passed', function () {
            const means = Array(288).fill(4);
            for (let i = 37; i < 49; i++) means[i] = null; // the windows of 03:00 to 04:00
            const rec = computeDay(windows(from, means), dayOpts(date));
            assert.deepStrictEqual(rec.gaps.map((g) => [tz.localTime(PARIS, Date.parse(g.start)), g.hours, g.faultWindows]), [['03:00', 1, 12]]);
            const open = computeDay(windows(from, means.slice(0, 100)), dayOpts(date, { now: from + 100 * 5 * MIN + MIN }));
            assert.strictEqual(open.open, true);
            assert.deepStrictEqual(open.gaps.map((g) => g.hours), [1]);
        });

        it('an excursion across midnight is on both days, flagged, judged on its whole length', function () {
            const next = tz.addDays(date, 1);
            const nextFrom = tz.dayBounds(PARIS, next).from;
            const means = Array(288 * 2).fill(4);
            for (let i = 284; i < 292; i++) means[i] = 9; // 23:35 to 00:15: 40 min, 25 before midnight
            const ws = windows(from, means);
            const a = computeDay(ws, dayOpts(date));
            const b = computeDay(ws, dayOpts(next, { from: nextFrom, to: tz.dayBounds(PARIS, next).to, checkAt: ['08:00', '16:00'].map((t) => tz.instantOn(PARIS, next, t)) }));
            assert.deepStrictEqual([a.excursions[0].minutes, a.excursions[0].intoNextDay, a.excursions[0].fromPreviousDay], [25, true, false]);
            assert.deepStrictEqual([b.excursions[0].minutes, b.excursions[0].intoNextDay, b.excursions[0].fromPreviousDay], [15, false, true]);
        });

        it('a freezer range has no lower bound: -25 °C is no excursion, -14 °C for 40 min is', function () {
            const means = Array(288).fill(-25);
            for (let i = 50; i < 58; i++) means[i] = -14;
            const rec = computeDay(windows(from, means), dayOpts(date, { range: { low: null, high: -15, target: -18 } }));
            assert.deepStrictEqual(rec.excursions.map((x) => [x.side, x.minutes]), [['high', 40]]);
        });
    });

    describe('the hash chain (ledger.ts) and the readings check (verify.ts)', function () {
        function chain(n) {
            const out = [];
            for (let i = 0; i < n; i++) out.push(nextEntry('fridge-1', 'probe1', out[i - 1] || null, { type: 'day', date: tz.addDays('2026-03-01', i), at: `2026-03-0${i + 2}T01:00:00.000Z`, by: null, byKind: 'flow', body: { record: { n: i } } }));
            return out;
        }

        it('an intact chain has no problem; an edited entry, a removed one and a removed day re-hashed over are each found', function () {
            const c = chain(5);
            assert.deepStrictEqual(verifyChain(c, null), []);
            const edited = c.map((e) => (e.seq === 3 ? { ...e, body: { record: { n: 99 } } } : e));
            assert.deepStrictEqual(verifyChain(edited, null).map((p) => [p.kind, p.seq]), [['edited', 3]]);
            const removed = c.filter((e) => e.seq !== 3);
            assert.deepStrictEqual(verifyChain(removed, null).map((p) => p.kind), ['missing', 'day-missing']);
            // the chain rebuilt without day 3, every hash recomputed: the hole in the dates remains
            const rebuilt = [];
            for (const e of removed) rebuilt.push(nextEntry('fridge-1', 'probe1', rebuilt[rebuilt.length - 1] || null, e));
            assert.deepStrictEqual(verifyChain(rebuilt, null).map((p) => [p.kind, p.date]), [['day-missing', '2026-03-03']]);
        });

        it('a chain that starts after entry 1 is fine only where the retention removed the older entries', function () {
            const c = chain(5).slice(2);
            assert.deepStrictEqual(verifyChain(c, '2026-03-03'), []);
            assert.deepStrictEqual(verifyChain(c, '2026-02-01').map((p) => p.kind), ['start-missing']);
        });

        it('the readings behind a sealed day: a changed one names its hour, late ones are told apart', function () {
            const date = '2026-03-10';
            const { from } = tz.dayBounds(PARIS, date);
            const ws = windows(from, Array(288).fill(4));
            const rec = computeDay(ws, dayOpts(date));
            const [e] = [nextEntry('fridge-1', 'probe1', null, { type: 'day', date, at: new Date(from + 26 * 3600000).toISOString(), by: null, byKind: 'flow', body: { record: rec } })];
            assert.strictEqual(checkDayReadings(e, ws), null);
            const changed = ws.map((w, i) => (i === 130 ? { ...w, line: w.line.replace('|4|', '|3.9|') } : w));
            assert.deepStrictEqual(checkDayReadings(e, changed).hours, ['10:00']);
            const late = [...ws, { ...ws[0], time: ws[0].time + 60000, receivedAt: from + 30 * 3600000, line: 'late' }];
            assert.deepStrictEqual([checkDayReadings(e, late).kind, checkDayReadings(e, late).count], ['late-readings', 1]);
            assert.strictEqual(checkDayReadings(e, []).kind, 'readings-gone');
        });
    });

    describe('settings and texts', function () {
        it('check times, locales and defaults; the French texts have every English key', function () {
            assert.deepStrictEqual(parseChecks('08:00, 16:00'), ['08:00', '16:00']);
            assert.strictEqual(parseChecks('16:00, 08:00'), null);
            assert.strictEqual(parseChecks('8:00'), null);
            assert.ok(isLocale('fr-FR') && isLocale('en-US') && !isLocale('xx-YY-zz!'));
            const { settings, bad } = parseSettings({ checks: 'nope', tolerance: '15', timeZone: PARIS }, 'UTC');
            assert.deepStrictEqual(bad, ['checks']);
            assert.deepStrictEqual([settings.checks, settings.toleranceMin, settings.ranges.freezer.high, settings.retentionY], [['08:00', '16:00'], 15, -15, 3]);
            // the edit dialog's defaults are the core's (the dialog lists them as literals)
            const { readHtml } = require('../../scripts/lib/node-defaults');
            const html = readHtml(require('path').join(__dirname, '..', '..', 'nodes', 'picochain-report', 'picochain-report.html'))['picochain-report'].defaults;
            for (const [k, v] of Object.entries(DEFAULTS)) assert.strictEqual(html[k], v, `dialog default ${k}`);
            const keys = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? keys(v, `${p}${k}.`) : [`${p}${k}`])).sort();
            assert.deepStrictEqual(keys(TEXTS.fr), keys(TEXTS.en));
        });
    });

    describe('the log service over a store (core.ts, requests.ts)', function () {
        const date = '2026-03-10';
        const { from, to } = tz.dayBounds(PARIS, date);
        const registry = [{ _id: 'fridge-1', kind: 'fridge', name: 'Dairy', sensors: { probe1: { unit: '°C' }, temperature: { unit: '°C', kind: 'ambient' } } }, { _id: 'room-1', kind: 'ambient', sensors: { t: { unit: '°C' } } }];
        function reading(time, mean, receivedAt = time + 1000) {
            return { device: 'fridge-1', sensor: 'probe1', site: 'demo', unit: '°C', source: 'json-v1', time: new Date(time), deviceTime: new Date(time), receivedAt: new Date(receivedAt), window: 300, count: 10, min: mean - 0.25, max: mean + 0.25, mean, std: 0, slope: null, last: mean, seq: null, state: 0 };
        }
        function setup() {
            const store = new MemoryStore(registry);
            const readings = [];
            for (let t = from - 86400000 + 5 * MIN; t <= to + 86400000; t += 5 * MIN) {
                const inExcursion = t > from + 10 * 3600000 && t <= from + 11 * 3600000;
                readings.push(reading(t, inExcursion ? 9 : 4));
            }
            store.addReadings(readings);
            const log = new FoodLog(store, parseSettings({ timeZone: PARIS }, 'UTC').settings);
            return { store, log };
        }
        const ask = (log, store, topic, payload, now, w = who) => handle(topic, payload, log, store, w, now);

        it('logs only cabinet probes: a fridge\'s probe, not its board\'s room sensor nor an ambient device', async function () {
            const { log } = setup();
            assert.deepStrictEqual((await log.cabinets()).map((c) => `${c.device}/${c.sensor}`), ['fridge-1/probe1']);
        });

        it('seals ended days once, attaches an acknowledged alert\'s action to its excursion, signs a day, keeps a correction apart', async function () {
            const { store, log } = setup();
            const now = to + 3 * 3600000;
            const r = await ask(log, store, 'seal', {}, now);
            assert.deepStrictEqual(r.payload.sealed, ['fridge-1/probe1 2026-03-09', 'fridge-1/probe1 2026-03-10']);
            assert.deepStrictEqual((await ask(log, store, 'seal', {}, now)).payload.sealed, []);
            log.noteAlert({ event: 'fired', id: 'fridge-1/probe1/high', device: 'fridge-1', sensor: 'probe1', rule: 'high', severity: 'critical', startedAt: new Date(from + 10.5 * 3600000) });
            const acted = await ask(log, store, 'ack', { id: 'fridge-1/probe1/high', action: 'moved stock to freezer 2' }, now);
            assert.strictEqual(acted.payload[0].date, date);
            await assert.rejects(ask(log, store, 'signoff', { scope: 'day', date: '2026-03-11' }, now), /not-over/);
            await ask(log, store, 'signoff', { scope: 'day', date }, now, { by: 'bob', byKind: 'login', role: 'admin' });
            await ask(log, store, 'correction', { refers: acted.payload[0].id, text: 'stock went to freezer 3' }, now);
            const [v] = await log.months(await log.cabinets(), '2026-03', now);
            const d = v.days.find((x) => x.date === date);
            assert.strictEqual(d.status, 'sealed');
            assert.strictEqual(d.record.excursions.length, 1);
            assert.deepStrictEqual(d.actions.map((a) => [a.text, a.excursion, a.by, a.corrections.map((c) => c.text)]), [['moved stock to freezer 2', 0, 'alice', ['stock went to freezer 3']]]);
            assert.deepStrictEqual(d.signoffs.map((s) => s.by), ['bob']);
            assert.deepStrictEqual(v.problems, []);
            assert.strictEqual(v.days.find((x) => x.date === '2026-03-08').status, 'not-monitored');
        });

        it('readings received after a day was sealed make a revision entry naming the sealed one; the chain stays intact', async function () {
            const { store, log } = setup();
            const now = to + 3 * 3600000;
            await log.sealDue(now);
            store.addReadings([reading(from + 10 * 3600000 + 2.5 * MIN, 4, now + MIN)]);
            let [v] = await log.months(await log.cabinets(), '2026-03', now + 2 * MIN);
            assert.deepStrictEqual(v.problems.map((p) => p.kind), ['late-readings']);
            const r = await log.sealDue(now + 2 * MIN);
            assert.deepStrictEqual(r.revised, ['fridge-1/probe1 2026-03-10']);
            [v] = await log.months(await log.cabinets(), '2026-03', now + 3 * MIN);
            assert.deepStrictEqual(v.problems, []);
            assert.strictEqual(v.days.find((x) => x.date === date).status, 'revised');
        });

        it('two writers appending at once never write the same entry twice, and one day is sealed once', async function () {
            const { store, log } = setup();
            const other = new FoodLog(store, log.settings);
            const now = to + 3 * 3600000;
            const [a, b] = await Promise.all([log.sealDue(now), other.sealDue(now)]);
            assert.strictEqual(a.sealed.length + b.sealed.length, 2);
            await Promise.all([1, 2, 3].map((i) => (i % 2 ? log : other).action(registry.length && [{ device: 'fridge-1', sensor: 'probe1', kind: 'fridge', unit: '°C' }], `note ${i}`, from, who, now)));
            const entries = await store.entries('fridge-1/probe1');
            assert.deepStrictEqual(entries.map((e) => e.seq), [1, 2, 3, 4, 5]);
            assert.deepStrictEqual(verifyChain(entries, null), []);
        });

        it('entries past retention are purged, and the check accepts the chain starting after them; a backup restores removed entries only where their hash holds', async function () {
            const { store, log } = setup();
            const now = to + 3 * 3600000;
            await log.sealDue(now);
            const backup = (await ask(log, store, 'backup', {}, now)).payload.toString('utf8');
            const later = Date.UTC(2029, 2, 10, 12);
            assert.strictEqual(await log.purge(later), 1); // 2026-03-09 is older than 3 years on 2029-03-10
            assert.deepStrictEqual(verifyChain(await store.entries('fridge-1/probe1'), log.keepFrom(later)), []);
            const lines = backup.trim().split('\n');
            const tampered = lines[0].replace('"flow"', '"alice"');
            const r = await ask(log, store, 'restore', `${tampered}\n${lines.slice(1).join('\n')}\n`, later);
            assert.deepStrictEqual(r.payload, { inserted: 0, existing: 1, refused: 1 });
            const again = await ask(log, store, 'restore', backup, later);
            assert.deepStrictEqual(again.payload, { inserted: 1, existing: 1, refused: 0 });
            assert.ok((await store.all()).every((e) => entryHash(e) === e.hash));
        });

        it('French CSV: decimal comma, ";" between fields; °F converted exactly', async function () {
            const { store, log } = setup();
            const now = to + 3 * 3600000;
            await log.sealDue(now);
            const csv = (await ask(log, store, 'report', { device: 'fridge-1', month: '2026-03', format: 'csv', locale: 'fr-FR', unit: '°F' }, now)).payload;
            const lines = csv.replace(/^\ufeff/, '').trim().split('\r\n');
            assert.ok(lines[0].startsWith('enceinte;sonde;date;releve;releve_08:00;releve_16:00;min;max;moyenne;unite'), lines[0]);
            const day = lines.find((l) => l.includes(';2026-03-10;')).split(';');
            // 4 °C = 39.2 °F; max 9.25 °C = 48.65 °F
            assert.deepStrictEqual([day[4], day[7], day[9]], ['39,2', '48,65', '°F']);
        });
    });
});
