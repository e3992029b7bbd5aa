'use strict';
// picochain-broker and picochain-mqtt-in cores alone (no Node-RED, no broker): topic filters,
// held acknowledgements in arrival order, settings, refusal reasons, delivery tokens.
const assert = require('assert');
const { topicMatches, checkFilter, subscriptionFilter, plainFilter, checkShareGroup } = require('../../dist/nodes/picochain-broker/topic');
const { AckQueue } = require('../../dist/nodes/picochain-broker/acks');
const { parseBrokerSettings, classifyFailure, defaultClientId, redactSecrets } = require('../../dist/nodes/picochain-broker/core');
const { parseMqttInSettings, DeliveryTracker, toMessage } = require('../../dist/nodes/picochain-mqtt-in/core');
const { expectReadings, claimReadings, settleReadings, openDeliveries } = require('../../dist/nodes/shared/delivery');

describe('picochain-broker topic filters', function () {
    it('matches + and # as MQTT does, never $-topics with a leading wildcard', function () {
        const cases = [
            ['picochain/+/+/stats', 'picochain/demo/fridge-1/stats', true],
            ['picochain/+/+/stats', 'picochain/demo/fridge-1/status', false],
            ['picochain/+/+/stats', 'picochain/demo/stats', false],
            ['picochain/#', 'picochain', true],
            ['picochain/#', 'picochain/a/b/c', true],
            ['TOUCAN', 'TOUCAN', true],
            ['TOUCAN', 'toucan', false],
            ['#', '$SYS/broker/load', false],
            ['+/x', '$SYS/x', false],
            ['$SYS/#', '$SYS/broker/load', true],
            ['$share/g/picochain/+/+/stats', 'picochain/demo/f/stats', true],
            // empty levels and topics one level longer or shorter than the filter
            ['a/+', 'a/', true],
            ['a/+', 'a', false],
            ['+/+', '/x', true],
            ['a/b', 'a/b/', false],
            ['a/b', 'a/bc', false],
            ['a/bc', 'a/b', false],
            ['a', 'a/b', false],
            ['a/', 'a/', true],
        ];
        for (const [f, t, want] of cases) assert.strictEqual(topicMatches(f, t), want, `${f} vs ${t}`);
    });
    it('refuses malformed filters and share groups; builds $share filters', function () {
        assert.strictEqual(checkFilter('a/#'), null);
        assert.match(checkFilter('a/#/b'), /#/);
        assert.match(checkFilter('a/b+'), /\+/);
        assert.match(checkFilter(''), /empty/);
        assert.strictEqual(checkShareGroup(''), null);
        assert.match(checkShareGroup('a/b'), /share group/);
        assert.strictEqual(subscriptionFilter('picochain/+/+/stats', 'nr'), '$share/nr/picochain/+/+/stats');
        assert.strictEqual(subscriptionFilter('$share/x/t', ''), '$share/x/t');
        assert.strictEqual(plainFilter('$share/x/t/#'), 't/#');
    });
});

describe('picochain-broker held acknowledgements (AckQueue)', function () {
    it('sends PUBACKs only when complete and in arrival order, without holding untracked ones', function () {
        const sent = [];
        const q = new AckQueue((p) => sent.push(p.messageId));
        const a = q.add(1, 1);
        const b = q.add(2, 2);
        const c = q.add(3, 1);
        assert.strictEqual(q.hold({ messageId: 1 }), true);
        assert.strictEqual(q.hold({ messageId: 2 }), true);
        assert.strictEqual(q.hold({ messageId: 3 }), true);
        assert.strictEqual(q.hold({ messageId: 99 }), false, 'an untracked message goes out as usual');
        q.complete(c);
        assert.deepStrictEqual(sent, [], 'the third waits for the first two');
        q.complete(a);
        assert.deepStrictEqual(sent, [1]);
        q.complete(b);
        assert.deepStrictEqual(sent, [1], 'the second waits for both of its deliveries');
        q.complete(b);
        assert.deepStrictEqual(sent, [1, 2, 3]);
        assert.strictEqual(q.held, 0);
    });
    it('a reset (connection lost) forgets what it held; late completions of the old connection send nothing', function () {
        const sent = [];
        const q = new AckQueue((p) => sent.push(p.messageId));
        const a = q.add(7, 1);
        q.hold({ messageId: 7 });
        q.reset();
        q.complete(a);
        assert.deepStrictEqual(sent, []);
        assert.strictEqual(q.forgotten, 1);
        const b = q.add(7, 1); // the broker sends it again, same id
        q.hold({ messageId: 7 });
        q.complete(b);
        assert.deepStrictEqual(sent, [7]);
    });
    it('a message completed before mqtt.js asks to send its PUBACK goes out at once when asked', function () {
        const sent = [];
        const q = new AckQueue((p) => sent.push(p.messageId));
        const a = q.add(5, 1);
        q.complete(a);
        assert.deepStrictEqual(sent, []);
        q.hold({ messageId: 5 });
        assert.deepStrictEqual(sent, [5]);
    });
});

describe('picochain-broker settings and failures', function () {
    it('takes a host or a URL; URL credentials become the credentials; TLS from mqtts', function () {
        const { settings } = parseBrokerSettings({ broker: 'mqtts://u%40x:p%3Aw@broker.example:8884' }, 'n1');
        assert.deepStrictEqual([settings.host, settings.port, settings.tls, settings.user, settings.password], ['broker.example', 8884, true, 'u@x', 'p:w']);
        const plain = parseBrokerSettings({ broker: '10.0.0.2', port: '' }, 'n1').settings;
        assert.deepStrictEqual([plain.port, plain.tls, plain.protocol, plain.sessionExpiryS, plain.receiveMaximum], [1883, false, 'auto', 604800, 10000]);
        assert.strictEqual(parseBrokerSettings({ broker: 'x', tls: 'true' }, 'n1').settings.port, 8883);
        assert.match(parseBrokerSettings({ broker: '' }, 'n1').error, /host/);
        assert.match(parseBrokerSettings({ broker: 'ws://x' }, 'n1').error, /not supported/);
        assert.match(parseBrokerSettings({ broker: 'x', port: '70000' }, 'n1').error, /port/);
        assert.match(parseBrokerSettings({ broker: 'x', certFile: '/nonexistent.pem' }, 'n1').error, /does not exist/);
        assert.match(parseBrokerSettings({ broker: 'x', clientId: 'bad id' }, 'n1').error, /client id/);
        assert.match(parseBrokerSettings({ broker: 'x' }, 'n1', { password: 'p' }).error, /user name/);
    });
    it('a fixed default client id per host and config node, so the session survives a restart', function () {
        assert.strictEqual(defaultClientId('bbee7b0fbc9e5788', 'pantry.local'), 'picochain-pantrylocal-bbee7b0f');
        assert.strictEqual(parseBrokerSettings({ broker: 'x' }, 'bbee7b0fbc9e5788').settings.clientId, defaultClientId('bbee7b0fbc9e5788'));
    });
    it('names refusals: bad password, not authorised, protocol, TLS, network', function () {
        assert.deepStrictEqual(classifyFailure({ code: 4, message: 'Connection refused: Bad username or password' }), { kind: 'auth', reason: 'bad user name or password' });
        assert.strictEqual(classifyFailure({ code: 135 }).kind, 'auth');
        assert.strictEqual(classifyFailure({ code: 5 }).reason, 'not authorised');
        assert.strictEqual(classifyFailure({ code: 1 }).kind, 'protocol');
        assert.strictEqual(classifyFailure({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }).kind, 'tls');
        assert.strictEqual(classifyFailure({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }).kind, 'network');
        assert.strictEqual(redactSecrets('mqtt://u:s3cret@h and s3cret and s%403', ['s3cret', 's@3']), 'mqtt://u:***@h and *** and ***');
    });
});

describe('picochain-mqtt-in settings, message and deliveries', function () {
    it('checks its settings', function () {
        const ok = parseMqttInSettings({ topic: 'picochain/+/+/stats' }).settings;
        assert.deepStrictEqual(ok, { topic: 'picochain/+/+/stats', qos: 1, shareGroup: '', ack: 'stored', unclaimedMs: 30000, payloadType: 'buffer' });
        assert.match(parseMqttInSettings({ topic: 'a/#/b' }).error, /topic/);
        assert.match(parseMqttInSettings({ topic: 't', qos: 2 }).error, /QoS/);
        assert.match(parseMqttInSettings({ topic: 't', ack: 'later' }).error, /acknowledge/);
        assert.match(parseMqttInSettings({ topic: 't', unclaimed: 0 }).error, /unclaimed/);
    });
    it('builds the message as mqtt in does, with MQTT 5 properties', function () {
        const m = toMessage({ topic: 't', payload: Buffer.from('x'), qos: 1, retain: true, properties: { contentType: 'application/json', userProperties: { a: '1' } } }, 'utf8');
        assert.deepStrictEqual(m, { topic: 't', payload: 'x', qos: 1, retain: true, contentType: 'application/json', userProperties: { a: '1' } });
    });
    it('a delivery completes when as many readings are settled as the decoder expects', function () {
        const tracker = new DeliveryTracker(30000);
        const acked = [];
        const d = tracker.track(() => acked.push('d'), {}, 0);
        claimReadings(d.id, 2, 1);
        settleReadings(d.id, 2, 0, 2);
        assert.deepStrictEqual(acked, [], 'no expectation yet: a decoder has not said how many readings');
        expectReadings(d.id, 3, 3);
        assert.deepStrictEqual(acked, []);
        claimReadings(d.id, 1, 4);
        settleReadings(d.id, 1, 0, 5);
        assert.deepStrictEqual(acked, ['d']);
        assert.strictEqual(tracker.counters.stored, 1);
        const e = tracker.track(() => acked.push('e'), {}, 0);
        expectReadings(e.id, 0, 1); // a status message, or bad input
        assert.deepStrictEqual(acked, ['d', 'e']);
    });
    it('sweeps stale deliveries: decoded but unclaimed is acknowledged, never decoded is sent again (twice) first, one a writer holds waits', function () {
        const before = openDeliveries();
        const tracker = new DeliveryTracker(1000);
        const acked = [];
        const resent = [];
        const resend = (m) => resent.push(m.n);
        const routed = tracker.track(() => acked.push('routed'), { n: 'routed' }, 0);
        expectReadings(routed.id, 2, 0); // decoded into 2 readings that no writer takes
        const lost = tracker.track(() => acked.push('lost'), { n: 'lost' }, 0); // dropped by a redeploy
        const held = tracker.track(() => acked.push('held'), { n: 'held' }, 0);
        expectReadings(held.id, 1, 10);
        claimReadings(held.id, 1, 10); // in a writer whose spool is full
        assert.strictEqual(tracker.sweep(500, resend), 0);
        assert.strictEqual(tracker.sweep(5000, resend), 1);
        assert.deepStrictEqual([acked, resent], [['routed'], ['lost']]);
        tracker.sweep(5500, resend);
        assert.deepStrictEqual(resent, ['lost'], 'not sent again before another timeout');
        tracker.sweep(6500, resend);
        assert.deepStrictEqual(resent, ['lost', 'lost']);
        assert.strictEqual(tracker.sweep(8000, resend), 1, 'given up after two resends');
        assert.deepStrictEqual(acked, ['routed', 'lost']);
        assert.deepStrictEqual([tracker.counters.unclaimed, tracker.counters.resent], [2, 2]);
        settleReadings(held.id, 1, 0, 9000);
        assert.deepStrictEqual(acked, ['routed', 'lost', 'held']);
        tracker.sweep(9000, resend);
        assert.strictEqual(tracker.size, 0);
        assert.strictEqual(openDeliveries(), before, 'finished deliveries leave the registry');
        assert.ok(lost.done && held.done);
    });
});
