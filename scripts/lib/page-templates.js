// The dashboard page templates of the generated flows (scripts/lib/make-flows.js), for
// node-red-dashboard (AngularJS, ui_template) and Dashboard 2.0 (Vue, ui-template). Both render the
// same page model (flow-templates.js FN_PAGE): cards per device and sensor, the fleet table with
// profile assignment, the alerts table. Every value is shown with its unit, a discrete state with
// its label, and a card's alert state is the device's current one (picochain-alert output 3).
'use strict';

const PROFILE_KINDS = ['fridge', 'freezer', 'cold-room', 'ambient', 'custom'];

// ---- page texts, English and French ----------------------------------------------------------
const I18N = {
    en: {
        ok: 'ok', pending: 'pending', none: '—', online: 'online', offline: 'offline', silent: 'silent', unknown: 'unknown',
        lastSeen: 'last seen', change: 'change', min: 'min', max: 'max', ago: 'ago', noData: 'Waiting for the first readings…',
        active: 'Active alerts', recent: 'Recent alerts', noAlerts: 'No active alert', ack: 'Acknowledge', acknowledged: 'acknowledged', by: 'by',
        firing: 'firing', resolved: 'resolved', warning: 'warning', critical: 'critical', since: 'since', value: 'value', threshold: 'threshold',
        device: 'Device', fw: 'Firmware', windows: 'Windows', stored: 'Stored', gaps: 'Seq gaps', replays: 'Replayed', conflicts: 'Conflicts',
        buffered: 'Buffered', dropped: 'Dropped', rssi: 'RSSI', profile: 'Profile', state: 'State', alert: 'Alert', board: 'board',
        bad: 'bad messages', hour: 'Hour', sensor: 'Sensor', mean: 'Mean', windowsCol: 'Windows', lang: 'Français', isNew: 'new',
        assignHint: 'New devices are listed first: choose their profile so the right alert rules judge them.',
        boardState: ['ok', 'warning', 'alarm'],
        // issue 12: acknowledging asks what was done (recorded in the food-safety log)
        whatDone: 'What was done?', ackSave: 'Acknowledge', cancel: 'Cancel',
        presets: ['moved stock to another cabinet', 'called the technician', 'food discarded', 'door closed, food checked', 'probe checked with a thermometer'],
        kinds: { unassigned: 'unassigned', fridge: 'fridge', freezer: 'freezer', 'cold-room': 'cold room', ambient: 'ambient', custom: 'custom' },
    },
    fr: {
        ok: 'ok', pending: 'en attente', none: '—', online: 'en ligne', offline: 'hors ligne', silent: 'muet', unknown: 'inconnu',
        lastSeen: 'vu', change: 'variation', min: 'min', max: 'max', ago: 'il y a', noData: 'En attente des premières mesures…',
        active: 'Alertes actives', recent: 'Alertes récentes', noAlerts: 'Aucune alerte active', ack: 'Acquitter', acknowledged: 'acquittée', by: 'par',
        firing: 'en cours', resolved: 'résolue', warning: 'avertissement', critical: 'critique', since: 'depuis', value: 'valeur', threshold: 'seuil',
        device: 'Appareil', fw: 'Firmware', windows: 'Fenêtres', stored: 'Stockés', gaps: 'Trous de seq', replays: 'Rejouées', conflicts: 'Conflits',
        buffered: 'En tampon', dropped: 'Perdues', rssi: 'RSSI', profile: 'Profil', state: 'État', alert: 'Alerte', board: 'carte',
        bad: 'messages invalides', hour: 'Heure', sensor: 'Capteur', mean: 'Moyenne', windowsCol: 'Fenêtres', lang: 'English', isNew: 'nouveau',
        assignHint: 'Les nouveaux appareils sont en tête : choisissez leur profil pour que les bonnes règles d\'alerte les jugent.',
        boardState: ['ok', 'attention', 'alarme'],
        whatDone: 'Qu\'a-t-on fait ?', ackSave: 'Acquitter', cancel: 'Annuler',
        presets: ['stock déplacé dans une autre enceinte', 'technicien appelé', 'denrées jetées', 'porte fermée, denrées vérifiées', 'sonde vérifiée au thermomètre'],
        kinds: { unassigned: 'non attribué', fridge: 'réfrigérateur', freezer: 'congélateur', 'cold-room': 'chambre froide', ambient: 'ambiant', custom: 'personnalisé' },
    },
};

// Formatting shared by both dashboards, as one object of methods (plain ES5): node-red-dashboard
// copies them onto the template's scope, Dashboard 2.0 makes them the component's methods (its
// <script> must begin with `export default`, and `methods` be an object literal). They call each
// other through `this`.
const HELPERS = `
    pcLangOf: function () { var l = (window.localStorage && localStorage.getItem('picochain-lang')) || navigator.language || 'en'; return l.slice(0, 2) === 'fr' ? 'fr' : 'en'; },
    pcAgo: function (ms, L, lang) { if (!ms) return L.unknown; var s = Math.max(0, Math.round((Date.now() - ms) / 1000)); var t = s < 60 ? s + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h'; return lang === 'fr' ? L.ago + ' ' + t : t + ' ' + L.ago; },
    pcNum: function (v, d) { return v === null || v === undefined ? '—' : Number(v).toFixed(d === undefined ? 1 : d); },
    pcWithUnit: function (v, unit, d) { var n = this.pcNum(v, d); return n === '—' || !unit ? n : n + ' ' + unit; },
    pcSigned: function (v, unit) { if (v === null || v === undefined) return '—'; var s = (v > 0 ? '+' : '') + Number(v).toFixed(2); return unit ? s + ' ' + unit : s; },
    pcTime: function (v, lang) { return v ? new Date(v).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB') : '—'; },
    pcLabel: function (labels, v) { if (!labels || v === null || v === undefined) return null; var k = String(Math.round(v)); return labels[k] !== undefined ? labels[k] : null; },
    pcValue: function (c) { var l = this.pcLabel(c.labels, c.last); return l !== null ? l : this.pcWithUnit(c.value, c.unit); },
    pcAlertText: function (s, sev, L) { return s === 'firing' ? (L[sev] || sev) : s === 'pending' ? L.pending : L.ok; },
    pcRateUnit: function (a) { return a.rule === 'rise' || a.rule === 'fall' ? (a.unit || '') + '/min' : a.rule === 'silent' ? 's' : a.unit; },
    pcAlertValue: function (a) { return a.valueLabel !== undefined && a.valueLabel !== null ? a.valueLabel : this.pcWithUnit(a.value, this.pcRateUnit(a), 2); },
    pcAlertThreshold: function (a) { return a.rule === 'state' ? '—' : this.pcWithUnit(a.threshold, this.pcRateUnit(a), 1); },`;

// Dashboard 2.0 scopes the style to the component; node-red-dashboard puts it in the page. Widths:
// the tables scroll inside their card on narrow screens rather than overflowing the page.
const CSS = `
.nr-dashboard-template { overflow-y: auto; }
.pc-page { width: 100%; box-sizing: border-box; color: #1b1f23; }
.pc-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px; width: 100%; }
.pc-card { box-sizing: border-box; min-width: 0; border-radius: 8px; padding: 10px 12px; background: #fff; border: 1px solid #d0d7de; border-left: 8px solid #2e9e48; color: #1b1f23; font-size: 14px; }
.pc-card.pc-a-pending { border-left-color: #e6a100; }
.pc-card.pc-a-firing.pc-sev-warning { border-left-color: #e6a100; background: #fff8e6; }
.pc-card.pc-a-firing.pc-sev-critical { border-left-color: #d1242f; background: #fff1f0; }
.pc-card.pc-gone { opacity: 0.75; }
.pc-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 6px; font-weight: 600; }
.pc-title { min-width: 0; overflow-wrap: anywhere; }
.pc-head .pc-badge { flex: none; align-self: flex-start; line-height: 18px; }
.pc-value { font-size: 28px; font-weight: 600; margin: 4px 0; white-space: nowrap; }
.pc-sub { color: #57606a; font-size: 12px; margin-top: 2px; }
.pc-nw { white-space: nowrap; }
.pc-badge { display: inline-block; white-space: nowrap; border-radius: 10px; padding: 0 8px; margin-right: 4px; font-size: 12px; line-height: 18px; color: #fff; background: #9aa5b1; }
.pc-on { background: #2e9e48; } .pc-off { background: #57606a; } .pc-silent { background: #d1242f; }
.pc-ok { background: #2e9e48; } .pc-pending { background: #e6a100; } .pc-warning { background: #e6a100; } .pc-critical { background: #d1242f; }
.pc-acknowledged { background: #57606a; } .pc-resolved { background: #2e9e48; } .pc-firing { background: #d1242f; } .pc-new { background: #2a7ab0; }
.pc-scroll { width: 100%; overflow-x: auto; }
.pc-table { width: 100%; border-collapse: collapse; font-size: 13px; color: #1b1f23; background: #fff; }
.pc-table th, .pc-table td { text-align: left; padding: 4px 5px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
.pc-table th { font-size: 12px; line-height: 1.2; }
.pc-table th::first-letter { text-transform: uppercase; }
.pc-table td.pc-dev { white-space: nowrap; }
.pc-table td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pc-table tr.pc-unassigned td { background: #eef6fc; }
.pc-table select { font-size: 13px; max-width: 120px; border: 1px solid #8c959f; border-radius: 4px; padding: 2px 4px; background: #fff; color: #1b1f23; appearance: auto; -webkit-appearance: menulist; }
.pc-bar { display: flex; justify-content: space-between; align-items: center; gap: 8px; margin-bottom: 8px; width: 100%; color: #1b1f23; }
.pc-btn { cursor: pointer; border: 1px solid #2a7ab0; color: #2a7ab0; background: #fff; border-radius: 4px; padding: 3px 10px; white-space: nowrap; }
.pc-btn:hover { background: #2a7ab0; color: #fff; }
h3.pc-h { margin: 12px 0 6px; font-size: 16px; color: #1b1f23; }
`;

const KINDS_JSON = JSON.stringify(['', ...PROFILE_KINDS]);

// ---- node-red-dashboard (AngularJS) templates --------------------------------------------------
const ui1Script = (extra) => `<script>
(function (scope) {
    var I18N = ${JSON.stringify(I18N)};
    var PC = {${HELPERS}};
    for (var k in PC) scope[k] = PC[k];
    var lang = scope.pcLangOf();
    scope.L = I18N[lang];
    scope.kinds = ${KINDS_JSON};
    scope.ago = function (ms) { return scope.pcAgo(ms, scope.L, lang); };
    scope.time = function (v) { return scope.pcTime(v, lang); };
    scope.alertText = function (s, sev) { return scope.pcAlertText(s, sev, scope.L); };
    scope.toggleLang = function () { localStorage.setItem('picochain-lang', lang === 'fr' ? 'en' : 'fr'); location.reload(); };
    ${extra || ''}
})(scope);
</script>
<style>${CSS}</style>`;

function ui1Overview() {
    return `${ui1Script()}
<div class="pc-page">
<div class="pc-bar"><span class="pc-sub" ng-if="msg.payload.cards.length">{{msg.payload.cards.length}} · {{msg.payload.bad || 0}} {{L.bad}}</span>
  <button class="pc-btn" ng-click="toggleLang()" data-pc="lang">{{L.lang}}</button></div>
<div class="pc-sub" ng-if="!msg.payload.cards.length" data-pc="empty">{{L.noData}}</div>
<div class="pc-cards">
  <div class="pc-card pc-a-{{c.alert || 'normal'}} pc-sev-{{c.severity}}" ng-class="{'pc-gone': c.presence === 'offline' || c.presence === 'silent'}"
       ng-repeat="c in msg.payload.cards track by (c.device + '/' + c.sensor)" data-pc="card" data-device="{{c.device}}" data-sensor="{{c.sensor}}" data-alert="{{c.alert || 'normal'}}" data-severity="{{c.severity || ''}}">
    <div class="pc-head"><span class="pc-title">{{c.name || c.device}} · {{c.sensor}}</span>
      <span class="pc-badge" ng-class="c.presence === 'silent' ? 'pc-silent' : c.presence === 'offline' ? 'pc-off' : 'pc-on'" data-pc="online">{{L[c.presence || 'online']}}</span></div>
    <div class="pc-value" data-pc="value">{{pcValue(c)}}</div>
    <div ng-if="!c.labels"><span class="pc-nw">{{L.change}} <b data-pc="delta">{{pcSigned(c.delta, c.unit)}}</b></span> · <span class="pc-nw">{{L.min}} {{pcWithUnit(c.min, c.unit)}}</span> · <span class="pc-nw">{{L.max}} {{pcWithUnit(c.max, c.unit)}}</span></div>
    <div class="pc-sub"><span class="pc-badge pc-{{c.alert === 'firing' ? c.severity : c.alert === 'pending' ? 'pending' : 'ok'}}" data-pc="alert">{{alertText(c.alert, c.severity)}}</span>
      {{L.kinds[c.kind || 'unassigned']}} · {{L.lastSeen}} {{ago(c.lastSeen)}}<span ng-if="c.state !== null && c.state !== undefined"> · {{L.board}} {{L.boardState[c.state]}}</span><span ng-if="c.fault"> · {{c.fault}}</span></div>
  </div>
</div>
</div>`;
}

function ui1Fleet() {
    return `${ui1Script('scope.assign = function (d) { scope.send({ topic: "assign", payload: { device: d.device, kind: d.kind || null } }); };')}
<div class="pc-page">
<div class="pc-sub" data-pc="assign-hint">{{L.assignHint}}</div>
<div class="pc-scroll">
<table class="pc-table" data-pc="fleet">
  <tr><th>{{L.device}}</th><th>{{L.profile}}</th><th>{{L.state}}</th><th>{{L.alert}}</th><th>{{L.fw}}</th><th>{{L.lastSeen}}</th><th>{{L.windows}}</th><th>{{L.stored}}</th><th>{{L.gaps}}</th><th>{{L.replays}}</th><th>{{L.conflicts}}</th><th>{{L.buffered}}</th><th>{{L.dropped}}</th><th>{{L.rssi}}</th></tr>
  <tr ng-repeat="d in msg.payload.devices track by d.device" data-pc="device-row" data-device="{{d.device}}" data-kind="{{d.kind || ''}}" ng-class="{'pc-unassigned': !d.kind}">
    <td class="pc-dev"><b>{{d.name || d.device}}</b> <span class="pc-badge pc-new" ng-if="!d.kind" data-pc="new">{{L.isNew}}</span><div class="pc-sub" ng-if="d.name || d.location">{{d.device}}<span ng-if="d.location"> · {{d.location}}</span></div></td>
    <td><select ng-model="d.kind" ng-change="assign(d)" data-pc="kind"><option ng-repeat="k in kinds" value="{{k}}" ng-selected="(d.kind || '') === k">{{L.kinds[k || 'unassigned']}}</option></select></td>
    <td><span class="pc-badge" ng-class="d.presence === 'silent' ? 'pc-silent' : d.presence === 'offline' ? 'pc-off' : 'pc-on'" data-pc="presence">{{L[d.presence || 'unknown']}}</span></td>
    <td><span class="pc-badge pc-{{d.state === 'firing' ? d.severity : d.state === 'pending' ? 'pending' : 'ok'}}">{{alertText(d.state, d.severity)}}</span></td>
    <td data-pc="fw">{{d.fw || '—'}}</td><td>{{ago(d.lastSeen)}}</td><td class="n" data-pc="windows">{{d.windows}}</td><td class="n" data-pc="stored">{{d.stored}}</td>
    <td class="n" data-pc="gaps">{{d.gaps}}</td><td class="n" data-pc="replays">{{d.replays}}</td><td class="n" data-pc="conflicts">{{d.conflicts}}</td>
    <td class="n">{{d.buffered === null ? '—' : d.buffered}}</td><td class="n">{{d.dropped === null ? '—' : d.dropped}}</td><td class="n">{{d.rssi || '—'}}</td>
  </tr>
</table>
</div>
<div class="pc-sub">{{msg.payload.bad || 0}} {{L.bad}}<span ng-if="msg.payload.lastBad"> · {{msg.payload.lastBad.error}}</span></div>
</div>`;
}

// What the Alerts page asks for when it opens (both dashboards): the flow answers this page alone
// with the current alerts (make-flows.js: the "page asks" switch, FN_ALERTS). The last model kept by
// the dashboard is shown meanwhile; the answer does not depend on it having been kept or replayed.
const ASK_ALERTS = '{ topic: "refresh", payload: "alerts" }';

function ui1Alerts() {
    // acknowledging asks what was done: the text goes with the acknowledgement to the food-safety log.
    // The script runs when the page is drawn, after the dashboard knows its widgets: the answer
    // (msg.socketid) reaches this template.
    return `${ui1Script(`scope.ack = { id: null, text: "" }; scope.ackAlert = function (a) { var t = (scope.ack.text || "").trim(); if (!t) return; scope.send({ topic: "ack", payload: { id: a.id, device: a.device, sensor: a.sensor, rule: a.rule, startedAt: a.startedAt, action: t } }); scope.ack = { id: null, text: "" }; };
    scope.send(${ASK_ALERTS});`)}
<div class="pc-page">
<datalist id="pc-presets"><option ng-repeat="p in L.presets" value="{{p}}"></option></datalist>
<h3 class="pc-h">{{L.active}}</h3>
<div class="pc-sub" ng-if="!msg.payload.active.length" data-pc="no-alerts">{{L.noAlerts}}</div>
<div class="pc-scroll" ng-if="msg.payload.active.length">
<table class="pc-table" data-pc="active">
  <tr><th></th><th>{{L.device}}</th><th>{{L.sensor}}</th><th>{{L.value}}</th><th>{{L.threshold}}</th><th>{{L.since}}</th><th></th><th></th></tr>
  <tr ng-repeat="a in msg.payload.active track by a.id" data-pc="alert" data-id="{{a.id}}" data-device="{{a.device}}" data-rule="{{a.rule}}" data-state="{{a.state}}" data-severity="{{a.severity}}">
    <td><span class="pc-badge pc-{{a.severity}}" data-pc="severity">{{L[a.severity] || a.severity}}</span></td><td>{{a.name || a.device}}</td><td>{{a.sensor ? a.sensor + ' · ' + a.rule : a.rule}}</td>
    <td class="n" data-pc="value">{{pcAlertValue(a)}}</td><td class="n" data-pc="threshold">{{pcAlertThreshold(a)}}</td><td>{{time(a.startedAt)}}</td>
    <td><span class="pc-badge pc-{{a.state}}" data-pc="alert-state">{{L[a.state] || a.state}}</span><span class="pc-sub" ng-if="a.by"> {{L.by}} {{a.by}}</span></td>
    <td><button class="pc-btn" ng-if="a.state !== 'acknowledged' && ack.id !== a.id" ng-click="ack.id = a.id; ack.text = ''" data-pc="ack">{{L.ack}}</button>
      <span ng-if="a.state !== 'acknowledged' && ack.id === a.id" class="pc-nw"><input ng-model="ack.text" list="pc-presets" placeholder="{{L.whatDone}}" data-pc="ack-action">
        <button class="pc-btn" ng-click="ackAlert(a)" ng-disabled="!ack.text.trim()" data-pc="ack-save">{{L.ackSave}}</button><button class="pc-btn" ng-click="ack.id = null">{{L.cancel}}</button></span></td>
  </tr>
</table>
</div>
<h3 class="pc-h">{{L.recent}}</h3>
<div class="pc-scroll">
<table class="pc-table" data-pc="recent">
  <tr ng-repeat="a in msg.payload.recent track by $index"><td><span class="pc-badge pc-resolved">{{L.resolved}}</span></td><td>{{a.name || a.device}}</td><td>{{a.sensor || a.rule}}</td>
    <td>{{a.message}}</td><td>{{time(a.startedAt)}} → {{time(a.endedAt)}}</td></tr>
</table>
</div>
</div>`;
}

function ui1Hourly() {
    return `${ui1Script()}
<div class="pc-scroll">
<table class="pc-table" data-pc="hourly">
  <tr><th>{{L.hour}}</th><th>{{L.sensor}}</th><th>{{L.min}}</th><th>{{L.mean}}</th><th>{{L.max}}</th><th>{{L.change}}</th><th>{{L.windowsCol}}</th></tr>
  <tr ng-repeat="r in msg.payload | limitTo: 48 track by $index"><td>{{time(r.t)}}</td><td>{{r.sensor}}</td><td class="n">{{pcWithUnit(r.min, r.unit, 2)}}</td><td class="n">{{pcWithUnit(r.mean, r.unit, 2)}}</td>
    <td class="n">{{pcWithUnit(r.max, r.unit, 2)}}</td><td class="n">{{pcSigned(r.change, r.unit)}}</td><td class="n">{{r.windows}}</td></tr>
</table>
</div>`;
}

// ---- Dashboard 2.0 (Vue) templates -------------------------------------------------------------
// Dashboard 2.0 runs the <script> as a Vue component: everything lives inside `export default`.
const ui2Script = (extraMethods = '', onMounted = '') => `<script>
export default {
    data() { return { tick: 0, I18N: ${JSON.stringify(I18N)}, kinds: ${KINDS_JSON}, ack: { id: null, text: '' } }; },
    mounted() { this.timer = setInterval(() => { this.tick++; }, 5000);${onMounted ? ` ${onMounted}` : ''} },
    unmounted() { clearInterval(this.timer); },
    computed: { p() { return (this.msg && this.msg.payload) || {}; } },
    methods: {${HELPERS}
        lang() { return this.pcLangOf(); },
        L() { return this.I18N[this.lang()]; },
        toggleLang() { localStorage.setItem('picochain-lang', this.lang() === 'fr' ? 'en' : 'fr'); location.reload(); },
        ago(ms) { return this.pcAgo(ms, this.L(), this.lang()); },
        time(v) { return this.pcTime(v, this.lang()); },
        alertText(s, sev) { return this.pcAlertText(s, sev, this.L()); },
${extraMethods}
    },
};
</script>
<style scoped>${CSS}</style>`;

function ui2Overview() {
    return `<template>
<div class="pc-page">
  <div class="pc-bar"><span class="pc-sub" v-if="(p.cards || []).length">{{ p.cards.length }} · {{ p.bad || 0 }} {{ L().bad }}</span>
    <button class="pc-btn" @click="toggleLang()" data-pc="lang">{{ L().lang }}</button></div>
  <div class="pc-sub" v-if="!(p.cards || []).length" data-pc="empty">{{ L().noData }}</div>
  <div class="pc-cards">
    <div v-for="c in (p.cards || [])" :key="c.device + '/' + c.sensor" :class="['pc-card', 'pc-a-' + (c.alert || 'normal'), 'pc-sev-' + c.severity, { 'pc-gone': c.presence === 'offline' || c.presence === 'silent' }]"
         data-pc="card" :data-device="c.device" :data-sensor="c.sensor" :data-alert="c.alert || 'normal'" :data-severity="c.severity || ''">
      <div class="pc-head"><span class="pc-title">{{ c.name || c.device }} · {{ c.sensor }}</span>
        <span :class="['pc-badge', c.presence === 'silent' ? 'pc-silent' : c.presence === 'offline' ? 'pc-off' : 'pc-on']" data-pc="online">{{ L()[c.presence || 'online'] }}</span></div>
      <div class="pc-value" data-pc="value">{{ pcValue(c) }}</div>
      <div v-if="!c.labels"><span class="pc-nw">{{ L().change }} <b data-pc="delta">{{ pcSigned(c.delta, c.unit) }}</b></span> · <span class="pc-nw">{{ L().min }} {{ pcWithUnit(c.min, c.unit) }}</span> · <span class="pc-nw">{{ L().max }} {{ pcWithUnit(c.max, c.unit) }}</span></div>
      <div class="pc-sub"><span :class="['pc-badge', 'pc-' + (c.alert === 'firing' ? c.severity : c.alert === 'pending' ? 'pending' : 'ok')]" data-pc="alert">{{ alertText(c.alert, c.severity) }}</span>
        {{ L().kinds[c.kind || 'unassigned'] }} · {{ L().lastSeen }} {{ tick >= 0 ? ago(c.lastSeen) : '' }}<span v-if="c.state !== null && c.state !== undefined"> · {{ L().board }} {{ L().boardState[c.state] }}</span><span v-if="c.fault"> · {{ c.fault }}</span></div>
    </div>
  </div>
</div>
</template>
${ui2Script()}`;
}

function ui2Fleet() {
    return `<template>
<div class="pc-page">
  <div class="pc-sub" data-pc="assign-hint">{{ L().assignHint }}</div>
  <div class="pc-scroll">
  <table class="pc-table" data-pc="fleet">
    <tr><th>{{ L().device }}</th><th>{{ L().profile }}</th><th>{{ L().state }}</th><th>{{ L().alert }}</th><th>{{ L().fw }}</th><th>{{ L().lastSeen }}</th><th>{{ L().windows }}</th><th>{{ L().stored }}</th><th>{{ L().gaps }}</th><th>{{ L().replays }}</th><th>{{ L().conflicts }}</th><th>{{ L().buffered }}</th><th>{{ L().dropped }}</th><th>{{ L().rssi }}</th></tr>
    <tr v-for="d in (p.devices || [])" :key="d.device" data-pc="device-row" :data-device="d.device" :data-kind="d.kind || ''" :class="{ 'pc-unassigned': !d.kind }">
      <td class="pc-dev"><b>{{ d.name || d.device }}</b> <span v-if="!d.kind" class="pc-badge pc-new" data-pc="new">{{ L().isNew }}</span><div class="pc-sub" v-if="d.name || d.location">{{ d.device }}<span v-if="d.location"> · {{ d.location }}</span></div></td>
      <td><select :value="d.kind || ''" @change="assign(d, $event.target.value)" data-pc="kind"><option v-for="k in kinds" :key="k" :value="k">{{ L().kinds[k || 'unassigned'] }}</option></select></td>
      <td><span :class="['pc-badge', d.presence === 'silent' ? 'pc-silent' : d.presence === 'offline' ? 'pc-off' : 'pc-on']" data-pc="presence">{{ L()[d.presence || 'unknown'] }}</span></td>
      <td><span :class="['pc-badge', 'pc-' + (d.state === 'firing' ? d.severity : d.state === 'pending' ? 'pending' : 'ok')]">{{ alertText(d.state, d.severity) }}</span></td>
      <td data-pc="fw">{{ d.fw || '—' }}</td><td>{{ tick >= 0 ? ago(d.lastSeen) : '' }}</td><td class="n" data-pc="windows">{{ d.windows }}</td><td class="n" data-pc="stored">{{ d.stored }}</td>
      <td class="n" data-pc="gaps">{{ d.gaps }}</td><td class="n" data-pc="replays">{{ d.replays }}</td><td class="n" data-pc="conflicts">{{ d.conflicts }}</td>
      <td class="n">{{ d.buffered === null ? '—' : d.buffered }}</td><td class="n">{{ d.dropped === null ? '—' : d.dropped }}</td><td class="n">{{ d.rssi || '—' }}</td>
    </tr>
  </table>
  </div>
  <div class="pc-sub">{{ p.bad || 0 }} {{ L().bad }}<span v-if="p.lastBad"> · {{ p.lastBad.error }}</span></div>
</div>
</template>
${ui2Script('        assign(d, kind) { this.send({ topic: "assign", payload: { device: d.device, kind: kind || null } }); },')}`;
}

function ui2Alerts() {
    return `<template>
<div class="pc-page">
  <datalist id="pc-presets"><option v-for="p in L().presets" :key="p" :value="p"></option></datalist>
  <h3 class="pc-h">{{ L().active }}</h3>
  <div class="pc-sub" v-if="!(p.active || []).length" data-pc="no-alerts">{{ L().noAlerts }}</div>
  <div class="pc-scroll" v-else>
  <table class="pc-table" data-pc="active">
    <tr><th></th><th>{{ L().device }}</th><th>{{ L().sensor }}</th><th>{{ L().value }}</th><th>{{ L().threshold }}</th><th>{{ L().since }}</th><th></th><th></th></tr>
    <tr v-for="a in p.active" :key="a.id" data-pc="alert" :data-id="a.id" :data-device="a.device" :data-rule="a.rule" :data-state="a.state" :data-severity="a.severity">
      <td><span :class="['pc-badge', 'pc-' + a.severity]" data-pc="severity">{{ L()[a.severity] || a.severity }}</span></td><td>{{ a.name || a.device }}</td><td>{{ a.sensor ? a.sensor + ' · ' + a.rule : a.rule }}</td>
      <td class="n" data-pc="value">{{ pcAlertValue(a) }}</td><td class="n" data-pc="threshold">{{ pcAlertThreshold(a) }}</td><td>{{ time(a.startedAt) }}</td>
      <td><span :class="['pc-badge', 'pc-' + a.state]" data-pc="alert-state">{{ L()[a.state] || a.state }}</span><span class="pc-sub" v-if="a.by"> {{ L().by }} {{ a.by }}</span></td>
      <td><button class="pc-btn" v-if="a.state !== 'acknowledged' && ack.id !== a.id" @click="ack = { id: a.id, text: '' }" data-pc="ack">{{ L().ack }}</button>
        <span v-if="a.state !== 'acknowledged' && ack.id === a.id" class="pc-nw"><input v-model="ack.text" list="pc-presets" :placeholder="L().whatDone" data-pc="ack-action">
          <button class="pc-btn" @click="ackAlert(a)" :disabled="!ack.text.trim()" data-pc="ack-save">{{ L().ackSave }}</button><button class="pc-btn" @click="ack = { id: null, text: '' }">{{ L().cancel }}</button></span></td>
    </tr>
  </table>
  </div>
  <h3 class="pc-h">{{ L().recent }}</h3>
  <div class="pc-scroll">
  <table class="pc-table" data-pc="recent">
    <tr v-for="(a, i) in (p.recent || [])" :key="i"><td><span class="pc-badge pc-resolved">{{ L().resolved }}</span></td><td>{{ a.name || a.device }}</td><td>{{ a.sensor || a.rule }}</td>
      <td>{{ a.message }}</td><td>{{ time(a.startedAt) }} → {{ time(a.endedAt) }}</td></tr>
  </table>
  </div>
</div>
</template>
${ui2Script('        ackAlert(a) { const t = this.ack.text.trim(); if (!t) return; this.send({ topic: "ack", payload: { id: a.id, device: a.device, sensor: a.sensor, rule: a.rule, startedAt: a.startedAt, action: t } }); this.ack = { id: null, text: "" }; },', `this.send(${ASK_ALERTS});`)}`;
}

module.exports = { I18N, HELPERS, PROFILE_KINDS, ui1Overview, ui1Fleet, ui1Alerts, ui1Hourly, ui2Overview, ui2Fleet, ui2Alerts };
