// mocha's spec reporter plus the plain closing line CI reads: "tests: N passed, N failed, N skipped".
'use strict';
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class PicochainReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(EVENT_RUN_END, () => {
            const s = runner.stats || {};
            // printed after spec's epilogue (which also listens to EVENT_RUN_END, registered first)
            process.nextTick(() => {
                console.log(`tests: ${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped`);
            });
        });
    }
}
module.exports = PicochainReporter;
