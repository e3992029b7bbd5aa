'use strict';
// Reading what nodes do in node-red-node-test-helper's runtime.
const helper = require('node-red-node-test-helper');

/**
 * Collects the messages the helper nodes of the loaded flow receive, one list per name:
 * collect({ readings: 'rd', caught: 'caught' }) -> { readings: [msg, ...], caught: [...] }.
 * Call it again after a restart: the nodes are new objects.
 */
function collect(ids) {
    const out = {};
    for (const [name, id] of Object.entries(ids)) {
        out[name] = [];
        helper.getNode(id).on('input', (m) => out[name].push(m));
    }
    return out;
}

/** The latest status a node set (the wrappers throttle status updates), or `none` if it set none yet. */
function lastStatus(node, none = undefined) {
    const calls = node.status.getCalls ? node.status.getCalls() : [];
    return calls.length ? calls[calls.length - 1].args[0] : none;
}

module.exports = { collect, lastStatus };
