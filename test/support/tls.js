'use strict';
// A test certificate authority: ca.crt/ca.key, a server certificate for localhost and 127.0.0.1
// signed by it (server.crt/server.key), and an unrelated CA (other.crt), made with openssl in `dir`.
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

function makeTestCertificates(dir) {
    const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=picochain test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
    fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.crt');
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other CA', '-keyout', 'other.key', '-out', 'other.crt');
    return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key'), other: path.join(dir, 'other.crt') };
}

/** Mosquitto options for a TLS listener with those certificates. */
const mosquittoTls = (c) => ({ extraConfig: [`cafile ${c.ca}`, `certfile ${c.cert}`, `keyfile ${c.key}`] });

module.exports = { makeTestCertificates, mosquittoTls };
