// One mocha run for everything `npm test` covers: cores, nodes in the real runtime, integration
// with Mosquitto and FerretDB, firmware in real MicroPython, pages in Chromium.
module.exports = {
    spec: ['test/**/*.test.js'],
    reporter: './test/support/reporter.js',
    timeout: 20000,
    exit: true,
};
