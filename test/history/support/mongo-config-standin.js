// A stand-in for picochain-mongo-config implementing the runtime API of docs/TEAM_CONTRACTS.md
// (register/deregister, getDb, isConnected, 'state' events), used only while the real node is not
// built yet, so the history node can be tested against a real server either way.
'use strict';
const { EventEmitter } = require('events');
const { MongoClient } = require('mongodb');

module.exports = function (RED) {
    function StandIn(config) {
        RED.nodes.createNode(this, config);
        const node = this;
        const ee = new EventEmitter();
        node.on = ((orig) => function (ev, fn) { return ev === 'state' ? ee.on(ev, fn) : orig.call(node, ev, fn); })(node.on);
        node.databaseName = config.database || 'picochain';
        const client = new MongoClient(config.uri);
        const ready = client.connect().then((c) => { ee.emit('state', 'connected'); return c.db(node.databaseName); });
        ready.catch(() => undefined);
        node.users = new Set();
        node.register = (n) => node.users.add(n);
        node.deregister = (n, done) => { node.users.delete(n); if (done) done(); };
        node.getDb = () => ready;
        node.isConnected = () => true;
        node.on('close', (done) => { client.close().then(() => done(), () => done()); });
    }
    RED.nodes.registerType('picochain-mongo-config', StandIn);
};
