// Preload: wall time per SQL text (connection.run/runAndReadAll and prepared statements), printed at exit.
const api = require('@duckdb/node-api');
const stats = new Map();
const sqlOf = new WeakMap();
const key = (sql) => String(sql).replace(/\s+/g, ' ').slice(0, 110);
function add(sql, ms) { const s = stats.get(sql) || { n: 0, ms: 0 }; s.n++; s.ms += ms; stats.set(sql, s); }
const C = api.DuckDBConnection.prototype, P = api.DuckDBPreparedStatement.prototype;
for (const m of ['run', 'runAndReadAll']) {
  const orig = C[m];
  C[m] = async function (sql, ...rest) { const t = performance.now(); try { return await orig.call(this, sql, ...rest); } finally { add(key(sql), performance.now() - t); } };
  const origP = P[m];
  P[m] = async function (...rest) { const t = performance.now(); try { return await origP.apply(this, rest); } finally { add('P ' + (sqlOf.get(this) ?? '?'), performance.now() - t); } };
}
const prep = C.prepare;
C.prepare = async function (sql) { const s = await prep.call(this, sql); sqlOf.set(s, key(sql)); return s; };
process.on('exit', () => {
  const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
  for (const [sql, s] of rows) process.stderr.write(`${s.ms.toFixed(0).padStart(8)} ms ${String(s.n).padStart(6)}x ${(s.ms / s.n).toFixed(2).padStart(7)}  ${sql}\n`);
});
