// Compiles nodes/ with tsc into dist/ and copies what Node-RED loads beside each node's .js:
// the editor .html, locales/ and icons/, plus shared JSON (the reading schema).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
if (process.argv.includes('--clean')) fs.rmSync(dist, { recursive: true, force: true });
let tscFailed = false;
try {
    // tsc still emits on type errors; we report them and fail at the end so assets are copied too
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
} catch {
    tscFailed = true;
}

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

if (tscFailed) {
    console.error('build: TypeScript reported errors (see above)');
    process.exit(1);
}
