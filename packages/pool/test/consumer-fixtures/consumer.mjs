// An ESM consumer of the packed libraries: named imports must resolve (a missing one is a link
// error before any code runs). `node consumer.mjs <dataDir>` prints JSON.
import { createRequire } from 'node:module';
import {
  DatabaseManager,
  InvalidPairError,
  appendTicks,
  executeQuery,
  isPairDatabaseOpen,
  pairDatabasePath,
  pairKey,
} from '@market-data/storage-core';
import { ConnectionPoolManager, PoolError } from '@market-data/pool';
import { QueryError, calculateCvdQuery, calculateOrderFlowImbalanceQuery } from '@market-data/queries';

const require = createRequire(import.meta.url);
const { runSeedScenario } = require('./seed-scenario.cjs');

const lib = {
  DatabaseManager,
  InvalidPairError,
  appendTicks,
  executeQuery,
  isPairDatabaseOpen,
  pairDatabasePath,
  pairKey,
  ConnectionPoolManager,
  PoolError,
  QueryError,
  calculateCvdQuery,
  calculateOrderFlowImbalanceQuery,
};

const result = await runSeedScenario(lib, process.argv[2]);
result.resolved = ['storage-core', 'pool', 'queries'].map((name) => import.meta.resolve(`@market-data/${name}`));
// The ESM wrapper re-exports the CommonJS build, so both module systems share one instance
// (no dual-package hazard: one set of open files, one error class).
result.sameInstanceAsRequire =
  require('@market-data/storage-core').DatabaseManager === DatabaseManager &&
  require('@market-data/pool').ConnectionPoolManager === ConnectionPoolManager &&
  require('@market-data/queries').QueryError === QueryError;
process.stdout.write(`${JSON.stringify(result)}\n`);
