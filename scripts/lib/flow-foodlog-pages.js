// The food-safety record in the shipped flows (issue 12), apart from the page generators so that
// it stays one change. make-flows.js calls three hooks:
//   chainNodes(b, P, opts)  on the chain tab: picochain-report fed with the alert node's events and
//                           the Alerts page's acknowledgements, the pages' requests, the monthly e-mail
//   ui1Page(b, P, opts)     node-red-dashboard: a "Food safety" tab
//   ui2Page(b, P, opts)     Dashboard 2.0: a "Food safety" page
// The page is scripts/lib/flow-foodlog-templates.js.
'use strict';
const TPL = require('./flow-foodlog-templates');

/** Ids of the link nodes between the chain tab and the two dashboard tabs (stable, from `id`). */
function links(id) {
    return {
        answersOut: id('picochain-main:fl-out'), requestsIn: id('picochain-main:fl-in'),
        answersIn1: id('picochain-ui1:fl-in'), requestsOut1: id('picochain-ui1:fl-out'),
        answersIn2: id('picochain-ui2:fl-in'), requestsOut2: id('picochain-ui2:fl-out'),
    };
}

const INFO = `**picochain-report** keeps the food-safety record: a daily temperature log per cabinet probe
(fridges, cold rooms and freezers of the device registry) sealed into an append-only hash chain,
with the corrective actions given when an alert is acknowledged or added on the Food safety page,
supervisors' sign-offs and corrections. The Food safety page of both dashboards shows a month as
the paper form does and downloads it as PDF or CSV. On the 1st of each month at 06:00 last month's
PDF of the whole site goes to the e-mail node (disabled until configured, as the alert e-mails).`;

const FN_WHO = `
// Who asks on the Food safety page: the user the page's socket logged in as (msg._client.user,
// set on the server by npm start's guard), recorded as msg.payload.by; otherwise the initials typed
// on the page are what the log records. A viewer reads and downloads but does not write; the
// log's upkeep (seal, backup, restore) is not asked from a page.
const u = msg._client && msg._client.user;
const reads = ['cabinets', 'log', 'report', 'verify'];
const writes = ['action', 'signoff', 'correction'];
if (!reads.includes(msg.topic) && !writes.includes(msg.topic)) return null;
if (u && u.role === 'viewer' && writes.includes(msg.topic)) {
    node.warn(msg.topic + ' refused: ' + u.username + ' is a viewer (read-only)');
    return [null, { topic: 'error', pageId: msg.pageId, _client: msg._client, payload: msg.topic + ': ' + u.username + ' is a viewer (read-only)' }];
}
msg.payload = Object.assign({}, msg.payload);
if (u && u.username) msg.payload.by = u.username; else delete msg.payload.by;
return [msg, null];
`;

const FN_ANSWERS = `
// Answers of the food-safety log: a file goes to the page that asked as base64 (the page saves
// it); after an action, sign-off or correction, that page's month is read again; last month's
// PDF of the 1st goes to the e-mail.
if (msg.monthly) return [null, msg, null];
if (!msg.pageId) return null;
const to = (m) => Object.assign(m, { pageId: msg.pageId, _client: msg._client });
if (msg.request === 'report') {
    const bytes = Buffer.isBuffer(msg.payload) ? msg.payload : Buffer.from(String(msg.payload), 'utf8');
    return [to({ topic: 'file', payload: { name: msg.filename, type: msg.contentType, base64: bytes.toString('base64') } }), null, null];
}
if (['action', 'signoff', 'correction'].includes(msg.request) && msg.view) return [null, null, to({ topic: 'log', view: msg.view, payload: msg.view })];
return [msg, null, null];
`;

const FN_MAIL = `
// Last month's temperature log of the whole site as an e-mail with the PDF attached
// (node-red-node-email: msg.attachments), to ALERT_EMAIL_TO.
msg.to = env.get('ALERT_EMAIL_TO') || '';
msg.topic = '[picochain] ' + msg.filename;
msg.attachments = [{ filename: msg.filename, content: msg.payload, contentType: msg.contentType }];
msg.payload = 'The temperature log of last month is attached (' + msg.filename + '): one line a day per cabinet, with its excursions, hours without data, corrective actions and sign-offs, and the tamper check.';
return msg;
`;

const FN_ERROR = `
// A refused request (a sign-off of a day not over, a text too long…) told to the page that asked.
if (!msg.pageId) return null;
return { topic: 'error', pageId: msg.pageId, _client: msg._client, payload: msg.error && msg.error.message };
`;

function fn(name, code, outputs) {
    return { name, func: code.trim(), outputs, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [] };
}

/**
 * Adds picochain-report to the chain tab. `alert`: the key of picochain-alert in `b` (its events
 * go to the log), `requests`: the key of the switch whose first output carries the Alerts page's
 * acknowledgements; `mongo`: the picochain-mongo-config id; `row`: the first free row;
 * `dashboard`: 1 or 2, the dashboard whose pages this file has.
 */
function chainNodes(b, P, { alert, requests, mongo, id, row, dashboard }) {
    const L = links(id);
    const pick = (a, b2) => (dashboard === 1 ? [a] : dashboard === 2 ? [b2] : [a, b2]);
    P('fl-c', 'comment', { name: 'food-safety record: daily log per cabinet, actions, sign-off, PDF/CSV', info: INFO }, [], 0, row);
    P('fl-in', 'link in', { name: 'food log requests', links: pick(L.requestsOut1, L.requestsOut2) }, [['fl-who']], 0, row + 1);
    P('fl-who', 'function', fn('who asks (food log)', FN_WHO, 2), [['foodlog'], ['fl-out']], 1, row + 1);
    P('foodlog', 'picochain-report', { name: '', mongo, collection: 'foodlog', readings: 'readings', devices: 'devices' }, [['fl-answers'], ['fl-events']], 2, row + 1);
    P('fl-answers', 'function', fn('answers to pages, monthly e-mail', FN_ANSWERS, 3), [['fl-out'], ['fl-mail'], ['foodlog']], 3, row + 1);
    P('fl-out', 'link out', { name: 'food log answers', mode: 'link', links: pick(L.answersIn1, L.answersIn2) }, [], 4, row + 1);
    P('fl-events', 'debug', { name: 'food log: sealed, tamper', active: true, tosidebar: true, console: false, tostatus: true, complete: 'payload', targetType: 'msg', statusVal: 'topic', statusType: 'msg' }, [], 3, row + 2);
    P('fl-monthly', 'inject', { name: 'on the 1st, 06:00', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }, { p: 'monthly', v: 'true', vt: 'bool' }], payload: '{"format":"pdf"}', payloadType: 'json', topic: 'report', crontab: '00 06 1 * *', repeat: '', once: false, onceDelay: 0.1 }, [['foodlog']], 1, row + 3);
    P('fl-mail', 'function', fn('format monthly e-mail', FN_MAIL, 1), [['fl-mail-out']], 4, row + 3);
    P('fl-mail-out', 'debug', { name: 'e-mail (replace me)', d: true, active: true, tosidebar: true, console: false, tostatus: false, complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto' }, [], 5, row + 3);
    P('fl-catch', 'catch', { name: 'food log errors', scope: [b.id('foodlog')], uncaught: false }, [['fl-error', 'fl-debug']], 0, row + 4);
    P('fl-error', 'function', fn('error to the page', FN_ERROR, 1), [['fl-out']], 1, row + 4);
    P('fl-debug', 'debug', { name: 'food log errors', active: true, tosidebar: true, console: false, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 1, row + 5);
    // the alert node's events (to find an acknowledged alert's cabinet and start), and the Alerts
    // page's acknowledgements, which ask what was done
    b.nodes.find((n) => n.id === b.id(alert)).wires[0].push(b.id('foodlog'));
    b.nodes.find((n) => n.id === b.id(requests)).wires[0].push(b.id('foodlog'));
}

/** node-red-dashboard: the "Food safety" tab. */
function ui1Page(b, P, { linked, id, row, width }) {
    const L = links(id);
    const tab = b.add('tab-Food safety', 'ui_tab', { name: 'Food safety', icon: 'assignment', order: 5, disabled: false, hidden: false });
    const g = b.add('g-foodlog', 'ui_group', { name: 'Food safety', tab: tab.id, order: 1, disp: false, width: String(width), collapse: false, className: '' });
    P('fl-in', 'link in', { name: 'food log answers', links: linked ? [L.answersOut] : [] }, [['fl-page']], 0, row);
    // the page's own requests are not stored (a page opened later asks for itself)
    P('fl-page', 'ui_template', { name: 'Food safety log', group: g.id, order: 1, width: String(width), height: '15', format: TPL.ui1Template(), storeOutMessages: false, fwdInMessages: false, resendOnRefresh: false, templateScope: 'local', className: '' }, [['fl-out']], 1, row);
    P('fl-out', 'link out', { name: 'food log requests', mode: 'link', links: linked ? [L.requestsIn] : [] }, [], 2, row);
}

/** Dashboard 2.0: the "Food safety" page. */
function ui2Page(b, P, { base, theme, linked, id, row }) {
    const L = links(id);
    const page = b.add('page-Food safety', 'ui-page', { name: 'Food safety', ui: base.id, path: '/foodsafety', icon: 'clipboard-check-outline', layout: 'grid', theme: theme.id, order: 5, className: '', visible: 'true', disabled: 'false' });
    const g = b.add('g-foodlog', 'ui-group', { name: 'Food safety', page: page.id, width: '12', height: '1', order: 1, showTitle: false, className: '', visible: 'true', disabled: 'false', groupType: 'default' });
    P('fl-in', 'link in', { name: 'food log answers', links: linked ? [L.answersOut] : [] }, [['fl-page']], 0, row);
    P('fl-page', 'ui-template', { name: 'Food safety log', group: g.id, page: '', ui: '', order: 1, width: '0', height: '0', head: '', format: TPL.ui2Template(), storeOutMessages: false, passthru: false, resendOnRefresh: false, templateScope: 'local', className: '' }, [['fl-out']], 1, row);
    P('fl-out', 'link out', { name: 'food log requests', mode: 'link', links: linked ? [L.requestsIn] : [] }, [], 2, row);
}

module.exports = { chainNodes, ui1Page, ui2Page, links };
