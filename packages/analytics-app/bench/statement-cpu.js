'use strict';
// The pass probe's --statements: process CPU and wall time per SQL statement, attributed by
// wrapping @duckdb/node-api's run methods. Only meaningful with --concurrency 1 (statements of
// concurrent passes would share the interval), and it includes whatever the process's other
// threads (DuckDB's, the GC's) did meanwhile, which is the point: what a statement costs the box.
const api = require('@duckdb/node-api');

const stats = new Map();
let phase = undefined;
let depth = 0;

/** Statements run from now on count under `name`; undefined stops counting. */
function statementPhase(name) {
  phase = name;
}

function wrap(proto, method, sqlOf) {
  const original = proto[method];
  proto[method] = async function (...args) {
    // runAndReadAll may call run: count the outermost call only.
    if (phase === undefined || depth > 0) return original.apply(this, args);
    depth++;
    const wall = performance.now();
    const cpu = process.cpuUsage();
    try {
      return await original.apply(this, args);
    } finally {
      depth--;
      const used = process.cpuUsage(cpu);
      const key = String(sqlOf(this, args)).replace(/\s+/g, ' ').slice(0, 120);
      const entry = stats.get(key) ?? { phases: new Map(), count: 0, cpuMs: 0, wallMs: 0 };
      const cpuMs = (used.user + used.system) / 1000;
      // Per phase too: one round (a 15-minute boundary's) can cost twice the others.
      const inPhase = entry.phases.get(phase) ?? { runs: 0, cpuMs: 0 };
      inPhase.runs++;
      inPhase.cpuMs += cpuMs;
      entry.phases.set(phase, inPhase);
      entry.count++;
      entry.cpuMs += cpuMs;
      entry.wallMs += performance.now() - wall;
      stats.set(key, entry);
    }
  };
}

let installed = false;
function installStatementCpu() {
  if (installed) return;
  installed = true;
  const conn = api.DuckDBConnection.prototype;
  const prepared = api.DuckDBPreparedStatement.prototype;
  const prepare = conn.prepare;
  conn.prepare = async function (sql) {
    const statement = await prepare.call(this, sql);
    statement.probeSql = sql;
    return statement;
  };
  wrap(conn, 'run', (_, args) => args[0]);
  wrap(conn, 'runAndReadAll', (_, args) => args[0]);
  wrap(prepared, 'run', (statement) => statement.probeSql);
  wrap(prepared, 'runAndReadAll', (statement) => statement.probeSql);
}

/**
 * The statements by CPU, most first: per run on average, over `passes` passes; `byPhase`: each
 * phase's runs and CPU ms (every phase runs `passes / phases` passes).
 */
function statementReport(passes, top = 15) {
  return [...stats.entries()]
    .sort((a, b) => b[1].cpuMs - a[1].cpuMs)
    .slice(0, top)
    .map(([sql, s]) => ({
      sql,
      runsPerPass: Math.round((s.count / passes) * 100) / 100,
      cpuMsPerPass: Math.round((s.cpuMs / passes) * 100) / 100,
      wallMsPerPass: Math.round((s.wallMs / passes) * 100) / 100,
      byPhase: Object.fromEntries([...s.phases].map(([name, p]) => [name, { runs: p.runs, cpuMs: Math.round(p.cpuMs * 100) / 100 }])),
    }));
}

module.exports = { installStatementCpu, statementPhase, statementReport };
