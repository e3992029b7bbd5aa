// Text pieces of the generated flows (scripts/lib/make-flows.js): the small function nodes and
// the dashboard page templates, for node-red-dashboard (AngularJS) and Dashboard 2.0 (Vue).
'use strict';

// ---- texts ---------------------------------------------------------------------------------
const MAIN_INFO = `# picochain: the whole chain

Pico W boards (or the simulated fleet) publish window statistics on \`picochain/<site>/<device>/stats\`
and their status on \`.../status\`; the original system's boards publish on \`TOUCAN\`.

**picochain-decode** validates and normalises every message, **picochain-mongo-ts** stores the readings
(MongoDB time series, or a regular collection on FerretDB), **picochain-devices** tells what each board is
(the \`devices\` collection: name, location, cabinet kind, sensors and units; new boards are listed on the
Fleet page to be assigned), one **picochain-alert** judges every reading by the rules of its cabinet's
profile and unit (food-safety defaults: fridge 0–5 °C, freezer −18 °C or colder), and the *model*
functions keep what the dashboard pages show.

Broker and database: this machine (127.0.0.1, ports 1883 and 27017). Change them in the two configuration
nodes, where a field may also name an environment variable (\`\${MQTT_HOST}\`, \`\${MQTT_PORT}\`,
\`\${MONGODB_URI}\`, \`\${MONGODB_DB}\`: \`npm start\` uses these). No credentials are stored in this flow.`;

const COMMENT_CHAIN = 'Every message goes through picochain-decode. Readings are stored, and annotated by picochain-devices with their cabinet before picochain-alert judges them; status messages (birth / last will) tell the alert node which boards are online. The alert node\'s third output (device states) is what the pages show as online/offline and as each card\'s alert. Invalid input is counted by the Catch node below.';

const COMMENT_NOTIFY = `Alert events (fired, escalated, de-escalated, renotify, resolved) formatted for three channels.
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
// Keeps what the Overview and Fleet pages show, in flow context, one small update per message:
// readings (from picochain-alert, output 2), device states (picochain-alert output 3, topic
// "device-states": presence and current alert state), the device registry (picochain-devices
// output 2, topic "devices"), board status (picochain-decode output 2), what the writer stored
// (msg.topic "stored": per device written and conflicts) and bad input. The page itself is built after the rate limit.
const m = flow.get('model') || { cards: {}, devices: {}, bad: 0, lastBad: null };
const p = msg.payload;
const dev = (id) => (m.devices[id] = m.devices[id] || { device: id, name: null, location: null, kind: null, registered: false, presence: null, lastSeen: null,
    fw: null, windows: 0, stored: 0, gaps: 0, replays: 0, conflicts: 0, buffered: null, dropped: null, rssi: null, state: 'normal', severity: null, sensors: {}, labels: {}, lastTime: null });
if (msg.topic === 'bad-input') {
    m.bad += 1;
    m.lastBad = p;
} else if (msg.topic === 'device-states' && Array.isArray(p)) {
    for (const s of p) Object.assign(dev(s.device), { presence: s.presence, lastSeen: s.lastSeen, state: s.state, severity: s.severity, sensors: s.sensors || {} });
} else if (msg.topic === 'devices' && Array.isArray(p)) {
    const listed = new Set(p.map((e) => e.device));
    for (const d of Object.values(m.devices)) if (!listed.has(d.device)) d.registered = false;
    for (const e of p) {
        const labels = {};
        for (const [s, info] of Object.entries(e.sensors || {})) if (info && info.states) labels[s] = info.states;
        Object.assign(dev(e.device), { name: e.name, location: e.location, kind: e.kind, registered: true, labels });
    }
} else if (msg.topic === 'stored' && p && p.devices) {
    // the writer's report of a batch: per device, readings stored and readings kept apart as
    // conflicting with a stored one (same device, sensor and time, other values)
    for (const [id, c] of Object.entries(p.devices)) {
        dev(id).stored += c.written;
        dev(id).conflicts += c.conflicts;
    }
} else if (p && p.device && !p.sensor && (p.state === 'online' || p.state === 'offline')) {
    const d = dev(p.device);
    for (const k of ['fw', 'rssi', 'boot', 'buffered', 'replayed', 'dropped', 'synced']) if (p[k] !== undefined) d[k] = p[k];
} else {
    for (const r of [].concat(p || [])) {
        if (!r || !r.device || !r.sensor) continue;
        const d = dev(r.device);
        d.lastSeen = Math.max(d.lastSeen || 0, Date.now());
        const t = new Date(r.time).getTime();
        // a window counts once: not a redelivery or replay of one already seen (r.replay), and one
        // frame's sensors share its time
        if (!r.replay && t !== d.lastTime) {
            d.windows += 1;
            d.gaps += msg.seqGap > 0 ? msg.seqGap : 0;
            d.lastTime = t;
        }
        if (r.replay) d.replays += 1;
        const key = r.device + '/' + r.sensor;
        const c = m.cards[key];
        if (!c || t > c.t) { // an older window (a replay) does not replace the latest one
            m.cards[key] = { device: r.device, sensor: r.sensor, unit: r.unit, value: r.mean, last: r.last, min: r.min, max: r.max, state: r.state, fault: r.fault || null, t,
                delta: c && c.value != null && r.mean != null ? Math.round((r.mean - c.value) * 100) / 100 : null };
        }
    }
}
flow.set('model', m);
return { topic: 'model' };
`;

const FN_PAGE = `
// The Overview and Fleet pages' data, built from the model at most twice a second (the rate limit
// before it keeps the latest trigger, so the last state is always delivered). A card's alert
// state and a device's presence are the device's current ones (picochain-alert output 3).
const m = flow.get('model') || { cards: {}, devices: {}, bad: 0, lastBad: null };
const cards = Object.values(m.cards).map((c) => {
    const d = m.devices[c.device] || {};
    const s = (d.sensors || {})[c.sensor] || {};
    const unit = c.unit || s.unit || null;
    return Object.assign({}, c, { unit, name: d.name || null, kind: s.profile || d.kind || null, presence: d.presence, lastSeen: d.lastSeen,
        alert: s.state || 'normal', severity: s.severity || null, labels: (d.labels || {})[c.sensor] || (unit === 'state' ? {} : null) });
});
cards.sort((a, b) => ((a.name || a.device) + '/' + a.sensor).localeCompare((b.name || b.device) + '/' + b.sensor));
const devices = Object.values(m.devices).map((d) => Object.assign({}, d, { sensors: undefined, labels: undefined }));
// new devices (in the registry, no profile yet) first: they wait for someone to assign them
devices.sort((a, b) => (Number(!!a.kind || !a.registered) - Number(!!b.kind || !b.registered)) || a.device.localeCompare(b.device));
return { topic: 'model', payload: { cards, devices, bad: m.bad, lastBad: m.lastBad || null, at: Date.now() } };
`;

const FN_ALERTS = `
// Active and recent alerts for the Alerts pages, from picochain-alert's events. An event carries
// the severity and threshold that hold now (de-escalations included) and who acknowledged.
// Every change goes to every page; a page that opens asks (topic "refresh" from its socket) and
// the current alerts go back to that page only: msg.socketid on node-red-dashboard, msg._client on
// Dashboard 2.0 (its ui-base lists ui-template among the nodes that accept client constraints).
const a = flow.get('alerts') || { active: {}, recent: [] };
const e = msg.payload || {};
if (e.id && e.event) {
    const names = ((flow.get('model') || {}).devices) || {};
    const name = names[e.device] ? names[e.device].name : null;
    if (e.event === 'resolved') {
        delete a.active[e.id];
        a.recent.unshift(Object.assign({}, e, { name, state: 'resolved' }));
        a.recent = a.recent.slice(0, 50);
    } else {
        const prev = a.active[e.id] || {};
        const acked = e.acknowledged || (prev.state === 'acknowledged' && e.event !== 'escalated');
        a.active[e.id] = Object.assign({}, prev, e, { name, by: acked ? (e.by || prev.by || null) : null, state: acked ? 'acknowledged' : 'firing' });
    }
    flow.set('alerts', a);
}
const rank = { critical: 0, warning: 1 };
const active = Object.values(a.active).sort((x, y) => (rank[x.severity] - rank[y.severity]) || String(x.startedAt).localeCompare(String(y.startedAt)));
const out = { topic: 'alerts', payload: { active, recent: a.recent, at: Date.now() } };
if (!(e.id && e.event)) {
    if (msg.socketid) out.socketid = msg.socketid;
    if (msg._client && msg._client.socketId) out._client = msg._client;
}
return out;
`;

const FN_ACK_BY = `
// Who acknowledges or assigns: the user the page's socket logged in as (msg._client.user, set on
// the server by npm start's guard, never taken from the browser), recorded as msg.payload.by. A
// viewer's request is refused: that role is read-only.
const u = msg._client && msg._client.user;
if (u && u.role === 'viewer') {
    node.warn((msg.topic === 'assign' ? 'assignment' : 'acknowledgement') + ' refused: ' + u.username + ' is a viewer (read-only)');
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
const unit = e.rule === 'rise' || e.rule === 'fall' ? (e.unit || '') + '/min' : e.rule === 'silent' ? 's' : (e.unit || '');
msg.payload = e.message + '\\n\\nvalue: ' + (e.valueLabel || e.value + ' ' + unit) + (e.threshold === null ? '' : '\\nthreshold: ' + e.threshold + ' ' + unit) + '\\nsince: ' + e.startedAt + (e.endedAt ? '\\nended: ' + e.endedAt : '');
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
// time, where its history ends (a board's clock may differ from ours, e.g. the accelerated simulator),
// and each sensor's unit.
const cards = msg.payload.cards || [];
const latest = {};
const units = {};
for (const c of cards) {
    latest[c.device] = Math.max(latest[c.device] || 0, c.t || 0);
    if (c.unit) units[c.device + '/' + c.sensor] = c.unit;
}
flow.set('latest', latest);
flow.set('units', units); // what the chart and the hourly table show beside their values
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
const unit = r.unit ? ' (' + r.unit + ')' : '';
return [['mean', 'min', 'max'].filter((s) => r[s] != null).map((s) => ({ topic: r.sensor + ' ' + s + unit, payload: r[s], timestamp: x }))];
`;

const FN_LIVE_UI2 = `
// Appends the chosen device's new windows to the chart (series named as picochain-history names them).
const h = flow.get('history') || {};
const r = msg.payload;
if (!r || r.device !== h.device || r.mean == null || msg.replay) return null;
const x = new Date(r.time).getTime();
const unit = r.unit ? ' (' + r.unit + ')' : '';
return { action: 'append', payload: ['mean', 'min', 'max'].filter((s) => r[s] != null).map((s) => ({ x, y: r[s], series: r.sensor + ' ' + s + unit })) };
`;

// the unit of each of a device's sensors, as the readings carried it (kept by "device list")
const UNITS = `const units = flow.get('units') || {};
const unitOf = (device, sensor) => units[device + '/' + sensor] || null;`;

const FN_CHART_UNITS = `
// Adds each series' unit to its name ("probe1 mean (°C)"), as the live points name theirs.
${UNITS}
const device = msg.topic;
const named = (name) => { const sensor = String(name).split(' ')[0]; const u = unitOf(device, sensor); return u ? name + ' (' + u + ')' : name; };
if (Array.isArray(msg.payload) && msg.payload[0] && Array.isArray(msg.payload[0].series)) msg.payload[0].series = msg.payload[0].series.map(named);
else if (Array.isArray(msg.payload)) msg.payload = msg.payload.map((pt) => Object.assign({}, pt, { series: named(pt.series) }));
return msg;
`;

const FN_HOURLY_UNITS_UI1 = `
// The hourly rows with their sensor's unit (the table shows it beside every value).
${UNITS}
msg.payload = (msg.payload || []).map((r) => Object.assign({}, r, { unit: unitOf(r.device, r.sensor) }));
return msg;
`;

const FN_HOURLY_UNITS_UI2 = `
// The hourly rows as text with their sensor's unit, for the table's columns.
${UNITS}
const f = (v, u, signed) => (v === null || v === undefined ? '—' : (signed && v > 0 ? '+' : '') + Number(v).toFixed(2) + (u ? ' ' + u : ''));
msg.payload = (msg.payload || []).map((r) => {
    const u = unitOf(r.device, r.sensor);
    return Object.assign({}, r, { hour: String(r.hour).slice(0, 16).replace('T', ' '), min: f(r.min, u), mean: f(r.mean, u), max: f(r.max, u), change: f(r.change, u, true) });
});
return msg;
`;

module.exports = {
    MAIN_INFO, COMMENT_CHAIN, COMMENT_NOTIFY, UI1_INFO, UI2_INFO, UI1_THEME, RANGES, HOURLY_COLUMNS,
    FN_MODEL, FN_PAGE, FN_ALERTS, FN_ACK_BY, FN_MAIL, FN_TELEGRAM, FN_WEBHOOK, FN_DEVICE_OPTIONS_UI1, FN_DEVICE_OPTIONS_UI2, FN_HISTORY_REQ, FN_LIVE_UI1, FN_LIVE_UI2,
    FN_CHART_UNITS, FN_HOURLY_UNITS_UI1, FN_HOURLY_UNITS_UI2,
    ...require('./page-templates'),
};
