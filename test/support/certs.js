// Test certificates made with the openssl command line: a CA, a server certificate it signs for
// 127.0.0.1 and localhost, a second ("rogue") CA with its own server certificate for the same
// names, and a certificate from the first CA for another host name only. RSA 2048 (what a
// Pico W's mbedTLS handles best). Returns the file paths and the PEM texts.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

function openssl(args, cwd) {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir, name) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${name}`,
        '-keyout', `${name}.key`, '-out', `${name}.crt`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

function makeLeaf(dir, ca, name, san) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '30',
        '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
}

/** Writes the certificates into `dir`; returns { ca, server, rogueCa, rogueServer, otherHost } ({ cert, key } paths + pem). */
function makeCerts(dir) {
    fs.mkdirSync(dir, { recursive: true });
    makeCa(dir, 'ca');
    makeCa(dir, 'rogue-ca');
    makeLeaf(dir, 'ca', 'server', 'IP:127.0.0.1,DNS:localhost');
    makeLeaf(dir, 'rogue-ca', 'rogue-server', 'IP:127.0.0.1,DNS:localhost');
    makeLeaf(dir, 'ca', 'other-host', 'DNS:broker.example.org');
    const entry = (n) => ({ cert: path.join(dir, `${n}.crt`), key: path.join(dir, `${n}.key`), pem: fs.readFileSync(path.join(dir, `${n}.crt`), 'utf8') });
    return { ca: entry('ca'), server: entry('server'), rogueCa: entry('rogue-ca'), rogueServer: entry('rogue-server'), otherHost: entry('other-host') };
}

module.exports = { makeCerts };
