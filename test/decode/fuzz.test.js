'use strict';
// Seeded fuzzing of the decode core: whatever arrives, decode() returns an outcome or throws a
// DecodeError naming where; never a TypeError or RangeError from inside, never a schema-invalid reading.
const assert = require('assert');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats');
const vectors = require('../vectors/frames.json');
const schema = require('../../nodes/shared/reading.schema.json');
const { Decoder, DecodeError } = require('../../dist/nodes/picochain-decode/core');
const { mulberry32: rng } = require('../../sim/rng'); // seeded, so a failure replays exactly

const ajv = new Ajv2020({ strict: true });
addFormats(ajv);
const valid = ajv.compile(schema);
const NOW = new Date('2026-11-24T10:00:00Z');

function run(decoder, payload, topic) {
    try {
        const out = decoder.decode(payload, topic, NOW);
        if (out.kind === 'readings') {
            for (const r of out.readings) assert.ok(valid(JSON.parse(JSON.stringify(r))), `schema: ${JSON.stringify(valid.errors)} ${JSON.stringify(r)}`);
        }
        return out.kind;
    } catch (e) {
        if (!(e instanceof DecodeError)) throw new Error(`not a DecodeError for ${JSON.stringify(String(payload)).slice(0, 200)}: ${e.stack}`);
        assert.ok(e.where.length > 0, `no where in "${e.message}"`);
        return e.key;
    }
}

describe('picochain-decode core under fuzzing', function () {
    const topic = 'picochain/fuzz/dev-1/stats';

    it('mutated binary frames (bit flips, truncation, extension): 20 000 cases', function () {
        const r = rng(1);
        const d = new Decoder({ tempMin: -100, tempMax: 300 });
        const seen = new Set();
        const bins = vectors.filter((v) => v.hex).map((v) => Buffer.from(v.hex, 'hex'));
        for (let i = 0; i < 20000; i++) {
            let b = Buffer.from(bins[Math.floor(r() * bins.length)]);
            const op = Math.floor(r() * 4);
            if (op === 0) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
            else if (op === 1) b = b.subarray(0, Math.floor(r() * b.length));
            else if (op === 2) b = Buffer.concat([b, Buffer.from([Math.floor(r() * 256)])]);
            else for (let k = 0; k < 4; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
            seen.add(run(d, b, topic));
        }
        for (const k of ['readings', 'truncated', 'version']) assert.ok(seen.has(k), `outcome ${k} reached (got ${[...seen]})`);
    });

    it('mutated JSON text (character edits): 20 000 cases', function () {
        const r = rng(2);
        const d = new Decoder({ tempMin: -100, tempMax: 300 });
        const alphabet = '{}[]:,"0123456789.-eE $truefalsnNaIiy\\';
        const seen = new Set();
        for (let i = 0; i < 20000; i++) {
            const chars = [...vectors[Math.floor(r() * vectors.length)].json];
            const edits = 1 + Math.floor(r() * 3);
            for (let k = 0; k < edits; k++) {
                const at = Math.floor(r() * chars.length);
                const op = Math.floor(r() * 3);
                if (op === 0) chars.splice(at, 1);
                else if (op === 1) chars.splice(at, 0, alphabet[Math.floor(r() * alphabet.length)]);
                else chars[at] = alphabet[Math.floor(r() * alphabet.length)];
            }
            seen.add(run(d, chars.join(''), topic));
        }
        for (const k of ['readings', 'not-json']) assert.ok(seen.has(k), `outcome ${k} reached (got ${[...seen]})`);
    });

    it('frames with fields replaced by values of every type: 20 000 cases', function () {
        const r = rng(3);
        const d = new Decoder();
        const odd = [null, undefined, true, 0, -1, 1.5, 65536, 1e300, -0, '', 'x', '1', [], [1], {}, { $x: 1 }, NaN, Infinity, new Date(0), Buffer.from('ab')];
        for (let i = 0; i < 20000; i++) {
            const f = JSON.parse(vectors[Math.floor(r() * 5)].json);
            f.ts = Math.floor(NOW.getTime() / 1000) - 60;
            const target = r() < 0.5 ? f : f.sensors[0];
            const keys = Object.keys(target);
            target[keys[Math.floor(r() * keys.length)]] = odd[Math.floor(r() * odd.length)];
            run(d, r() < 0.5 ? f : JSON.stringify(f), topic);
        }
    });

    it('random TTN uplinks and legacy messages: 5 000 cases each', function () {
        const r = rng(4);
        const d = new Decoder();
        const bin = Buffer.from(vectors[0].hex, 'hex');
        for (let i = 0; i < 5000; i++) {
            const b = Buffer.from(bin);
            if (r() < 0.5) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
            const up = { end_device_ids: { device_id: r() < 0.9 ? 'dev-1' : 'Bad id', application_ids: { application_id: 'app' } }, received_at: r() < 0.9 ? NOW.toISOString() : 'x', uplink_message: { f_port: r() < 0.9 ? 1 : Math.floor(r() * 3), frm_payload: r() < 0.9 ? b.toString('base64') : '%%' } };
            run(d, up, 'v3/app/devices/dev-1/up');
            const leg = { datetime: `${2019 + Math.floor(r() * 8)}-${Math.floor(r() * 14)}-${Math.floor(r() * 33)} ${Math.floor(r() * 25)}:${Math.floor(r() * 61)}:${(r() * 61).toFixed(2)}`, noeud: 'pico_1', capteur: r() < 0.5 ? 'temperature' : 'humidite', metrique: ['brute', 'moy_10_sec', 'moy_5_min', 'moy_0_sec', 'moy_99_min'][Math.floor(r() * 5)], valeur: (r() - 0.3) * 200 };
            run(d, JSON.stringify(leg), 'TOUCAN');
        }
    });
});
