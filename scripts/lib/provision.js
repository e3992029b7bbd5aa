// Board provisioning (scripts/provision.js is its command line): one identity per board,
// `<site>/<device>` with a generated password, written as a hash into the broker password file(s)
// and in clear only into the board's own config.json (mode 0600), which then goes onto the board.
'use strict';
const fs = require('fs');
const path = require('path');
const { ID, generatePassword, hashPassword, parsePasswd, formatPasswd, brokerFiles, writeSecretFile, ensureAcl, serverAcl } = require('./broker-auth');

const ROOT = path.join(__dirname, '..', '..');
const CA_NAME = 'ca.pem'; // the CA certificate's file name on the board (config.json broker.ca)

class ProvisionError extends Error {
    constructor(message) { super(message); this.name = 'ProvisionError'; }
}

function usernameOf(site, device) {
    for (const [k, v] of [['site', site], ['device', device]]) {
        if (!ID.test(String(v || ''))) throw new ProvisionError(`--${k} must be 1-32 of A-Z a-z 0-9 _ - (got "${v ?? ''}")`);
    }
    return `${site}/${device}`;
}

function readText(file) { try { return fs.readFileSync(file, 'utf8'); } catch { return ''; } }

/** Sets (hash) or removes (null) one user in a Mosquitto password file, keeping the others. */
function setPasswdEntry(file, username, hash) {
    const users = parsePasswd(readText(file));
    if (hash) users.set(username, hash); else users.delete(username);
    writeSecretFile(file, formatPasswd(users));
}

const legacyBlock = (username) => `user ${username}\ntopic write TOUCAN\n`;

/** Adds or removes a board's TOUCAN grant (a two-line `user` block) in an ACL file. */
function setLegacyGrant(file, username, on) {
    let text = readText(file).split(legacyBlock(username)).join('');
    if (on) text = `${text}${text.endsWith('\n') || !text ? '' : '\n'}${legacyBlock(username)}`;
    writeSecretFile(file, text);
}

/**
 * Creates (or with `rotate`, replaces) a board's identity and writes its config.json.
 * Options: dataDir, site, device, brokerHost, brokerPort, ca (CA certificate file: TLS on, the
 * board verifies the broker), wifiSsid, wifiPassword, legacy (may also publish TOUCAN), rotate,
 * out (directory for config.json; default <dataDir>/boards/<site>/<device>), template (a
 * config.json to start from; default firmware/config.example.json), mosquittoPasswd,
 * mosquittoAcl (a Mosquitto's own files, updated too). Resolves to { username, password, dir,
 * configFile, files }; the password is for tests and the caller's eyes only, never printed.
 */
function provision(o) {
    const username = usernameOf(o.site, o.device);
    if (!o.dataDir) throw new ProvisionError('a data directory is needed (--data, default ./data)');
    const f = brokerFiles(o.dataDir);
    if (parsePasswd(readText(f.passwd)).has(username) && !o.rotate) {
        throw new ProvisionError(`${username} is already provisioned: --rotate gives it a new password (the old one stops working), --revoke removes it`);
    }
    let template;
    try {
        template = JSON.parse(fs.readFileSync(o.template || path.join(ROOT, 'firmware', 'config.example.json'), 'utf8'));
    } catch (e) {
        throw new ProvisionError(`cannot read the template ${o.template}: ${e.message}`);
    }
    const tb = template.broker || {};
    const host = o.brokerHost || (o.template ? tb.host : null);
    if (!host) throw new ProvisionError('--broker-host is required: the address the board connects to');
    const tls = !!o.ca;
    if (o.ca && !fs.existsSync(o.ca)) throw new ProvisionError(`--ca ${o.ca}: no such file`);
    const port = o.brokerPort ? Number(o.brokerPort) : tls ? 8883 : 1883;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ProvisionError(`--broker-port must be a port number, not "${o.brokerPort}"`);

    const password = generatePassword();
    const hash = hashPassword(password);
    const dir = o.out || path.join(o.dataDir, 'boards', o.site, o.device);
    const config = {
        ...template,
        device: o.device,
        site: o.site,
        wifi: { ...(template.wifi || {}), ...(o.wifiSsid ? { ssid: o.wifiSsid } : {}), ...(o.wifiPassword ? { password: o.wifiPassword } : {}) },
        broker: { ...tb, host, port, tls, ca: tls ? CA_NAME : null, user: username, password },
    };
    const configFile = path.join(dir, 'config.json');
    writeSecretFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const files = [configFile];
    if (tls) {
        fs.copyFileSync(o.ca, path.join(dir, CA_NAME));
        files.push(path.join(dir, CA_NAME));
    }
    // the broker files last: a board is only admitted once its config exists
    ensureAcl(o.dataDir);
    for (const p of [f.passwd, o.mosquittoPasswd].filter(Boolean)) setPasswdEntry(p, username, hash);
    for (const a of [f.acl, o.mosquittoAcl].filter(Boolean)) setLegacyGrant(a, username, !!o.legacy);
    return { username, password, dir, configFile, files };
}

/** Removes a board's identity (and TOUCAN grant) from the password and ACL files. */
function revoke(o) {
    const username = usernameOf(o.site, o.device);
    const f = brokerFiles(o.dataDir);
    const known = parsePasswd(readText(f.passwd)).has(username) || (o.mosquittoPasswd && parsePasswd(readText(o.mosquittoPasswd)).has(username));
    if (!known) throw new ProvisionError(`${username} is not provisioned`);
    for (const p of [f.passwd, o.mosquittoPasswd].filter(Boolean)) setPasswdEntry(p, username, null);
    for (const a of [f.acl, o.mosquittoAcl].filter((x) => x && fs.existsSync(x))) setLegacyGrant(a, username, false);
    return { username };
}

/** Adds (or removes) a server identity's rules, the block serverAcl() writes, in an ACL file. */
function setServerGrant(file, username, on) {
    let text = readText(file).split(serverAcl(username)).join('');
    if (on) text = `${text}${text.endsWith('\n') || !text ? '' : '\n'}${serverAcl(username)}`;
    writeSecretFile(file, text);
}

/**
 * A Node-RED instance's own broker identity (several instances sharing one stream each need one:
 * with use_username_as_clientid, two connections of one identity take each other's session over).
 * `name` e.g. picochain-server-2: the rules of picochain-server (serverAcl) under that name, the
 * hash in the password files, the password in <dataDir>/servers/<name>/password (0600) for that
 * instance's MQTT_PASSWORD. Options: dataDir, name, rotate, mosquittoPasswd, mosquittoAcl.
 */
function provisionServer(o) {
    const username = String(o.name || '');
    if (!ID.test(username)) throw new ProvisionError(`--server must be 1-32 of A-Z a-z 0-9 _ - (got "${username}")`);
    if (!o.dataDir) throw new ProvisionError('a data directory is needed (--data, default ./data)');
    const f = brokerFiles(o.dataDir);
    const known = [f.passwd, o.mosquittoPasswd].filter(Boolean).some((p) => parsePasswd(readText(p)).has(username));
    if (known && !o.rotate) throw new ProvisionError(`${username} is already provisioned: --rotate gives it a new password, --revoke removes it`);
    const password = generatePassword();
    const hash = hashPassword(password);
    const passwordFile = path.join(o.dataDir, 'servers', username, 'password');
    writeSecretFile(passwordFile, `${password}\n`);
    ensureAcl(o.dataDir);
    for (const p of [f.passwd, o.mosquittoPasswd].filter(Boolean)) setPasswdEntry(p, username, hash);
    for (const a of [f.acl, o.mosquittoAcl].filter(Boolean)) setServerGrant(a, username, true);
    return { username, password, passwordFile };
}

/** Removes a server identity from the password and ACL files. */
function revokeServer(o) {
    const username = String(o.name || '');
    const f = brokerFiles(o.dataDir);
    const known = [f.passwd, o.mosquittoPasswd].filter(Boolean).some((p) => parsePasswd(readText(p)).has(username));
    if (!known) throw new ProvisionError(`${username} is not provisioned`);
    for (const p of [f.passwd, o.mosquittoPasswd].filter(Boolean)) setPasswdEntry(p, username, null);
    for (const a of [f.acl, o.mosquittoAcl].filter((x) => x && fs.existsSync(x))) setServerGrant(a, username, false);
    fs.rmSync(path.join(o.dataDir, 'servers', username), { recursive: true, force: true });
    return { username };
}

module.exports = { provision, revoke, provisionServer, revokeServer, usernameOf, ProvisionError, CA_NAME };
