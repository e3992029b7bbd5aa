// Chromium through playwright-core with the launch options of scripts/lib/services.js.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromiumLaunchOptions, tmpDir } = require('../../../scripts/lib/services');

const RESULTS = path.join(__dirname, '..', '..', '..', 'test-results', 'screenshots');
const DOCS = path.join(__dirname, '..', '..', '..', 'docs', 'screenshots');

/** Why Chromium cannot be driven here (no chromium, no playwright-core), or null. */
function browserSkipReason() {
    let reason = null;
    // a dir name is given so that chromiumLaunchOptions makes none
    try { chromiumLaunchOptions('unused'); } catch (e) { reason = e.message; }
    if (!reason) { try { require.resolve('playwright-core'); } catch { reason = 'playwright-core is not installed'; } }
    // CI installs Chromium (scripts/setup.sh): there a missing browser is a failure, not a skip
    if (reason && process.env.CI) throw new Error(`browser tests cannot run under CI: ${reason}`);
    return reason;
}

/**
 * Why the whole chain cannot be driven in a browser here (no FerretDB, no Chromium, `node`'s
 * build missing), or null.
 */
function chainSkipReason(node) {
    if (!require('../../../scripts/lib/services').ferretdbPath()) return 'FerretDB is not built (bash scripts/setup.sh test)';
    const noBrowser = browserSkipReason();
    if (noBrowser) return noBrowser;
    if (!fs.existsSync(path.join(__dirname, '..', '..', '..', 'dist', 'nodes', node, `${node}.js`))) return 'not built (npm run build)';
    return null;
}

/** A persistent Chromium context (fresh user data dir) in `locale`, logging in with `httpCredentials` when asked; close() removes the dir. */
async function launch({ locale = 'en-GB', httpCredentials } = {}) {
    const { chromium } = require('playwright-core');
    const dir = tmpDir('chromium');
    const o = chromiumLaunchOptions(dir);
    // playwright wants the user data dir as an argument of launchPersistentContext
    o.args = o.args.filter((a) => !a.startsWith('--user-data-dir='));
    const context = await chromium.launchPersistentContext(dir, { ...o, viewport: { width: 1280, height: 860 }, locale, ...(httpCredentials ? { httpCredentials } : {}) });
    return {
        context,
        async close() { await context.close(); fs.rmSync(dir, { recursive: true, force: true }); },
    };
}

/**
 * Saves a screenshot under test-results/screenshots, and under docs/screenshots when
 * PICOCHAIN_SCREENSHOTS=docs (unless `docs: false`: checks, not pictures for the README).
 */
async function shot(page, name, { docs = true } = {}) {
    fs.mkdirSync(RESULTS, { recursive: true });
    const file = path.join(RESULTS, `${name}.png`);
    await page.screenshot({ path: file });
    if (docs && process.env.PICOCHAIN_SCREENSHOTS === 'docs') {
        fs.mkdirSync(DOCS, { recursive: true });
        fs.copyFileSync(file, path.join(DOCS, `${name}.png`));
    }
    return file;
}

/**
 * Collects the numbers after "x": in what the page receives over socket.io (chart points), from
 * websocket frames and from long-polling responses (node-red-dashboard starts with polling).
 */
function watchChartFrames(page) {
    const xs = [];
    const scan = (text) => { for (const m of text.matchAll(/"x":(\d{12,14})/g)) xs.push(Number(m[1])); };
    page.on('websocket', (ws) => ws.on('framereceived', (f) => scan(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8'))));
    page.on('response', async (r) => {
        if (!/socket\.io\/.*transport=polling/.test(r.url())) return;
        try { scan(await r.text()); } catch { /* the page moved on */ }
    });
    return xs;
}

module.exports = { browserSkipReason, chainSkipReason, launch, shot, watchChartFrames };
