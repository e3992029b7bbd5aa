'use strict';
// picochain-board-config's registry alone: states from desired and reported configs, versions,
// profiles, the checks before publishing, secrets.
const assert = require('assert');
const { BoardRegistry, BoardConfigError, defaultProfile, configTopic } = require('../../dist/nodes/picochain-board-config/core');

const SETTINGS = { sample_s: 10, window_s: 60, send: 'stats', format: 'json', legacy: 'off', debug: false,
    thresholds: { default: { warn_high: 8, alarm_high: 10, warn_low: null, alarm_low: null, warn_slope: 0.5, alarm_slope: 1, hysteresis: 0.5, slope_hysteresis: 0.1 } },
    wifi: { ssid: 'foodbank' }, broker: { host: '10.0.0.2', port: 1883, tls: false } };
const status = (device, config, state = 'online') => ({ device, site: 'demo', state, receivedAt: new Date(), config });
const report = (applied, last, result, extra = {}) => ({ applied, last, result, settings: SETTINGS, ...extra });

function registry() {
    let now = 1000;
    const reg = new BoardRegistry(() => now);
    return { reg, tick: (ms) => { now += ms; } };
}
const stateOf = (reg, device) => reg.view().find((v) => v.device === device);

describe('picochain-board-config core: registry', () => {
    it('profiles from the id unless a registry names them', () => {
        assert.strictEqual(defaultProfile('fridge-12'), 'fridge');
        assert.strictEqual(defaultProfile('freezer_3'), 'freezer');
        assert.strictEqual(defaultProfile('shop'), 'shop');
        assert.strictEqual(configTopic('demo', 'fridge-1'), 'picochain/demo/fridge-1/config');
    });

    it('a board goes none -> pending -> applied; the version follows what the board and broker saw', () => {
        const { reg } = registry();
        reg.noteStatus(status('fridge-1', report(0, null, 'none')));
        assert.strictEqual(stateOf(reg, 'fridge-1').state, 'none');
        const [p] = reg.prepare({ device: 'fridge-1' }, { window_s: 300 }, false);
        assert.strictEqual(p.version, 1);
        assert.strictEqual(p.topic, 'picochain/demo/fridge-1/config');
        assert.deepStrictEqual(JSON.parse(p.payload), { v: 1, version: 1, config: { window_s: 300 } });
        assert.strictEqual(reg.published(p).event, 'pending');
        assert.strictEqual(stateOf(reg, 'fridge-1').state, 'pending');
        const ev = reg.noteStatus(status('fridge-1', report(1, 1, 'applied')));
        assert.deepStrictEqual(ev.map((e) => [e.event, e.version]), [['applied', 1]]);
        assert.strictEqual(stateOf(reg, 'fridge-1').state, 'applied');
        assert.deepStrictEqual(reg.noteStatus(status('fridge-1', report(1, 1, 'applied'))), [], 'the same report twice is one event');
        // a board that saw version 7 (a server whose broker lost its retained message)
        reg.noteStatus(status('fridge-1', report(7, 7, 'applied')));
        assert.strictEqual(reg.prepare({ device: 'fridge-1' }, {}, false)[0].version, 8);
    });

    it('testing then refused, with the board\'s reason; a newer desired config is pending again', () => {
        const { reg } = registry();
        reg.noteStatus(status('fridge-2', report(0, null, 'none')));
        reg.published(reg.prepare({ device: 'fridge-2' }, { broker: { port: 1884 } }, false)[0]);
        assert.deepStrictEqual(reg.noteStatus(status('fridge-2', report(0, 1, 'testing'))).map((e) => e.event), ['testing']);
        assert.strictEqual(stateOf(reg, 'fridge-2').state, 'testing');
        const ev = reg.noteStatus(status('fridge-2', report(0, 1, 'refused', { reason: 'test connection to 10.0.0.2:1884 failed: 111' })));
        assert.deepStrictEqual(ev.map((e) => [e.event, e.reason]), [['refused', 'test connection to 10.0.0.2:1884 failed: 111']]);
        assert.deepStrictEqual([stateOf(reg, 'fridge-2').state, stateOf(reg, 'fridge-2').reason], ['refused', 'test connection to 10.0.0.2:1884 failed: 111']);
        const [p] = reg.prepare({ device: 'fridge-2' }, { window_s: 120 }, false);
        assert.strictEqual(p.version, 2);
        reg.published(p);
        assert.strictEqual(stateOf(reg, 'fridge-2').state, 'pending');
        reg.noteStatus(status('fridge-2', undefined, 'offline'));
        assert.strictEqual(stateOf(reg, 'fridge-2').online, false);
        assert.strictEqual(stateOf(reg, 'fridge-2').state, 'pending', 'offline changes nothing else');
    });

    it('refuses before publishing what the board would refuse, and secrets without TLS on either side', () => {
        const { reg } = registry();
        reg.noteStatus(status('fridge-3', report(0, null, 'none')));
        const refused = (target, cfg, tls, key, re) => assert.throws(() => reg.prepare(target, cfg, tls), (e) => e instanceof BoardConfigError && e.key === key && (!re || re.test(e.params.reason || e.params.secret || '')));
        refused({ device: 'fridge-3' }, { window_s: 7200 }, false, 'refused', /^window_s must be an integer from sample_s to 3600$/);
        refused({ device: 'fridge-3' }, { sample_s: 120 }, false, 'refused', /window_s/); // over the reported window of 60 s
        // 7 s samples do not make a 60 s window (the board would close it after 63 s)
        refused({ device: 'fridge-3' }, { sample_s: 7 }, false, 'refused', /^window_s must be a whole multiple of sample_s$/);
        refused({ device: 'fridge-3' }, { sample_s: 2.5, window_s: 61 }, false, 'refused', /^window_s must be a whole multiple of sample_s$/);
        assert.strictEqual(reg.prepare({ device: 'fridge-3' }, { sample_s: 7, window_s: 63 }, false).length, 1, 'a whole number of samples is fine');
        refused({ device: 'fridge-3' }, { device: 'x' }, false, 'refused', /identity/);
        refused({ device: 'fridge-3' }, { wifi: { ssid: 'x', password: 'y' } }, false, 'secret-server', /wifi.password/);
        // our connection is TLS but the board's is not: the board would refuse it
        refused({ device: 'fridge-3' }, { wifi: { ssid: 'x', password: 'y' } }, true, 'refused', /only over TLS/);
        reg.noteStatus(status('fridge-3', report(0, null, 'none', { settings: { ...SETTINGS, broker: { ...SETTINGS.broker, tls: true } } })));
        assert.strictEqual(reg.prepare({ device: 'fridge-3' }, { wifi: { ssid: 'x', password: 'y' } }, true).length, 1);
        refused({ device: 'nobody' }, {}, false, 'no-site');
        refused({ device: 'bad id' }, {}, false, 'device');
        refused({}, {}, false, 'no-target');
        refused({ profile: 'oven' }, {}, false, 'empty-profile');
    });

    it('a profile push reaches every board of the profile, each with its own version; a registry sets profiles', () => {
        const { reg } = registry();
        for (const d of ['fridge-1', 'fridge-2', 'freezer-1']) reg.noteStatus(status(d, report(0, null, 'none')));
        reg.noteStatus(status('fridge-2', report(4, 4, 'applied')));
        const pubs = reg.prepare({ profile: 'fridge' }, { window_s: 120 }, false);
        assert.deepStrictEqual(pubs.map((p) => [p.device, p.version]), [['fridge-1', 1], ['fridge-2', 5]]);
        reg.setDevices([{ device: 'freezer-1', profile: 'cold-room' }, { device: 'walk-in', site: 'demo', profile: 'cold-room' }]);
        assert.deepStrictEqual(reg.prepare({ profile: 'cold-room' }, {}, false).map((p) => p.device), ['freezer-1', 'walk-in']);
        assert.throws(() => reg.setDevices([{ device: 'new-1' }]), (e) => e.key === 'no-site');
        assert.throws(() => reg.setDevices('x'), (e) => e.key === 'devices');
    });

    it('reads desired configs back from the broker, ignores what is not a desired config, masks secrets in its view', () => {
        const { reg } = registry();
        reg.noteDesired('picochain/demo/fridge-4/config', Buffer.from(JSON.stringify({ v: 1, version: 3, config: { wifi: { ssid: 'a', password: 'secret' } } })));
        reg.noteDesired('picochain/demo/fridge-5/config', 'not json');
        reg.noteDesired('picochain/demo/fridge-6/status', '{}');
        reg.noteDesired('other/topic', '{}');
        const v = reg.view();
        assert.deepStrictEqual(v.map((b) => b.device), ['fridge-4', 'fridge-5']);
        assert.strictEqual(v[0].desired.version, 3);
        assert.strictEqual(v[0].state, 'pending');
        assert.deepStrictEqual(v[0].desired.config, { wifi: { ssid: 'a', password: '***' } });
        assert.ok(!JSON.stringify(v).includes('secret'));
        assert.strictEqual(reg.prepare({ device: 'fridge-4' }, {}, false)[0].version, 4, 'after the retained version');
        reg.noteDesired('picochain/demo/fridge-4/config', '');
        assert.strictEqual(reg.view()[0].desired, null, 'a cleared retained message');
        assert.deepStrictEqual(reg.counts(), { none: 2, pending: 0, testing: 0, applied: 0, refused: 0 });
    });

    it('a masked password sent back ("***") is the one of the current desired config; without one it is refused', () => {
        const { reg } = registry();
        const tlsSettings = { ...SETTINGS, broker: { ...SETTINGS.broker, tls: true } };
        reg.noteStatus(status('fridge-7', report(0, null, 'none', { settings: tlsSettings })));
        assert.throws(() => reg.prepare({ device: 'fridge-7' }, { wifi: { ssid: 'x', password: '***' } }, true), (e) => e.key === 'masked' && e.params.secret === 'wifi.password');
        reg.published(reg.prepare({ device: 'fridge-7' }, { wifi: { ssid: 'x', password: 'real-one' } }, true)[0]);
        const shown = reg.view()[0].desired.config;
        assert.deepStrictEqual(shown, { wifi: { ssid: 'x', password: '***' } });
        const [p] = reg.prepare({ device: 'fridge-7' }, { ...shown, window_s: 120 }, true);
        assert.deepStrictEqual(JSON.parse(p.payload).config, { wifi: { ssid: 'x', password: 'real-one' }, window_s: 120 });
    });
});
