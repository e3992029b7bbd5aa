'use strict';
// Publishers that behave like picochain boards for the durability tests and the pipeline bench:
// each board has its own MQTT client id and a persistent session (clean session off, as
// firmware/link.py), publishes at QoS 1 and keeps every frame until the broker's PUBACK (mqtt.js
// resends unacknowledged PUBLISHes after a reconnect). A frame's readings count as "acknowledged"
// only once its PUBACK arrived: those are the readings that must end up in the database.
// Each reading is identified as the writer identifies it: `${device}|${sensor}|${timeMs}`.
const mqtt = require('mqtt');

/** Window of a frame, s: consecutive frames of one board are one window apart. */
const WINDOW_S = 60;
/** Legacy boards' raw samples, s apart. */
const LEGACY_STEP_S = 10;
// Frames start 30 days back: a board's frames are a minute apart, so a long run (the bench's
// 10-minute outage sends 12 000 frames a board, 8.3 days) stays in the past (decode refuses times
// over 24 h ahead) and after 2020 (decode's earliest). Whole minutes, so keys are easy to read.
const T0_S = Math.floor(Date.now() / 60000) * 60 - 30 * 86400;
const SENSOR_VALUES = { temperature: 4.2, humidity: 61.5, probe1: 3.9, probe2: -18.1, probe3: 5.1, door: 0 };

/** Identity of one reading: device, sensor, time (ms since epoch), as picochain-mongo-ts keys it. */
const readingKey = (device, sensor, timeMs) => `${device}|${sensor}|${timeMs}`;

/**
 * A JSON frame v1 (firmware/PROTOCOL.md) of `device` with one entry per sensor; `value(device,
 * sensor, seq)` gives a sensor's mean (else a fixed healthy value).
 */
function jsonFrame(device, site, seq, sensors, value = null) {
    return {
        v: 1, device, site, seq: seq % 65536, ts: T0_S + seq * WINDOW_S, synced: true, window: WINDOW_S,
        sensors: sensors.map((sensor) => {
            const m = (value && value(device, sensor, seq)) ?? SENSOR_VALUES[sensor] ?? 4;
            return { sensor, count: 6, min: m - 0.2, max: m + 0.2, mean: m, std: 0.1, slope: 0.01, last: m, state: 0 };
        }),
    };
}

/** The original boards' message (topic TOUCAN): one raw sample, date in UTC as they write it. */
function legacyMessage(device, i, sensor) {
    const d = new Date((T0_S + i * LEGACY_STEP_S) * 1000);
    const datetime = `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}-${d.getUTCDate()} ${d.getUTCHours()}:${d.getUTCMinutes()}:${d.getUTCSeconds()}.0`;
    return { datetime, noeud: device, capteur: sensor, metrique: 'brute', valeur: SENSOR_VALUES[sensor] ?? 4 };
}

class Board {
    /**
     * @param {object} o url, id (device id and client id), site, sensors, format 'json'|'legacy',
     *   onAck(keys) called once per acknowledged frame, mqttOptions (extra mqtt.js options)
     */
    constructor(o) {
        this.id = o.id;
        this.site = o.site;
        this.sensors = o.sensors;
        this.format = o.format;
        this.onAck = o.onAck;
        this.value = o.value || null;
        this.seq = 0;
        this.pending = 0;
        this.published = 0;
        this.acked = 0;
        this.failed = 0;
        this.client = mqtt.connect(o.url, {
            clientId: `board-${o.id}`, clean: false, reconnectPeriod: 250, connectTimeout: 10000, keepalive: 30,
            protocolVersion: 4, ...o.mqttOptions,
        });
        // a broker restart shows up as errors/closes: mqtt.js reconnects by itself
        this.client.on('error', () => {});
    }

    connected() {
        if (this.client.connected) return Promise.resolve();
        return new Promise((resolve) => this.client.once('connect', resolve));
    }

    /** The next frame (or legacy message) and the keys of its readings. */
    next() {
        const i = this.seq++;
        if (this.format === 'legacy') {
            const m = legacyMessage(this.id, i, this.sensors[0]);
            return { topic: 'TOUCAN', payload: JSON.stringify(m), keys: [readingKey(this.id, this.sensors[0] === 'humidite' ? 'humidity' : this.sensors[0], (T0_S + i * LEGACY_STEP_S) * 1000)] };
        }
        const f = jsonFrame(this.id, this.site, i, this.sensors, this.value);
        return { topic: `picochain/${this.site}/${this.id}/stats`, payload: JSON.stringify(f), keys: this.sensors.map((s) => readingKey(this.id, s, f.ts * 1000)) };
    }

    /** Publishes one frame at QoS 1; resolves once PUBACKed (or rejects when the client was ended). */
    publishOne() {
        const { topic, payload, keys } = this.next();
        this.pending++;
        this.published++;
        return new Promise((resolve) => {
            this.client.publish(topic, payload, { qos: 1 }, (err) => {
                this.pending--;
                if (err) { this.failed++; return resolve(false); }
                this.acked++;
                this.onAck(keys);
                resolve(true);
            });
        });
    }

    end() {
        return new Promise((resolve) => this.client.end(true, {}, () => resolve()));
    }
}

/**
 * A fleet of boards on one broker.
 *   const fleet = await startBoards({ url, count: 10, prefix: 'kill', sensors: ['temperature', 'probe1'] });
 *   fleet.stream(40)        // readings/s, spread over the boards, until fleet.stopStream()
 *   await fleet.burst(100)  // each board publishes 100 frames back to back (a fleet replaying)
 *   await fleet.settle(ms)  // until every frame is PUBACKed; resolves the count still waiting
 *   fleet.acked             // Map: key of every acknowledged reading -> when it was acknowledged (ms)
 *   fleet.counts()          // { boards, frames, readings, ackedFrames, ackedReadings, pending }
 *   (o.value(device, sensor, seq): a sensor's mean in each frame, e.g. a cabinet warming up)
 */
async function startBoards(o) {
    const sensors = o.sensors || ['temperature', 'probe1'];
    const format = o.format || 'json';
    const acked = new Map(); // key -> when the broker acknowledged it (ms since epoch)
    const onAck = (keys) => { const t = Date.now(); for (const k of keys) if (!acked.has(k)) acked.set(k, t); };
    const site = o.site || 'durability';
    const boards = Array.from({ length: o.count }, (_, i) => {
        const id = `${o.prefix}-${String(i + 1).padStart(4, '0')}`;
        // o.identity(site, device, format): the board's own broker login, where the broker wants one
        const login = o.identity ? o.identity(site, id, format) : null;
        return new Board({
            url: o.url, id, site, sensors, format, onAck, value: o.value,
            mqttOptions: { ...(login ? { username: login.username, password: login.password } : {}), ...o.mqttOptions },
        });
    });
    // bounded: a broker that never answers fails the test instead of hanging it
    await Promise.race([
        Promise.all(boards.map((b) => b.connected())),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`boards did not connect to ${o.url} within 30 s`)), 30000).unref()),
    ]);
    let timer = null;
    let rr = 0;
    const readingsPerFrame = format === 'legacy' ? 1 : sensors.length;
    const fleet = {
        boards,
        acked,
        readingsPerFrame,
        /** Publishes `readingsPerSecond` (rounded to whole frames) round-robin over the boards, paced on the wall clock. */
        stream(readingsPerSecond) {
            fleet.stopStream();
            const framesPerS = readingsPerSecond / readingsPerFrame;
            const t0 = Date.now();
            let sent = 0;
            timer = setInterval(() => {
                const due = Math.floor(((Date.now() - t0) / 1000) * framesPerS);
                for (; sent < due; sent++) boards[rr++ % boards.length].publishOne();
            }, 20);
        },
        stopStream() { if (timer) clearInterval(timer); timer = null; },
        /** Every board publishes `perBoard` frames without waiting for acknowledgements; resolves once all are handed to mqtt.js. */
        async burst(perBoard) {
            for (let i = 0; i < perBoard; i++) {
                for (const b of boards) b.publishOne();
                // let the sockets drain between rounds so 1 000 boards do not build one giant write queue
                if (i % 5 === 4) await new Promise((r) => setImmediate(r));
            }
        },
        pending: () => boards.reduce((n, b) => n + b.pending, 0),
        /** Waits until every published frame is acknowledged or `ms` passed; resolves the frames still waiting. */
        async settle(ms) {
            const end = Date.now() + ms;
            while (fleet.pending() > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
            return fleet.pending();
        },
        counts() {
            const frames = boards.reduce((n, b) => n + b.published, 0);
            const ackedFrames = boards.reduce((n, b) => n + b.acked, 0);
            return { boards: boards.length, frames, readings: frames * readingsPerFrame, ackedFrames, ackedReadings: acked.size, pending: fleet.pending() };
        },
        async end() {
            fleet.stopStream();
            await Promise.all(boards.map((b) => b.end()));
        },
    };
    return fleet;
}

module.exports = { startBoards, jsonFrame, legacyMessage, readingKey, T0_S, WINDOW_S };
