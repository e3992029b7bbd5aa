#!/usr/bin/env node
// Generates flows/*.json and examples/*.json from this one readable source, filling every node
// with the editor defaults of its type (scripts/lib/node-defaults.js) so imports look exactly as
// if built in the editor. Run: node scripts/lib/make-flows.js (the output files are committed).
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { readHtml, readModules } = require('./node-defaults');
const T = require('./flow-templates');
const CFG = require('./flow-config-pages'); // issue 13: board settings (chain node + Fleet page groups)

const ROOT = path.join(__dirname, '..', '..');
const NM = path.join(ROOT, 'node_modules');

// ---- node type defaults ----------------------------------------------------------------------
const DEFS = {};
for (const dir of ['common', 'function', 'network', 'parsers', 'sequence']) {
    const d = path.join(NM, '@node-red', 'nodes', 'core', dir);
    for (const f of fs.readdirSync(d)) if (f.endsWith('.html')) Object.assign(DEFS, readHtml(path.join(d, f)));
}
Object.assign(DEFS, readModules([path.join(NM, 'node-red-dashboard'), path.join(NM, '@flowfuse', 'node-red-dashboard')]));
// our own nodes from the source html (works before a build)
for (const n of fs.readdirSync(path.join(ROOT, 'nodes'))) {
    const html = path.join(ROOT, 'nodes', n, `${n}.html`);
    if (fs.existsSync(html)) Object.assign(DEFS, readHtml(html));
}

/** A stable 16-hex id from a readable key, so regenerated files diff cleanly. */
const id = (key) => crypto.createHash('sha1').update(key).digest('hex').slice(0, 16);

function flowBuilder(prefix) {
    const nodes = [];
    const api = {
        nodes,
        id: (k) => id(`${prefix}:${k}`),
        /** Adds a node: type defaults, then props; wires given as keys of other nodes of this flow. */
        add(key, type, props = {}, wires = []) {
            const def = DEFS[type] || (type.startsWith('picochain-') ? { defaults: {}, category: type === 'picochain-mongo-config' ? 'config' : 'picochain' } : null);
            if (!DEFS[type] && def) console.warn(`make-flows: no editor html for ${type} yet; using the given properties only`);
            if (!def && !['tab', 'subflow', 'group', 'junction'].includes(type)) throw new Error(`unknown node type ${type}`);
            const n = { id: api.id(key), type, ...(def ? def.defaults : {}), ...props };
            if (def && def.category !== 'config' && type !== 'tab') {
                n.wires = wires.map((port) => (Array.isArray(port) ? port : [port]).map((k) => (k.startsWith('#') ? k.slice(1) : api.id(k))));
            }
            if (def && def.category === 'config') delete n.wires;
            for (const [k, v] of Object.entries(n)) if (v === null && def && def.defaults[k] === null && props[k] === undefined) n[k] = '';
            nodes.push(n);
            return n;
        },
    };
    return api;
}

/** Node-RED's "z" (tab) and x/y: nodes are laid out in columns and rows of a grid. */
function place(n, tab, col, row) { n.z = tab; n.x = 200 + col * 270; n.y = 60 + row * 60; return n; }

// ---- shared config nodes (same ids in every file that uses them) ----------------------------
const SHARED = flowBuilder('picochain-shared');
function brokerNode(b) {
    // persistent session (fixed client id, clean session off, a week's session expiry): what the
    // boards publish while Node-RED is away waits in the broker. MQTT_HOST may be a URL
    // (mqtts://host:8883 for TLS); MQTT_CLIENT_ID gives each Node-RED instance its own session.
    return b.add('broker', 'picochain-broker', {
        id: SHARED.id('broker'), name: 'picochain broker', broker: '${MQTT_HOST}', port: '${MQTT_PORT}', caFile: '${MQTT_CA_FILE}',
        clientId: '${MQTT_CLIENT_ID}', protocol: 'auto',
    });
}
/** A picochain-mqtt-in node's properties: acknowledged to the broker once the readings are in the writer's spool. */
const mqttIn = (name, topic, broker = SHARED.id('broker')) => ({ name, topic, qos: '1', datatype: 'buffer', broker, ack: 'stored' });
function mongoNode(b) {
    return b.add('mongo', 'picochain-mongo-config', { id: SHARED.id('mongo'), name: 'picochain database', uri: '${MONGODB_URI}', database: '${MONGODB_DB}' });
}

// the dashboards' config nodes, shared by the flows and the examples
const ui1Base = (b) => b.add('base', 'ui_base', { id: SHARED.id('ui1-base'), theme: T.UI1_THEME, site: { name: 'picochain', hideToolbar: 'false', allowSwipe: 'false', lockMenu: 'false', allowTempTheme: 'true', dateFormat: 'DD/MM/YYYY', sizes: { sx: 48, sy: 48, gx: 6, gy: 6, cx: 6, cy: 6, px: 0, py: 0 } } });
const ui2Base = (b) => b.add('base', 'ui-base', { id: SHARED.id('ui2-base'), name: 'picochain', path: '/dashboard', appIcon: '', includeClientData: true, acceptsClientConfig: ['ui-notification', 'ui-control'], showPathInSidebar: false, showPageTitle: true, navigationStyle: 'default', titleBarStyle: 'default' });
const ui2Theme = (b) => b.add('theme', 'ui-theme', { id: SHARED.id('ui2-theme'), name: 'picochain', colors: { surface: '#1f4e79', primary: '#2a7ab0', bgPage: '#eef2f5', groupBg: '#ffffff', groupOutline: '#d0d7de' }, sizes: { density: 'default', pagePadding: '12px', groupGap: '12px', groupBorderRadius: '6px', widgetGap: '12px' } });

// ---- flows/picochain.json: the whole chain + node-red-dashboard pages -------------------------
function mainFlow() {
    const b = flowBuilder('picochain-main');
    const tab = b.id('tab');
    b.add('tab', 'tab', { label: 'picochain', disabled: false, info: T.MAIN_INFO, env: [] });
    const P = (key, type, props, wires, col, row) => place(b.add(key, type, props, wires), tab, col, row);
    brokerNode(b);
    mongoNode(b);
    // links from/to the dashboard tabs
    const ids = LINKS;

    P('c-in', 'comment', { name: 'MQTT → decode → store + alerts → pages', info: T.COMMENT_CHAIN }, [], 0, 0);
    P('mqtt-stats', 'picochain-mqtt-in', mqttIn('window frames', 'picochain/+/+/stats'), [['decode']], 0, 1);
    P('mqtt-status', 'picochain-mqtt-in', mqttIn('board status', 'picochain/+/+/status'), [['decode']], 0, 2);
    P('mqtt-legacy', 'picochain-mqtt-in', mqttIn('old boards (TOUCAN)', 'TOUCAN'), [['decode']], 0, 3);
    P('decode', 'picochain-decode', { name: '', format: 'auto', output: 'split' }, [['writer', 'route'], ['route', 'model']], 1, 2);
    P('writer', 'picochain-mongo-ts', { name: '', mongo: SHARED.id('mongo'), collection: 'readings' }, [], 2, 1);
    P('route', 'switch', {
        name: 'which cabinet?', property: 'payload.source', propertyType: 'msg',
        rules: [{ t: 'eq', v: 'legacy', vt: 'str' }, { t: 'jsonata_exp', v: '$match(payload.device, /^freezer/)', vt: 'jsonata' }, { t: 'else' }], checkall: 'false', repair: false, outputs: 3,
    }, [['alert-legacy'], ['alert-freezers'], ['alert-fridges']], 2, 2);
    // the cabinet probes (DS18B20); the board's own sensor measures the board, outside the cabinet
    const alertBase = { value: 'mean', sensors: 'probe1,probe2,probe3,probe4', rateWindow: '600', rateSource: 'readings', rateSeverity: 'warning', forTime: '30', renotify: '1800', silent: '300', silentSeverity: 'critical', offline: true, store: '' };
    P('alert-fridges', 'picochain-alert', { ...alertBase, name: 'fridges (°C)', highWarning: '6', highWarningClear: '5.5', highCritical: '10', highCriticalClear: '8', lowWarning: '0', lowWarningClear: '1', rise: '1', riseClear: '0.3' }, [['tag-fridges'], ['model', 'live-out']], 3, 3);
    P('alert-freezers', 'picochain-alert', { ...alertBase, name: 'freezers (°C)', highWarning: '-15', highWarningClear: '-16', highCritical: '-10', highCriticalClear: '-12', rise: '1', riseClear: '0.3' }, [['tag-freezers'], ['model', 'live-out']], 3, 1);
    // the original boards measure with their onboard sensor ("temperature"): every sensor is watched
    P('alert-legacy', 'picochain-alert', { ...alertBase, name: 'original boards (°C)', sensors: '', silent: '900', highWarning: '6', highWarningClear: '5.5', highCritical: '10', highCriticalClear: '8', rise: '', riseClear: '' }, [['tag-legacy'], ['model', 'live-out']], 3, 5);
    // which alert node an event came from, so an acknowledgement goes back to that node only
    for (const [k, row] of [['freezers', 1], ['fridges', 3], ['legacy', 5]]) {
        P(`tag-${k}`, 'change', { name: k, rules: [{ t: 'set', p: 'alertNode', pt: 'msg', to: k, tot: 'str' }] }, [['events', 'notify']], 4, row);
    }
    P('ack-in', 'link in', { name: 'picochain ack', links: [ids.ackOut1, ids.ackOut2] }, [['ack-route']], 1, 5);
    P('ack-route', 'switch', { name: 'back to its alert node', property: 'alertNode', propertyType: 'msg', rules: [{ t: 'eq', v: 'freezers', vt: 'str' }, { t: 'eq', v: 'legacy', vt: 'str' }, { t: 'else' }], checkall: 'false', repair: false, outputs: 3 }, [['alert-freezers'], ['alert-legacy'], ['alert-fridges']], 2, 6);
    P('start', 'inject', { name: 'refresh pages', props: [{ p: 'topic', vt: 'str' }], topic: 'refresh', once: true, onceDelay: '1', repeat: '' }, [['model', 'events']], 3, 0);
    P('model', 'function', fn('fleet model', T.FN_MODEL, 1), [['model-rate']], 5, 2);
    P('model-rate', 'delay', { name: 'at most 2/s', pauseType: 'rate', timeout: '5', timeoutUnits: 'seconds', rate: '2', nbRateUnits: '1', rateUnits: 'second', randomFirst: '1', randomLast: '5', randomUnits: 'seconds', drop: true, allowrate: false, outputs: 1 }, [['model-out']], 6, 2);
    P('model-out', 'link out', { name: 'fleet model', mode: 'link', links: [ids.modelIn1, ids.modelIn2] }, [], 7, 2);
    P('events', 'function', fn('alerts model', T.FN_ALERTS, 1), [['events-out']], 5, 3);
    P('events-out', 'link out', { name: 'alerts model', mode: 'link', links: [ids.alertsIn1, ids.alertsIn2] }, [], 7, 3);
    P('live-out', 'link out', { name: 'live readings', mode: 'link', links: [ids.liveIn1, ids.liveIn2] }, [], 7, 4);
    // bad input: counted and shown
    P('c-bad', 'comment', { name: 'bad input: counted on the Fleet page', info: 'Every message picochain-decode refuses ends here: counted on the Fleet page (with the last reason) and shown in the debug sidebar.' }, [], 0, 6);
    P('catch-decode', 'catch', { name: 'decode errors', scope: [b.id('decode')], uncaught: false }, [['bad', 'bad-debug']], 0, 7);
    P('bad', 'change', { name: 'tag as bad input', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'bad-input', tot: 'str' }, { t: 'set', p: 'payload', pt: 'msg', to: '{"error": error.message, "topic": topic, "at": $millis()}', tot: 'jsonata' }] }, [['model']], 1, 7);
    P('bad-debug', 'debug', { name: 'bad input', active: true, tosidebar: true, console: false, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 1, 8);
    P('catch-other', 'catch', { name: 'other errors', scope: [b.id('writer'), b.id('alert-fridges'), b.id('alert-freezers'), b.id('alert-legacy')], uncaught: false }, [['other-debug']], 2, 7);
    P('other-debug', 'debug', { name: 'chain errors', active: true, tosidebar: true, console: true, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 3, 7);
    // notifications, disabled until configured
    P('c-notify', 'comment', { name: 'notifications (disabled until configured)', info: T.COMMENT_NOTIFY }, [], 0, 9);
    P('notify', 'switch', { name: 'worth a message?', property: 'payload.event', propertyType: 'msg', rules: [{ t: 'regex', v: '^(fired|escalated|renotify|resolved)$', vt: 'str', case: false }], checkall: 'true', repair: false, outputs: 1 }, [['fmt-mail', 'fmt-telegram', 'fmt-webhook']], 0, 10);
    P('fmt-mail', 'function', fn('format e-mail', T.FN_MAIL, 1), [['mail']], 1, 10);
    P('mail', 'debug', { name: 'e-mail (replace me)', d: true, active: true, tosidebar: true, console: false, tostatus: false, complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto' }, [], 2, 10);
    P('fmt-telegram', 'function', fn('format for Telegram', T.FN_TELEGRAM, 1), [['telegram']], 1, 11);
    P('telegram', 'http request', { name: 'Telegram sendMessage', d: true, method: 'POST', ret: 'obj', paytoqs: 'ignore', url: '', tls: '', persist: false, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [] }, [['notify-debug']], 2, 11);
    P('fmt-webhook', 'function', fn('format for webhook', T.FN_WEBHOOK, 1), [['webhook']], 1, 12);
    P('webhook', 'http request', { name: 'webhook POST', d: true, method: 'POST', ret: 'txt', paytoqs: 'ignore', url: '', tls: '', persist: false, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [] }, [['notify-debug']], 2, 12);
    P('notify-debug', 'debug', { name: 'notification answers', d: true, active: true, tosidebar: true, console: false, tostatus: true, complete: 'statusCode', targetType: 'msg', statusVal: 'statusCode', statusType: 'auto' }, [], 3, 11);
    CFG.chainNodes(b, P, { decode: 'decode', broker: SHARED.id('broker'), id, row: 14 });

    return [...b.nodes, ...dashboard1('picochain-ui1', true).nodes];
}

function fn(name, code, outputs) {
    return { name, func: code.trim(), outputs, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [] };
}

// ids of the link nodes that join the chain tab and the two dashboard tabs
const LINKS = {
    modelIn1: id('picochain-ui1:model-in'), alertsIn1: id('picochain-ui1:alerts-in'), liveIn1: id('picochain-ui1:live-in'), ackOut1: id('picochain-ui1:ack-out'),
    modelIn2: id('picochain-ui2:model-in'), alertsIn2: id('picochain-ui2:alerts-in'), liveIn2: id('picochain-ui2:live-in'), ackOut2: id('picochain-ui2:ack-out'),
    ackIn: id('picochain-main:ack-in'), modelOut: id('picochain-main:model-out'), alertsOut: id('picochain-main:events-out'), liveOut: id('picochain-main:live-out'),
};

// ---- node-red-dashboard (1.x) pages -----------------------------------------------------------
function dashboard1(prefix, linked) {
    const b = flowBuilder(prefix);
    const tab = b.id('tab');
    b.add('tab', 'tab', { label: 'dashboard (node-red-dashboard)', disabled: false, info: T.UI1_INFO, env: [] });
    const P = (key, type, props, wires, col, row) => place(b.add(key, type, props, wires), tab, col, row);
    ui1Base(b);
    const tabs = {};
    ['Overview', 'History', 'Alerts', 'Fleet'].forEach((name, i) => {
        tabs[name] = b.add(`tab-${name}`, 'ui_tab', { name, icon: ['dashboard', 'show_chart', 'notifications', 'router'][i], order: i + 1, disabled: false, hidden: false });
    });
    const group = (key, name, tabName, width, order = 1) => b.add(`g-${key}`, 'ui_group', { name, tab: tabs[tabName].id, order, disp: false, width: String(width), collapse: false, className: '' });
    // 22 units of 48 px + gaps: fits a 1280 px office screen
    const gOverview = group('overview', 'Overview', 'Overview', 22);
    const gHistCtl = group('hist-ctl', 'History', 'History', 22, 1);
    const gHistChart = group('hist-chart', 'Chart', 'History', 22, 2);
    const gHistTable = group('hist-table', 'Hourly', 'History', 22, 3);
    const gAlerts = group('alerts', 'Alerts', 'Alerts', 22);
    const gFleet = group('fleet', 'Fleet', 'Fleet', 22);
    // fixed sizes (grid units; the content scrolls): node-red-dashboard sizes an "auto" template
    // once, on its first (empty) render
    const tpl = (name, g, format, order, extra = {}) => ({ name, group: g.id, order, width: '22', height: '15', format, storeOutMessages: true, fwdInMessages: false, resendOnRefresh: true, templateScope: 'local', className: '', ...extra });

    P('c', 'comment', { name: 'node-red-dashboard pages: /ui (Overview, History, Alerts, Fleet)', info: T.UI1_INFO }, [], 0, 0);
    P('model-in', 'link in', { name: 'fleet model', links: linked ? [LINKS.modelOut] : [] }, [['overview', 'fleet', 'devices']], 0, 1);
    P('overview', 'ui_template', tpl('Overview cards', gOverview, T.ui1Overview(), 1), [[]], 1, 1);
    P('fleet', 'ui_template', tpl('Fleet table', gFleet, T.ui1Fleet(), 1, { height: '10' }), [[]], 1, 2);
    P('alerts-in', 'link in', { name: 'alerts model', links: linked ? [LINKS.alertsOut] : [] }, [['alerts']], 0, 3);
    P('alerts', 'ui_template', tpl('Alerts + ack', gAlerts, T.ui1Alerts(), 1, { fwdInMessages: false }), [['ack-out']], 1, 3);
    P('ack-out', 'link out', { name: 'ack', mode: 'link', links: linked ? [LINKS.ackIn] : [] }, [], 2, 3);
    // History: device and range pickers, chart loaded from the database, continued live
    P('devices', 'function', fn('device list', T.FN_DEVICE_OPTIONS_UI1, 2), [['device-pick'], ['range-pick']], 1, 5);
    P('device-pick', 'ui_dropdown', { name: 'device', label: 'Device', tooltip: '', place: 'device', group: gHistCtl.id, order: 1, width: '6', height: '1', passthru: false, multiple: false, options: [], payload: '', topic: 'device', topicType: 'str', className: '' }, [['hist-req']], 2, 5);
    P('range-pick', 'ui_dropdown', { name: 'range', label: 'Range', tooltip: '', place: '24 h', group: gHistCtl.id, order: 2, width: '4', height: '1', passthru: false, multiple: false, options: T.RANGES.map((r) => ({ label: r.label, value: r.value, type: 'str' })), payload: '', topic: 'range', topicType: 'str', className: '' }, [['hist-req']], 2, 6);
    P('control', 'ui_ui_control', { name: 'page opened', events: 'all' }, [['hist-req']], 2, 7);
    P('hist-req', 'function', fn('history request', T.FN_HISTORY_REQ, 1), [['history']], 3, 6);
    P('history', 'picochain-history', { name: '', mongo: SHARED.id('mongo'), collection: 'readings', range: '24h', maxPoints: 300, stats: 'mean,min,max', format: 'ui_chart', engine: 'auto', hourly: true }, [['chart'], ['hourly']], 4, 6);
    P('chart', 'ui_chart', { name: 'history chart', group: gHistChart.id, order: 1, width: '22', height: '8', label: 'History', chartType: 'line', legend: 'true', xformat: 'dd HH:mm', interpolate: 'linear', nodata: 'loading…', dot: false, ymin: '', ymax: '', removeOlder: '7', removeOlderPoints: '', removeOlderUnit: '86400', useUTC: false, className: '' }, [[]], 5, 6);
    P('hourly', 'ui_template', tpl('hourly statistics', gHistTable, T.ui1Hourly(), 1, { height: '10' }), [[]], 5, 7);
    P('live-in', 'link in', { name: 'live readings', links: linked ? [LINKS.liveOut] : [] }, [['live']], 3, 8);
    P('live', 'function', fn('live points', T.FN_LIVE_UI1, 1), [['chart']], 4, 8);
    P('catch', 'catch', { name: 'history errors', scope: [b.id('history')], uncaught: false }, [['hist-debug']], 3, 9);
    P('hist-debug', 'debug', { name: 'history errors', active: true, tosidebar: true, console: false, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 4, 9);
    CFG.ui1Page(b, P, { tab: tabs.Fleet, linked, id, row: 11 });
    return b;
}

// ---- FlowFuse Dashboard 2.0 pages ------------------------------------------------------------
function dashboard2(prefix, linked) {
    const b = flowBuilder(prefix);
    const tab = b.id('tab');
    b.add('tab', 'tab', { label: 'dashboard (Dashboard 2.0)', disabled: false, info: T.UI2_INFO, env: [] });
    const P = (key, type, props, wires, col, row) => place(b.add(key, type, props, wires), tab, col, row);
    const base = ui2Base(b);
    const theme = ui2Theme(b);
    const pages = {};
    ['Overview', 'History', 'Alerts', 'Fleet'].forEach((name, i) => {
        pages[name] = b.add(`page-${name}`, 'ui-page', { name, ui: base.id, path: `/${name.toLowerCase()}`, icon: ['view-dashboard', 'chart-line', 'bell', 'router-wireless'][i], layout: 'grid', theme: theme.id, order: i + 1, className: '', visible: 'true', disabled: 'false' });
    });
    const group = (key, name, page, order = 1, height = '1') => b.add(`g-${key}`, 'ui-group', { name, page: pages[page].id, width: '12', height, order, showTitle: false, className: '', visible: 'true', disabled: 'false', groupType: 'default' });
    const gOverview = group('overview', 'Overview', 'Overview');
    const gHist = group('hist', 'History', 'History');
    const gAlerts = group('alerts', 'Alerts', 'Alerts');
    const gFleet = group('fleet', 'Fleet', 'Fleet');
    const tpl = (name, g, format, order) => ({ name, group: g.id, page: '', ui: '', order, width: '0', height: '0', head: '', format, storeOutMessages: true, passthru: false, resendOnRefresh: true, templateScope: 'local', className: '' });

    P('c', 'comment', { name: 'Dashboard 2.0 pages: /dashboard (Overview, History, Alerts, Fleet)', info: T.UI2_INFO }, [], 0, 0);
    P('model-in', 'link in', { name: 'fleet model', links: linked ? [LINKS.modelOut] : [] }, [['overview', 'fleet', 'devices']], 0, 1);
    P('overview', 'ui-template', tpl('Overview cards', gOverview, T.ui2Overview(), 1), [[]], 1, 1);
    P('fleet', 'ui-template', tpl('Fleet table', gFleet, T.ui2Fleet(), 1), [[]], 1, 2);
    P('alerts-in', 'link in', { name: 'alerts model', links: linked ? [LINKS.alertsOut] : [] }, [['alerts']], 0, 3);
    P('alerts', 'ui-template', tpl('Alerts + ack', gAlerts, T.ui2Alerts(), 1), [['ack-out']], 1, 3);
    P('ack-out', 'link out', { name: 'ack', mode: 'link', links: linked ? [LINKS.ackIn] : [] }, [], 2, 3);
    P('devices', 'function', fn('device list', T.FN_DEVICE_OPTIONS_UI2, 2), [['device-pick'], ['range-pick']], 1, 5);
    P('device-pick', 'ui-dropdown', { name: 'device', label: 'Device', tooltip: '', group: gHist.id, order: 1, width: '4', height: '1', passthru: false, multiple: false, chips: false, clearable: false, options: [], payload: '', topic: 'device', topicType: 'str', className: '', typeIsComboBox: true, msgTrigger: 'onChange' }, [['hist-req']], 2, 5);
    P('range-pick', 'ui-dropdown', { name: 'range', label: 'Range', tooltip: '', group: gHist.id, order: 2, width: '3', height: '1', passthru: false, multiple: false, chips: false, clearable: false, options: T.RANGES.map((r) => ({ label: r.label, value: r.value, type: 'str' })), payload: '', topic: 'range', topicType: 'str', className: '', typeIsComboBox: true, msgTrigger: 'onChange' }, [['hist-req']], 2, 6);
    P('event', 'ui-event', { ui: base.id, name: 'page opened' }, [['hist-req']], 2, 7);
    P('hist-req', 'function', fn('history request', T.FN_HISTORY_REQ, 1), [['history']], 3, 6);
    P('history', 'picochain-history', { name: '', mongo: SHARED.id('mongo'), collection: 'readings', range: '24h', maxPoints: 300, stats: 'mean,min,max', format: 'points', engine: 'auto', hourly: true }, [['chart'], ['hourly']], 4, 6);
    P('chart', 'ui-chart', {
        name: 'history chart', group: gHist.id, label: 'History', order: 3, width: '12', height: '8', chartType: 'line', category: 'series', categoryType: 'property',
        xAxisLabel: '', xAxisProperty: 'x', xAxisPropertyType: 'property', xAxisType: 'time', xAxisFormat: '', xAxisFormatType: 'auto', xmin: '', xmax: '',
        yAxisLabel: '', yAxisProperty: 'y', yAxisPropertyType: 'property', ymin: '', ymax: '', action: 'append', pointShape: 'false', pointRadius: 0,
        showLegend: true, removeOlder: '7', removeOlderUnit: '86400', removeOlderPoints: '', interpolation: 'linear', className: '',
    }, [[]], 5, 6);
    P('hourly', 'ui-table', { name: 'hourly statistics', label: 'Hourly statistics', group: gHist.id, order: 4, width: '12', height: '0', maxrows: 24, passthru: false, autocols: false, showSearch: false, deselect: true, selectionType: 'none', columns: T.HOURLY_COLUMNS, mobileBreakpoint: 'sm', mobileBreakpointType: 'defaults', action: 'replace', className: '' }, [[]], 5, 7);
    P('live-in', 'link in', { name: 'live readings', links: linked ? [LINKS.liveOut] : [] }, [['live']], 3, 8);
    P('live', 'function', fn('live points', T.FN_LIVE_UI2, 1), [['chart']], 4, 8);
    P('catch', 'catch', { name: 'history errors', scope: [b.id('history')], uncaught: false }, [['hist-debug']], 3, 9);
    P('hist-debug', 'debug', { name: 'history errors', active: true, tosidebar: true, console: false, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 4, 9);
    CFG.ui2Page(b, P, { page: pages.Fleet, linked, id, row: 11 });
    return b;
}

function dashboard2Flow() {
    const b = flowBuilder('picochain-ui2-file');
    mongoNode(b);
    return [...dashboard2('picochain-ui2', true).nodes, ...b.nodes];
}

function write(rel, nodes) {
    const file = path.join(ROOT, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(nodes, null, 2)}\n`);
    return file;
}

if (require.main === module) {
    write('flows/picochain.json', mainFlow());
    write('flows/picochain-dashboard2.json', dashboard2Flow());
    for (const [name, make] of Object.entries(require('./make-examples')({ flowBuilder, place, fn, SHARED, brokerNode, mqttIn, mongoNode, ui1Base, ui2Base, ui2Theme, T }))) {
        write(`examples/${name}.json`, make());
    }
    console.log('flows and examples written');
}

module.exports = { mainFlow, dashboard2Flow, DEFS, id };
