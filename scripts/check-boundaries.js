#!/usr/bin/env node
// Proves lint catches forbidden imports (DESIGN.md section 1): plants one violating file per
// rule, expects eslint to fail on each with the boundary rule, and always removes the files.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const cases = [
  { pkg: 'queries', code: "import { DuckDBInstance } from '@duckdb/node-api';\nexport const x = DuckDBInstance;\n", why: 'queries imports @duckdb/*' },
  { pkg: 'queries', code: "import { pairKey } from '@market-data/storage-core';\nexport const x = pairKey;\n", why: 'queries imports another package' },
  { pkg: 'storage-core', code: "import { ConnectionPoolManager } from '@market-data/pool';\nexport const x = ConnectionPoolManager;\n", why: 'storage-core imports pool' },
  { pkg: 'pool', code: "import * as app from '@market-data/ingest-app';\nexport const x = app;\n", why: 'a library imports an app' },
  { pkg: 'analytics-app', code: "import * as app from '@market-data/ingest-app';\nexport const x = app;\n", why: 'an app imports the other app' },
  { pkg: 'ingest-app', code: "import * as q from '../../queries/src/index';\nexport const x = q;\n", why: 'import of another package by path' },
];

let failures = 0;
for (const c of cases) {
  const file = path.join(root, 'packages', c.pkg, 'src', '__boundary_probe__.ts');
  fs.writeFileSync(file, c.code);
  try {
    execFileSync('npx', ['eslint', '--no-cache', path.relative(path.join(root, 'packages', c.pkg), file)], {
      cwd: path.join(root, 'packages', c.pkg),
      stdio: 'pipe',
    });
    console.error(`NOT CAUGHT: ${c.why}`);
    failures++;
  } catch (err) {
    const out = String(err.stdout);
    if (out.includes('@nx/enforce-module-boundaries')) console.log(`caught: ${c.why}`);
    else {
      console.error(`eslint failed for another reason on "${c.why}":\n${out}${err.stderr}`);
      failures++;
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}
if (failures) process.exit(1);
console.log(`${cases.length} forbidden imports caught by lint`);
