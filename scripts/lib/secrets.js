// Secrets at rest for the embedded start. Node-RED encrypts flows_cred.json (broker, database and
// notification credentials) with `credentialSecret`: NODE_RED_CREDENTIAL_SECRET when set, else a
// random 256-bit key generated at the first start into <data>/credential-secret (mode 0600, the
// data directory 0700). Whoever can read that file can read the credentials: back it up apart from
// flows_cred.json, or set the variable from a secret store instead.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const SECRET_FILE = 'credential-secret';
/** The fixed key settings/settings.js used before; data directories encrypted with it are re-keyed. */
const OLD_DEFAULT_SECRET = 'picochain-local-only';

/**
 * The credential secret: `env.NODE_RED_CREDENTIAL_SECRET`, else the one kept in the data directory,
 * created on first use. Returns { secret, source: 'environment' | file path, created }.
 */
function credentialSecret(dataDir, env = process.env) {
    if (env.NODE_RED_CREDENTIAL_SECRET) return { secret: env.NODE_RED_CREDENTIAL_SECRET, source: 'environment', created: false };
    const file = path.join(dataDir, SECRET_FILE);
    try {
        const st = fs.statSync(file);
        // a copy or a restore may have widened it: a readable key defeats the encryption
        if (st.mode & 0o077) fs.chmodSync(file, 0o600);
        const secret = fs.readFileSync(file, 'utf8').trim();
        if (secret.length >= 32) return { secret, source: file, created: false };
        throw new Error(`${file} holds no usable key (at least 32 characters): remove it to generate one, or set NODE_RED_CREDENTIAL_SECRET`);
    } catch (e) {
        if (e.code !== 'ENOENT') throw e;
    }
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secret = crypto.randomBytes(32).toString('hex');
    // 'wx': two processes starting at once cannot both create it
    try {
        fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
        if (e.code === 'EEXIST') return credentialSecret(dataDir, env);
        throw e;
    }
    return { secret, source: file, created: true };
}

/** A secret for one purpose, derived from the credential secret (HMAC-SHA256, base64url). */
function deriveSecret(secret, purpose) {
    return crypto.createHmac('sha256', secret).update(`picochain:${purpose}`).digest('base64url');
}

const keyOf = (secret) => crypto.createHash('sha256').update(secret).digest();

/** Node-RED's own format for flows_cred.json: {"$": hex IV (16 bytes) + base64 AES-256-CTR}. */
function decryptCredentials(secret, data) {
    const text = data.$;
    const d = crypto.createDecipheriv('aes-256-ctr', keyOf(secret), Buffer.from(text.slice(0, 32), 'hex'));
    return JSON.parse(d.update(text.slice(32), 'base64', 'utf8') + d.final('utf8'));
}

function encryptCredentials(secret, creds) {
    const iv = crypto.randomBytes(16);
    const c = crypto.createCipheriv('aes-256-ctr', keyOf(secret), iv);
    return { $: iv.toString('hex') + c.update(JSON.stringify(creds), 'utf8', 'base64') + c.final('base64') };
}

/**
 * Re-encrypts a flows_cred.json written under the old fixed key with `secret`, so an existing
 * data directory keeps its credentials. Returns true when it re-keyed the file.
 */
function rekeyOldCredentials(credFile, secret) {
    let data;
    try { data = JSON.parse(fs.readFileSync(credFile, 'utf8')); } catch { return false; }
    if (!data || typeof data.$ !== 'string') return false;
    try { decryptCredentials(secret, data); return false; } catch { /* not under the current key */ }
    let creds;
    try { creds = decryptCredentials(OLD_DEFAULT_SECRET, data); } catch { return false; }
    fs.writeFileSync(credFile, JSON.stringify(encryptCredentials(secret, creds), null, 4), { mode: 0o600 });
    return true;
}

module.exports = { credentialSecret, deriveSecret, decryptCredentials, encryptCredentials, rekeyOldCredentials, SECRET_FILE, OLD_DEFAULT_SECRET };
