// Shared helpers of the firmware tests: one MicroPython instance with the firmware on its path.
'use strict';
const net = require('net');
const { createPython } = require('../../sim/pico-host');
const { mulberry32: rng } = require('../../sim/rng'); // seeded, so random series are reproducible

/** An instance plus py(expr) -> value (through JSON) and exec(code). */
async function firmwarePython(opts = {}) {
    const lines = [];
    const inst = await createPython({ log: (l) => lines.push(l), ...opts });
    const { mp } = inst;
    mp.runPython('import json');
    const exec = (code) => mp.runPython(code);
    const py = (expr) => {
        mp.runPython(`__r = json.dumps(${expr})`);
        return JSON.parse(mp.globals.get('__r'));
    };
    /** Passes a JS value into Python as global `name`. */
    const set = (name, value) => { mp.globals.set('__j', JSON.stringify(value)); mp.runPython(`${name} = json.loads(__j)`); };
    return { ...inst, exec, py, set, lines };
}

/**
 * A TCP proxy in front of the broker: 'pass', 'blackhole' (accepts, forwards nothing) or 'refuse'.
 * `accepted` counts connections, `bytesUp` the bytes clients sent through it, `open` those open now.
 */
async function tcpProxy(targetPort) {
    let mode = 'pass';
    const conns = new Set();
    const counts = { accepted: 0, bytesUp: 0 };
    const server = net.createServer((c) => {
        if (mode === 'refuse') { c.destroy(); return; }
        counts.accepted++;
        const up = net.connect(targetPort, '127.0.0.1');
        const pair = { c, up };
        conns.add(pair);
        c.on('data', (d) => { if (mode === 'pass') { counts.bytesUp += d.length; up.write(d); } });
        up.on('data', (d) => { if (mode === 'pass') c.write(d); });
        const end = () => { conns.delete(pair); c.destroy(); up.destroy(); };
        c.on('close', end); up.on('close', end); c.on('error', end); up.on('error', end);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return {
        port: server.address().port,
        get accepted() { return counts.accepted; },
        get bytesUp() { return counts.bytesUp; },
        get open() { return conns.size; },
        mode(m) {
            mode = m;
            if (m === 'refuse') for (const { c, up } of [...conns]) { c.destroy(); up.destroy(); }
        },
        close() { for (const { c, up } of [...conns]) { c.destroy(); up.destroy(); } server.close(); },
    };
}

/**
 * MQTT messages ({topic, text, bytes?}) without exact repeats, each kept at its first arrival. A
 * QoS 1 frame whose PUBACK was lost or came late is sent again byte for byte (same seq, same ts):
 * that is one delivery. A different message under a seq already seen is kept, so checks on the
 * seqs still catch it, and a missing one stays missing.
 */
function withoutRepeats(messages) {
    const seen = new Set();
    return messages.filter((m) => {
        const key = `${m.topic}\n${m.bytes ? Buffer.from(m.bytes).toString('base64') : m.text}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

module.exports = { firmwarePython, rng, tcpProxy, withoutRepeats };
