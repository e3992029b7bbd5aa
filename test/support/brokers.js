// The two brokers of the security tests, holding the same identities (one data directory's
// password and ACL files): the embedded aedes of `npm start` and a real Mosquitto started with
// docs/mosquitto.conf itself (paths, port and certificates replaced, nothing else).
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const services = require('../../scripts/lib/services');
const brokerAuth = require('../../scripts/lib/broker-auth');
const { startAedes } = require('../../scripts/lib/embedded-broker');

const DOCS_CONF = path.join(__dirname, '..', '..', 'docs', 'mosquitto.conf');

/** docs/mosquitto.conf with its /etc and /var paths and its port replaced. */
function docsConfig({ port, dir, files, certs }) {
    const text = fs.readFileSync(DOCS_CONF, 'utf8');
    const out = [
        ['/var/lib/mosquitto/', `${dir}/`], ['/etc/mosquitto/certs/server.crt', certs.server.cert], ['/etc/mosquitto/certs/server.key', certs.server.key],
        ['/etc/mosquitto/passwd', files.passwd], ['/etc/mosquitto/acl', files.acl],
    ].reduce((t, [from, to]) => t.split(from).join(to), text.replace(/^listener 8883$/m, `listener ${port} 127.0.0.1`));
    if (/\/etc\/|\/var\//.test(out.replace(/^#.*$/gm, ''))) throw new Error('docs/mosquitto.conf has a path the test does not replace');
    // as root, Mosquitto drops to the mosquitto user, which cannot read a test's private
    // temporary directory; production gives it the files instead (docs/mosquitto.conf)
    const asRoot = process.getuid && process.getuid() === 0 ? 'user root\n' : '';
    return `${out}\n${asRoot}log_dest stderr\nlog_type error\nlog_type warning\n`;
}

/** Adds the server identity to a password file with the real mosquitto_passwd, as the docs say. */
function addServerWithMosquittoPasswd(passwdFile, user, password) {
    execFileSync('mosquitto_passwd', ['-b', passwdFile, user, password]);
}

/**
 * Starts Mosquitto as docs/mosquitto.conf on a free port over `dataDir`'s broker files; the
 * server certificate is certs.server. Resolves { name, url, options (for mqtt.js), reload, stop }.
 */
async function startDocsMosquitto({ dataDir, certs }) {
    const files = brokerAuth.brokerFiles(dataDir);
    const m = await services.startMosquitto({ config: (port, dir) => docsConfig({ port, dir, files, certs }) });
    return {
        name: 'Mosquitto (docs/mosquitto.conf)',
        kind: 'mosquitto',
        url: `mqtts://localhost:${m.port}`,
        port: m.port,
        options: { ca: fs.readFileSync(certs.ca.cert) },
        reload: async () => m.reload(),
        stop: () => m.cleanup(),
    };
}

/** Starts the embedded broker as npm start does, over the same files, plus in-memory `extra`. */
async function startEmbedded({ dataDir, extra = {}, log = () => {} }) {
    brokerAuth.ensureAcl(dataDir);
    const identities = new brokerAuth.BrokerIdentities({ ...brokerAuth.brokerFiles(dataDir), extra });
    const b = await startAedes({ host: '127.0.0.1', port: 0, identities, log });
    return { name: 'embedded broker (aedes)', kind: 'aedes', url: b.url, port: b.port, options: {}, identities, reload: async () => {}, stop: () => b.stop() };
}

module.exports = { startDocsMosquitto, startEmbedded, docsConfig, addServerWithMosquittoPasswd, DOCS_CONF };
