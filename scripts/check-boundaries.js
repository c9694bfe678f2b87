#!/usr/bin/env node
// Proves lint catches forbidden imports (DESIGN.md section 1): plants one violating file per
// rule, expects eslint to fail on each with the expected rule, and always removes the files.
// eslint runs with an empty Nx workspace-data folder, so the proof holds without a cached
// project graph (a fresh clone, an editor).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const BOUNDARY = '@nx/enforce-module-boundaries';
const RESTRICTED = 'no-restricted-imports';
const cases = [
  { pkg: 'queries', code: "import { DuckDBInstance } from '@duckdb/node-api';\nexport const x = DuckDBInstance;\n", why: 'queries imports @duckdb/*' },
  { pkg: 'queries', code: "import { pairKey } from '@market-data/storage-core';\nexport const x = pairKey;\n", why: 'queries imports another package' },
  { pkg: 'queries', code: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", why: 'queries imports node:fs', rule: RESTRICTED },
  { pkg: 'storage-core', code: "import { ConnectionPoolManager } from '@market-data/pool';\nexport const x = ConnectionPoolManager;\n", why: 'storage-core imports pool' },
  { pkg: 'pool', code: "import * as app from '@market-data/ingest-app';\nexport const x = app;\n", why: 'a library imports an app' },
  { pkg: 'ingest-app', code: "import { LruMap } from '@market-data/pool/src/lru';\nexport const x = LruMap;\n", why: 'a deep import of a package internal', rule: RESTRICTED },
  { pkg: 'storage-core', code: "import * as rt from '@market-data/runtime';\nexport const x = rt;\n", why: 'a library imports runtime' },
  { pkg: 'client', code: "import * as rt from '@market-data/runtime';\nexport const x = rt;\n", why: 'client imports runtime' },
  { pkg: 'client', code: "import { openPairDatabase } from '@market-data/storage-core';\nexport const x = openPairDatabase;\n", why: 'client imports storage-core' },
  { pkg: 'client', code: "import { getTicksAfterQuery } from '@market-data/queries';\nexport const x = getTicksAfterQuery;\n", why: 'client imports code (not types) from queries', rule: RESTRICTED },
  { pkg: 'ingest-app', code: "import * as t from '@market-data/testing';\nexport const x = t;\n", why: 'production code imports testing' },
  { pkg: 'pool', code: "import { makeTempDir } from '@market-data/testing';\nexport const x = makeTempDir;\n", why: 'library production code imports testing' },
  { pkg: 'testing', code: "import * as app from '@market-data/ingest-app';\nexport const x = app;\n", why: 'testing imports an app' },
  { pkg: 'analytics-app', code: "import * as app from '@market-data/ingest-app';\nexport const x = app;\n", why: 'an app imports the other app' },
  { pkg: 'ingest-app', code: "import * as q from '../../queries/src/index';\nexport const x = q;\n", why: 'import of another package by path' },
];

const workspaceData = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-no-cache-'));
let failures = 0;
try {
  for (const c of cases) {
    const dir = path.join(root, 'packages', c.pkg);
    const file = path.join(dir, 'src', '__boundary_probe__.ts');
    fs.writeFileSync(file, c.code);
    try {
      execFileSync('npx', ['eslint', '--no-cache', path.relative(dir, file)], {
        cwd: dir,
        stdio: 'pipe',
        env: { ...process.env, NX_WORKSPACE_DATA_DIRECTORY: workspaceData, NX_DAEMON: 'false' },
      });
      console.error(`NOT CAUGHT: ${c.why}`);
      failures++;
    } catch (err) {
      const out = String(err.stdout);
      if (out.includes(c.rule ?? BOUNDARY)) console.log(`caught: ${c.why}`);
      else {
        console.error(`eslint failed for another reason on "${c.why}":\n${out}${err.stderr}`);
        failures++;
      }
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
} finally {
  fs.rmSync(workspaceData, { recursive: true, force: true });
}
if (failures) process.exit(1);
console.log(`${cases.length} forbidden imports caught by lint (without a cached project graph)`);
