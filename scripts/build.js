// Compiles nodes/ with tsc into dist/ and copies what Node-RED loads beside each node's .js:
// the editor .html, locales/ and icons/, plus shared JSON (the reading schema).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });

function copyAssets(from, to) {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
        const src = path.join(from, entry.name);
        const dst = path.join(to, entry.name);
        if (entry.isDirectory()) {
            copyAssets(src, dst);
        } else if (!entry.name.endsWith('.ts')) {
            fs.mkdirSync(to, { recursive: true });
            fs.copyFileSync(src, dst);
        }
    }
}
copyAssets(path.join(root, 'nodes'), path.join(dist, 'nodes'));
