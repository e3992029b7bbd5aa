// Measures the MQTT bytes per device per hour of the firmware's default configuration against the
// original system's raw-every-10 s JSON (umqtt.simple, QoS 0, topic TOUCAN), both run as real
// MicroPython through sim/pico-host.js against a real Mosquitto, counting the bytes on the socket.
// Usage: node test/firmware/bandwidth.js [hours=1] [speed=600]
'use strict';
const { createPico } = require('../../sim/pico-host');
const { startMosquitto } = require('../../scripts/lib/services');

// The original board's loop (facts from BRIEF.md): every 10 s one QoS 0 PUBLISH on TOUCAN of
// json.dumps({...}) with the hand-made date; the float as the Pico's single precision prints it
// (7 significant digits). Same MQTT encoder as ours, keepalive 0 like umqtt.simple's default.
const ORIGINAL_MAIN = `
import asyncio, json, time, machine, config
from link import MQTTClient
_stop = None
_sent = 0
async def main():
    global _stop, _sent
    _stop = asyncio.Event()
    cfg = config.load()
    c = MQTTClient(cfg["device"], cfg["broker"]["host"], cfg["broker"]["port"], keepalive_s=0)
    await c.connect()
    adc = machine.ADC(4)
    due = time.ticks_ms()
    while not _stop.is_set():
        # every 10 s of board time; scheduled on deadlines so the accelerated clock does not
        # stretch the period by the (real) time each publish takes
        due = time.ticks_add(due, 10000)
        await asyncio.sleep_ms(max(0, time.ticks_diff(due, time.ticks_ms())))
        t = time.localtime()
        v = 27 - (adc.read_u16() * 3.3 / 65535 - 0.706) / 0.001721
        msg = json.dumps({"datetime": "%d-%d-%d %d:%d:%d.%02d" % (t[0], t[1], t[2], t[3], t[4], t[5], time.ticks_ms() % 100),
                          "noeud": cfg["device"], "capteur": "temperature", "metrique": "brute",
                          "valeur": float("%.7g" % v)})
        await c.publish("TOUCAN", msg, 0)
        _sent += 1
def request_stop():
    if _stop:
        _stop.set()
def stats_json():
    return '{"windows": %d}' % _sent
`;

/** Runs both boards for `hours` of board time; returns bytes/hour figures. */
async function measure({ hours = 1, speed = 600, brokerUrl } = {}) {
    const broker = brokerUrl ? null : await startMosquitto();
    const port = broker ? broker.port : Number(new URL(brokerUrl).port);
    let adc = 14000;
    const hardware = { adcRaw: () => (adc = adc + ((adc * 7919) % 23) - 11), probes: [] }; // a little noise
    const base = {
        device: 'fridge-1', site: 'foodbank', broker: { host: '127.0.0.1', port, puback_timeout_s: 60 },
        onewire_pin: null, wdt_ms: 0,
    };
    const boards = {
        'picochain default (JSON stats, 1 sensor)': { config: base, perHour: 60 },
        'picochain default + 1 probe (JSON, 2 sensors)': { config: { ...base, device: 'fridge-2', onewire_pin: 22 }, probes: 1, perHour: 60 },
        'picochain binary (1 sensor)': { config: { ...base, device: 'fridge-3', format: 'binary' }, perHour: 60 },
        'picochain hourly means (window_s 3600, JSON, 1 sensor)': { config: { ...base, device: 'fridge-4', window_s: 3600 }, perHour: 1 },
        'picochain hourly means, keepalive_s 1200': { config: { ...base, device: 'fridge-5', window_s: 3600, broker: { ...base.broker, keepalive_s: 1200 } }, perHour: 1 },
        'original raw every 10 s (TOUCAN JSON)': { config: { ...base, device: 'pico_1' }, files: { '/main.py': ORIGINAL_MAIN }, perHour: 360 },
    };
    const picos = [];
    for (const [label, b] of Object.entries(boards)) {
        const hw = { ...hardware, probes: b.probes ? [{ rom: '28aa000000000001', readC: () => 4 + Math.random() }] : [] };
        const pico = await createPico({ config: b.config, files: b.files, hardware: hw, clock: { speed } });
        picos.push({ label, pico, perHour: b.perHour });
    }
    await Promise.all(picos.map((p) => p.pico.start()));
    const t0 = picos.map((p) => p.pico.now());
    await new Promise((r) => setTimeout(r, (hours * 3600 * 1000) / speed));
    const rows = picos.map(({ label, pico, perHour }, i) => {
        const s = pico.stats();
        // hours of board time the traffic stands for: frames sent / frames per hour, so that a
        // loaded host (where an accelerated board falls behind its schedule) does not skew the
        // figure; the board clock's hours for configs with few frames (hourly windows)
        const boardHours = (pico.now() - t0[i]) / 3600000;
        const h = s.windows >= 10 ? s.windows / perHour : boardHours;
        const bytes = s.bytesOut + s.bytesIn;
        const packets = s.writes + s.reads;
        return {
            label, hours: h, boardHours, frames: s.windows, writes: s.writes, bytesOut: s.bytesOut, up: s.bytesOut / h, down: s.bytesIn / h, mqttPerHour: bytes / h, packetsPerHour: packets / h,
            // IPv4 + TCP headers with timestamps (52 B) per segment; the TCP ACKs that carry no
            // data would add about as many segments again (not counted)
            ipPerHour: (bytes + 52 * packets) / h,
        };
    });
    await Promise.all(picos.map((p) => p.pico.stop()));
    if (broker) await broker.cleanup();
    return rows;
}

function table(rows) {
    const orig = rows.find((r) => r.label.startsWith('original'));
    const lines = ['| board | MQTT bytes/h (up + down) | with IPv4/TCP headers | vs original |', '|---|---|---|---|'];
    for (const r of rows) {
        lines.push(`| ${r.label} | ${Math.round(r.mqttPerHour)} (${Math.round(r.up)} + ${Math.round(r.down)}) | ${Math.round(r.ipPerHour)} | ${(r.mqttPerHour / orig.mqttPerHour * 100).toFixed(1)} % |`);
    }
    return lines.join('\n');
}

module.exports = { measure, table };

if (require.main === module) {
    const hours = Number(process.argv[2] || 1);
    const speed = Number(process.argv[3] || 600);
    measure({ hours, speed }).then((rows) => { console.log(table(rows)); process.exit(0); }, (e) => { console.error(e); process.exit(1); });
}
