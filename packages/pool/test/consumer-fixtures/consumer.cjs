'use strict';
// A plain CommonJS consumer of the packed libraries: `node consumer.cjs <dataDir>` prints JSON.
const storage = require('@market-data/storage-core');
const pool = require('@market-data/pool');
const queries = require('@market-data/queries');
const { runSeedScenario } = require('./seed-scenario.cjs');

async function main() {
  const result = await runSeedScenario({ ...storage, ...pool, ...queries }, process.argv[2]);
  result.resolved = ['storage-core', 'pool', 'queries'].map((name) => require.resolve(`@market-data/${name}`));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
