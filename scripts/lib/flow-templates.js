// Text pieces of the generated flows (scripts/lib/make-flows.js): the small function nodes and
// the dashboard page templates, for node-red-dashboard (AngularJS) and Dashboard 2.0 (Vue).
'use strict';

// ---- texts ---------------------------------------------------------------------------------
const MAIN_INFO = `# picochain: the whole chain

Pico W boards (or the simulated fleet) publish window statistics on \`picochain/<site>/<device>/stats\`
and their status on \`.../status\`; the original system's boards publish on \`TOUCAN\`.

**picochain-decode** validates and normalises every message, **picochain-mongo-ts** stores the readings
(MongoDB time series, or a regular collection on FerretDB), two **picochain-alert** nodes watch fridges
and freezers with their own thresholds, and the *model* functions keep what the dashboard pages show.

Broker and database: this machine (127.0.0.1, ports 1883 and 27017). Change them in the two configuration
nodes, where a field may also name an environment variable (\`\${MQTT_HOST}\`, \`\${MQTT_PORT}\`,
\`\${MONGODB_URI}\`, \`\${MONGODB_DB}\`: \`npm start\` uses these). No credentials are stored in this flow.`;

const COMMENT_CHAIN = 'Every message goes through picochain-decode. Readings are stored and watched; status messages (birth / last will) tell the alert nodes and the Fleet page which boards are online. Invalid input is counted by the Catch node below.';

const COMMENT_NOTIFY = `Alert events (fired, escalated, renotify, resolved) formatted for three channels.
The sending nodes are **disabled**: enable the one you use.

- **e-mail**: install \`node-red-node-email\`, put its e-mail node in place of the disabled debug node
  (msg.topic = subject, msg.payload = text, msg.to from \`ALERT_EMAIL_TO\`).
- **Telegram**: set \`TELEGRAM_BOT_TOKEN\` and \`TELEGRAM_CHAT_ID\` in the environment, enable the http request node.
- **webhook** (Slack, Mattermost, ntfy, your own): set \`ALERT_WEBHOOK_URL\`, enable the http request node.

Secrets stay in the environment, never in the flow.`;

const UI1_INFO = 'The four picochain pages on node-red-dashboard (http://127.0.0.1:1880/ui): Overview, History, Alerts, Fleet. They get their data from the chain tab through link nodes; the History chart is read from the database by picochain-history when the page opens and continued with live readings.';
const UI2_INFO = 'The four picochain pages on FlowFuse Dashboard 2.0 (http://127.0.0.1:1880/dashboard): Overview, History, Alerts, Fleet. Same data as the node-red-dashboard tab, through link nodes from the chain tab.';

const UI1_THEME = {
    name: 'theme-light',
    lightTheme: { default: '#0094CE', baseColor: '#1f4e79', baseFont: '-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Oxygen-Sans,Ubuntu,Cantarell,Helvetica Neue,sans-serif', edited: true, reset: false },
    darkTheme: { default: '#097479', baseColor: '#097479', baseFont: '-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Oxygen-Sans,Ubuntu,Cantarell,Helvetica Neue,sans-serif', edited: false },
    customTheme: { name: 'Untitled Theme 1', default: '#4B7930', baseColor: '#4B7930', baseFont: '-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Oxygen-Sans,Ubuntu,Cantarell,Helvetica Neue,sans-serif' },
    themeState: {
        'base-color': { default: '#0094CE', value: '#1f4e79', edited: true }, 'page-titlebar-backgroundColor': { value: '#1f4e79', edited: false },
        'page-backgroundColor': { value: '#fafafa', edited: false }, 'page-sidebar-backgroundColor': { value: '#ffffff', edited: false },
        'group-textColor': { value: '#2a7ab0', edited: false }, 'group-borderColor': { value: '#ffffff', edited: false },
        'group-backgroundColor': { value: '#ffffff', edited: false }, 'widget-textColor': { value: '#111111', edited: false },
        'widget-backgroundColor': { value: '#1f4e79', edited: false }, 'widget-borderColor': { value: '#ffffff', edited: false },
        'base-font': { value: '-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Oxygen-Sans,Ubuntu,Cantarell,Helvetica Neue,sans-serif' },
    },
    angularTheme: { primary: 'indigo', accents: 'blue', warn: 'red', background: 'grey', palette: 'light' },
};

const RANGES = [
    { label: '1 h', value: '1h' }, { label: '6 h', value: '6h' }, { label: '24 h', value: '24h' }, { label: '3 d', value: '3d' }, { label: '7 d', value: '7d' },
];

const HOURLY_COLUMNS = [
    { title: 'Hour (UTC)', key: 'hour', keyType: 'key', type: 'text', width: '', align: 'start' },
    { title: 'Sensor', key: 'sensor', keyType: 'key', type: 'text', width: '', align: 'start' },
    { title: 'Min', key: 'min', keyType: 'key', type: 'text', width: '', align: 'end' },
    { title: 'Mean', key: 'mean', keyType: 'key', type: 'text', width: '', align: 'end' },
    { title: 'Max', key: 'max', keyType: 'key', type: 'text', width: '', align: 'end' },
    { title: 'Change', key: 'change', keyType: 'key', type: 'text', width: '', align: 'end' },
    { title: 'Windows', key: 'windows', keyType: 'key', type: 'text', width: '', align: 'end' },
];

// ---- function nodes (kept small: the logic that matters lives in the picochain nodes) -------
const FN_MODEL = `
// What the Overview and Fleet pages show, kept in flow context: the latest window per device and
// sensor, and per-device health. Readings arrive from picochain-alert (with msg.alert), status
// messages from picochain-decode, bad input from the Catch node.
const m = flow.get('model') || { cards: {}, devices: {}, bad: 0 };
const p = msg.payload || {};
const now = Date.now();
const dev = (id) => (m.devices[id] = m.devices[id] || { device: id, online: null, lastSeen: null, fw: null, windows: 0, gaps: 0, replays: 0, buffered: null, replayed: null, dropped: null, lastSeq: null });
if (msg.topic === 'bad-input') {
    m.bad += 1;
    m.lastBad = p;
} else if (p.device && (p.state === 'online' || p.state === 'offline')) {
    const d = dev(p.device);
    d.online = p.state === 'online';
    for (const k of ['fw', 'rssi', 'boot', 'buffered', 'replayed', 'dropped', 'synced']) if (p[k] !== undefined) d[k] = p[k];
    if (d.online) d.lastSeen = now;
} else if (p.device && p.sensor) {
    const d = dev(p.device);
    d.online = true;
    d.lastSeen = now;
    if (p.seq === null || p.seq === undefined || p.seq !== d.lastSeq) { // one frame = one seq, whatever its sensor count (legacy: no seq)
        d.windows += 1;
        d.gaps += msg.seqGap > 0 ? msg.seqGap : 0;
        if (msg.replay || p.replay) d.replays += 1;
        d.lastSeq = p.seq;
    }
    const key = p.device + '/' + p.sensor;
    const c = m.cards[key];
    const t = new Date(p.time).getTime();
    if (!c || t > c.t) { // a replayed older window does not replace the latest one
        const a = msg.alert || {};
        m.cards[key] = { device: p.device, sensor: p.sensor, unit: p.unit, value: p.mean, min: p.min, max: p.max, state: p.state, fault: p.fault || null, t,
            delta: c && c.value != null && p.mean != null ? Math.round((p.mean - c.value) * 100) / 100 : null, alert: a.state || null, severity: a.severity || null };
    }
}
flow.set('model', m);
const cards = Object.values(m.cards).map((c) => Object.assign({}, c, { online: m.devices[c.device].online, lastSeen: m.devices[c.device].lastSeen }));
cards.sort((a, b) => (a.device + '/' + a.sensor).localeCompare(b.device + '/' + b.sensor));
const devices = Object.values(m.devices).sort((a, b) => a.device.localeCompare(b.device));
return { topic: 'model', payload: { cards, devices, bad: m.bad, lastBad: m.lastBad || null, at: now } };
`;

const FN_ALERTS = `
// Active and recent alerts for the Alerts pages, from picochain-alert's events.
const a = flow.get('alerts') || { active: {}, recent: [] };
const e = msg.payload || {};
if (e.id && e.event) {
    if (e.event === 'resolved') {
        delete a.active[e.id];
        a.recent.unshift(Object.assign({}, e, { state: 'resolved' }));
        a.recent = a.recent.slice(0, 50);
    } else {
        const prev = a.active[e.id] || {};
        a.active[e.id] = Object.assign({}, prev, e, { node: msg.alertNode || prev.node, state: e.acknowledged || prev.state === 'acknowledged' && e.event !== 'escalated' ? 'acknowledged' : 'firing' });
    }
    flow.set('alerts', a);
}
const rank = { critical: 0, warning: 1 };
const active = Object.values(a.active).sort((x, y) => (rank[x.severity] - rank[y.severity]) || String(x.startedAt).localeCompare(String(y.startedAt)));
return { topic: 'alerts', payload: { active, recent: a.recent, at: Date.now() } };
`;

const FN_ACK_BY = `
// Who acknowledges: the user the page's socket logged in as (msg._client.user, set on the server
// by npm start's guard, never taken from the browser), recorded as msg.payload.by. A viewer's
// acknowledgement is refused: that role is read-only.
const u = msg._client && msg._client.user;
if (u && u.role === 'viewer') {
    node.warn('acknowledgement refused: ' + u.username + ' is a viewer (read-only)');
    return null;
}
msg.payload = Object.assign({}, msg.payload);
if (u && u.username) msg.payload.by = u.username; else delete msg.payload.by;
return msg;
`;

const FN_MAIL = `
// An e-mail for the e-mail node: subject, text body, recipient from ALERT_EMAIL_TO.
const e = msg.payload;
msg.to = env.get('ALERT_EMAIL_TO') || '';
msg.topic = '[picochain] ' + (e.severity || '').toUpperCase() + ' ' + e.event + ': ' + e.device + (e.sensor ? ' ' + e.sensor : '');
msg.payload = e.message + '\\n\\nvalue: ' + e.value + ' ' + (e.unit || '') + '\\nthreshold: ' + e.threshold + '\\nsince: ' + e.startedAt + (e.endedAt ? '\\nended: ' + e.endedAt : '');
return msg;
`;

const FN_TELEGRAM = `
// A Telegram sendMessage call; the bot token and chat id come from the environment.
const token = env.get('TELEGRAM_BOT_TOKEN');
const chat = env.get('TELEGRAM_CHAT_ID');
if (!token || !chat) { node.status({ fill: 'grey', shape: 'ring', text: 'not configured' }); return null; }
const e = msg.payload;
const icon = e.event === 'resolved' ? '✅' : e.severity === 'critical' ? '🔴' : '🟠';
return { url: 'https://api.telegram.org/bot' + token + '/sendMessage', headers: { 'content-type': 'application/json' }, payload: { chat_id: chat, text: icon + ' ' + e.message } };
`;

const FN_WEBHOOK = `
// A JSON webhook (Slack/Mattermost-compatible "text", plus the whole event).
const url = env.get('ALERT_WEBHOOK_URL');
if (!url) { node.status({ fill: 'grey', shape: 'ring', text: 'not configured' }); return null; }
return { url, headers: { 'content-type': 'application/json' }, payload: { text: msg.payload.message, event: msg.payload } };
`;

const deviceOptions = (optionsExpr) => `
// Fills the device picker when the device list changes; remembers each device's newest reading
// time, where its history ends (a board's clock may differ from ours, e.g. the accelerated simulator).
const cards = msg.payload.cards || [];
const latest = {};
for (const c of cards) latest[c.device] = Math.max(latest[c.device] || 0, c.t || 0);
flow.set('latest', latest);
const list = Object.keys(latest).sort();
if (list.join() === flow.get('devices')) return null;
flow.set('devices', list.join());
const h = flow.get('history') || {};
// second output: shows the chosen range in its picker
return [{ options: ${optionsExpr}, payload: h.device || list[0] }, { payload: h.range || '24h' }];
`;
const FN_DEVICE_OPTIONS_UI1 = deviceOptions('list');
const FN_DEVICE_OPTIONS_UI2 = deviceOptions('list.map((d) => ({ label: d, value: d }))');

const FN_HISTORY_REQ = `
// One request to picochain-history when the History page opens or the device or range changes.
const h = flow.get('history') || { device: null, range: '24h' };
const opened = msg.payload === 'connect' || msg.name === 'History' || (msg.topic === '$pageview' && msg.payload && msg.payload.page && msg.payload.page.name === 'History');
if (msg.topic === 'device' && msg.payload) h.device = msg.payload;
else if (msg.topic === 'range' && msg.payload) h.range = msg.payload;
else if (!opened) return null;
const devices = (flow.get('devices') || '').split(',').filter(Boolean);
if (!h.device) h.device = devices[0];
flow.set('history', h);
if (!h.device) return null;
const latest = (flow.get('latest') || {})[h.device] || 0;
// the range ends at the device's newest reading: a board whose clock is off still shows its last day
return { topic: 'history', payload: { device: h.device, range: h.range, to: (latest || Date.now()) + 60000 } };
`;

const FN_LIVE_UI1 = `
// Appends the chosen device's new windows to the chart (series named as picochain-history names them).
const h = flow.get('history') || {};
const r = msg.payload;
if (!r || r.device !== h.device || r.mean == null || msg.replay) return null;
const x = new Date(r.time).getTime();
return [['mean', 'min', 'max'].filter((s) => r[s] != null).map((s) => ({ topic: r.sensor + ' ' + s, payload: r[s], timestamp: x }))];
`;

const FN_LIVE_UI2 = `
// Appends the chosen device's new windows to the chart (series named as picochain-history names them).
const h = flow.get('history') || {};
const r = msg.payload;
if (!r || r.device !== h.device || r.mean == null || msg.replay) return null;
const x = new Date(r.time).getTime();
return { action: 'append', payload: ['mean', 'min', 'max'].filter((s) => r[s] != null).map((s) => ({ x, y: r[s], series: r.sensor + ' ' + s })) };
`;

// ---- page texts, English and French ----------------------------------------------------------
const I18N = {
    en: {
        ok: 'ok', warning: 'warning', alarm: 'alarm', none: '—', online: 'online', offline: 'offline', unknown: 'unknown',
        lastSeen: 'last seen', change: 'change', min: 'min', max: 'max', ago: 'ago', noData: 'Waiting for the first readings…',
        active: 'Active alerts', recent: 'Recent alerts', noAlerts: 'No active alert', ack: 'Acknowledge', acknowledged: 'acknowledged',
        firing: 'firing', resolved: 'resolved', critical: 'critical', since: 'since', value: 'value', threshold: 'threshold', ended: 'ended',
        device: 'Device', fw: 'Firmware', windows: 'Windows', gaps: 'Seq gaps', replays: 'Replayed', buffered: 'Buffered', dropped: 'Dropped', rssi: 'RSSI',
        state: 'State', bad: 'bad messages', hour: 'Hour', sensor: 'Sensor', mean: 'Mean', windowsCol: 'Windows', lang: 'Français', pending: 'pending',
    },
    fr: {
        ok: 'ok', warning: 'attention', alarm: 'alarme', none: '—', online: 'en ligne', offline: 'hors ligne', unknown: 'inconnu',
        lastSeen: 'vu', change: 'variation', min: 'min', max: 'max', ago: 'il y a', noData: 'En attente des premières mesures…',
        active: 'Alertes actives', recent: 'Alertes récentes', noAlerts: 'Aucune alerte active', ack: 'Acquitter', acknowledged: 'acquittée',
        firing: 'en cours', resolved: 'résolue', critical: 'critique', since: 'depuis', value: 'valeur', threshold: 'seuil', ended: 'fin',
        device: 'Appareil', fw: 'Firmware', windows: 'Fenêtres', gaps: 'Trous de seq', replays: 'Rejouées', buffered: 'En tampon', dropped: 'Perdues', rssi: 'RSSI',
        state: 'État', bad: 'messages invalides', hour: 'Heure', sensor: 'Capteur', mean: 'Moyenne', windowsCol: 'Fenêtres', lang: 'English', pending: 'en attente',
    },
};

// Shared by both dashboards' pages (plain ES5 so AngularJS templates can use it too).
const CLIENT_LIB = `
var PC_I18N = ${JSON.stringify(I18N)};
function pcLang() { var l = (window.localStorage && localStorage.getItem('picochain-lang')) || navigator.language || 'en'; return l.slice(0, 2) === 'fr' ? 'fr' : 'en'; }
function pcToggleLang() { localStorage.setItem('picochain-lang', pcLang() === 'fr' ? 'en' : 'fr'); location.reload(); }
function pcAgo(ms, L) { if (!ms) return L.unknown; var s = Math.max(0, Math.round((Date.now() - ms) / 1000)); var t = s < 60 ? s + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h'; return pcLang() === 'fr' ? L.ago + ' ' + t : t + ' ' + L.ago; }
function pcNum(v, d) { return v === null || v === undefined ? '—' : Number(v).toFixed(d === undefined ? 1 : d); }
function pcSigned(v) { return v === null || v === undefined ? '—' : (v > 0 ? '+' : '') + Number(v).toFixed(2); }
function pcTime(v) { return v ? new Date(v).toLocaleString(pcLang() === 'fr' ? 'fr-FR' : 'en-GB') : '—'; }
`;

const CSS = `
.nr-dashboard-template { overflow-y: auto; }
.pc-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; width: 100%; }
.pc-card { border-radius: 8px; padding: 10px 12px; background: #fff; border: 1px solid #d0d7de; border-left: 8px solid #9aa5b1; color: #1b1f23; font-size: 14px; }
.pc-card.pc-s0 { border-left-color: #2e9e48; } .pc-card.pc-s1 { border-left-color: #e6a100; } .pc-card.pc-s2 { border-left-color: #d1242f; }
.pc-card.pc-firing { background: #fff1f0; }
.pc-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 6px; font-weight: 600; }
.pc-head .pc-badge { flex: none; align-self: flex-start; line-height: 18px; }
.pc-value { font-size: 30px; font-weight: 600; margin: 4px 0; }
.pc-sub { color: #57606a; font-size: 12px; }
.pc-badge { display: inline-block; white-space: nowrap; border-radius: 10px; padding: 0 8px; margin-right: 4px; font-size: 12px; line-height: 18px; color: #fff; background: #9aa5b1; }
.pc-b0 { background: #2e9e48; } .pc-b1 { background: #e6a100; } .pc-b2 { background: #d1242f; }
.pc-on { background: #2e9e48; } .pc-off { background: #d1242f; }
.pc-badge.pc-firing { background: #d1242f; } .pc-badge.pc-pending { background: #e6a100; }
.pc-warning { background: #e6a100; } .pc-critical { background: #d1242f; } .pc-acknowledged { background: #57606a; } .pc-resolved { background: #2e9e48; }
.pc-table { width: 100%; border-collapse: collapse; font-size: 14px; color: #1b1f23; background: #fff; }
.pc-table th, .pc-table td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e5e7eb; }
.pc-table td.n { text-align: right; font-variant-numeric: tabular-nums; }
.pc-table th::first-letter { text-transform: uppercase; }
.pc-bar { display: flex; justify-content: space-between; align-items: center; margin-bottom: 8px; width: 100%; color: #1b1f23; }
.pc-btn { cursor: pointer; border: 1px solid #2a7ab0; color: #2a7ab0; background: #fff; border-radius: 4px; padding: 3px 10px; }
.pc-btn:hover { background: #2a7ab0; color: #fff; }
h3.pc-h { margin: 12px 0 6px; font-size: 16px; color: #1b1f23; }
`;

// ---- node-red-dashboard (AngularJS) templates --------------------------------------------------
const ui1Script = (extra) => `<script>
${CLIENT_LIB}
(function (scope) {
    scope.L = PC_I18N[pcLang()];
    scope.ago = function (ms) { return pcAgo(ms, scope.L); };
    scope.num = pcNum; scope.signed = pcSigned; scope.time = pcTime; scope.toggleLang = pcToggleLang;
    scope.stateName = function (s) { return s === 0 ? scope.L.ok : s === 1 ? scope.L.warning : s === 2 ? scope.L.alarm : scope.L.none; };
    ${extra || ''}
})(scope);
</script>
<style>${CSS}</style>`;

function ui1Overview() {
    return `${ui1Script()}
<div class="pc-bar"><span class="pc-sub" ng-if="msg.payload.cards.length">{{msg.payload.cards.length}} · {{msg.payload.bad || 0}} {{L.bad}}</span>
  <button class="pc-btn" ng-click="toggleLang()" data-pc="lang">{{L.lang}}</button></div>
<div class="pc-sub" ng-if="!msg.payload.cards.length" data-pc="empty">{{L.noData}}</div>
<div class="pc-cards">
  <div class="pc-card pc-s{{c.state}}" ng-class="{'pc-firing': c.alert === 'firing'}" ng-repeat="c in msg.payload.cards track by (c.device + '/' + c.sensor)"
       data-pc="card" data-device="{{c.device}}" data-sensor="{{c.sensor}}">
    <div class="pc-head"><span>{{c.device}} · {{c.sensor}}</span>
      <span class="pc-badge" ng-class="c.online === false ? 'pc-off' : 'pc-on'" data-pc="online">{{c.online === false ? L.offline : L.online}}</span></div>
    <div class="pc-value" data-pc="value">{{num(c.value)}} {{c.unit}}</div>
    <div>{{L.change}} <b data-pc="delta">{{signed(c.delta)}}</b> · {{L.min}} {{num(c.min)}} · {{L.max}} {{num(c.max)}}</div>
    <div class="pc-sub"><span class="pc-badge pc-b{{c.state}}" data-pc="state">{{stateName(c.state)}}</span>
      <span class="pc-badge pc-{{c.severity}}" ng-if="c.alert === 'firing'">{{L[c.severity] || c.severity}}</span>
      {{L.lastSeen}} {{ago(c.lastSeen)}}<span ng-if="c.fault"> · {{c.fault}}</span></div>
  </div>
</div>`;
}

function ui1Fleet() {
    return `${ui1Script()}
<table class="pc-table" data-pc="fleet">
  <tr><th>{{L.device}}</th><th>{{L.state}}</th><th>{{L.fw}}</th><th>{{L.lastSeen}}</th><th>{{L.windows}}</th><th>{{L.gaps}}</th><th>{{L.replays}}</th><th>{{L.buffered}}</th><th>{{L.dropped}}</th><th>{{L.rssi}}</th></tr>
  <tr ng-repeat="d in msg.payload.devices track by d.device" data-pc="device-row" data-device="{{d.device}}">
    <td>{{d.device}}</td><td><span class="pc-badge" ng-class="d.online === false ? 'pc-off' : 'pc-on'">{{d.online === false ? L.offline : L.online}}</span></td>
    <td>{{d.fw || '—'}}</td><td>{{ago(d.lastSeen)}}</td><td class="n">{{d.windows}}</td><td class="n">{{d.gaps}}</td><td class="n">{{d.replays}}</td>
    <td class="n">{{d.buffered === null ? '—' : d.buffered}}</td><td class="n">{{d.dropped === null ? '—' : d.dropped}}</td><td class="n">{{d.rssi || '—'}}</td>
  </tr>
</table>
<div class="pc-sub">{{msg.payload.bad || 0}} {{L.bad}}<span ng-if="msg.payload.lastBad"> · {{msg.payload.lastBad.error}}</span></div>`;
}

function ui1Alerts() {
    return `${ui1Script('scope.ackAlert = function (a) { scope.send({ topic: "ack", device: a.device, alertNode: a.node, payload: { id: a.id } }); };')}
<h3 class="pc-h">{{L.active}}</h3>
<div class="pc-sub" ng-if="!msg.payload.active.length" data-pc="no-alerts">{{L.noAlerts}}</div>
<table class="pc-table" ng-if="msg.payload.active.length" data-pc="active">
  <tr><th></th><th>{{L.device}}</th><th>{{L.sensor}}</th><th>{{L.value}}</th><th>{{L.threshold}}</th><th>{{L.since}}</th><th></th><th></th></tr>
  <tr ng-repeat="a in msg.payload.active track by a.id" data-pc="alert" data-id="{{a.id}}" data-device="{{a.device}}" data-rule="{{a.rule}}" data-state="{{a.state}}">
    <td><span class="pc-badge pc-{{a.severity}}">{{L[a.severity] || a.severity}}</span></td><td>{{a.device}}</td><td>{{a.sensor ? a.sensor + ' · ' + a.rule : a.rule}}</td>
    <td class="n">{{num(a.value, 2)}} {{a.unit}}</td><td class="n">{{num(a.threshold, 1)}}</td><td>{{time(a.startedAt)}}</td>
    <td><span class="pc-badge pc-{{a.state}}" data-pc="alert-state">{{L[a.state] || a.state}}</span></td>
    <td><button class="pc-btn" ng-if="a.state !== 'acknowledged'" ng-click="ackAlert(a)" data-pc="ack">{{L.ack}}</button></td>
  </tr>
</table>
<h3 class="pc-h">{{L.recent}}</h3>
<table class="pc-table" data-pc="recent">
  <tr ng-repeat="a in msg.payload.recent track by $index"><td><span class="pc-badge pc-resolved">{{L.resolved}}</span></td><td>{{a.device}}</td><td>{{a.sensor || a.rule}}</td>
    <td>{{a.message}}</td><td>{{time(a.startedAt)}} → {{time(a.endedAt)}}</td></tr>
</table>`;
}

function ui1Hourly() {
    return `${ui1Script()}
<table class="pc-table" data-pc="hourly">
  <tr><th>{{L.hour}}</th><th>{{L.sensor}}</th><th>{{L.min}}</th><th>{{L.mean}}</th><th>{{L.max}}</th><th>{{L.change}}</th><th>{{L.windowsCol}}</th></tr>
  <tr ng-repeat="r in msg.payload | limitTo: 48 track by $index"><td>{{time(r.t)}}</td><td>{{r.sensor}}</td><td class="n">{{num(r.min, 2)}}</td><td class="n">{{num(r.mean, 2)}}</td>
    <td class="n">{{num(r.max, 2)}}</td><td class="n">{{signed(r.change)}}</td><td class="n">{{r.windows}}</td></tr>
</table>`;
}

// ---- Dashboard 2.0 (Vue) templates -------------------------------------------------------------
// Dashboard 2.0 runs the <script> as a Vue component: everything lives inside `export default`.
const ui2Script = (extraMethods = '') => `<script>
export default {
    data() { return { tick: 0, I18N: ${JSON.stringify(I18N)} }; },
    mounted() { this.timer = setInterval(() => { this.tick++; }, 5000); },
    unmounted() { clearInterval(this.timer); },
    computed: { p() { return (this.msg && this.msg.payload) || {}; } },
    methods: {
        lang() { const l = (window.localStorage && localStorage.getItem('picochain-lang')) || navigator.language || 'en'; return l.slice(0, 2) === 'fr' ? 'fr' : 'en'; },
        L() { return this.I18N[this.lang()]; },
        toggleLang() { localStorage.setItem('picochain-lang', this.lang() === 'fr' ? 'en' : 'fr'); location.reload(); },
        ago(ms) { const L = this.L(); if (!ms) return L.unknown; const s = Math.max(0, Math.round((Date.now() - ms) / 1000)); const t = s < 60 ? s + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h'; return this.lang() === 'fr' ? L.ago + ' ' + t : t + ' ' + L.ago; },
        num(v, d) { return v === null || v === undefined ? '—' : Number(v).toFixed(d === undefined ? 1 : d); },
        signed(v) { return v === null || v === undefined ? '—' : (v > 0 ? '+' : '') + Number(v).toFixed(2); },
        time(v) { return v ? new Date(v).toLocaleString(this.lang() === 'fr' ? 'fr-FR' : 'en-GB') : '—'; },
        stateName(s) { const L = this.L(); return s === 0 ? L.ok : s === 1 ? L.warning : s === 2 ? L.alarm : L.none; },
${extraMethods}
    },
};
</script>
<style scoped>${CSS}</style>`;

function ui2Overview() {
    return `<template>
<div style="width: 100%">
  <div class="pc-bar"><span class="pc-sub" v-if="(p.cards || []).length">{{ p.cards.length }} · {{ p.bad || 0 }} {{ L().bad }}</span>
    <button class="pc-btn" @click="toggleLang()" data-pc="lang">{{ L().lang }}</button></div>
  <div class="pc-sub" v-if="!(p.cards || []).length" data-pc="empty">{{ L().noData }}</div>
  <div class="pc-cards">
    <div v-for="c in (p.cards || [])" :key="c.device + '/' + c.sensor" :class="['pc-card', 'pc-s' + c.state, { 'pc-firing': c.alert === 'firing' }]"
         data-pc="card" :data-device="c.device" :data-sensor="c.sensor">
      <div class="pc-head"><span>{{ c.device }} · {{ c.sensor }}</span>
        <span :class="['pc-badge', c.online === false ? 'pc-off' : 'pc-on']" data-pc="online">{{ c.online === false ? L().offline : L().online }}</span></div>
      <div class="pc-value" data-pc="value">{{ num(c.value) }} {{ c.unit }}</div>
      <div>{{ L().change }} <b data-pc="delta">{{ signed(c.delta) }}</b> · {{ L().min }} {{ num(c.min) }} · {{ L().max }} {{ num(c.max) }}</div>
      <div class="pc-sub"><span :class="['pc-badge', 'pc-b' + c.state]" data-pc="state">{{ stateName(c.state) }}</span>
        <span v-if="c.alert === 'firing'" :class="['pc-badge', 'pc-' + c.severity]">{{ L()[c.severity] || c.severity }}</span>
        {{ L().lastSeen }} {{ tick >= 0 ? ago(c.lastSeen) : '' }}<span v-if="c.fault"> · {{ c.fault }}</span></div>
    </div>
  </div>
</div>
</template>
${ui2Script()}`;
}

function ui2Fleet() {
    return `<template>
<div style="width: 100%">
  <table class="pc-table" data-pc="fleet">
    <tr><th>{{ L().device }}</th><th>{{ L().state }}</th><th>{{ L().fw }}</th><th>{{ L().lastSeen }}</th><th>{{ L().windows }}</th><th>{{ L().gaps }}</th><th>{{ L().replays }}</th><th>{{ L().buffered }}</th><th>{{ L().dropped }}</th><th>{{ L().rssi }}</th></tr>
    <tr v-for="d in (p.devices || [])" :key="d.device" data-pc="device-row" :data-device="d.device">
      <td>{{ d.device }}</td><td><span :class="['pc-badge', d.online === false ? 'pc-off' : 'pc-on']">{{ d.online === false ? L().offline : L().online }}</span></td>
      <td>{{ d.fw || '—' }}</td><td>{{ tick >= 0 ? ago(d.lastSeen) : '' }}</td><td class="n">{{ d.windows }}</td><td class="n">{{ d.gaps }}</td><td class="n">{{ d.replays }}</td>
      <td class="n">{{ d.buffered === null ? '—' : d.buffered }}</td><td class="n">{{ d.dropped === null ? '—' : d.dropped }}</td><td class="n">{{ d.rssi || '—' }}</td>
    </tr>
  </table>
  <div class="pc-sub">{{ p.bad || 0 }} {{ L().bad }}<span v-if="p.lastBad"> · {{ p.lastBad.error }}</span></div>
</div>
</template>
${ui2Script()}`;
}

function ui2Alerts() {
    return `<template>
<div style="width: 100%">
  <h3 class="pc-h">{{ L().active }}</h3>
  <div class="pc-sub" v-if="!(p.active || []).length" data-pc="no-alerts">{{ L().noAlerts }}</div>
  <table class="pc-table" v-else data-pc="active">
    <tr><th></th><th>{{ L().device }}</th><th>{{ L().sensor }}</th><th>{{ L().value }}</th><th>{{ L().threshold }}</th><th>{{ L().since }}</th><th></th><th></th></tr>
    <tr v-for="a in p.active" :key="a.id" data-pc="alert" :data-id="a.id" :data-device="a.device" :data-rule="a.rule" :data-state="a.state">
      <td><span :class="['pc-badge', 'pc-' + a.severity]">{{ L()[a.severity] || a.severity }}</span></td><td>{{ a.device }}</td><td>{{ a.sensor ? a.sensor + ' · ' + a.rule : a.rule }}</td>
      <td class="n">{{ num(a.value, 2) }} {{ a.unit }}</td><td class="n">{{ num(a.threshold, 1) }}</td><td>{{ time(a.startedAt) }}</td>
      <td><span :class="['pc-badge', 'pc-' + a.state]" data-pc="alert-state">{{ L()[a.state] || a.state }}</span></td>
      <td><button class="pc-btn" v-if="a.state !== 'acknowledged'" @click="ackAlert(a)" data-pc="ack">{{ L().ack }}</button></td>
    </tr>
  </table>
  <h3 class="pc-h">{{ L().recent }}</h3>
  <table class="pc-table" data-pc="recent">
    <tr v-for="(a, i) in (p.recent || [])" :key="i"><td><span class="pc-badge pc-resolved">{{ L().resolved }}</span></td><td>{{ a.device }}</td><td>{{ a.sensor || a.rule }}</td>
      <td>{{ a.message }}</td><td>{{ time(a.startedAt) }} → {{ time(a.endedAt) }}</td></tr>
  </table>
</div>
</template>
${ui2Script('        ackAlert(a) { this.send({ topic: "ack", device: a.device, alertNode: a.node, payload: { id: a.id } }); },')}`;
}

module.exports = {
    MAIN_INFO, COMMENT_CHAIN, COMMENT_NOTIFY, UI1_INFO, UI2_INFO, UI1_THEME, RANGES, HOURLY_COLUMNS, I18N,
    FN_MODEL, FN_ALERTS, FN_ACK_BY, FN_MAIL, FN_TELEGRAM, FN_WEBHOOK, FN_DEVICE_OPTIONS_UI1, FN_DEVICE_OPTIONS_UI2, FN_HISTORY_REQ, FN_LIVE_UI1, FN_LIVE_UI2,
    ui1Overview, ui1Fleet, ui1Alerts, ui1Hourly, ui2Overview, ui2Fleet, ui2Alerts,
};
