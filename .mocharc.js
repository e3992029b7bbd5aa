// One mocha run for everything `npm test` covers: cores, nodes in the real runtime, integration
// with Mosquitto and FerretDB, firmware in real MicroPython, pages in Chromium.
// The spec list lives in package.json's test script, so `npx mocha test/<area>` runs one area.
module.exports = {
    reporter: './test/support/reporter.js',
    timeout: 20000,
    exit: true,
};
