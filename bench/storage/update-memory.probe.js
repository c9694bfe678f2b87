#!/usr/bin/env node
// What an UPDATE costs the shared instance until the next checkpoint, by DuckDB's own tag
// (duckdb_memory(), TRANSACTION): `--pairs` files attached to one in-memory instance, each with a
// 12-column table of 100 rows written and checkpointed; then every pair updates one row's first K
// columns, five times over. Modes, each in a process of its own:
//   update-K (K = 1, 4, 12)     the UPDATE alone;
//   update-12-checkpoint        followed by a CHECKPOINT of the file;
//   update-12-checkpoint-busy   the same while one connection holds a write transaction open on the
//                               first file and another a read transaction on each file checkpointed,
//                               as other pairs' writers and a file's readers do in the apps (the
//                               checkpoint still succeeds; one transaction that wrote a file and then
//                               read another would make the second's checkpoint fail with "there
//                               are other write transactions active");
//   delete-insert               the row rewritten as a DELETE and an INSERT in one transaction (the
//                               alternative tried for the forming candle, docs/decisions.md);
//   candle-12, candle-9         storage-core's own candles_1m (mixed column types): the forming
//                               candle's 12-column UPDATE, and one leaving the open columns alone.
//   node bench/storage/update-memory.probe.js [--pairs 20]
// Prints TRANSACTION KiB per pair after each round (in the busy mode the first file, never
// checkpointed, keeps its 3,072 KiB: 1/pairs of it per pair; the rest is what the writer's open
// transaction keeps alive of the others' versions).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DuckDBInstance } = require('@duckdb/node-api');
const { numberArg, stringArg } = require('../cli-args');

const COLUMNS = 12;
const ROUNDS = 5;
const MODES = ['update-1', 'update-4', 'update-12', 'update-12-checkpoint', 'update-12-checkpoint-busy', 'delete-insert', 'candle-12', 'candle-9'];

/** The forming candle's UPDATE as storage-core writes it (all 12 columns), and one without the three open columns. */
const CANDLE_UPDATE = {
  'candle-12': `open = 1, high = high + 1, low = 0.4, close = 1.6, volume = volume + 1, buy_volume = buy_volume + 1, sell_volume = 5,
    trade_count = trade_count + 1, open_time = make_timestamp(1000000000000000), open_trade_id = '1', close_time = close_time + INTERVAL 1 SECOND, close_trade_id = '4'`,
  'candle-9': `high = high + 1, low = 0.4, close = 1.6, volume = volume + 1, buy_volume = buy_volume + 1, sell_volume = 5,
    trade_count = trade_count + 1, close_time = close_time + INTERVAL 1 SECOND, close_trade_id = '4'`,
};

/** A pair file with storage-core's schema and one stored candle, checkpointed. */
async function candleFile(conn, p) {
  const { createAllTables } = require('@market-data/storage-core');
  await conn.run(`USE p${p}`);
  await createAllTables(conn);
  await conn.run(`INSERT INTO candles_1m VALUES (make_timestamp(1000000000000000), 1, 2, 0.5, 1.5, 10, 5, 5, 3,
    make_timestamp(1000000000000000), '1', make_timestamp(1000000000000000), '3')`);
  await conn.run(`CHECKPOINT p${p}`);
}

async function probe(mode, pairs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'update-memory-'));
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '512MB', threads: '1' });
  const conn = await instance.connect();
  try {
    const values = Array.from({ length: COLUMNS }, () => 'random()').join(', ');
    for (let p = 0; p < pairs; p++) {
      await conn.run(`ATTACH '${path.join(dir, `p${p}.duckdb`)}' AS p${p} (BLOCK_SIZE 16384)`);
      if (mode.startsWith('candle-')) {
        await candleFile(conn, p);
        continue;
      }
      await conn.run(`CREATE TABLE p${p}.t (ts BIGINT PRIMARY KEY, ${Array.from({ length: COLUMNS }, (_, i) => `c${i} DOUBLE`).join(', ')})`);
      await conn.run(`INSERT INTO p${p}.t SELECT range, ${values} FROM range(100)`);
      await conn.run(`CHECKPOINT p${p}`);
    }
    const columns = mode.startsWith('update-') ? Number(mode.split('-')[1]) : COLUMNS;
    const busy = mode.endsWith('-busy') ? { writer: await instance.connect(), reader: await instance.connect() } : undefined;
    if (busy) {
      await busy.writer.run('BEGIN TRANSACTION');
      await busy.writer.run(`INSERT INTO p0.t VALUES (1000, ${values})`);
    }
    const sets = Array.from({ length: columns }, (_, i) => `c${i} = c${i} + 1`).join(', ');
    const perRound = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let p = 0; p < pairs; p++) {
        if (mode.startsWith('candle-')) {
          await conn.run(`UPDATE p${p}.candles_1m SET ${CANDLE_UPDATE[mode]} WHERE timestamp = make_timestamp(1000000000000000)`);
        } else if (mode === 'delete-insert') {
          await conn.run('BEGIN TRANSACTION');
          await conn.run(`DELETE FROM p${p}.t WHERE ts = 99`);
          await conn.run(`INSERT INTO p${p}.t SELECT 99, ${values}`);
          await conn.run('COMMIT');
        } else {
          await conn.run(`UPDATE p${p}.t SET ${sets} WHERE ts = 99`);
          if (busy && p > 0) {
            await busy.reader.run('BEGIN TRANSACTION');
            await busy.reader.run(`SELECT count(*) FROM p${p}.t`);
          }
          // With a writer open on p0, its checkpoint would (rightly) wait: only the others are checkpointed.
          if (mode.endsWith('-checkpoint') || (busy && p > 0)) await conn.run(`CHECKPOINT p${p}`);
          if (busy && p > 0) await busy.reader.run('COMMIT');
        }
      }
      const reader = await conn.runAndReadAll("SELECT memory_usage_bytes AS b FROM duckdb_memory() WHERE tag = 'TRANSACTION'");
      perRound.push(Math.round(Number(reader.getRowObjects()[0]?.b ?? 0) / 1024 / pairs));
    }
    if (busy) {
      await busy.writer.run('ROLLBACK');
      busy.writer.closeSync();
      busy.reader.closeSync();
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
    console.log(`${mode.padEnd(26)} ${r.transactionKiBPerPair.join(' / ')}`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
