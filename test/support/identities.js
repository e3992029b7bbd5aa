'use strict';
// Broker logins for tests that talk to the embedded broker of a chain started by `npm start`,
// which admits only known identities (scripts/lib/broker-auth.js): a board provisioned as
// `npm run provision` does, or a read-only observer added to the same files.
const fs = require('fs');
const brokerAuth = require('../../scripts/lib/broker-auth');
const { provision } = require('../../scripts/lib/provision');

/** A board's login (`<site>/<device>`): it publishes under picochain/<site>/<device>/ only. */
function boardLogin(dataDir, site, device) {
    const b = provision({ dataDir, site, device, brokerHost: '127.0.0.1', rotate: true });
    return { username: b.username, password: b.password };
}

/** A login that reads every board topic and publishes nothing (a test watching the boards). */
function observerLogin(dataDir, username = 'test-observer') {
    const f = brokerAuth.brokerFiles(dataDir);
    brokerAuth.ensureAcl(dataDir);
    const password = brokerAuth.generatePassword();
    const users = brokerAuth.parsePasswd(fs.existsSync(f.passwd) ? fs.readFileSync(f.passwd, 'utf8') : '');
    users.set(username, brokerAuth.hashPassword(password));
    brokerAuth.writeSecretFile(f.passwd, brokerAuth.formatPasswd(users));
    const acl = fs.readFileSync(f.acl, 'utf8');
    if (!acl.includes(`user ${username}\n`)) brokerAuth.writeSecretFile(f.acl, `${acl}${acl.endsWith('\n') ? '' : '\n'}user ${username}\ntopic read picochain/#\n`);
    return { username, password };
}

module.exports = { boardLogin, observerLogin };
