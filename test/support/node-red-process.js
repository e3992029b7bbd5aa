'use strict';
// A Node-RED process as a user runs one (own user dir, own port), driven over its admin HTTP API
// and the editor's websocket (/comms): deploy flows, press inject buttons, read node statuses.
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');
const WebSocket = require('ws');
const { freePort, waitForPort, stopChild } = require('../../scripts/lib/services');
const { until } = require('./wait');

function request(method, url, body, headers = {}) {
    return new Promise((resolve, reject) => {
        const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
        const req = http.request(url, { method, headers: { accept: 'application/json', ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}), ...headers } }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, text }));
        });
        req.on('error', reject);
        if (data) req.write(data);
        req.end();
    });
}

/**
 * Starts `red` (red.js) with the Node.js binary `node` in `userDir` (settings.js written there:
 * loopback only, `lang`), on a free port. Resolves to { url, log(), deploy(flows), inject(id),
 * statuses (id -> latest status), stop() }.
 */
async function startNodeRed({ red, node = process.execPath, userDir, lang = 'en-US' }) {
    const settings = { uiHost: '127.0.0.1', flowFile: 'flows.json', lang, editorTheme: { projects: { enabled: false }, tours: false }, telemetry: { enabled: false } };
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 4)};\n`);
    const port = await freePort();
    const child = spawn(node, [red, '-u', userDir, '-p', String(port), '-s', path.join(userDir, 'settings.js')], {
        stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    });
    let log = '';
    child.stdout.on('data', (d) => { log += d; });
    child.stderr.on('data', (d) => { log += d; });
    let ws = null;
    const stop = async () => {
        if (ws) ws.terminate();
        await stopChild(child);
    };
    try {
        await waitForPort(port, '127.0.0.1', 60000, child);
        const url = `http://127.0.0.1:${port}/`;
        const statuses = new Map();
        ws = new WebSocket(`ws://127.0.0.1:${port}/comms`);
        await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
        ws.on('message', (data) => {
            let list;
            try { list = JSON.parse(String(data)); } catch { return; }
            for (const m of Array.isArray(list) ? list : [list]) {
                if (m && typeof m.topic === 'string' && m.topic.startsWith('status/')) statuses.set(m.topic.slice(7), m.data || {});
            }
        });
        ws.send(JSON.stringify({ subscribe: 'status/#' }));
        return {
            url,
            log: () => log,
            statuses,
            /** A full deploy of `flows`; resolves once the runtime said it started them (or why not). */
            async deploy(flows) {
                const from = log.length;
                statuses.clear();
                const res = await request('POST', `${url}flows`, flows, { 'node-red-deployment-type': 'full' });
                if (res.status !== 200 && res.status !== 204) throw new Error(`deploy refused: ${res.status} ${res.text}`);
                await until(() => /Started flows|Waiting for missing types/.test(log.slice(from)), `Node-RED starting the flows:\n${log.slice(from)}`, 30000);
                return log.slice(from);
            },
            /**
             * Presses an inject node's button, as the editor does. A 404 (no such node running) is
             * tried again for 15 s: under load, an inject pressed right after a deploy has found the
             * new flows not started yet (Node-RED 3.1 and 5.0, in CI runs).
             */
            async inject(id) {
                const end = Date.now() + 15000;
                for (;;) {
                    const res = await request('POST', `${url}inject/${id}`);
                    if (res.status === 200) return;
                    if (res.status !== 404 || Date.now() > end) throw new Error(`inject ${id}: ${res.status} ${res.text}\n${log.slice(-2000)}`);
                    await new Promise((r) => setTimeout(r, 200));
                }
            },
            stop,
        };
    } catch (e) {
        await stop();
        throw new Error(`${e.message}\n${log}`);
    }
}

module.exports = { startNodeRed, request };
