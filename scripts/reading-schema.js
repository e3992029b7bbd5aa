#!/usr/bin/env node
// Writes nodes/shared/reading.schema.json from READING_RULES in nodes/shared/reading.ts (via the
// build in dist/), so the schema and the runtime checks are one table. test/shared/reading.test.js
// fails while the file differs. Usage: node scripts/build.js && node scripts/reading-schema.js
'use strict';
const fs = require('fs');
const path = require('path');
const { readingJsonSchema } = require('../dist/nodes/shared/reading');

const file = path.join(__dirname, '..', 'nodes', 'shared', 'reading.schema.json');
// one line per property and for `required`, as the file was written by hand before
const oneLine = (v) => JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ');
const schema = readingJsonSchema();
const lines = Object.entries(schema).map(([k, v]) => {
    if (k !== 'properties') return `  ${JSON.stringify(k)}: ${oneLine(v)}`;
    const props = Object.entries(v).map(([pk, pv]) => `    ${JSON.stringify(pk)}: ${oneLine(pv)}`);
    return `  "properties": {\n${props.join(',\n')}\n  }`;
});
fs.writeFileSync(file, `{\n${lines.join(',\n')}\n}\n`);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
