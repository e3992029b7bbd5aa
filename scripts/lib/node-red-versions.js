#!/usr/bin/env node
// The Node-RED majors the package is tested on. package.json declares "node-red" >=3.1.0: the
// devDependency is 4.1; 3.1 and 5.0 are installed side by side from npm into the cache
// (~/.cache/picochain/node-red-<version>), 5.0 with the Node.js 22 it needs (npm package `node`).
// 4.1 is installed there too, for tests that need a Node-RED which sees no module but the user
// dir's: Node-RED also loads every module of the node_modules folders above its own install, and
// the repo's holds both dashboards.
// Usage: node scripts/lib/node-red-versions.js install   (scripts/setup.sh test runs it)
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const CACHE = process.env.PICOCHAIN_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'picochain');

/** Side-by-side installs: Node-RED version, and the Node.js major it needs when ours is too old. */
const SIDE = [
    { version: '3.1.15' },
    { version: '4.1.15' },
    // Node-RED 5 requires Node.js >= 22.9
    { version: '5.0.7', nodeMajor: 22 },
];

function nodeDir(major) { return path.join(CACHE, `node-${major}`); }
function nodeBin(major) { return path.join(nodeDir(major), 'node_modules', 'node', 'bin', 'node'); }
function redDir(version) { return path.join(CACHE, `node-red-${version}`); }

/**
 * Every Node-RED to test with, one per major: { version, major, red (path of red.js), node
 * (binary), missing }. `missing` says what is not installed (run `bash scripts/setup.sh test`),
 * else null. `isolated`: every one from the cache, none from the repo's node_modules.
 */
function nodeRedVersions({ isolated = false } = {}) {
    const devRed = require.resolve('node-red/red.js', { paths: [ROOT] });
    const dev = JSON.parse(fs.readFileSync(path.join(path.dirname(devRed), 'package.json'), 'utf8')).version;
    const list = isolated ? [] : [{ version: dev, major: Number(dev.split('.')[0]), red: devRed, node: process.execPath, missing: null }];
    for (const s of SIDE) {
        if (!isolated && s.version === dev) continue;
        const red = path.join(redDir(s.version), 'node_modules', 'node-red', 'red.js');
        const ownNodeOk = !s.nodeMajor || Number(process.versions.node.split('.')[0]) >= s.nodeMajor;
        const node = ownNodeOk ? process.execPath : nodeBin(s.nodeMajor);
        const missing = !fs.existsSync(red) ? `Node-RED ${s.version} is not installed in ${redDir(s.version)}`
            : !fs.existsSync(node) ? `Node.js ${s.nodeMajor} is not installed in ${nodeDir(s.nodeMajor)}` : null;
        list.push({ version: s.version, major: Number(s.version.split('.')[0]), red, node, missing });
    }
    return list.sort((a, b) => a.major - b.major);
}

/** npm install `spec` into `dir`, built in a temporary folder and renamed: a concurrent setup is harmless. */
function npmInstall(dir, spec) {
    const tmp = `${dir}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: path.basename(dir), private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--omit=dev', spec], { cwd: tmp, stdio: ['ignore', 'inherit', 'inherit'] });
    try {
        fs.renameSync(tmp, dir);
    } catch (e) {
        // another setup finished first
        fs.rmSync(tmp, { recursive: true, force: true });
        if (!fs.existsSync(dir)) throw e;
    }
}

function install() {
    for (const s of SIDE) {
        if (s.nodeMajor && Number(process.versions.node.split('.')[0]) < s.nodeMajor && !fs.existsSync(nodeDir(s.nodeMajor))) {
            console.error(`picochain setup: installing Node.js ${s.nodeMajor} (npm package node) into ${nodeDir(s.nodeMajor)}`);
            npmInstall(nodeDir(s.nodeMajor), `node@${s.nodeMajor}`);
        }
        if (!fs.existsSync(redDir(s.version))) {
            console.error(`picochain setup: installing Node-RED ${s.version} into ${redDir(s.version)}`);
            npmInstall(redDir(s.version), `node-red@${s.version}`);
        }
    }
}

if (require.main === module) {
    if (process.argv[2] === 'install') install();
    else for (const v of nodeRedVersions()) console.log(`${v.version}\t${v.missing || v.red}`);
}

module.exports = { nodeRedVersions, SIDE };
