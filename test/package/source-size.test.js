'use strict';
// No source module over 500 lines: a file that long holds more than one responsibility and is
// split. Counts every tracked source file of nodes/, scripts/, sim/, firmware/ and test/support/.
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const MAX_LINES = 500;
const DIRS = ['nodes', 'scripts', 'sim', 'firmware', 'test/support'];
const SOURCE = /\.(ts|js|py|html|sh)$/;
// Files being split by their owners right now. This list only shrinks and must become empty:
// never add a file to it, split the file instead.
const BEING_SPLIT = new Set([]);

function sourceFiles() {
    // tracked and new (not ignored) files, so a file cannot escape by not being committed yet
    const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...DIRS], { cwd: ROOT, encoding: 'utf8' });
    return [...new Set(out.split('\n').filter((f) => SOURCE.test(f) && fs.existsSync(path.join(ROOT, f))))].sort();
}

function lineCount(file) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describe(`source files stay within ${MAX_LINES} lines`, function () {
    const files = sourceFiles();

    it('finds the source files of every module', function () {
        for (const dir of DIRS) assert.ok(files.some((f) => f.startsWith(`${dir}/`)), `no source file under ${dir}/`);
    });

    it(`no file of ${DIRS.join(', ')} is over ${MAX_LINES} lines (except the ones being split)`, function () {
        const over = files.map((f) => ({ f, n: lineCount(f) })).filter(({ f, n }) => n > MAX_LINES && !BEING_SPLIT.has(f));
        assert.deepStrictEqual(over.map(({ f, n }) => `${f}: ${n} lines`), []);
    });

    it('the list of files being split holds only files that still need it', function () {
        // a file that got short enough leaves the list, so it cannot grow back unnoticed
        const done = [...BEING_SPLIT].filter((f) => !fs.existsSync(path.join(ROOT, f)) || lineCount(f) <= MAX_LINES);
        assert.deepStrictEqual(done, [], 'remove these from BEING_SPLIT');
    });
});
