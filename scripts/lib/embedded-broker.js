// The embedded MQTT broker of `npm start` (scripts/lib/chain.js): aedes, with LevelDB sessions
// and broker-auth.js identities, and the adjustments aedes 0.51 needs to keep MQTT's promises
// (no acknowledged message lost, one client's messages delivered in the order it sent them).
'use strict';
const fs = require('fs');
const net = require('net');
const brokerAuth = require('./broker-auth');

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
function isLoopback(host) { return LOOPBACK.has(host) || /^127\./.test(host); }

/** A client's aedes dedupe record that remembers nothing (see startAedes). */
const NO_DEDUPE = new Proxy({}, { get: () => undefined, set: () => true });

/**
 * aedes 0.51 sends a session's queued messages on reconnect through persistence.outgoingUpdate and
 * reads `packet.writeCallback` before it looks at the error; aedes-persistence 11 calls back with
 * the error alone when the message is gone ("no such packet": the same client acknowledged it on
 * its previous connection meanwhile, as Node-RED's broker node does when a full deploy replaces
 * it). That TypeError ended the whole process (npm start: broker and Node-RED; seen once in the
 * durability redeploy test). Called back with the client and packet too, aedes closes that one
 * connection with the error; the client reconnects and gets the rest of its queue.
 */
function tolerantOutgoingUpdate(persistence) {
    const update = persistence.outgoingUpdate.bind(persistence);
    persistence.outgoingUpdate = (client, packet, cb) => (cb
        ? update(client, packet, (err, c, p) => cb(err, c || client, p || packet))
        : update(client, packet));
    return persistence;
}

/**
 * One client's messages go on to the subscribers in the order it sent them (MQTT 3.1.1 4.6.0-6).
 * aedes 0.51 handles all the packets of one socket read at once; each QoS 1 message first waits
 * for its LevelDB write to the offline queues of persistent sessions (Node-RED's), and those
 * writes finish in any order: a board's burst reached Node-RED shuffled (the decoder then saw
 * sequence gaps and late frames, and a redelivered frame no longer looked like a replay). So a
 * client's next message waits for the one before it. test/mqtt-in/aedes-order.test.js
 */
function inClientOrder(aedes) {
    const publish = aedes.publish.bind(aedes);
    const waiting = new WeakMap(); // client → its messages not yet through the broker, oldest first
    const next = (client, queue) => {
        const [packet, done] = queue[0];
        publish(packet, client, (err) => {
            queue.shift();
            if (queue.length) next(client, queue);
            else waiting.delete(client);
            if (done) done(err);
        });
    };
    // the broker's own messages (a will, $SYS, aedes.publish(packet, cb)) have no client
    aedes.publish = (packet, client, done) => {
        if (!client || typeof client === 'function') return publish(packet, client, done);
        const queue = waiting.get(client);
        if (queue) return void queue.push([packet, done]);
        const fresh = [[packet, done]];
        waiting.set(client, fresh);
        next(client, fresh);
    };
    return aedes;
}

/**
 * Starts aedes on host:port; with `identities` (broker-auth.js), each client must be one of them.
 * With `persistenceDir`, sessions, their queued QoS 1 messages and retained messages are kept on
 * disk (LevelDB): a message the broker acknowledged to a board survives a restart of the broker.
 */
async function startAedes({ host, port, identities, log, persistenceDir }) {
    const Aedes = require('aedes');
    let persistence;
    if (persistenceDir) {
        const { Level } = require('level');
        fs.mkdirSync(persistenceDir, { recursive: true, mode: 0o700 });
        persistence = tolerantOutgoingUpdate(require('aedes-persistence-level')(new Level(persistenceDir)));
    }
    // aedes 0.x: createBroker is the constructor and returns the broker; 1.x returns a promise of it
    const aedes = await Aedes.createBroker(persistence ? { persistence } : {});
    // aedes 0.51 drops a message to a client as a "duplicate" when a later message (higher broker
    // counter) reached that client first, and its persistence reorders them: a retained status
    // waits for its LevelDB store while the next frame overtakes it (moscajs/aedes#955, #994).
    // Its dedupe only serves one client's overlapping subscriptions, which picochain's clients do
    // not make (and QoS 1 allows a duplicate): off. test/mqtt-in/aedes-order.test.js
    aedes.on('client', (client) => { client.duplicates = NO_DEDUPE; });
    inClientOrder(aedes);
    const auth = identities ? brokerAuth.installBrokerAuth(aedes, identities, { log }) : null;
    const server = net.createServer(aedes.handle);
    const sockets = new Set();
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
    const actualPort = server.address().port;
    return {
        port: actualPort,
        url: `mqtt://${isLoopback(host) ? '127.0.0.1' : host}:${actualPort}`,
        aedes,
        async stop() {
            if (auth) auth.stop();
            await new Promise((r) => aedes.close(() => r()));
            for (const s of sockets) s.destroy();
            await new Promise((r) => server.close(() => r()));
            if (persistence) await new Promise((r) => persistence.destroy(() => r()));
        },
    };
}

module.exports = { startAedes, isLoopback };
