'use strict';
// Installed alone, @market-data/queries must load and build SQL with no DuckDB package present.
// `node queries-only.cjs` prints JSON.
function resolves(name) {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

const queries = require('@market-data/queries');
const cvd = queries.calculateCvdQuery({ lookbackMinutes: 5, endTime: Date.UTC(2024, 0, 1) });
let error = null;
try {
  queries.calculateCvdQuery({ lookbackMinutes: Number.NaN });
} catch (e) {
  error = { name: e.name, code: e.code, instanceOf: e instanceof queries.QueryError };
}
import('@market-data/queries').then((esm) => {
  process.stdout.write(
    `${JSON.stringify({
      duckdbInstalled: resolves('@duckdb/node-api'),
      cvd,
      error,
      esmSameFunction: esm.calculateCvdQuery === queries.calculateCvdQuery,
    })}\n`,
  );
});
