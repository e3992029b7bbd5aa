// The examples/ flows (Node-RED's Import › Examples menu; file name = menu label), built with the
// helpers of make-flows.js. Each is small, self-contained and explained by comment nodes.
'use strict';

const SAMPLE_FRAME = {
    v: 1, device: 'fridge-1', site: 'demo', seq: 42, ts: 1764000000, synced: true, window: 60,
    sensors: [{ sensor: 'temperature', unit: '°C', count: 6, min: 3.91, max: 4.42, mean: 4.1, std: 0.18, slope: 0.05, last: 4.2, state: 0 }],
};
const HOT_FRAME = { ...SAMPLE_FRAME, seq: 43, ts: 1764000060, sensors: [{ ...SAMPLE_FRAME.sensors[0], min: 9.1, max: 9.8, mean: 9.5, last: 9.7, state: 2 }] };
const HOTTER_FRAME = { ...SAMPLE_FRAME, seq: 44, ts: 1764000120, sensors: [{ ...SAMPLE_FRAME.sensors[0], min: 12.8, max: 13.3, mean: 13, last: 13.1, state: 2 }] };
// the original system's camera (0 nothing, 1 present, 2 surplus): ten minutes of windows ending now,
// and msg.cabinet as picochain-devices would give it (the labels of its states)
const CAMERA_CABINET = JSON.stringify({ kind: 'custom', sensors: { camera: { unit: 'state', states: { 0: 'nothing', 1: 'present', 2: 'surplus' } } } });
const cameraProps = [{ p: 'payload' }, { p: 'topic', vt: 'str' }, { p: 'cabinet', v: CAMERA_CABINET, vt: 'json' }];
const CAMERA_EXPR = (state) => `$map([10,9,8,7,6,5,4,3,2,1,0], function($m) { {"device": "pico_1", "site": null, "sensor": "camera", "unit": "state", "time": $fromMillis($millis() - $m * 60000), "deviceTime": null, "receivedAt": $now(), "window": 60, "count": 6, "min": ${state}, "max": ${state}, "mean": ${state}, "std": 0, "slope": 0, "last": ${state}, "seq": null, "state": null, "source": "legacy"} })`;
const LEGACY = { datetime: '2024-3-12 14:5:10.25', noeud: 'pico_1', capteur: 'temperature', metrique: 'brute', valeur: 21.4 };
// one binary v1 record (24 bytes, encodeBinaryFrame): temperature 4.1 °C mean, seq 7, firmware/PROTOCOL.md
const TTN_UPLINK = {
    end_device_ids: { device_id: 'fridge-7', application_ids: { application_id: 'foodbank' } },
    received_at: '2026-11-24T10:00:02.123Z',
    uplink_message: { f_port: 1, frm_payload: 'GAAHAACBJGk8AAYAhgG6AZoBpAESADIA' },
};

module.exports = function examples(h) {
    const { flowBuilder, place, fn, SHARED, brokerNode, mqttIn, mongoNode, modulesNode, ui1Base, ui2Base, ui2Theme } = h;
    // where broker and database are, said on each tab that uses them
    const WHERE = ' Broker and database: this machine (127.0.0.1, ports 1883 and 27017); change them in the two config nodes, where a field may also name an environment variable such as ${MQTT_HOST} or ${MONGODB_URI}.';

    function start(name, label, info) {
        const b = flowBuilder(`example:${name}`);
        const tab = b.id('tab');
        b.add('tab', 'tab', { label, disabled: false, info, env: [] });
        const P = (key, type, props, wires, col, row) => place(b.add(key, type, props, wires), tab, col, row);
        return { b, P };
    }
    const inject = (name, topic, payload, extra = {}) => ({
        name, props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], repeat: '', crontab: '', once: false, onceDelay: 0.1,
        topic, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), payloadType: typeof payload === 'string' ? 'str' : 'json', ...extra,
    });
    const debug = (name, extra = {}) => ({ name, active: true, tosidebar: true, console: false, tostatus: false, complete: 'payload', targetType: 'msg', statusVal: '', statusType: 'auto', ...extra });
    // decode's refusals, shown in the debug sidebar
    const badInput = (b, P) => {
        P('catch', 'catch', { name: 'bad input', scope: [b.id('decode')], uncaught: false }, [['bad']], 0, 4);
        P('bad', 'debug', debug('why it was refused', { complete: 'error.message' }), [], 1, 4);
    };
    // the latest reading per device and sensor, for the cards of both dashboard examples
    const latestFn = fn('latest per device + sensor', 'const m = context.get("m") || {};\nconst r = msg.payload;\nconst prev = m[r.device + "/" + r.sensor];\nm[r.device + "/" + r.sensor] = { device: r.device, sensor: r.sensor, unit: r.unit, value: r.mean, min: r.min, max: r.max, state: r.state, delta: prev ? r.mean - prev.value : null, lastSeen: Date.now() };\ncontext.set("m", m);\nreturn { payload: { cards: Object.values(m) } };', 1);

    return {
        'basic chain'() {
            const { b, P } = start('basic', 'picochain: basic chain', `MQTT in → picochain-decode → picochain-mongo-ts.${WHERE}`);
            brokerNode(b);
            mongoNode(b);
            P('c', 'comment', { name: 'Boards publish window statistics; decode validates them, the writer stores them', info: 'Each board sends one frame per window (default 60 s) on `picochain/<site>/<device>/stats`. **picochain-decode** turns it into normalised readings (one message per sensor here). **picochain-mongo-ts** writes them in batches to a MongoDB time-series collection (a regular collection with an index on FerretDB) and buffers them while the database is down.\n\nPress the inject button to send a sample frame without a board.' }, [], 0, 0);
            P('mqtt', 'picochain-mqtt-in', mqttIn('window frames', 'picochain/+/+/stats'), [['decode']], 0, 1);
            P('sample', 'inject', inject('sample frame', 'picochain/demo/fridge-1/stats', SAMPLE_FRAME), [['decode']], 0, 2);
            P('decode', 'picochain-decode', { name: '', format: 'auto', output: 'split' }, [['writer', 'debug'], []], 1, 1);
            P('writer', 'picochain-mongo-ts', { name: '', mongo: SHARED.id('mongo'), collection: 'readings' }, [], 2, 1);
            P('debug', 'debug', debug('readings'), [], 2, 2);
            badInput(b, P);
            return b.nodes;
        },

        'alerts and notification'() {
            const { b, P } = start('alerts', 'picochain: alerts and notification', 'picochain-alert watches readings by profile and unit; its events are formatted for a notification channel; a button acknowledges.' + ' Broker: this machine (127.0.0.1:1883); change it in its config node.');
            brokerNode(b);
            P('c', 'comment', { name: 'Alerts: rules per profile and unit, warning and critical levels with hysteresis, states held too long, silent boards; acknowledge stops re-notification', info: 'The alert node judges each reading by the rules of its profile and unit. Without a **picochain-devices** registry in front (see the example *full chain with node-red-dashboard*), every reading has the profile set as *profile of readings without one*, here `fridge`.\n\nIts first output sends events (fired, escalated, de-escalated, renotify, acknowledged, resolved) with a human message stating the level that holds; the second passes readings with their alert state; the third sends device states for pages.\n\nTry it: inject the 4 °C frame, then the 9.5 °C one (above 8 °C: a warning at once), then the 13 °C one (critical), the 9.5 °C one again (de-escalated back to warning), then *acknowledge*. The camera buttons show a discrete state: "nothing" (state 0) held 10 min raises a warning, with the state\'s label in the message. The e-mail branch is a disabled debug node: replace it with an e-mail node (node-red-node-email) or an http request to your webhook. Keep secrets in environment variables.' }, [], 0, 0);
            P('mqtt', 'picochain-mqtt-in', mqttIn('frames + status', 'picochain/+/+/+'), [['decode']], 0, 1);
            P('cold', 'inject', inject('4 °C frame', 'picochain/demo/fridge-1/stats', SAMPLE_FRAME), [['decode']], 0, 2);
            P('warm', 'inject', inject('9.5 °C frame', 'picochain/demo/fridge-1/stats', HOT_FRAME), [['decode']], 0, 3);
            P('hot', 'inject', inject('13 °C frame', 'picochain/demo/fridge-1/stats', HOTTER_FRAME), [['decode']], 0, 4);
            P('cam-empty', 'inject', inject('camera: nothing (0) for 10 min', 'camera', CAMERA_EXPR(0), { payloadType: 'jsonata', props: cameraProps }), [['alert']], 0, 5);
            P('cam-full', 'inject', inject('camera: present (1)', 'camera', CAMERA_EXPR(1), { payloadType: 'jsonata', props: cameraProps }), [['alert']], 0, 6);
            P('decode', 'picochain-decode', { name: '', format: 'auto', output: 'split' }, [['alert'], ['alert']], 1, 2);
            P('ack', 'inject', inject('acknowledge fridge-1', 'ack', { device: 'fridge-1' }), [['alert']], 1, 4);
            P('alert', 'picochain-alert', {
                name: 'fridge', defaultProfile: 'fridge', renotify: '900', silent: '600', silentSeverity: 'critical', offline: false, store: '',
                rules: [
                    { profile: 'fridge', sensors: '', unit: '°C', kind: 'high', value: 'mean', warning: '8', warningClear: '7', warningFor: '0', critical: '12', criticalClear: '10', criticalFor: '0', states: '', severity: 'warning' },
                    { profile: '*', sensors: 'camera', unit: 'state', kind: 'state', value: 'last', warning: '', warningClear: '', warningFor: '600', critical: '', criticalClear: '', criticalFor: '', states: '0', severity: 'warning' },
                ],
            }, [['events', 'format'], ['state'], []], 2, 2);
            P('events', 'debug', debug('alert events', { complete: 'payload', tostatus: true, statusVal: 'payload.event', statusType: 'msg' }), [], 3, 1);
            P('state', 'debug', debug('readings + alert state', { active: false, complete: 'alert' }), [], 3, 3);
            P('format', 'function', fn('format e-mail', 'const e = msg.payload;\nmsg.topic = `[picochain] ${(e.severity || "").toUpperCase()} ${e.event}: ${e.device}`;\nmsg.payload = `${e.message}\\nvalue ${e.valueLabel || e.value} ${e.unit || ""}, threshold ${e.threshold === null ? "-" : e.threshold} ${e.unit || ""}, since ${e.startedAt}`;\nmsg.to = env.get("ALERT_EMAIL_TO") || "";\nreturn msg;', 1), [['mail']], 3, 2);
            P('mail', 'debug', debug('e-mail (replace with node-red-node-email)', { d: true, complete: 'true', targetType: 'full' }), [], 4, 2);
            return b.nodes;
        },

        'dashboard (node-red-dashboard)'() {
            const { b, P } = start('ui1', 'picochain: dashboard (node-red-dashboard)', 'Latest values as cards and a history chart read from the database by picochain-history, on node-red-dashboard (/ui).' + ' Needs node-red-dashboard: install it first (Node-RED 4 and later offer to when this example is imported). Deployed without it, Node-RED stops every flow until it is installed.' + WHERE);
            brokerNode(b);
            mongoNode(b);
            P('c', 'comment', { name: 'A card per device and sensor, and a 24 h chart loaded from the database when the page opens', info: 'The function node keeps the latest reading per device and sensor and sends them all; the template draws the cards. When the page is opened, **picochain-history** reads the stored windows of the device typed in its *Device* field, bucketed on the server (min/mean/max), in the shape ui_chart wants. The full set of pages (Overview, History, Alerts, Fleet) is the example *full chain with node-red-dashboard*.' }, [], 0, 0);
            ui1Base(b);
            modulesNode(b, ['node-red-dashboard', '@picochain/node-red']);
            const tab = b.add('ui-tab', 'ui_tab', { name: 'picochain example', icon: 'dashboard', order: 10, disabled: false, hidden: false });
            const g = b.add('ui-group', 'ui_group', { name: 'Fridges', tab: tab.id, order: 1, disp: true, width: '22', collapse: false, className: '' });
            P('mqtt', 'picochain-mqtt-in', mqttIn('window frames', 'picochain/+/+/stats'), [['decode']], 0, 1);
            P('decode', 'picochain-decode', { name: '', format: 'auto', output: 'split' }, [['latest'], []], 1, 1);
            P('latest', 'function', latestFn, [['cards']], 2, 1);
            P('cards', 'ui_template', { name: 'cards', group: g.id, order: 1, width: '22', height: '10', format: h.T.ui1Overview(), storeOutMessages: true, fwdInMessages: false, resendOnRefresh: true, templateScope: 'local', className: '' }, [[]], 3, 1);
            P('open', 'ui_ui_control', { name: 'page opened', events: 'all' }, [['history']], 0, 3);
            P('history', 'picochain-history', { name: '', mongo: SHARED.id('mongo'), collection: 'readings', device: 'fridge-1', sensor: '', range: '24h', maxPoints: 300, stats: 'mean,min,max', format: 'ui_chart', engine: 'auto', hourly: false }, [['chart'], []], 1, 3);
            P('chart', 'ui_chart', { name: 'fridge-1, 24 h', group: g.id, order: 2, width: '22', height: '8', label: 'fridge-1, last 24 h', chartType: 'line', legend: 'true', xformat: 'HH:mm', interpolate: 'linear', nodata: '', dot: false, removeOlder: '1', removeOlderUnit: '86400', removeOlderPoints: '', className: '' }, [[]], 2, 3);
            return b.nodes;
        },

        'dashboard (FlowFuse Dashboard 2.0)'() {
            const { b, P } = start('ui2', 'picochain: dashboard (Dashboard 2.0)', 'Latest values as cards and a history chart read from the database by picochain-history, on FlowFuse Dashboard 2.0 (/dashboard).' + ' Needs @flowfuse/node-red-dashboard: install it first (Node-RED 4 and later offer to when this example is imported). Deployed without it, Node-RED stops every flow until it is installed.' + WHERE);
            brokerNode(b);
            mongoNode(b);
            P('c', 'comment', { name: 'Cards per device and sensor, and a 24 h chart from the database, on Dashboard 2.0', info: 'Same as the node-red-dashboard example with Dashboard 2.0 widgets. **picochain-history** is set to the *points* format: `[{x, y, series}]` with `msg.action = "replace"`; the ui-chart reads x, y and series as keys. The full set of pages is the example *full chain with Dashboard 2.0*.' }, [], 0, 0);
            const base = ui2Base(b);
            const theme = ui2Theme(b);
            modulesNode(b, ['@flowfuse/node-red-dashboard', '@picochain/node-red']);
            const page = b.add('page', 'ui-page', { name: 'picochain example', ui: base.id, path: '/picochain-example', icon: 'fridge', layout: 'grid', theme: theme.id, order: 10, className: '', visible: 'true', disabled: 'false' });
            const g = b.add('group', 'ui-group', { name: 'Fridges', page: page.id, width: '12', height: '1', order: 1, showTitle: true, className: '', visible: 'true', disabled: 'false', groupType: 'default' });
            P('mqtt', 'picochain-mqtt-in', mqttIn('window frames', 'picochain/+/+/stats'), [['decode']], 0, 1);
            P('decode', 'picochain-decode', { name: '', format: 'auto', output: 'split' }, [['latest'], []], 1, 1);
            P('latest', 'function', latestFn, [['cards']], 2, 1);
            P('cards', 'ui-template', { name: 'cards', group: g.id, page: '', ui: '', order: 1, width: '0', height: '0', head: '', format: h.T.ui2Overview(), storeOutMessages: true, passthru: false, resendOnRefresh: true, templateScope: 'local', className: '' }, [[]], 3, 1);
            P('open', 'ui-event', { ui: base.id, name: 'page opened' }, [['history']], 0, 3);
            P('history', 'picochain-history', { name: '', mongo: SHARED.id('mongo'), collection: 'readings', device: 'fridge-1', sensor: '', range: '24h', maxPoints: 300, stats: 'mean', format: 'points', engine: 'auto', hourly: false }, [['chart'], []], 1, 3);
            P('chart', 'ui-chart', { name: 'fridge-1, 24 h', group: g.id, label: 'fridge-1, last 24 h', order: 2, width: '12', height: '8', chartType: 'line', category: 'series', categoryType: 'property', xAxisProperty: 'x', xAxisPropertyType: 'property', xAxisType: 'time', yAxisProperty: 'y', yAxisPropertyType: 'property', action: 'append', pointShape: 'false', pointRadius: 0, removeOlder: '1', removeOlderUnit: '86400', className: '' }, [[]], 2, 3);
            return b.nodes;
        },

        'migration from TOUCAN'() {
            const { b, P } = start('legacy', 'picochain: migration from TOUCAN', 'Keeps the original system\'s boards (topic TOUCAN) working: their messages become picochain readings and are stored with the new ones.' + WHERE);
            brokerNode(b);
            mongoNode(b);
            P('c', 'comment', { name: 'Old boards keep publishing on TOUCAN; picochain stores them next to the new ones', info: 'The original gateway inserted every `TOUCAN` message into the `toucan` database. Point the old boards at this broker (same topic, nothing to change on them): **picochain-decode** in *legacy* mode reads `{"datetime", "noeud", "capteur", "metrique", "valeur"}`, parses the hand-made date leniently (no zero padding, fractional seconds) in the time zone set in the node, maps `humidite` to `humidity`, and the writer stores them with the new boards\' readings (source `legacy`).\n\n**Give every old board its own id first.** The original firmware gives every board the same ids (`pico01`, `pico02`) and invents the same times, so two boards would write the same (device, sensor, time) with different values: the writer keeps the first, saves the second apart as a *conflict* (collection `readings_conflicts`), logs it and counts it per device on the Fleet page. Before migrating, set a distinct `noeud` in each board\'s firmware (e.g. `depot-fridge-a`), or put one board at a time on its own topic and add a change node setting `msg.payload.noeud` before decode. A rising *Conflicts* count on the Fleet page means two boards still share an id.\n\nOld boards arrive on the Fleet page as new devices: choose their profile there (fridge, freezer...). Their own `temperature` sensor is then judged by that cabinet\'s rules, and their humidity (%) never by a °C rule.\n\nTo bring the old history along, export the `toucan` collection to JSON and feed each document to the same decode node (an inject or a file-in + split works).' }, [], 0, 0);
            P('mqtt', 'picochain-mqtt-in', mqttIn('original boards', 'TOUCAN'), [['decode']], 0, 1);
            P('sample', 'inject', inject('sample TOUCAN message', 'TOUCAN', LEGACY), [['decode']], 0, 2);
            P('decode', 'picochain-decode', { name: 'legacy', format: 'legacy', output: 'split', legacyTimeZone: 'Europe/Paris' }, [['writer', 'debug'], []], 1, 1);
            P('writer', 'picochain-mongo-ts', { name: '', mongo: SHARED.id('mongo'), collection: 'readings' }, [], 2, 1);
            P('debug', 'debug', debug('readings from old boards'), [], 2, 2);
            badInput(b, P);
            return b.nodes;
        },

        'LoRaWAN uplink from The Things Stack'() {
            const { b, P } = start('ttn', 'picochain: LoRaWAN (The Things Stack)', 'Boards without Wi-Fi send the 24-byte binary frame over LoRaWAN; The Things Stack publishes the uplinks over MQTT.' + ' Database: this machine (127.0.0.1:27017); change it in its config node.');
            mongoNode(b);
            const tts = b.add('tts', 'picochain-broker', { name: 'The Things Stack (set region, user, API key)', broker: 'mqtts://eu1.cloud.thethings.network:8883', tls: true, protocol: '4' });
            P('c', 'comment', { name: 'TTS uplinks (v3/<app>@<tenant>/devices/<device>/up) → decode (binary frame on FPort 1) → store', info: 'In The Things Stack console: *Integrations › MQTT* gives the server, the user name (`<app>@<tenant>`) and an API key as password. Enter them in the broker node (they are stored as Node-RED credentials, not in the flow). The board sends the picochain **binary frame v1** (24 bytes per sensor, fits DR0) on FPort 1; **picochain-decode** takes the device from `end_device_ids.device_id`, the site from the application id and the receive time from `received_at`. Uplinks on other ports are ignored with a warning. The inject node sends a sample uplink.' }, [], 0, 0);
            P('mqtt', 'picochain-mqtt-in', mqttIn('uplinks', 'v3/+/devices/+/up', tts.id), [['decode']], 0, 1);
            P('sample', 'inject', inject('sample uplink', 'v3/foodbank@ttn/devices/fridge-7/up', TTN_UPLINK), [['decode']], 0, 2);
            P('decode', 'picochain-decode', { name: 'TTN uplink', format: 'ttn-v3', output: 'split' }, [['writer', 'debug'], []], 1, 1);
            P('writer', 'picochain-mongo-ts', { name: '', mongo: SHARED.id('mongo'), collection: 'readings' }, [], 2, 1);
            P('debug', 'debug', debug('readings from LoRaWAN boards'), [], 2, 2);
            badInput(b, P);
            return b.nodes;
        },
    };
};
