// Bandwidth per device per hour, measured on the socket (real firmware, real Mosquitto), against
// the original raw-every-10 s JSON. The figures are in firmware/README.md.
'use strict';
const assert = require('assert');
const { measure, table } = require('./bandwidth');

describe('firmware bandwidth per device per hour (measured)', function () {
    this.timeout(60000);
    it('the default config sends less than the original; binary and hourly windows far less', async () => {
        const rows = await measure({ hours: 1, speed: 600 });
        const by = (prefix) => rows.find((r) => r.label.startsWith(prefix));
        const orig = by('original');
        if (process.env.PICOCHAIN_SHOW_BANDWIDTH) console.log(table(rows));
        assert.ok(orig.frames >= 300, `about one board hour measured (${orig.frames} messages)`);
        // 360 messages of ~124 bytes of JSON + 10 bytes of MQTT header
        assert.ok(orig.mqttPerHour > 44000 && orig.mqttPerHour < 52000, `original ${orig.mqttPerHour} B/h`);
        assert.ok(by('picochain default (').mqttPerHour < 0.6 * orig.mqttPerHour, 'default JSON < 60 % of the original');
        assert.ok(by('picochain binary').mqttPerHour < 0.15 * orig.mqttPerHour, 'binary < 15 %');
        assert.ok(by('picochain hourly').mqttPerHour < 0.05 * orig.mqttPerHour, 'hourly means < 5 %');
    });
});
