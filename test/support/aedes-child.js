'use strict';
// npm start's embedded broker (scripts/lib/embedded-broker.js) alone in this process, for tests
// that kill it: argv[2] = its LevelDB session directory, argv[3] = port (0: a free one). Prints
// `PORT <n>` once it listens.
const { startAedes } = require('../../scripts/lib/embedded-broker');

startAedes({ host: '127.0.0.1', port: Number(process.argv[3] || 0), persistenceDir: process.argv[2] })
    .then((b) => process.stdout.write(`PORT ${b.port}\n`))
    .catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
