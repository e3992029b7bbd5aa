#!/usr/bin/env node
// Command line for the simulated fleet (sim/fleet.js): N virtual Picos running the real firmware,
// publishing to an MQTT broker. Ctrl-C stops every board cleanly.
'use strict';
const path = require('path');
const readline = require('readline');
const { startFleet, FAULTS, DEFAULT_SCENARIO } = require('./fleet');

const HELP = `Usage: node sim/cli.js [options]

Starts a simulated fleet of Pico W boards, each running the real picochain firmware in its own
MicroPython instance, with fridge/freezer thermal models and scheduled faults.

Options:
  --devices N        number of boards (default: the scenario's list, 6 in the default one)
  --speed X          clock acceleration (default 60: an hour of 60 s windows per real minute)
  --broker URL       MQTT broker (default mqtt://127.0.0.1:1883; user:password@ for its login)
  --ca FILE          with mqtts://: the CA certificate (PEM) the boards check the broker with
  --scenario FILE    scenario JSON (default ${path.relative(process.cwd(), DEFAULT_SCENARIO)}); "none" for no faults
  --format F         json | binary frames (default json)
  --site S           site id in the topics picochain/<site>/<device>/... (default demo)
  --seed N           thermal model seed (default: the scenario's)
  --wall-start T     the boards' clock at start: "now", an ISO date or a duration back ("24h",
                     the default): see sim/README.md "Clock"
  --no-ntp           boards never set their clock: frames carry time since boot, the decoder
                     stamps them with the receive time (for long accelerated runs)
  --live             run fast only until the boards' clock reaches the present, then at real
                     speed (what npm start does: history fills, then stays live)
  --status-every S   print a fleet summary every S real seconds (default 10, 0 = never)
  --quiet            only warnings, errors and summaries (not every firmware log line)
  -h, --help         this text

While it runs, type on stdin (one command a line):
  inject <device|*> <fault> [duration] [probe=N] [board]   fault: ${FAULTS.join(', ')}
  clear <device|*> <fault>
  status
  quit
`;

function parseArgs(argv) {
    const o = { broker: 'mqtt://127.0.0.1:1883', statusEvery: 10 };
    const need = (i, name) => { if (i + 1 >= argv.length) throw new Error(`${name} needs a value`); return argv[i + 1]; };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        switch (a) {
            case '-h': case '--help': o.help = true; break;
            case '--devices': o.devices = Number(need(i, a)); i++; break;
            case '--speed': o.speed = Number(need(i, a)); i++; break;
            case '--broker': o.broker = need(i, a); i++; break;
            case '--ca': o.ca = need(i, a); i++; break;
            case '--scenario': o.scenario = need(i, a); i++; break;
            case '--format': o.format = need(i, a); i++; break;
            case '--site': o.site = need(i, a); i++; break;
            case '--seed': o.seed = Number(need(i, a)); i++; break;
            case '--status-every': o.statusEvery = Number(need(i, a)); i++; break;
            case '--wall-start': o.wallStart = need(i, a); i++; break;
            case '--no-ntp': o.ntp = false; break;
            case '--live': o.live = true; break;
            case '--quiet': o.quiet = true; break;
            default: throw new Error(`unknown option ${a} (see --help)`);
        }
    }
    if (o.devices !== undefined && !(Number.isInteger(o.devices) && o.devices > 0)) throw new Error('--devices needs a positive integer');
    if (o.speed !== undefined && !(o.speed > 0)) throw new Error('--speed needs a number > 0');
    if (o.format !== undefined && !['json', 'binary'].includes(o.format)) throw new Error('--format is json or binary');
    return o;
}

function fmtTime(s) {
    const h = Math.floor(s / 3600); const m = Math.floor((s % 3600) / 60);
    return `${h}h${String(m).padStart(2, '0')}`;
}

function summary(fleet) {
    const lines = [`-- model time ${fmtTime(fleet.now())} --`];
    for (const d of fleet.status()) {
        const temp = d.airC === undefined ? '   ?  ' : `${d.airC.toFixed(1).padStart(6)}`;
        const p = d.pico || {};
        const state = ['ok', 'WARN', 'ALARM'][p.state] || '-';
        const flags = [d.running ? 'up' : 'DOWN', d.compressorOn ? 'comp' : '', d.doorOpen ? 'door' : '',
            p.buffered ? `ring ${p.buffered}` : '', ...d.faults.map((f) => `!${f}`)].filter(Boolean).join(' ');
        lines.push(`${d.id.padEnd(12)} ${temp} °C  ${state.padEnd(5)} windows ${String(d.windows).padStart(4)}/${String(d.expectedWindows).padEnd(4)} ${flags}`);
    }
    return lines.join('\n');
}

async function main() {
    let o;
    try { o = parseArgs(process.argv.slice(2)); } catch (err) { console.error(`sim: ${err.message}`); process.exit(2); }
    if (o.help) { process.stdout.write(HELP); return; }
    const scenario = o.scenario === 'none' ? null : o.scenario ? path.resolve(o.scenario) : undefined;
    const fleet = await startFleet({
        brokerUrl: o.broker, caPem: o.ca ? require('fs').readFileSync(o.ca, 'utf8') : undefined, devices: o.devices, speed: o.speed, scenario, format: o.format, site: o.site, seed: o.seed,
        wallStart: o.wallStart, ntp: o.ntp, liveAfterCatchUp: !!o.live,
        log: (line, { level }) => { if (!o.quiet || level !== 'info') console.log(line); },
    });
    const timer = o.statusEvery > 0 ? setInterval(() => console.log(summary(fleet)), o.statusEvery * 1000) : null;

    let stopping = false;
    const stop = async (code = 0) => {
        if (stopping) return;
        stopping = true;
        if (timer) clearInterval(timer);
        console.log('sim: stopping the fleet...');
        const force = setTimeout(() => { console.error('sim: stop took too long, exiting'); process.exit(1); }, 15000);
        await fleet.stop();
        clearTimeout(force);
        process.exit(code);
    };
    process.on('SIGINT', () => stop(0));
    process.on('SIGTERM', () => stop(0));

    if (!process.stdin.isTTY && process.stdin.readable === false) return;
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', async (line) => {
        const [cmd, dev, fault, ...rest] = line.trim().split(/\s+/);
        try {
            if (!cmd) return;
            if (cmd === 'quit' || cmd === 'exit') return stop(0);
            if (cmd === 'status') return console.log(summary(fleet));
            if (cmd === 'inject') {
                const opts = {};
                for (const r of rest) {
                    if (r === 'board') opts.board = true;
                    else if (r.startsWith('probe=')) opts.probe = Number(r.slice(6));
                    else opts.duration = r;
                }
                return await fleet.inject(dev, fault, opts);
            }
            if (cmd === 'clear') return await fleet.clear(dev, fault);
            console.log('commands: inject <device|*> <fault> [duration] [probe=N] [board] | clear <device|*> <fault> | status | quit');
        } catch (err) { console.log(`sim: ${err.message}`); }
    });
    rl.on('close', () => { /* stdin closed (e.g. < /dev/null): keep running until a signal */ });
}

main().catch((err) => { console.error(`sim: ${err.message}`); process.exit(1); });
