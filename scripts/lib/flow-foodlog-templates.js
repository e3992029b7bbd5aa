// The "Food safety" page of both dashboards (issue 12): one plain-JavaScript page (no framework)
// that node-red-dashboard's ui_template (AngularJS) and Dashboard 2.0's ui-template (Vue) both
// host: pick a cabinet probe and a month, read the log as the paper form shows it, add a
// corrective action to an excursion, sign a day or the month, correct an entry, download the PDF
// or CSV. Everything it shows comes from picochain-report (its `log` answer: rows already written
// in the site's language and unit); the page only lays it out. Requests carry `pageId`, this page's
// id (not `req`: Dashboard 2.0 deletes msg.req, Node-RED's HTTP request): answers are sent to
// every open page, each keeps its own.
'use strict';

const UI = {
    en: {
        cabinet: 'Cabinet', month: 'Month', show: 'Show', pdf: 'PDF', csv: 'CSV', signMonth: 'Sign the month', sign: 'Sign', addAction: 'Add action',
        save: 'Save', cancel: 'Cancel', whatDone: 'What was done?', initials: 'Your initials', initialsHint: 'used when you are not logged in',
        correct: 'Correct', correctionOf: 'Correction of', loading: 'Reading the log…', none: 'No fridge, cold room or freezer in the registry yet.',
        presets: ['moved stock to another cabinet', 'called the technician', 'food discarded', 'door closed, food checked', 'probe checked with a thermometer'],
    },
    fr: {
        cabinet: 'Enceinte', month: 'Mois', show: 'Afficher', pdf: 'PDF', csv: 'CSV', signMonth: 'Signer le mois', sign: 'Signer', addAction: 'Ajouter une action',
        save: 'Enregistrer', cancel: 'Annuler', whatDone: 'Qu\'a-t-on fait ?', initials: 'Vos initiales', initialsHint: 'utilisées si vous n\'êtes pas connecté',
        correct: 'Corriger', correctionOf: 'Correction de', loading: 'Lecture du relevé…', none: 'Aucun réfrigérateur, chambre froide ni congélateur dans le registre.',
        presets: ['stock déplacé dans une autre enceinte', 'technicien appelé', 'denrées jetées', 'porte fermée, denrées vérifiées', 'sonde vérifiée au thermomètre'],
    },
};

const CSS = `
.pc-fl { width: 100%; box-sizing: border-box; color: #1b1f23; font-size: 13px; }
.pc-fl .bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 8px; }
.pc-fl select, .pc-fl input { font-size: 13px; border: 1px solid #8c959f; border-radius: 4px; padding: 3px 5px; background: #fff; color: #1b1f23; }
.pc-fl button { cursor: pointer; border: 1px solid #2a7ab0; color: #2a7ab0; background: #fff; border-radius: 4px; padding: 3px 9px; white-space: nowrap; font-size: 12px; }
.pc-fl button:hover { background: #2a7ab0; color: #fff; }
.pc-fl .ok { background: #e8f5ec; border-left: 6px solid #2e9e48; padding: 6px 8px; margin: 6px 0; }
.pc-fl .bad { background: #fff1f0; border-left: 6px solid #d1242f; padding: 6px 8px; margin: 6px 0; }
.pc-fl .err { color: #d1242f; margin: 4px 0; }
.pc-fl .sub { color: #57606a; font-size: 12px; }
.pc-fl .pc-scroll { width: 100%; overflow-x: auto; }
.pc-fl table { width: 100%; border-collapse: collapse; background: #fff; }
.pc-fl th, .pc-fl td { text-align: left; padding: 3px 5px; border: 1px solid #d0d7de; vertical-align: top; }
.pc-fl th { background: #dde6ee; font-size: 12px; }
.pc-fl td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.pc-fl tr.x td { background: #fbe3e1; }
.pc-fl tr.g td { background: #f3f3f3; }
.pc-fl .line { display: block; }
.pc-fl .form { display: flex; gap: 6px; flex-wrap: wrap; margin-top: 4px; }
.pc-fl .form input { min-width: 220px; }
`;

/**
 * The page itself, as the source of one function `pcFoodlog(root, send)` returning
 * `{ start(), receive(msg) }` (ES5: node-red-dashboard runs it as it is).
 */
const PAGE_JS = `function pcFoodlog(root, send) {
    var UI = ${JSON.stringify(UI)};
    var lang = ((window.localStorage && localStorage.getItem('picochain-lang')) || navigator.language || 'en').slice(0, 2) === 'fr' ? 'fr' : 'en';
    var L = UI[lang];
    var me = Math.random().toString(36).slice(2);
    var now = new Date();
    var st = { cabinets: null, chain: null, month: now.getFullYear() + '-' + ('0' + (now.getMonth() + 1)).slice(-2), model: null, acting: null, correcting: null, typed: '', refers: null, error: null, busy: false };
    function esc(s) { return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
    function initials() { return (window.localStorage && localStorage.getItem('picochain-initials')) || ''; }
    function current() { var c = (st.cabinets || []).filter(function (x) { return x.chain === st.chain; })[0]; return c || null; }
    function ask(topic, payload) {
        var c = current();
        var view = c ? { device: c.device, sensor: c.sensor, month: st.month } : null;
        var p = Object.assign({ initials: initials() }, payload || {});
        st.error = null;
        send({ topic: topic, payload: p, pageId: me, view: view });
    }
    function load() { var c = current(); if (c) { st.busy = true; render(); ask('log', { device: c.device, sensor: c.sensor, month: st.month }); } }
    function lines(a) { return (a || []).map(function (s) { return '<span class="line">' + esc(s) + '</span>'; }).join(''); }
    function actionForm(key) {
        return '<div class="form"><input data-pc="action-text" list="pc-fl-presets" value="' + esc(st.typed) + '" placeholder="' + esc(L.whatDone) + '">'
            + '<button data-act="save" data-key="' + esc(key) + '" data-pc="action-save">' + esc(L.save) + '</button><button data-act="cancel">' + esc(L.cancel) + '</button></div>';
    }
    function render() {
        var m = st.model, h = [];
        h.push('<datalist id="pc-fl-presets">' + L.presets.map(function (p) { return '<option value="' + esc(p) + '">'; }).join('') + '</datalist>');
        h.push('<div class="bar"><label>' + esc(L.cabinet) + ' <select data-pc="cabinet">' + (st.cabinets || []).map(function (c) {
            return '<option value="' + esc(c.chain) + '"' + (c.chain === st.chain ? ' selected' : '') + '>' + esc((c.name ? c.name + ' (' + c.device + ')' : c.device) + ' · ' + c.sensor) + '</option>';
        }).join('') + '</select></label>');
        h.push('<label>' + esc(L.month) + ' <input type="month" data-pc="month" value="' + esc(st.month) + '"></label>');
        h.push('<button data-act="pdf" data-pc="pdf">' + esc(L.pdf) + '</button><button data-act="csv" data-pc="csv">' + esc(L.csv) + '</button>');
        h.push('<label class="sub">' + esc(L.initials) + ' <input data-pc="initials" size="5" maxlength="8" value="' + esc(initials()) + '" title="' + esc(L.initialsHint) + '"></label></div>');
        if (st.error) h.push('<div class="err" data-pc="error">' + esc(st.error) + '</div>');
        if (st.cabinets && !st.cabinets.length) h.push('<div class="sub" data-pc="empty">' + esc(L.none) + '</div>');
        if (st.busy && !m) h.push('<div class="sub">' + esc(L.loading) + '</div>');
        if (m) {
            h.push('<div><b>' + esc(m.texts.title + ' · ' + m.texts.kind + ' · ' + m.monthLabel) + '</b> — ' + esc(m.cabinet.label) + '</div>');
            h.push('<div class="sub">' + esc(m.texts.safeRange + ': ' + m.range + ' · ' + m.rule) + '</div>');
            h.push('<div class="' + (m.intact ? 'ok' : 'bad') + '" data-pc="integrity" data-intact="' + m.intact + '">' + lines(m.integrity) + lines(m.notes) + '</div>');
            h.push('<div class="pc-scroll"><table data-pc="foodlog"><tr><th>' + esc(m.texts.colDate) + '</th>' + m.checks.map(function (c) { return '<th>' + esc(c) + '</th>'; }).join('')
                + ['colMin', 'colMax', 'colMean', 'colOut', 'colGaps', 'colActions', 'colInitials', 'colSupervisor'].map(function (k) { return '<th>' + esc(m.texts[k]) + '</th>'; }).join('') + '</tr>');
            m.rows.forEach(function (r) {
                var cls = r.excursions.length ? 'x' : r.gaps.length ? 'g' : '';
                h.push('<tr class="' + cls + '" data-pc="day" data-date="' + esc(r.date) + '"><td><b>' + esc(r.label) + '</b><span class="line sub">' + esc(r.status) + '</span></td>');
                m.checks.forEach(function (c, i) { h.push('<td class="n">' + esc(r.checks[i] || '') + '</td>'); });
                h.push('<td class="n">' + esc(r.min) + '</td><td class="n">' + esc(r.max) + '</td><td class="n">' + esc(r.mean) + '</td><td>');
                r.excursions.forEach(function (x, i) {
                    var key = r.date + '|' + x.ref;
                    h.push('<span class="line" data-pc="excursion">' + esc(x.text) + (x.answered ? '' : ' <button data-act="act" data-key="' + esc(key) + '" data-pc="add-action">' + esc(L.addAction) + '</button>') + '</span>');
                    if (st.acting === key) h.push(actionForm(key));
                });
                h.push(lines(r.out.slice(r.excursions.length)) + '</td><td>' + lines(r.gaps) + '</td><td>' + lines(r.actions));
                if (r.entries.length > 1 || (r.entries.length && r.excursions.length)) h.push('<button data-act="correct" data-date="' + esc(r.date) + '" data-pc="correct">' + esc(L.correct) + '</button>');
                if (st.correcting === r.date) {
                    h.push('<div class="form"><select data-pc="refers">' + r.entries.map(function (e) { return '<option value="' + esc(e.id) + '"' + (e.id === st.refers ? ' selected' : '') + '>' + esc(e.text) + '</option>'; }).join('') + '</select>'
                        + '<input data-pc="correction-text" value="' + esc(st.typed) + '" placeholder="' + esc(L.correctionOf) + '…"><button data-act="save-correction" data-pc="correction-save">' + esc(L.save) + '</button><button data-act="cancel">' + esc(L.cancel) + '</button></div>');
                }
                h.push('</td><td>' + esc(r.initials) + '</td><td>' + lines(r.supervisor) + (r.signable && !r.signed ? '<button data-act="sign" data-date="' + esc(r.date) + '" data-pc="sign-day">' + esc(L.sign) + '</button>' : '') + '</td></tr>');
            });
            h.push('</table></div>');
            h.push('<div data-pc="month-signoff">' + lines(m.monthSigned) + (m.monthSignable && !m.monthSigned.length ? '<button data-act="sign-month" data-pc="sign-month">' + esc(L.signMonth) + '</button>' : '') + '</div>');
        }
        // an answer may arrive while someone types: the text and the cursor stay where they were
        var typing = document.activeElement && root.contains(document.activeElement) ? document.activeElement.getAttribute('data-pc') : null;
        root.innerHTML = h.join('');
        var field = typing === 'action-text' || typing === 'correction-text' || typing === 'initials' ? root.querySelector('[data-pc=' + typing + ']') : null;
        if (field) { field.focus(); field.setSelectionRange(field.value.length, field.value.length); }
    }
    function download(f) {
        var bin = atob(f.base64), bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        var a = document.createElement('a');
        a.href = URL.createObjectURL(new Blob([bytes], { type: f.type }));
        a.download = f.name;
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }
    root.addEventListener('input', function (e) {
        var pc = e.target.getAttribute('data-pc');
        if (pc === 'action-text' || pc === 'correction-text') st.typed = e.target.value;
        if (pc === 'initials' && window.localStorage) localStorage.setItem('picochain-initials', e.target.value.trim());
    });
    root.addEventListener('change', function (e) {
        var pc = e.target.getAttribute('data-pc');
        if (pc === 'cabinet') { st.chain = e.target.value; st.model = null; load(); }
        if (pc === 'month' && e.target.value) { st.month = e.target.value; st.model = null; load(); }
        if (pc === 'initials' && window.localStorage) localStorage.setItem('picochain-initials', e.target.value.trim());
        if (pc === 'refers') st.refers = e.target.value;
    });
    root.addEventListener('click', function (e) {
        var b = e.target.closest ? e.target.closest('[data-act]') : null;
        if (!b) return;
        var act = b.getAttribute('data-act'), c = current();
        if (act === 'pdf' || act === 'csv') { if (c) ask('report', { device: c.device, sensor: c.sensor, month: st.month, format: act }); return; }
        if (act === 'act') { st.acting = b.getAttribute('data-key'); st.correcting = null; st.typed = ''; render(); return; }
        if (act === 'cancel') { st.acting = null; st.correcting = null; st.typed = ''; render(); return; }
        if (act === 'save') {
            var text = root.querySelector('[data-pc=action-text]').value.trim();
            if (!text || !c) return;
            var key = b.getAttribute('data-key');
            ask('action', { device: c.device, sensor: c.sensor, ref: key.slice(key.indexOf('|') + 1), text: text });
            st.acting = null;
            st.typed = '';
            return;
        }
        if (act === 'correct') { st.correcting = b.getAttribute('data-date'); st.acting = null; st.typed = ''; st.refers = null; render(); return; }
        if (act === 'save-correction') {
            var t = root.querySelector('[data-pc=correction-text]').value.trim();
            if (t) ask('correction', { refers: root.querySelector('[data-pc=refers]').value, text: t });
            st.correcting = null;
            st.typed = '';
            return;
        }
        if (act === 'sign' && c) { ask('signoff', { device: c.device, sensor: c.sensor, scope: 'day', date: b.getAttribute('data-date') }); return; }
        if (act === 'sign-month' && c) ask('signoff', { device: c.device, sensor: c.sensor, scope: 'month', month: st.month });
    });
    return {
        start: function () { render(); ask('cabinets', {}); },
        receive: function (msg) {
            if (!msg || msg.pageId !== me) return;
            // a dashboard may hand the page its own request back: only the node's answer is a list
            if (msg.topic === 'cabinets' && Array.isArray(msg.payload)) {
                st.cabinets = msg.payload || [];
                if (!current() && st.cabinets.length) st.chain = st.cabinets[0].chain;
                render();
                load();
            } else if (msg.topic === 'foodlog') {
                var c = current();
                if (!c || !msg.payload || !msg.payload.cabinet || msg.payload.cabinet.chain !== c.chain || msg.payload.month !== st.month) return;
                st.model = msg.payload; st.busy = false; render();
            } else if (msg.topic === 'file' && msg.payload && msg.payload.base64) download(msg.payload);
            else if (msg.topic === 'error') { st.error = msg.payload; st.busy = false; render(); }
        },
    };
}`;

/** node-red-dashboard: the page in a ui_template (the latest message is in scope.msg). */
function ui1Template() {
    return `<div id="pc-foodlog" class="pc-fl" data-pc="foodlog-page"></div>
<script>
(function (scope) {
    ${PAGE_JS}
    var page = null;
    function init() {
        var root = document.getElementById('pc-foodlog');
        if (!root) { setTimeout(init, 50); return; }
        page = pcFoodlog(root, function (m) { scope.send(m); });
        page.start();
    }
    init();
    scope.$watch('msg', function (m) { if (page && m) page.receive(m); });
})(scope);
</script>
<style>${CSS}</style>`;
}

/** Dashboard 2.0: the page in a ui-template (a Vue component). */
function ui2Template() {
    return `<template>
<div ref="root" class="pc-fl" data-pc="foodlog-page"></div>
</template>
<script>
export default {
    mounted() {
        const pcFoodlog = ${PAGE_JS};
        this.page = pcFoodlog(this.$refs.root, (m) => this.send(m));
        this.page.start();
    },
    watch: { msg(m) { if (this.page && m) this.page.receive(m); } },
};
</script>
<style>${CSS}</style>`;
}

module.exports = { UI, ui1Template, ui2Template };
