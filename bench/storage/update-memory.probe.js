#!/usr/bin/env node
// What an UPDATE costs the shared instance until the next checkpoint, by DuckDB's own tag
// (duckdb_memory(), TRANSACTION): `--pairs` files attached to one in-memory instance, each with a
// 12-column table of 100 rows written and checkpointed; then every pair updates one row's first K
// columns, five times over. Modes, each in a process of its own: update K = 1, 4 and 12; the
// same 12-column update followed by a CHECKPOINT; and the row rewritten as a DELETE and an INSERT
// in one transaction (the alternative tried for the forming candle, docs/decisions.md).
//   node bench/storage/update-memory.probe.js [--pairs 20]
// Prints TRANSACTION KiB per pair after each round.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DuckDBInstance } = require('@duckdb/node-api');
const { numberArg, stringArg } = require('../cli-args');

const COLUMNS = 12;
const ROUNDS = 5;
const MODES = ['update-1', 'update-4', 'update-12', 'update-12-checkpoint', 'delete-insert'];

async function probe(mode, pairs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'update-memory-'));
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '512MB', threads: '1' });
  const conn = await instance.connect();
  try {
    const values = Array.from({ length: COLUMNS }, () => 'random()').join(', ');
    for (let p = 0; p < pairs; p++) {
      await conn.run(`ATTACH '${path.join(dir, `p${p}.duckdb`)}' AS p${p} (BLOCK_SIZE 16384)`);
      await conn.run(`CREATE TABLE p${p}.t (ts BIGINT PRIMARY KEY, ${Array.from({ length: COLUMNS }, (_, i) => `c${i} DOUBLE`).join(', ')})`);
      await conn.run(`INSERT INTO p${p}.t SELECT range, ${values} FROM range(100)`);
      await conn.run(`CHECKPOINT p${p}`);
    }
    const columns = mode.startsWith('update-') ? Number(mode.split('-')[1]) : COLUMNS;
    const sets = Array.from({ length: columns }, (_, i) => `c${i} = c${i} + 1`).join(', ');
    const perRound = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let p = 0; p < pairs; p++) {
        if (mode === 'delete-insert') {
          await conn.run('BEGIN TRANSACTION');
          await conn.run(`DELETE FROM p${p}.t WHERE ts = 99`);
          await conn.run(`INSERT INTO p${p}.t SELECT 99, ${values}`);
          await conn.run('COMMIT');
        } else {
          await conn.run(`UPDATE p${p}.t SET ${sets} WHERE ts = 99`);
          if (mode.endsWith('-checkpoint')) await conn.run(`CHECKPOINT p${p}`);
        }
      }
      const reader = await conn.runAndReadAll("SELECT memory_usage_bytes AS b FROM duckdb_memory() WHERE tag = 'TRANSACTION'");
      perRound.push(Math.round(Number(reader.getRowObjects()[0]?.b ?? 0) / 1024 / pairs));
    }
    return { mode, pairs, transactionKiBPerPair: perRound };
  } finally {
    conn.closeSync();
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const pairs = numberArg('pairs', 20);
  const only = stringArg('mode', undefined);
  if (only !== undefined) {
    process.stdout.write(`${JSON.stringify(await probe(only, pairs))}\n`);
    return;
  }
  console.log(`${pairs} pairs attached to one instance; TRANSACTION KiB per pair after each of ${ROUNDS} rounds`);
  for (const mode of MODES) {
    const r = JSON.parse(execFileSync(process.execPath, [__filename, '--mode', mode, '--pairs', String(pairs)], { encoding: 'utf8' }).trim());
    console.log(`${mode.padEnd(22)} ${r.transactionKiBPerPair.join(' / ')}`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
