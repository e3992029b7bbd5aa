#!/usr/bin/env node
// Generates examples/*.json from this one readable source, filling every node
// with the editor defaults of its type (scripts/lib/node-defaults.js) so imports look exactly as
// if built in the editor. Run: npm run flows (node scripts/lib/make-flows.js); the output files are
// committed and a test checks they are exactly what this writes.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { readHtml, readModules } = require('./node-defaults');
const T = require('./flow-templates');
const CFG = require('./flow-config-pages'); // issue 13: board settings (chain node + Fleet page groups)
const FOODLOG = require('./flow-foodlog-pages'); // issue 12: food-safety record (chain node + Food safety pages)

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
    // boards publish while Node-RED is away waits in the broker. This machine's broker; the fields
    // may name ${MQTT_HOST} (a host or an mqtts:// URL), ${MQTT_PORT}, ${MQTT_CA_FILE} and
    // ${MQTT_CLIENT_ID} instead (npm start does, scripts/lib/chain.js)
    return b.add('broker', 'picochain-broker', {
        id: SHARED.id('broker'), name: 'picochain broker', broker: '127.0.0.1', port: '', clientId: '', protocol: 'auto',
    });
}
/** A picochain-mqtt-in node's properties: acknowledged to the broker once the readings are in the writer's spool. */
const mqttIn = (name, topic, broker = SHARED.id('broker')) => ({ name, topic, qos: '1', datatype: 'buffer', broker, ack: 'stored' });
function mongoNode(b) {
    return b.add('mongo', 'picochain-mongo-config', { id: SHARED.id('mongo'), name: 'picochain database', uri: 'mongodb://127.0.0.1:27017/', database: 'picochain' });
}

/**
 * Node-RED's module information (a global-config node with `modules`, as Node-RED 4 exports it):
 * importing the flow where a module is missing offers to install it. Versions: the ones installed here.
 */
function modulesNode(b, names) {
    const version = (name) => JSON.parse(fs.readFileSync(path.join(name === PKG.name ? ROOT : path.join(NM, name), 'package.json'), 'utf8')).version;
    return b.add('modules', 'global-config', { name: 'global-config', env: [], modules: Object.fromEntries(names.map((n) => [n, version(n)])) });
}
const PKG = require(path.join(ROOT, 'package.json'));
const DASHBOARD_MODULE = { 1: 'node-red-dashboard', 2: '@flowfuse/node-red-dashboard' };

// the dashboards' config nodes, shared by the flows and the examples
const ui1Base = (b) => b.add('base', 'ui_base', { id: SHARED.id('ui1-base'), theme: T.UI1_THEME, site: { name: 'picochain', hideToolbar: 'false', allowSwipe: 'false', lockMenu: 'false', allowTempTheme: 'true', dateFormat: 'DD/MM/YYYY', sizes: { sx: 48, sy: 48, gx: 6, gy: 6, cx: 6, cy: 6, px: 0, py: 0 } } });
// acceptsClientConfig: a message carrying msg._client.socketId (a page's own request, an answer to
// one page) reaches that page only and is not kept as the widget's last message: a page opened
// later is shown the last model sent to every page, not someone's acknowledgement
const ui2Base = (b) => b.add('base', 'ui-base', { id: SHARED.id('ui2-base'), name: 'picochain', path: '/dashboard', appIcon: '', includeClientData: true, acceptsClientConfig: ['ui-notification', 'ui-control', 'ui-template'], showPathInSidebar: false, showPageTitle: true, navigationStyle: 'icon', titleBarStyle: 'default' });
const ui2Theme = (b) => b.add('theme', 'ui-theme', { id: SHARED.id('ui2-theme'), name: 'picochain', colors: { surface: '#1f4e79', primary: '#2a7ab0', bgPage: '#eef2f5', groupBg: '#ffffff', groupOutline: '#d0d7de' }, sizes: { density: 'default', pagePadding: '12px', groupGap: '12px', groupBorderRadius: '6px', widgetGap: '12px' } });

// ---- examples/full chain with <dashboard>.json: the whole chain + one dashboard's pages -------
/** The chain tab linked to the pages of `dashboard` (1: node-red-dashboard, 2: Dashboard 2.0), those pages and the module information. */
function fullChain(dashboard) {
    const b = flowBuilder('picochain-main');
    const tab = b.id('tab');
    b.add('tab', 'tab', { label: 'picochain', disabled: false, info: `${T.MAIN_INFO}\n\nThe pages need ${DASHBOARD_MODULE[dashboard]}: install it first (Node-RED 4 and later offer to when this example is imported); deployed without it, Node-RED stops every flow until it is installed.`, env: [] });
    const P = (key, type, props, wires, col, row) => place(b.add(key, type, props, wires), tab, col, row);
    brokerNode(b);
    mongoNode(b);
    // links from/to the dashboard tab of this file
    const to = (k) => [LINKS[`${k}${dashboard}`]];

    P('c-in', 'comment', { name: 'MQTT → decode → store + alerts → pages', info: T.COMMENT_CHAIN }, [], 0, 0);
    // several instances (docs/SCALING.md): npm start gives the readings' inputs and the alert node the
    // share group PICOCHAIN_SHARE_GROUP (scripts/lib/chain.js); status messages go to every instance
    P('mqtt-stats', 'picochain-mqtt-in', mqttIn('window frames', 'picochain/+/+/stats'), [['decode']], 0, 1);
    P('mqtt-status', 'picochain-mqtt-in', mqttIn('board status', 'picochain/+/+/status'), [['decode']], 0, 2);
    P('mqtt-legacy', 'picochain-mqtt-in', mqttIn('old boards (TOUCAN)', 'TOUCAN'), [['decode']], 0, 3);
    P('decode', 'picochain-decode', { name: '', format: 'auto', output: 'split' }, [['writer', 'devices'], ['alert', 'model']], 1, 2);
    // the writer's output tells the Fleet page what was stored and what conflicted with a stored reading
    P('writer', 'picochain-mongo-ts', { name: '', mongo: SHARED.id('mongo'), collection: 'readings' }, [['model']], 2, 1);
    P('devices', 'picochain-devices', { name: 'cabinets', mongo: SHARED.id('mongo'), collection: 'devices', reload: '60' }, [['alert'], ['model']], 2, 3);
    // one alert node for every cabinet: the food-safety rules per profile and unit (its editor's defaults);
    // instances of one share group (its `group`) keep its state in this database: each crossing fires once
    P('alert', 'picochain-alert', { name: 'cabinet alerts', renotify: '1800', silent: '600', silentSeverity: 'critical', offline: false, store: '', group: '', mongo: SHARED.id('mongo'), stateCollection: 'alert_state' }, [['events', 'notify'], ['model', 'live-out'], ['model']], 3, 3);
    // an Alerts page that opens asks for the current alerts (answered to that page, any login);
    // otherwise who asks (the page's logged-in user; a viewer's request is refused), then where it goes
    P('requests-in', 'link in', { name: 'page requests', links: to('ackOut') }, [['asks']], 0, 5);
    P('asks', 'switch', { name: 'page asks for alerts?', property: 'topic', propertyType: 'msg', rules: [{ t: 'eq', v: 'refresh', vt: 'str' }, { t: 'else' }], checkall: 'false', repair: false, outputs: 2 }, [['events'], ['ack-by']], 1, 5);
    P('ack-by', 'function', fn('who asks', T.FN_ACK_BY, 1), [['requests']], 2, 5);
    P('requests', 'switch', { name: 'ack or assign?', property: 'topic', propertyType: 'msg', rules: [{ t: 'eq', v: 'ack', vt: 'str' }, { t: 'eq', v: 'assign', vt: 'str' }], checkall: 'false', repair: false, outputs: 2 }, [['alert'], ['devices']], 3, 5);
    // at start: every device's state and the registry, so the pages know them before the next reading
    P('start', 'inject', { name: 'refresh pages', props: [{ p: 'topic', vt: 'str' }], topic: 'refresh', once: true, onceDelay: '1', repeat: '' }, [['model', 'events', 'ask-alert', 'ask-devices']], 3, 0);
    P('ask-alert', 'change', { name: 'ask: device states', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'status', tot: 'str' }] }, [['alert']], 4, 0);
    P('ask-devices', 'change', { name: 'ask: device list', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'list', tot: 'str' }] }, [['devices']], 4, 1);
    P('model', 'function', fn('fleet model', T.FN_MODEL, 1), [['model-rate']], 5, 2);
    // 'timed': at most one message per topic each 500 ms, the latest one: the last state always gets through
    P('model-rate', 'delay', { name: 'latest, at most 2/s', pauseType: 'timed', timeout: '5', timeoutUnits: 'seconds', rate: '2', nbRateUnits: '1', rateUnits: 'second', randomFirst: '1', randomLast: '5', randomUnits: 'seconds', drop: false, allowrate: false, outputs: 1 }, [['page']], 6, 2);
    P('page', 'function', fn('page model', T.FN_PAGE, 1), [['model-out']], 7, 2);
    P('model-out', 'link out', { name: 'fleet model', mode: 'link', links: to('modelIn') }, [], 8, 2);
    P('events', 'function', fn('alerts model', T.FN_ALERTS, 1), [['events-out']], 5, 3);
    P('events-out', 'link out', { name: 'alerts model', mode: 'link', links: to('alertsIn') }, [], 8, 3);
    P('live-out', 'link out', { name: 'live readings', mode: 'link', links: to('liveIn') }, [], 8, 4);
    // bad input: counted and shown
    P('c-bad', 'comment', { name: 'bad input: counted on the Fleet page', info: 'Every message picochain-decode refuses ends here: counted on the Fleet page (with the last reason) and shown in the debug sidebar.' }, [], 0, 6);
    P('catch-decode', 'catch', { name: 'decode errors', scope: [b.id('decode')], uncaught: false }, [['bad', 'bad-debug']], 0, 7);
    P('bad', 'change', { name: 'tag as bad input', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'bad-input', tot: 'str' }, { t: 'set', p: 'payload', pt: 'msg', to: '{"error": error.message, "topic": topic, "at": $millis()}', tot: 'jsonata' }] }, [['model']], 1, 7);
    P('bad-debug', 'debug', { name: 'bad input', active: true, tosidebar: true, console: false, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 1, 8);
    P('catch-other', 'catch', { name: 'other errors', scope: [b.id('writer'), b.id('devices'), b.id('alert')], uncaught: false }, [['other-debug']], 2, 7);
    P('other-debug', 'debug', { name: 'chain errors', active: true, tosidebar: true, console: true, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 3, 7);
    // notifications, disabled until configured
    P('c-notify', 'comment', { name: 'notifications (disabled until configured)', info: T.COMMENT_NOTIFY }, [], 0, 9);
    // an event another instance announced (remote) was notified by that instance
    P('notify', 'switch', { name: 'worth a message?', property: 'payload.remote ? "" : payload.event', propertyType: 'jsonata', rules: [{ t: 'regex', v: '^(fired|escalated|de-escalated|renotify|resolved)$', vt: 'str', case: false }], checkall: 'true', repair: false, outputs: 1 }, [['fmt-mail', 'fmt-telegram', 'fmt-webhook']], 0, 10);
    P('fmt-mail', 'function', fn('format e-mail', T.FN_MAIL, 1), [['mail']], 1, 10);
    P('mail', 'debug', { name: 'e-mail (replace me)', d: true, active: true, tosidebar: true, console: false, tostatus: false, complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto' }, [], 2, 10);
    P('fmt-telegram', 'function', fn('format for Telegram', T.FN_TELEGRAM, 1), [['telegram']], 1, 11);
    P('telegram', 'http request', { name: 'Telegram sendMessage', d: true, method: 'POST', ret: 'obj', paytoqs: 'ignore', url: '', tls: '', persist: false, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [] }, [['notify-debug']], 2, 11);
    P('fmt-webhook', 'function', fn('format for webhook', T.FN_WEBHOOK, 1), [['webhook']], 1, 12);
    P('webhook', 'http request', { name: 'webhook POST', d: true, method: 'POST', ret: 'txt', paytoqs: 'ignore', url: '', tls: '', persist: false, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [] }, [['notify-debug']], 2, 12);
    P('notify-debug', 'debug', { name: 'notification answers', d: true, active: true, tosidebar: true, console: false, tostatus: true, complete: 'statusCode', targetType: 'msg', statusVal: 'statusCode', statusType: 'auto' }, [], 3, 11);
    CFG.chainNodes(b, P, { decode: 'decode', broker: SHARED.id('broker'), id, row: 14, dashboard });
    FOODLOG.chainNodes(b, P, { alert: 'alert', requests: 'requests', mongo: SHARED.id('mongo'), id, row: 19, dashboard });

    modulesNode(b, [DASHBOARD_MODULE[dashboard], PKG.name]);
    const pages = dashboard === 1 ? dashboard1('picochain-ui1', true) : dashboard2('picochain-ui2', true);
    return [...b.nodes, ...pages.nodes];
}

function fn(name, code, outputs) {
    return { name, func: code.trim(), outputs, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [] };
}

// ids of the link nodes that join the chain tab and the two dashboard tabs
const LINKS = {
    modelIn1: id('picochain-ui1:model-in'), alertsIn1: id('picochain-ui1:alerts-in'), liveIn1: id('picochain-ui1:live-in'), ackOut1: id('picochain-ui1:ack-out'),
    modelIn2: id('picochain-ui2:model-in'), alertsIn2: id('picochain-ui2:alerts-in'), liveIn2: id('picochain-ui2:live-in'), ackOut2: id('picochain-ui2:ack-out'),
    ackIn: id('picochain-main:requests-in'), modelOut: id('picochain-main:model-out'), alertsOut: id('picochain-main:events-out'), liveOut: id('picochain-main:live-out'),
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
    // 18 units of 48 px + 6 px gaps (966 px): fits a 1024 px screen, scroll bar included
    const W = 18;
    const gOverview = group('overview', 'Overview', 'Overview', W);
    const gHistCtl = group('hist-ctl', 'History', 'History', W, 1);
    const gHistChart = group('hist-chart', 'Chart', 'History', W, 2);
    const gHistTable = group('hist-table', 'Hourly', 'History', W, 3);
    const gAlerts = group('alerts', 'Alerts', 'Alerts', W);
    const gFleet = group('fleet', 'Fleet', 'Fleet', W);
    // fixed sizes (grid units; the content scrolls): node-red-dashboard sizes an "auto" template
    // once, on its first (empty) render. storeOutMessages off: what a page sends (an acknowledgement,
    // an assignment, a request) is not kept as the template's message, else it would be shown on
    // every open page and replayed to every page opened later in place of the model
    const tpl = (name, g, format, order, extra = {}) => ({ name, group: g.id, order, width: String(W), height: '15', format, storeOutMessages: false, fwdInMessages: false, resendOnRefresh: true, templateScope: 'local', className: '', ...extra });

    P('c', 'comment', { name: 'node-red-dashboard pages: /ui (Overview, History, Alerts, Fleet)', info: T.UI1_INFO }, [], 0, 0);
    P('model-in', 'link in', { name: 'fleet model', links: linked ? [LINKS.modelOut] : [] }, [['overview', 'fleet', 'devices']], 0, 1);
    P('overview', 'ui_template', tpl('Overview cards', gOverview, T.ui1Overview(), 1), [[]], 1, 1);
    P('fleet', 'ui_template', tpl('Fleet table', gFleet, T.ui1Fleet(), 1, { height: '10' }), [['ack-out']], 1, 2);
    P('alerts-in', 'link in', { name: 'alerts model', links: linked ? [LINKS.alertsOut] : [] }, [['alerts']], 0, 3);
    P('alerts', 'ui_template', tpl('Alerts + ack', gAlerts, T.ui1Alerts(), 1), [['ack-out']], 1, 3);
    P('ack-out', 'link out', { name: 'ack, assign', mode: 'link', links: linked ? [LINKS.ackIn] : [] }, [], 2, 3);
    // History: device and range pickers, chart loaded from the database, continued live
    P('devices', 'function', fn('device list', T.FN_DEVICE_OPTIONS_UI1, 2), [['device-pick'], ['range-pick']], 1, 5);
    P('device-pick', 'ui_dropdown', { name: 'device', label: 'Device', tooltip: '', place: 'device', group: gHistCtl.id, order: 1, width: '6', height: '1', passthru: false, multiple: false, options: [], payload: '', topic: 'device', topicType: 'str', className: '' }, [['hist-req']], 2, 5);
    P('range-pick', 'ui_dropdown', { name: 'range', label: 'Range', tooltip: '', place: '24 h', group: gHistCtl.id, order: 2, width: '4', height: '1', passthru: false, multiple: false, options: T.RANGES.map((r) => ({ label: r.label, value: r.value, type: 'str' })), payload: '', topic: 'range', topicType: 'str', className: '' }, [['hist-req']], 2, 6);
    P('control', 'ui_ui_control', { name: 'page opened', events: 'all' }, [['hist-req']], 2, 7);
    P('hist-req', 'function', fn('history request', T.FN_HISTORY_REQ, 1), [['history']], 3, 6);
    P('history', 'picochain-history', { name: '', mongo: SHARED.id('mongo'), collection: 'readings', range: '24h', maxPoints: 300, stats: 'mean,min,max', format: 'ui_chart', engine: 'auto', hourly: true }, [['chart-units'], ['hourly-units']], 4, 6);
    P('chart-units', 'function', fn('units on the chart', T.FN_CHART_UNITS, 1), [['chart']], 5, 5);
    P('hourly-units', 'function', fn('units in the table', T.FN_HOURLY_UNITS_UI1, 1), [['hourly']], 5, 7);
    P('chart', 'ui_chart', { name: 'history chart', group: gHistChart.id, order: 1, width: String(W), height: '8', label: 'History (units in the legend)', chartType: 'line', legend: 'true', xformat: 'dd HH:mm', interpolate: 'linear', nodata: 'loading…', dot: false, ymin: '', ymax: '', removeOlder: '7', removeOlderPoints: '', removeOlderUnit: '86400', useUTC: false, className: '' }, [[]], 5, 6);
    P('hourly', 'ui_template', tpl('hourly statistics', gHistTable, T.ui1Hourly(), 1, { height: '10' }), [[]], 6, 7);
    P('live-in', 'link in', { name: 'live readings', links: linked ? [LINKS.liveOut] : [] }, [['live']], 3, 8);
    P('live', 'function', fn('live points', T.FN_LIVE_UI1, 1), [['chart']], 4, 8);
    P('catch', 'catch', { name: 'history errors', scope: [b.id('history')], uncaught: false }, [['hist-debug']], 3, 9);
    P('hist-debug', 'debug', { name: 'history errors', active: true, tosidebar: true, console: false, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 4, 9);
    CFG.ui1Page(b, P, { tab: tabs.Fleet, linked, id, row: 11 });
    FOODLOG.ui1Page(b, P, { linked, id, row: 13, width: W });
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
    P('fleet', 'ui-template', tpl('Fleet table', gFleet, T.ui2Fleet(), 1), [['ack-out']], 1, 2);
    P('alerts-in', 'link in', { name: 'alerts model', links: linked ? [LINKS.alertsOut] : [] }, [['alerts']], 0, 3);
    P('alerts', 'ui-template', tpl('Alerts + ack', gAlerts, T.ui2Alerts(), 1), [['ack-out']], 1, 3);
    P('ack-out', 'link out', { name: 'ack, assign', mode: 'link', links: linked ? [LINKS.ackIn] : [] }, [], 2, 3);
    P('devices', 'function', fn('device list', T.FN_DEVICE_OPTIONS_UI2, 2), [['device-pick'], ['range-pick']], 1, 5);
    P('device-pick', 'ui-dropdown', { name: 'device', label: 'Device', tooltip: '', group: gHist.id, order: 1, width: '4', height: '1', passthru: false, multiple: false, chips: false, clearable: false, options: [], payload: '', topic: 'device', topicType: 'str', className: '', typeIsComboBox: true, msgTrigger: 'onChange' }, [['hist-req']], 2, 5);
    P('range-pick', 'ui-dropdown', { name: 'range', label: 'Range', tooltip: '', group: gHist.id, order: 2, width: '3', height: '1', passthru: false, multiple: false, chips: false, clearable: false, options: T.RANGES.map((r) => ({ label: r.label, value: r.value, type: 'str' })), payload: '', topic: 'range', topicType: 'str', className: '', typeIsComboBox: true, msgTrigger: 'onChange' }, [['hist-req']], 2, 6);
    P('event', 'ui-event', { ui: base.id, name: 'page opened' }, [['hist-req']], 2, 7);
    P('hist-req', 'function', fn('history request', T.FN_HISTORY_REQ, 1), [['history']], 3, 6);
    P('history', 'picochain-history', { name: '', mongo: SHARED.id('mongo'), collection: 'readings', range: '24h', maxPoints: 300, stats: 'mean,min,max', format: 'points', engine: 'auto', hourly: true }, [['chart-units'], ['hourly-units']], 4, 6);
    P('chart-units', 'function', fn('units on the chart', T.FN_CHART_UNITS, 1), [['chart']], 5, 5);
    P('hourly-units', 'function', fn('units in the table', T.FN_HOURLY_UNITS_UI2, 1), [['hourly']], 5, 7);
    P('chart', 'ui-chart', {
        name: 'history chart', group: gHist.id, label: 'History (units in the legend)', order: 3, width: '12', height: '8', chartType: 'line', category: 'series', categoryType: 'property',
        xAxisLabel: '', xAxisProperty: 'x', xAxisPropertyType: 'property', xAxisType: 'time', xAxisFormat: '', xAxisFormatType: 'auto', xmin: '', xmax: '',
        yAxisLabel: '', yAxisProperty: 'y', yAxisPropertyType: 'property', ymin: '', ymax: '', action: 'append', pointShape: 'false', pointRadius: 0,
        showLegend: true, removeOlder: '7', removeOlderUnit: '86400', removeOlderPoints: '', interpolation: 'linear', className: '',
    }, [[]], 6, 6);
    P('hourly', 'ui-table', { name: 'hourly statistics', label: 'Hourly statistics', group: gHist.id, order: 4, width: '12', height: '0', maxrows: 24, passthru: false, autocols: false, showSearch: false, deselect: true, selectionType: 'none', columns: T.HOURLY_COLUMNS, mobileBreakpoint: 'sm', mobileBreakpointType: 'defaults', action: 'replace', className: '' }, [[]], 6, 7);
    P('live-in', 'link in', { name: 'live readings', links: linked ? [LINKS.liveOut] : [] }, [['live']], 3, 8);
    P('live', 'function', fn('live points', T.FN_LIVE_UI2, 1), [['chart']], 4, 8);
    P('catch', 'catch', { name: 'history errors', scope: [b.id('history')], uncaught: false }, [['hist-debug']], 3, 9);
    P('hist-debug', 'debug', { name: 'history errors', active: true, tosidebar: true, console: false, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 4, 9);
    CFG.ui2Page(b, P, { page: pages.Fleet, linked, id, row: 11 });
    FOODLOG.ui2Page(b, P, { base, theme, linked, id, row: 13 });
    return b;
}

/** The full chains, written as examples (Import › Examples) and deployed together by npm start. */
const FULL_CHAINS = { 'full chain with node-red-dashboard': () => fullChain(1), 'full chain with Dashboard 2.0': () => fullChain(2) };

/** Every generated file: examples/<name>.json → its exact text (what `npm run flows` writes). */
function generatedFiles() {
    const out = {};
    const text = (nodes) => `${JSON.stringify(nodes, null, 2)}\n`;
    for (const [name, make] of Object.entries(require('./make-examples')({ flowBuilder, place, fn, SHARED, brokerNode, mqttIn, mongoNode, modulesNode, ui1Base, ui2Base, ui2Theme, T }))) {
        out[`examples/${name}.json`] = text(make());
    }
    for (const [name, make] of Object.entries(FULL_CHAINS)) out[`examples/${name}.json`] = text(make());
    return out;
}

if (require.main === module) {
    for (const [rel, text] of Object.entries(generatedFiles())) {
        const file = path.join(ROOT, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
    }
    console.log('examples written');
}

module.exports = { fullChain, FULL_CHAINS, generatedFiles, DEFS, id };
