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

const NO_SUCH_PACKET = /no such packet/;

/**
 * A queued message that is gone when aedes comes to send it was acknowledged already (by the same
 * client on its previous connection, e.g. before a full deploy replaced Node-RED's broker node; or
 * its live copy): it is skipped. aedes 0.51 read `packet.writeCallback` before the error that
 * aedes-persistence 11 returns alone ("no such packet"); that TypeError ended the whole process
 * (npm start: broker and Node-RED; seen in the durability redeploy test). Other errors reach aedes
 * with the client and packet, which closes that one connection.
 */
function skipAcknowledged(persistence) {
    const update = persistence.outgoingUpdate.bind(persistence);
    persistence.outgoingUpdate = (client, packet, cb) => (cb
        ? update(client, packet, (err, c, p) => {
            if (err && NO_SUCH_PACKET.test(err.message) && typeof packet.writeCallback === 'function') packet.writeCallback();
            else cb(err, c || client, p || packet);
        })
        : update(client, packet));
    return persistence;
}

/**
 * A resumed session gets its queue first, then what arrived meanwhile, each message once. aedes
 * 0.51 sends a session's queue from LevelDB (connect.js emptyQueue) while it also delivers new
 * messages live: Node-RED, back after a restart, got the boards' backlog shuffled with live frames
 * (false sequence gaps, late frames and counter resets in the decoder), and every queued message
 * that was also delivered live twice. So while a persistent client's queue is sent, its live
 * deliveries wait (each is in the queue on disk already: one lost with the connection comes back
 * at the next); then those the queue did not hold go out in order.
 * test/mqtt-in/aedes-order.test.js
 */
function queueBeforeLive(aedes) {
    const persistence = aedes.persistence;
    /** client → { held: live packets in order, sent: keys of the queued messages read, written: those sent, ended } */
    const resuming = new WeakMap();
    const key = (p) => (p.brokerId ? `${p.brokerId}:${p.brokerCounter}` : null);

    function release(client, r) {
        if (!r.ended || r.written < r.sent.size || r.releasing) return;
        r.releasing = true;
        const deliverNext = () => {
            if (client.closed) r.held.length = 0;
            let packet = r.held.shift();
            while (packet && r.sent.has(key(packet))) packet = r.held.shift(); // sent from the queue
            if (packet) r.deliver(packet, deliverNext);
            else resuming.delete(client);
        };
        deliverNext();
    }

    const preConnect = aedes.preConnect;
    aedes.preConnect = (client, packet, cb) => {
        if (packet.clean === false) {
            // before aedes restores the session's subscriptions, which take client.deliverQoS
            const r = { held: [], sent: new Set(), written: 0, ended: false, releasing: false, deliver: client.deliverQoS };
            resuming.set(client, r);
            client.deliverQoS = (p, done) => {
                const now = resuming.get(client);
                if (!now) return r.deliver(p, done);
                now.held.push(p);
                setImmediate(done); // the publisher goes on: the message is in this session's queue on disk
            };
        }
        preConnect.call(aedes, client, packet, cb);
    };

    const outgoingStream = persistence.outgoingStream.bind(persistence);
    persistence.outgoingStream = (client) => {
        const stream = outgoingStream(client);
        const r = resuming.get(client);
        if (r) {
            stream.on('data', (p) => r.sent.add(key(p)));
            stream.once('end', () => { r.ended = true; release(client, r); });
        }
        return stream;
    };
    // until its queue is sent, a client's only updates are emptyQueue's (live ones are held): count them done
    const update = persistence.outgoingUpdate.bind(persistence);
    persistence.outgoingUpdate = (client, packet, cb) => {
        const r = resuming.get(client);
        if (r && !r.releasing && typeof packet.writeCallback === 'function') {
            const next = packet.writeCallback;
            packet.writeCallback = (...a) => { next(...a); r.written++; release(client, r); };
        }
        return update(client, packet, cb);
    };
    return aedes;
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
 * A board's QoS 1 message is acknowledged once it is stored: in the queue on disk of each
 * persistent session (Node-RED's) and written to the connected subscribers. aedes 0.51 sends the
 * PUBACK first and stores after (handlers/publish.js); a crash in between lost a message the board
 * had been told was kept, and it then dropped it from its own buffer. Without replacing aedes'
 * handler: the message is published while aedes asks whether it may be (authorizePublish, which
 * may answer late), and the publish aedes makes after its PUBACK is then skipped.
 * test/mqtt-in/aedes-order.test.js (SIGKILL of the broker mid-burst)
 */
function ackAfterStore(aedes) {
    const publish = aedes.publish;
    const stored = new WeakSet();
    aedes.publish = (packet, client, done) => {
        if (!stored.delete(packet)) return publish(packet, client, done);
        const cb = typeof client === 'function' ? client : done;
        if (cb) cb();
    };
    const authorize = aedes.authorizePublish;
    aedes.authorizePublish = (client, packet, cb) => authorize.call(aedes, client, packet, (err) => {
        if (err || !client || packet.qos !== 1) return cb(err);
        publish(packet, client, (e) => {
            if (e) return cb(e);
            stored.add(packet);
            cb(null);
        });
    });
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
        persistence = skipAcknowledged(require('aedes-persistence-level')(new Level(persistenceDir)));
    }
    // aedes 0.x: createBroker is the constructor and returns the broker; 1.x returns a promise of it
    const aedes = await Aedes.createBroker(persistence ? { persistence } : {});
    // aedes 0.51 drops a message to a client as a "duplicate" when a later message (higher broker
    // counter) reached that client first, and its persistence reorders them: a retained status
    // waits for its LevelDB store while the next frame overtakes it (moscajs/aedes#955, #994).
    // Its dedupe was there for a resumed session's queue against live copies, which
    // queueBeforeLive does exactly: off. test/mqtt-in/aedes-order.test.js
    aedes.on('client', (client) => { client.duplicates = NO_DEDUPE; });
    inClientOrder(aedes);
    if (persistence) queueBeforeLive(aedes);
    const auth = identities ? brokerAuth.installBrokerAuth(aedes, identities, { log }) : null;
    ackAfterStore(aedes); // after the identities' authorizePublish, which it asks first
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
