#!/usr/bin/env node
// Writes dist/index.mjs re-exporting the CommonJS build by name, so `import { x } from
// '@market-data/...'` works in ESM consumers without relying on Node's CJS export sniffing.
const fs = require('node:fs');
const path = require('node:path');

const dist = path.resolve(process.argv[2] || '.', 'dist');
const cjs = require(path.join(dist, 'index.js'));
const names = Object.keys(cjs).filter((n) => n !== 'default' && n !== '__esModule' && /^[A-Za-z_$][\w$]*$/.test(n));
const lines = [
  "import cjs from './index.js';",
  ...names.map((n) => `export const ${n} = cjs.${n};`),
  'export default cjs;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
