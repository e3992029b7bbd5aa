// Who sent a dashboard message, as msg._client.user = { username, role }, for both dashboards of
// `npm start` (the flows record it with an alert acknowledgement and refuse a viewer's). The name
// comes from the HTTP guard (../http-guard.js) that authenticated the socket's handshake request,
// never from the browser, which could claim anything.
//  - Dashboard 2.0: this Node-RED plugin's onAddConnectionCredentials hook (ui-base "include
//    client data", on in the shipped flows).
//  - node-red-dashboard: stampSocket(), its settings.ui.ioMiddleware, stamps every incoming event
//    with the socket's real id and user (the browser sets msg.socketid itself otherwise).
'use strict';
const { userOf } = require('../http-guard');

function stampSocket(socket, next) {
    const user = userOf(socket.request);
    socket.use((packet, nxt) => {
        const ev = packet[1];
        if (ev && typeof ev === 'object') {
            ev.socketid = socket.id;
            if (ev.msg && typeof ev.msg === 'object') ev.msg._client = { socketId: socket.id, ...(user ? { user } : {}) };
        }
        nxt();
    });
    next();
}

module.exports = function (RED) {
    RED.plugins.registerPlugin('picochain-dashboard-user', {
        type: 'node-red-dashboard-2',
        hooks: {
            onAddConnectionCredentials(conn, msg) {
                const user = userOf(conn && conn.request);
                if (msg && typeof msg === 'object') {
                    msg._client = { ...(msg._client || {}) };
                    if (user) msg._client.user = user; else delete msg._client.user;
                }
                return msg;
            },
        },
    });
};
module.exports.stampSocket = stampSocket;
