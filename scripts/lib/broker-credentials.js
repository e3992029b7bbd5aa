'use strict';
// The shipped flows' broker credentials (npm start): Node-RED's own broker identity goes into the
// env-configured picochain-broker nodes as Node-RED credentials, encrypted in flows_cred.json with
// the credential secret, never in flows.json. Used by scripts/lib/chain.js.
const fs = require('fs');
const path = require('path');
const secrets = require('./secrets');

const isEnvBroker = (n) => n.type === 'picochain-broker' && n.broker === '${MQTT_HOST}';

/**
 * Before Node-RED starts: writes the broker credentials of the flows' env-configured broker nodes
 * into flows_cred.json (encrypted with the credential secret, as Node-RED writes it), so their
 * first connection already logs in; without it the first start's broker nodes connected without
 * a user name, were refused and waited for the redeploy below. A file that does not open with the
 * secret is left alone (setBrokerCredentials still applies them once Node-RED runs).
 */
function seedBrokerCredentials(flowFile, secret, user, password) {
    const credFile = path.join(path.dirname(flowFile), `${path.basename(flowFile, '.json')}_cred.json`);
    let creds = {};
    if (fs.existsSync(credFile)) {
        try { creds = secrets.decryptCredentials(secret, JSON.parse(fs.readFileSync(credFile, 'utf8'))); } catch { return; }
    }
    let changed = false;
    for (const n of JSON.parse(fs.readFileSync(flowFile, 'utf8'))) {
        if (!isEnvBroker(n)) continue;
        const c = creds[n.id] || {};
        if (c.user === user && c.password === password) continue;
        creds[n.id] = { ...c, user, password };
        changed = true;
    }
    if (changed) fs.writeFileSync(credFile, JSON.stringify(secrets.encryptCredentials(secret, creds), null, 4), { mode: 0o600 });
}

/**
 * Gives the flows' env-configured broker nodes (broker "${MQTT_HOST}") the broker credentials, as
 * Node-RED credentials (encrypted in flows_cred.json, never in flows.json), and redeploys.
 */
async function setBrokerCredentials(RED, flowFile, user, password) {
    let changed = false;
    const all = JSON.parse(fs.readFileSync(flowFile, 'utf8'));
    // the flows start a moment after RED.start() resolves: wait for the broker nodes (5 s at most)
    const brokers = all.filter(isEnvBroker);
    for (let i = 0; i < 100 && brokers.some((n) => !RED.nodes.getNode(n.id)); i++) await new Promise((r) => setTimeout(r, 50));
    const flows = all.map((n) => {
        if (!isEnvBroker(n)) return n;
        // already deployed with these (every start after the first): no redeploy, which would
        // drop the connection the broker is handing its queued messages to
        const running = RED.nodes.getNode(n.id);
        const c = running && running.credentials;
        if (c && c.user === user && c.password === password) return n;
        changed = true;
        return { ...n, credentials: { user, password } };
    });
    if (changed) await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
}

module.exports = { seedBrokerCredentials, setBrokerCredentials };
