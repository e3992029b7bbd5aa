// Remote configuration in the shipped flows (issue 13), apart from the page generators so that
// their rework stays a separate change. make-flows.js calls three hooks:
//   chainNodes(b, P, opts)  on the chain tab: picochain-board-config fed by picochain-decode's
//                           status output and by the dashboards, its state sent to them
//   ui1Page(b, P, opts)     node-red-dashboard: a "Board settings" group on the Fleet tab
//   ui2Page(b, P, opts)     Dashboard 2.0: the same on the Fleet page
// The page templates are scripts/lib/flow-config-templates.js.
'use strict';
const TPL = require('./flow-config-templates');

/** Ids of the link nodes between the chain tab and the two dashboard tabs (stable, from `id`). */
function links(id) {
    return {
        stateOut: id('picochain-main:cfg-state-out'), setIn: id('picochain-main:cfg-set-in'),
        stateIn1: id('picochain-ui1:cfg-state-in'), setOut1: id('picochain-ui1:cfg-set-out'),
        stateIn2: id('picochain-ui2:cfg-state-in'), setOut2: id('picochain-ui2:cfg-set-out'),
    };
}

const INFO = `**picochain-board-config** publishes the desired settings of the boards (retained, on
\`picochain/<site>/<device>/config\`) and reads their acknowledgement in the status messages that
picochain-decode passes on (its second output). The Fleet pages of both dashboards show each board's
config state and edit its settings: window, sampling, frame format, on-board thresholds at once; Wi-Fi
and broker after the board has tried them. Passwords are sent only when the broker connection is TLS.`;

/**
 * Adds picochain-board-config to the chain tab. `decode`: the key of picochain-decode in `b`
 * (its status output is wired to the new node); `broker`: the picochain-broker id; `row`: the
 * first free row of the tab's grid; `dashboard`: 1 or 2, the dashboard whose pages this file has.
 */
function chainNodes(b, P, { decode, broker, id, row, dashboard }) {
    const L = links(id);
    // each full-chain file links to its own dashboard's page only (npm start joins the two files)
    const pick = (a, b2) => (dashboard === 1 ? [a] : dashboard === 2 ? [b2] : [a, b2]);
    P('cfg-c', 'comment', { name: 'board settings: desired config published, acknowledgements followed', info: INFO }, [], 0, row);
    P('cfg-set-in', 'link in', { name: 'board config set', links: pick(L.setOut1, L.setOut2) }, [['board-config']], 0, row + 1);
    P('board-config', 'picochain-board-config', { name: '', broker }, [['cfg-events'], ['cfg-state-out']], 1, row + 1);
    P('cfg-events', 'debug', { name: 'config acknowledgements', active: true, tosidebar: true, console: false, tostatus: true, complete: 'payload', targetType: 'msg', statusVal: 'payload.event', statusType: 'msg' }, [], 2, row + 1);
    P('cfg-state-out', 'link out', { name: 'board config state', mode: 'link', links: pick(L.stateIn1, L.stateIn2) }, [], 2, row + 2);
    P('cfg-catch', 'catch', { name: 'board config errors', scope: [b.id('board-config')], uncaught: false }, [['cfg-debug']], 0, row + 3);
    P('cfg-debug', 'debug', { name: 'board config errors', active: true, tosidebar: true, console: false, tostatus: true, complete: 'error.message', targetType: 'msg', statusVal: 'error.message', statusType: 'auto' }, [], 1, row + 3);
    const dec = b.nodes.find((n) => n.id === b.id(decode));
    dec.wires[1].push(b.id('board-config'));
}

/** node-red-dashboard: the "Board settings" group under the Fleet tab `tab`. */
function ui1Page(b, P, { tab, linked, id, row }) {
    const L = links(id);
    // 18 units like the other groups (fits a 1024 px screen; the table scrolls inside)
    const g = b.add('g-config', 'ui_group', { name: 'Board settings', tab: tab.id, order: 2, disp: false, width: '18', collapse: false, className: '' });
    P('cfg-state-in', 'link in', { name: 'board config state', links: linked ? [L.stateOut] : [] }, [['cfg-page']], 0, row);
    // resendOnRefresh: a page opened later gets the latest state; the template's own sends are not kept
    P('cfg-page', 'ui_template', { name: 'Board settings', group: g.id, order: 1, width: '18', height: '14', format: TPL.ui1Template(), storeOutMessages: false, fwdInMessages: false, resendOnRefresh: true, templateScope: 'local', className: '' }, [['cfg-set-out']], 1, row);
    P('cfg-set-out', 'link out', { name: 'board config set', mode: 'link', links: linked ? [L.setIn] : [] }, [], 2, row);
}

/** Dashboard 2.0: the "Board settings" group on the Fleet page `page`. */
function ui2Page(b, P, { page, linked, id, row }) {
    const L = links(id);
    const g = b.add('g-config', 'ui-group', { name: 'Board settings', page: page.id, width: '12', height: '1', order: 2, showTitle: true, className: '', visible: 'true', disabled: 'false', groupType: 'default' });
    P('cfg-state-in', 'link in', { name: 'board config state', links: linked ? [L.stateOut] : [] }, [['cfg-page']], 0, row);
    P('cfg-page', 'ui-template', { name: 'Board settings', group: g.id, page: '', ui: '', order: 1, width: '0', height: '0', head: '', format: TPL.ui2Template(), storeOutMessages: false, passthru: false, resendOnRefresh: true, templateScope: 'local', className: '' }, [['cfg-set-out']], 1, row);
    P('cfg-set-out', 'link out', { name: 'board config set', mode: 'link', links: linked ? [L.setIn] : [] }, [], 2, row);
}

module.exports = { chainNodes, ui1Page, ui2Page, links };
