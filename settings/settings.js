// Node-RED settings for picochain's embedded start (scripts/start.js), also usable on its own:
//   npx node-red --settings settings/settings.js --userDir data/node-red
// Safe by default: everything listens on 127.0.0.1. scripts/start.js overrides uiHost/uiPort,
// userDir, the credential secret and, with a password, adminAuth behind its own guard
// (scripts/lib/http-guard.js; it refuses to listen elsewhere without one). On its own, set
// adminAuth and httpNodeAuth here before listening beyond 127.0.0.1. Values come from the
// environment so no secret lives in this file.
'use strict';
const path = require('path');

const root = path.join(__dirname, '..');

function storedSecret() {
    const file = path.join(process.env.PICOCHAIN_DATA || path.join(root, 'data'), 'credential-secret');
    try { return require('fs').readFileSync(file, 'utf8').trim() || undefined; } catch { return undefined; }
}

module.exports = {
    uiHost: process.env.HOST || '127.0.0.1',
    uiPort: Number(process.env.PORT) || 1880,
    userDir: process.env.NODE_RED_USER_DIR || path.join(root, 'data', 'node-red'),
    flowFile: 'flows.json',
    // the key of flows_cred.json (broker, database and notification credentials): the variable,
    // else the one npm start generated in the data directory (scripts/lib/secrets.js), else
    // Node-RED generates its own into the user directory. Never a fixed key: anyone could decrypt.
    credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || storedSecret(),
    flowFilePretty: true,
    // our package, loaded from the working tree: the repo root is a Node-RED module (package.json
    // "node-red" section), so its nodes and its examples/ appear as "@picochain/node-red"
    nodesDir: [root],
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    // node-red-dashboard at /ui, FlowFuse Dashboard 2.0 at /dashboard (its ui-base path)
    ui: { path: 'ui' },
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    telemetry: { enabled: false },
    // the alert node and the dashboard flows keep their state in context: a file store (the
    // default here, flushed every 5 s and on stop) makes it survive a restart; "memory" for scratch
    contextStorage: {
        default: { module: 'localfilesystem', config: { flushInterval: 5 } },
        memory: { module: 'memory' },
    },
    exportGlobalContextKeys: false,
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    editorTheme: {
        page: { title: 'picochain · Node-RED' },
        header: { title: 'picochain' },
        projects: { enabled: false },
        tours: false,
        palette: { catalogues: [] },
        codeEditor: { lib: 'monaco' },
    },
    functionExternalModules: false,
    logging: {
        console: { level: process.env.NODE_RED_LOG_LEVEL || 'info', metrics: false, audit: false },
    },
};
