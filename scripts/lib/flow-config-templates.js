// The "Board settings" group of the Fleet page, on both dashboards (issue 13): each board's
// config state and an editor that checks an edit with the very rules the node and the boards use
// (nodes/shared/board-config.ts, compiled into the page), pushes it to one board or a profile and
// shows the acknowledgement. scripts/lib/flow-config-pages.js places these templates.
'use strict';
const fs = require('fs');
const path = require('path');

const RULES_TS = path.join(__dirname, '..', '..', 'nodes', 'shared', 'board-config.ts');

/** nodes/shared/board-config.ts as an expression of plain JavaScript (its exports object). */
function rulesExpression() {
    const ts = require('typescript');
    const js = ts.transpileModule(fs.readFileSync(RULES_TS, 'utf8'), {
        compilerOptions: { target: ts.ScriptTarget.ES2018, module: ts.ModuleKind.CommonJS, removeComments: true },
    }).outputText;
    return `(function () { var exports = {};\n${js}\nreturn exports; })()`;
}

const TH_KEYS = ['warn_high', 'alarm_high', 'warn_low', 'alarm_low', 'warn_slope', 'alarm_slope', 'hysteresis', 'slope_hysteresis'];

const I18N = {
    en: {
        title: 'Board settings', device: 'Device', profile: 'Profile', state: 'Config', version: 'Version', window: 'Window (s)', sample: 'Sample (s)',
        format: 'Format', send: 'Send', edit: 'Edit', settingsOf: 'Settings of', thresholds: 'On-board thresholds', link: 'Connection (tested by the board first)',
        password: 'Wi-Fi password', broker: 'Broker host', port: 'Broker port', noTls: 'Passwords can be sent only over TLS: this server\'s broker connection is not TLS.',
        thisBoard: 'this board', allOf: 'every board of profile', push: 'Push', refusedBy: 'Would be refused:', sent: 'sent', none: 'config.json', pending: 'pending',
        testing: 'testing', applied: 'applied', refused: 'refused', noBoards: 'No board has reported yet.',
        warn_high: 'warning above', alarm_high: 'alarm above', warn_low: 'warning below', alarm_low: 'alarm below', warn_slope: 'warning rise (/min)',
        alarm_slope: 'alarm rise (/min)', hysteresis: 'hysteresis', slope_hysteresis: 'rise hysteresis',
    },
    fr: {
        title: 'Réglages des cartes', device: 'Appareil', profile: 'Profil', state: 'Config', version: 'Version', window: 'Fenêtre (s)', sample: 'Mesure (s)',
        format: 'Format', send: 'Envoi', edit: 'Modifier', settingsOf: 'Réglages de', thresholds: 'Seuils embarqués', link: 'Connexion (essayée d\'abord par la carte)',
        password: 'Mot de passe Wi-Fi', broker: 'Hôte du broker', port: 'Port du broker', noTls: 'Les mots de passe ne circulent que sur TLS : la connexion de ce serveur au broker n\'est pas en TLS.',
        thisBoard: 'cette carte', allOf: 'toutes les cartes du profil', push: 'Envoyer', refusedBy: 'Serait refusé :', sent: 'envoyé', none: 'config.json', pending: 'en attente',
        testing: 'en essai', applied: 'appliquée', refused: 'refusée', noBoards: 'Aucune carte ne s\'est encore signalée.',
        warn_high: 'attention au-dessus', alarm_high: 'alarme au-dessus', warn_low: 'attention en dessous', alarm_low: 'alarme en dessous', warn_slope: 'attention montée (/min)',
        alarm_slope: 'alarme montée (/min)', hysteresis: 'hystérésis', slope_hysteresis: 'hystérésis montée',
    },
};

/**
 * The page logic both dashboards share, an expression evaluated once per browser window
 * (window.PC_CFG_UI): the form of a board, the desired config made of it, and its check.
 */
function clientLib() {
    return `(function () {
    var R = ${rulesExpression()};
    var TH = ${JSON.stringify(TH_KEYS)};
    var I18N = ${JSON.stringify(I18N)};
    function lang() { var l = (window.localStorage && localStorage.getItem('picochain-lang')) || navigator.language || 'en'; return l.slice(0, 2) === 'fr' ? 'fr' : 'en'; }
    function text(v) { return v === null || v === undefined ? '' : String(v); }
    // a field as typed: empty = null, a number when it reads as one, else the text (the rules then say what is wrong)
    function val(t) { t = String(t === undefined || t === null ? '' : t).trim(); if (t === '') return null; var n = Number(t); return isNaN(n) ? t : n; }
    function settings(b) { return (b && b.reported && b.reported.settings) || {}; }
    /** The form of a board: what it reports it runs. */
    function form(b) {
        var s = settings(b); var th = s.thresholds || { default: {} }; var blocks = {};
        Object.keys(th).forEach(function (n) { blocks[n] = {}; TH.forEach(function (k) { blocks[n][k] = text(th[n][k]); }); });
        if (!blocks.default) { blocks.default = {}; TH.forEach(function (k) { blocks.default[k] = text(R.THRESHOLD_DEFAULTS[k]); }); }
        return { device: b.device, profile: b.profile, target: 'device', block: 'default', sample_s: text(s.sample_s === undefined ? 10 : s.sample_s),
            window_s: text(s.window_s === undefined ? 60 : s.window_s), format: s.format || 'json', send: s.send || 'stats', blocks: blocks,
            ssid: (s.wifi && s.wifi.ssid) || '', password: '', host: (s.broker && s.broker.host) || '', port: text(s.broker ? s.broker.port : 1883) };
    }
    /** The whole desired config of a form: the board's earlier desired config, the form's values over it. */
    function desired(f, b) {
        var s = settings(b); var prev = (b.desired && b.desired.config) || {};
        var c = JSON.parse(JSON.stringify(prev));
        c.sample_s = val(f.sample_s); c.window_s = val(f.window_s); c.format = f.format; c.send = f.send; c.thresholds = {};
        Object.keys(f.blocks).forEach(function (n) { var o = {}; TH.forEach(function (k) { o[k] = val(f.blocks[n][k]); }); c.thresholds[n] = o; });
        var w = s.wifi || {}; var br = s.broker || {};
        // Wi-Fi and broker only when changed: the board tries those before it keeps them
        if (f.ssid !== (w.ssid || '') || f.password) { c.wifi = Object.assign({}, prev.wifi, { ssid: f.ssid }); if (f.password) c.wifi.password = f.password; }
        if (f.host !== (br.host || '') || val(f.port) !== br.port) c.broker = Object.assign({}, prev.broker, { host: f.host, port: val(f.port) });
        return c;
    }
    /** Why the board would refuse the form (its own words), or null. */
    function check(f, b, secretsAllowed, L) {
        if (!f || !b) return null;
        if (f.password && !secretsAllowed) return L.noTls;
        var s = settings(b);
        var v = R.checkRemote(desired(f, b), s.broker ? s : { broker: { host: 'unknown' } }, !!(s.broker && s.broker.tls));
        return v.error ? L.refusedBy + ' ' + v.error : null;
    }
    return { R: R, TH: TH, I18N: I18N, lang: lang, form: form, desired: desired, check: check };
})()`;
}

const CSS = `
.pcc { width: 100%; color: #1b1f23; font-size: 14px; }
.pcc table { width: 100%; border-collapse: collapse; background: #fff; table-layout: fixed; }
.pcc th, .pcc td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e5e7eb; overflow-wrap: anywhere; }
.pcc .pcc-badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; line-height: 18px; color: #fff; background: #9aa5b1; }
.pcc .pcc-applied { background: #2e9e48; } .pcc .pcc-pending, .pcc .pcc-testing { background: #2a7ab0; } .pcc .pcc-refused { background: #d1242f; }
.pcc .pcc-sub { color: #57606a; font-size: 12px; }
.pcc .pcc-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 6px 12px; margin: 6px 0; }
.pcc label { display: flex; flex-direction: column; font-size: 12px; color: #57606a; }
.pcc input, .pcc select { font-size: 14px; padding: 3px 5px; border: 1px solid #d0d7de; border-radius: 4px; color: #1b1f23; background: #fff; }
.pcc .pcc-problem { color: #d1242f; margin: 6px 0; font-weight: 600; }
.pcc .pcc-btn { cursor: pointer; border: 1px solid #2a7ab0; color: #2a7ab0; background: #fff; border-radius: 4px; padding: 3px 10px; }
.pcc .pcc-btn:disabled { cursor: default; opacity: 0.4; }
.pcc .pcc-target { display: flex; gap: 14px; align-items: center; margin-top: 8px; }
.pcc .pcc-target label { flex-direction: row; gap: 4px; align-items: center; font-size: 14px; color: #1b1f23; }
.pcc h3 { margin: 12px 0 4px; font-size: 16px; } .pcc h4 { margin: 10px 0 2px; font-size: 14px; }
`;

// ---- node-red-dashboard (AngularJS) ---------------------------------------------------------
function ui1Template() {
    return `<script>
(function (scope) {
    var C = window.PC_CFG_UI = window.PC_CFG_UI || ${clientLib()};
    scope.C = C; scope.L = C.I18N[C.lang()]; scope.f = null; scope.problem = null; scope.sent = null;
    scope.state = function () { return (scope.msg && scope.msg.payload) || { devices: [] }; };
    scope.board = function () { var f = scope.f; return f ? scope.state().devices.filter(function (d) { return d.device === f.device; })[0] : null; };
    scope.edit = function (d) { scope.f = C.form(d); scope.sent = null; scope.check(); };
    scope.check = function () { scope.problem = C.check(scope.f, scope.board(), scope.state().secretsAllowed, scope.L); return scope.problem; };
    scope.blocks = function () { return scope.f ? Object.keys(scope.f.blocks) : []; };
    scope.push = function () {
        var b = scope.board(); if (!b || scope.check()) return;
        var target = scope.f.target === 'profile' ? { profile: b.profile } : { device: b.device, site: b.site };
        scope.send({ topic: 'set', payload: Object.assign(target, { config: C.desired(scope.f, b) }) });
        scope.sent = scope.f.target === 'profile' ? b.profile : b.device; scope.f.password = '';
    };
    scope.$watch('msg', function () { if (scope.f) scope.check(); });
})(scope);
</script>
<style>${CSS}</style>
<div class="pcc">
<div class="pcc-sub" ng-if="!state().devices.length" data-pc="config-empty">{{L.noBoards}}</div>
<table data-pc="config" ng-if="state().devices.length">
  <tr><th>{{L.device}}</th><th>{{L.profile}}</th><th>{{L.state}}</th><th>{{L.version}}</th><th>{{L.window}}</th><th>{{L.sample}}</th><th>{{L.format}}</th><th></th></tr>
  <tr ng-repeat="d in state().devices track by d.device" data-pc="config-row" data-device="{{d.device}}" data-state="{{d.state}}" data-applied="{{d.reported ? d.reported.applied : ''}}">
    <td>{{d.device}}</td><td>{{d.profile}}</td>
    <td><span class="pcc-badge pcc-{{d.state}}" data-pc="config-state">{{L[d.state]}}</span> <span class="pcc-sub" data-pc="config-reason">{{d.reason}}</span></td>
    <td>{{d.reported ? d.reported.applied : '—'}}<span ng-if="d.desired && d.state !== 'applied'"> → {{d.desired.version}}</span></td>
    <td>{{d.reported.settings.window_s}}</td><td>{{d.reported.settings.sample_s}}</td><td>{{d.reported.settings.format}}</td>
    <td><button class="pcc-btn" ng-click="edit(d)" data-pc="config-edit">{{L.edit}}</button></td>
  </tr>
</table>
<div ng-if="f" data-pc="config-form">
  <h3>{{L.settingsOf}} {{f.device}} <span class="pcc-badge pcc-{{board().state}}" data-pc="config-form-state">{{L[board().state]}}</span></h3>
  <div class="pcc-grid">
    <label>{{L.sample}}<input ng-model="f.sample_s" ng-change="check()" data-pc="cfg-sample_s"></label>
    <label>{{L.window}}<input ng-model="f.window_s" ng-change="check()" data-pc="cfg-window_s"></label>
    <label>{{L.format}}<select ng-model="f.format" ng-change="check()" data-pc="cfg-format"><option value="json">JSON</option><option value="binary">binary</option></select></label>
    <label>{{L.send}}<select ng-model="f.send" ng-change="check()" data-pc="cfg-send"><option value="stats">stats</option><option value="raw">raw</option><option value="both">both</option></select></label>
  </div>
  <h4>{{L.thresholds}} <select ng-model="f.block" data-pc="cfg-block"><option ng-repeat="n in blocks()" value="{{n}}">{{n}}</option></select></h4>
  <div class="pcc-grid">
    <label ng-repeat="k in C.TH">{{L[k]}}<input ng-model="f.blocks[f.block][k]" ng-change="check()" data-pc="cfg-th-{{k}}"></label>
  </div>
  <h4>{{L.link}}</h4>
  <div class="pcc-grid">
    <label>Wi-Fi SSID<input ng-model="f.ssid" ng-change="check()" data-pc="cfg-ssid"></label>
    <label>{{L.password}}<input type="password" ng-model="f.password" ng-change="check()" ng-disabled="!state().secretsAllowed" data-pc="cfg-password"></label>
    <label>{{L.broker}}<input ng-model="f.host" ng-change="check()" data-pc="cfg-host"></label>
    <label>{{L.port}}<input ng-model="f.port" ng-change="check()" data-pc="cfg-port"></label>
  </div>
  <div class="pcc-sub" ng-if="!state().secretsAllowed">{{L.noTls}}</div>
  <div class="pcc-problem" ng-if="problem" data-pc="config-problem">{{problem}}</div>
  <div class="pcc-target">
    <label><input type="radio" ng-model="f.target" value="device" data-pc="cfg-target-device"> {{L.thisBoard}}</label>
    <label><input type="radio" ng-model="f.target" value="profile" data-pc="cfg-target-profile"> {{L.allOf}} {{f.profile}}</label>
    <button class="pcc-btn" ng-click="push()" ng-disabled="!!problem" data-pc="config-push">{{L.push}}</button>
    <span class="pcc-sub" ng-if="sent" data-pc="config-sent">{{L.sent}}: {{sent}}</span>
  </div>
</div>
</div>`;
}

// ---- FlowFuse Dashboard 2.0 (Vue) --------------------------------------------------------------
function ui2Template() {
    return `<template>
<div class="pcc">
  <div class="pcc-sub" v-if="!devices.length" data-pc="config-empty">{{ L.noBoards }}</div>
  <table v-else data-pc="config">
    <tr><th>{{ L.device }}</th><th>{{ L.profile }}</th><th>{{ L.state }}</th><th>{{ L.version }}</th><th>{{ L.window }}</th><th>{{ L.sample }}</th><th>{{ L.format }}</th><th></th></tr>
    <tr v-for="d in devices" :key="d.device" data-pc="config-row" :data-device="d.device" :data-state="d.state" :data-applied="d.reported ? d.reported.applied : ''">
      <td>{{ d.device }}</td><td>{{ d.profile }}</td>
      <td><span :class="['pcc-badge', 'pcc-' + d.state]" data-pc="config-state">{{ L[d.state] }}</span> <span class="pcc-sub" data-pc="config-reason">{{ d.reason }}</span></td>
      <td>{{ d.reported ? d.reported.applied : '—' }}<span v-if="d.desired && d.state !== 'applied'"> → {{ d.desired.version }}</span></td>
      <td>{{ rs(d).window_s }}</td><td>{{ rs(d).sample_s }}</td><td>{{ rs(d).format }}</td>
      <td><button class="pcc-btn" @click="edit(d)" data-pc="config-edit">{{ L.edit }}</button></td>
    </tr>
  </table>
  <div v-if="f" data-pc="config-form">
    <h3>{{ L.settingsOf }} {{ f.device }} <span :class="['pcc-badge', 'pcc-' + (board() || {}).state]" data-pc="config-form-state">{{ L[(board() || {}).state] }}</span></h3>
    <div class="pcc-grid">
      <label>{{ L.sample }}<input v-model="f.sample_s" data-pc="cfg-sample_s"></label>
      <label>{{ L.window }}<input v-model="f.window_s" data-pc="cfg-window_s"></label>
      <label>{{ L.format }}<select v-model="f.format" data-pc="cfg-format"><option value="json">JSON</option><option value="binary">binary</option></select></label>
      <label>{{ L.send }}<select v-model="f.send" data-pc="cfg-send"><option value="stats">stats</option><option value="raw">raw</option><option value="both">both</option></select></label>
    </div>
    <h4>{{ L.thresholds }} <select v-model="f.block" data-pc="cfg-block"><option v-for="n in Object.keys(f.blocks)" :key="n" :value="n">{{ n }}</option></select></h4>
    <div class="pcc-grid">
      <label v-for="k in C.TH" :key="k">{{ L[k] }}<input v-model="f.blocks[f.block][k]" :data-pc="'cfg-th-' + k"></label>
    </div>
    <h4>{{ L.link }}</h4>
    <div class="pcc-grid">
      <label>Wi-Fi SSID<input v-model="f.ssid" data-pc="cfg-ssid"></label>
      <label>{{ L.password }}<input type="password" v-model="f.password" :disabled="!p.secretsAllowed" data-pc="cfg-password"></label>
      <label>{{ L.broker }}<input v-model="f.host" data-pc="cfg-host"></label>
      <label>{{ L.port }}<input v-model="f.port" data-pc="cfg-port"></label>
    </div>
    <div class="pcc-sub" v-if="!p.secretsAllowed">{{ L.noTls }}</div>
    <div class="pcc-problem" v-if="problem" data-pc="config-problem">{{ problem }}</div>
    <div class="pcc-target">
      <label><input type="radio" v-model="f.target" value="device" data-pc="cfg-target-device"> {{ L.thisBoard }}</label>
      <label><input type="radio" v-model="f.target" value="profile" data-pc="cfg-target-profile"> {{ L.allOf }} {{ f.profile }}</label>
      <button class="pcc-btn" @click="push()" :disabled="!!problem" data-pc="config-push">{{ L.push }}</button>
      <span class="pcc-sub" v-if="sent" data-pc="config-sent">{{ L.sent }}: {{ sent }}</span>
    </div>
  </div>
</div>
</template>
<script>
export default {
    data() { return { f: null, sent: null }; },
    computed: {
        C() { return window.PC_CFG_UI || (window.PC_CFG_UI = ${clientLib()}); },
        L() { return this.C.I18N[this.C.lang()]; },
        p() { return (this.msg && this.msg.topic === 'config-state' && this.msg.payload) || { devices: [] }; },
        devices() { return this.p.devices || []; },
        // recomputed with every edit and every state message
        problem() { return this.C.check(this.f, this.board(), this.p.secretsAllowed, this.L); },
    },
    methods: {
        rs(d) { return (d.reported && d.reported.settings) || {}; },
        board() { const f = this.f; return f ? this.devices.find((d) => d.device === f.device) : null; },
        edit(d) { this.f = this.C.form(d); this.sent = null; },
        push() {
            const b = this.board();
            if (!b || this.problem) return;
            const target = this.f.target === 'profile' ? { profile: b.profile } : { device: b.device, site: b.site };
            this.send({ topic: 'set', payload: Object.assign(target, { config: this.C.desired(this.f, b) }) });
            this.sent = this.f.target === 'profile' ? b.profile : b.device;
            this.f.password = '';
        },
    },
};
</script>
<style scoped>${CSS}</style>`;
}

module.exports = { ui1Template, ui2Template, rulesExpression, I18N, TH_KEYS };
