// Test side of chain-child.js: starts the whole chain in a child process and talks to it.
'use strict';
const { spawn } = require('child_process');
const path = require('path');
const readline = require('readline');

/**
 * Starts the chain; resolves to { info, inject(device, fault, opts), status(), stop(), log() }.
 * `options.env` adds environment variables to the chain's process (e.g. its TZ).
 */
function startChainProcess(options = {}, timeoutMs = 60000) {
    const { env, ...chainOptions } = options;
    const child = spawn(process.execPath, [path.join(__dirname, 'chain-child.js'), JSON.stringify(chainOptions)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let log = '';
    child.stderr.on('data', (d) => { log = (log + d).slice(-50000); if (process.env.PICOCHAIN_TEST_VERBOSE) process.stderr.write(d); });
    const waiting = new Map();
    let nextId = 1;
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`chain not ready after ${timeoutMs} ms:\n${log.slice(-3000)}`)); }, timeoutMs);
        child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`chain exited (${code}):\n${log.slice(-3000)}`)); });
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
            const [word, rest] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
            if (word === 'READY') {
                clearTimeout(timer);
                const info = JSON.parse(rest);
                resolve({
                    info,
                    child,
                    log: () => log,
                    request(cmd) {
                        const id = nextId++;
                        child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
                        return new Promise((res, rej) => waiting.set(String(id), { res, rej }));
                    },
                    inject(device, fault, opts) { return this.request({ cmd: 'inject', device, fault, opts }); },
                    /** The flow node `node` receives `msg`, as from a wire (e.g. a page's request). */
                    receive(node, msg) { return this.request({ cmd: 'receive', node, msg }); },
                    async status() { return JSON.parse(await this.request({ cmd: 'status' })); },
                    stop() {
                        return new Promise((res) => {
                            if (child.exitCode !== null) return res();
                            const kill = setTimeout(() => child.kill('SIGKILL'), 20000);
                            child.removeAllListeners('exit');
                            child.once('exit', () => { clearTimeout(kill); res(); });
                            child.kill('SIGTERM');
                        });
                    },
                });
            } else if (word === 'FAILED') {
                clearTimeout(timer);
                reject(new Error(`chain failed to start: ${rest}\n${log.slice(-3000)}`));
            } else if (word === 'OK' || word === 'ERR') {
                const sp = rest.indexOf(' ');
                const id = sp < 0 ? rest : rest.slice(0, sp);
                const payload = sp < 0 ? '' : rest.slice(sp + 1);
                const w = waiting.get(id);
                if (!w) return;
                waiting.delete(id);
                if (word === 'OK') w.res(payload); else w.rej(new Error(payload));
            }
        });
    });
}

module.exports = { startChainProcess };
