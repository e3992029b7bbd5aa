#!/usr/bin/env node
// `npm run provision -- ...`: a board's broker identity and its config.json (scripts/lib/provision.js).
'use strict';
const path = require('path');
const { provision, revoke, provisionServer, revokeServer, ProvisionError } = require('./lib/provision');
const { parseArgs } = require('./lib/args');

const HELP = `Usage: npm run provision -- --site SITE --device DEVICE --broker-host HOST [options]
       npm run provision -- --revoke --site SITE --device DEVICE [--mosquitto-passwd FILE ...]
       npm run provision -- --server NAME [--mosquitto-passwd FILE --mosquitto-acl FILE] [--rotate | --revoke]

Creates the board's MQTT identity <site>/<device> with a generated password, adds it to the
embedded broker's password file (data/mqtt/passwd) and to --mosquitto-passwd, and writes the
board's config.json (mode 0600, the only place the password is kept in clear) into
data/boards/<site>/<device>/. Copy it to the board:  mpremote cp <dir>/* :  (see firmware/README.md)

  --site ID, --device ID    the board's ids ([A-Za-z0-9_-]{1,32}); its topics are picochain/<site>/<device>/
  --broker-host HOST        the broker address the board connects to
  --broker-port N           default 8883 with --ca, else 1883
  --ca FILE                 CA certificate (PEM) of the broker's TLS certificate: TLS on, and the
                            board refuses a broker whose certificate that CA did not sign
  --wifi-ssid S, --wifi-password P   the board's Wi-Fi (else the template's)
  --legacy                  the board may also publish the original TOUCAN messages
  --rotate                  give an already provisioned board a new password (the old one stops working)
  --revoke                  remove the board's identity: it can no longer connect
  --mosquitto-passwd FILE   also update this Mosquitto password_file (then: systemctl reload mosquitto)
  --mosquitto-acl FILE      also update this Mosquitto acl_file (only --legacy changes it)
  --template FILE           config.json to start from (default firmware/config.example.json)
  --out DIR                 where to write config.json (default data/boards/<site>/<device>)
  --data DIR                data directory [PICOCHAIN_DATA] (default ./data)
  --server NAME             instead of a board: a Node-RED instance's own identity (e.g. picochain-server-2,
                            one per instance sharing the stream, docs/SCALING.md) with the server's rules in
                            the ACL files; its password goes to data/servers/NAME/password (mode 0600),
                            for that instance's MQTT_PASSWORD`;

const OPTIONS = {
    values: {
        '--site': 'site', '--device': 'device', '--broker-host': 'brokerHost', '--broker-port': 'brokerPort', '--ca': 'ca',
        '--wifi-ssid': 'wifiSsid', '--wifi-password': 'wifiPassword', '--mosquitto-passwd': 'mosquittoPasswd',
        '--mosquitto-acl': 'mosquittoAcl', '--template': 'template', '--out': 'out', '--data': 'dataDir', '--server': 'name',
    },
    switches: { '--legacy': { legacy: true }, '--rotate': { rotate: true }, '--revoke': { revoke: true }, '-h': { help: true }, '--help': { help: true } },
};

function main() {
    let o;
    try {
        o = parseArgs(process.argv.slice(2), OPTIONS, (m) => new ProvisionError(m));
        if (o.help) { console.log(HELP); return 0; }
        o.dataDir = o.dataDir || process.env.PICOCHAIN_DATA || path.join(__dirname, '..', 'data');
        if (o.name !== undefined) {
            const r = o.revoke ? revokeServer(o) : provisionServer(o);
            console.log(o.revoke ? `picochain provision: server identity ${r.username} revoked`
                : `picochain provision: server identity ${r.username} ${o.rotate ? 'has a new password' : 'created'}; its password is in ${r.passwordFile} (give it to that instance as MQTT_PASSWORD)${o.mosquittoPasswd ? '\n  then         systemctl reload mosquitto' : ''}`);
            return 0;
        }
        if (o.revoke) {
            const r = revoke(o);
            console.log(`picochain provision: ${r.username} revoked: it can no longer connect to the embedded broker${o.mosquittoPasswd ? ` nor, once reloaded, to the Mosquitto of ${o.mosquittoPasswd}` : ''}`);
            return 0;
        }
        const r = provision(o);
        console.log([
            `picochain provision: ${r.username} ${o.rotate ? 'has a new password' : 'created'}`,
            `  board files  ${r.files.join(', ')}  (the password is in config.json only)`,
            `  copy         cd ${r.dir} && mpremote cp ${r.files.map((f) => path.basename(f)).join(' ')} :`,
            `  broker       ${o.mosquittoPasswd ? `${o.mosquittoPasswd} and ` : ''}the embedded broker's ${path.join(o.dataDir, 'mqtt', 'passwd')}`,
            ...(o.mosquittoPasswd ? ['  then         systemctl reload mosquitto   (Mosquitto re-reads its password file on SIGHUP)'] : []),
        ].join('\n'));
        return 0;
    } catch (e) {
        console.error(`picochain provision: ${e instanceof ProvisionError ? e.message : e.stack}`);
        return e instanceof ProvisionError ? 2 : 1;
    }
}

process.exitCode = main();
