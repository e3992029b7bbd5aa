// The boards of the simulated fleet (sim/fleet.js) apart from running them: the scenario file,
// the device list, each board's firmware config.json (thresholds, DS18B20 ROM codes, broker) and
// the seq of a frame it published.
'use strict';
const fs = require('fs');
const path = require('path');
const { parseDuration } = require('./thermal');

const DEFAULT_SCENARIO = path.join(__dirname, 'scenarios', 'default.json');
const FAULTS = Object.freeze(['compressor', 'door', 'probe', 'wifi', 'power']);
const ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** The default board mix: fridge, fridge, freezer, repeated; ids counted per kind. */
function defaultDevices(n, existing = []) {
    const out = existing.map((d) => ({ ...d }));
    const count = { fridge: 0, freezer: 0 };
    for (const d of out) {
        const m = /^(fridge|freezer)-(\d+)$/.exec(d.id);
        if (m) count[m[1]] = Math.max(count[m[1]], Number(m[2]));
    }
    for (let i = out.length; i < n; i++) {
        const kind = i % 3 === 2 ? 'freezer' : 'fridge';
        count[kind]++;
        out.push({ id: `${kind}-${count[kind]}`, kind });
    }
    return out.slice(0, n);
}

/** Reads and checks a scenario (object or path). Throws with a message naming the problem. */
function loadScenario(scenario) {
    if (scenario === null || scenario === false) return { devices: [], faults: [] };
    let sc = scenario === undefined ? DEFAULT_SCENARIO : scenario;
    if (typeof sc === 'string') {
        const file = sc;
        try { sc = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (err) { throw new Error(`scenario ${file}: ${err.message}`); }
    }
    if (!sc || typeof sc !== 'object') throw new Error('scenario must be an object');
    const devices = Array.isArray(sc.devices) ? sc.devices : [];
    const seen = new Set();
    for (const d of devices) {
        if (!d || !ID_PATTERN.test(d.id || '')) throw new Error(`scenario device id "${d && d.id}" must match ${ID_PATTERN}`);
        if (seen.has(d.id)) throw new Error(`scenario device "${d.id}" listed twice`);
        seen.add(d.id);
        d.kind = d.kind || (d.id.startsWith('freezer') ? 'freezer' : 'fridge');
        if (!['fridge', 'freezer'].includes(d.kind)) throw new Error(`device ${d.id}: kind must be fridge or freezer`);
    }
    const faults = Array.isArray(sc.faults) ? sc.faults : [];
    for (const f of faults) {
        if (!FAULTS.includes(f.fault)) throw new Error(`scenario fault "${f.fault}" unknown (${FAULTS.join(', ')})`);
        parseDuration(f.at === undefined ? 0 : f.at);
        parseDuration(f.duration);
    }
    return { ...sc, devices, faults };
}

/** host, port, tls, credentials of a broker URL, as the firmware's config wants them. */
function parseBrokerUrl(url) {
    const u = new URL(url);
    const tls = u.protocol === 'mqtts:' || u.protocol === 'ssl:';
    return {
        host: u.hostname, port: Number(u.port) || (tls ? 8883 : 1883), tls,
        user: u.username ? decodeURIComponent(u.username) : null,
        password: u.password ? decodeURIComponent(u.password) : null,
    };
}

// On-device state thresholds per cabinet kind (firmware config "thresholds", °C on the window
// mean and °C/min rising). "temperature" is the board's own sensor, which reads the room.
// Slope: a normal door opening raises a 60 s window's slope up to ~2 °C/min (the model gives
// 10-20 windows a day above 1), so it may warn but must not alarm; a door left open or a failed
// compressor alarms on the level.
const THRESHOLDS = Object.freeze({
    fridge: { warn_high: 8, alarm_high: 10, warn_low: 0.5, alarm_low: -1, warn_slope: 1, alarm_slope: 3 },
    freezer: { warn_high: -15, alarm_high: -12, warn_low: null, alarm_low: null, warn_slope: 1, alarm_slope: 3 },
    room: { warn_high: 35, alarm_high: 40, warn_low: null, alarm_low: null, warn_slope: null, alarm_slope: null },
});

/** 8-byte DS18B20 ROM code as hex: family 0x28, a serial derived from the device id, Dallas CRC-8. */
function romCode(device, index) {
    const rom = [0x28];
    let h = 2166136261;
    for (const ch of `${device}#${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    for (let i = 0; i < 6; i++) { rom.push(h & 0xff); h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0; }
    let crc = 0;
    for (const byte of rom) {
        let b = byte;
        for (let i = 0; i < 8; i++) { const mix = (crc ^ b) & 1; crc >>= 1; if (mix) crc ^= 0x8C; b >>= 1; }
    }
    rom.push(crc);
    return Buffer.from(rom).toString('hex');
}

/**
 * The firmware config.json of one board (keys of firmware/config.py DEFAULTS; the firmware
 * refuses unknown keys). `extra` (scenario/option "firmware") is merged over it.
 */
function deviceConfig({ id, kind, site, broker, format, roms, extra }) {
    const cfg = {
        device: id,
        site,
        wifi: { ssid: 'picochain-sim', password: 'simulated' },
        broker: { host: broker.host, port: broker.port, tls: broker.tls, ...(broker.tls ? { ca: 'ca.pem' } : {}), user: broker.user, password: broker.password },
        format,
        probes: roms, // probe1, probe2... in the order the fleet's faults number them
        thresholds: { default: { ...THRESHOLDS[kind] }, temperature: { ...THRESHOLDS.room } },
    };
    return deepMerge(cfg, extra || {});
}

function deepMerge(a, b) {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) {
        out[k] = v && typeof v === 'object' && !Array.isArray(v) && a[k] && typeof a[k] === 'object' ? deepMerge(a[k], v) : v;
    }
    return out;
}

/** seq of a frame payload (JSON v1 or binary v1), null when it is neither. */
function frameSeq(payload) {
    if (payload.length >= 24 && payload.length % 24 === 0 && (payload[0] >> 4) === 1) return payload.readUInt16LE(2);
    try {
        const o = JSON.parse(payload.toString('utf8'));
        return Number.isInteger(o.seq) ? o.seq : null;
    } catch { return null; }
}

module.exports = { DEFAULT_SCENARIO, FAULTS, ID_PATTERN, defaultDevices, loadScenario, parseBrokerUrl, THRESHOLDS, romCode, deviceConfig, deepMerge, frameSeq };
