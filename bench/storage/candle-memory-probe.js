#!/usr/bin/env node
// Where a writing pair's share of the shared instance's memory goes, by DuckDB's own tags
// (duckdb_memory()): ticks alone, ticks with candles (the ingester's and the analytics app's
// write), and the same with a CHECKPOINT after every round. 100 pairs attached to one instance
// (storage-core's layout), rounds of `batch` ticks per pair with appendTicks, each round followed
// by flushCandles as the 5 s candle timer does live. Each mode runs in a process of its own.
//   node --expose-gc bench/storage/candle-memory-probe.js [--pairs 100] [--batch 600] [--rounds 30] [--memory-limit 512MB]
// (memory_limit above what the modes need, so nothing is evicted and the tags show the demand.)
'use strict';
const { execFileSync } = require('node:child_process');
const { appendTicks, flushCandles } = require('@market-data/storage-core');
const { numberArg, stringArg } = require('../cli-args');
const { openPairSet } = require('./pair-set');
const { makeTickRange, random } = require('./synthetic-ticks');

const MODES = ['ticks', 'candles', 'candles-checkpoint'];

async function tags(connection) {
  const reader = await connection.runAndReadAll('SELECT tag, memory_usage_bytes AS b FROM duckdb_memory() WHERE memory_usage_bytes > 0');
  return Object.fromEntries(reader.getRowObjects().map((r) => [r.tag, Number(r.b) / 1048576]));
}

async function probe(mode, pairs, batch, rounds, memoryLimit) {
  const set = await openPairSet(pairs, 'attached', { memoryLimit });
  try {
    const next = random(7);
    const candles = mode !== 'ticks';
    let peakTransaction = 0;
    for (let round = 0; round < rounds; round++) {
      for (let p = 0; p < pairs; p++) {
        const { connection } = set.dbs[p];
        await appendTicks(connection, makeTickRange(p, round * batch, batch, next), { candles });
        if (candles) await flushCandles(connection);
        if (mode === 'candles-checkpoint') await connection.run('CHECKPOINT');
      }
      peakTransaction = Math.max(peakTransaction, (await tags(set.dbs[0].connection)).TRANSACTION ?? 0);
    }
    global.gc?.();
    const end = await tags(set.dbs[0].connection);
    return { mode, pairs, rows: await set.countTicks(), end, peakTransaction, rssMiB: process.memoryUsage().rss / 1048576 };
  } finally {
    set.close();
  }
}

async function main() {
  const pairs = numberArg('pairs', 100);
  const batch = numberArg('batch', 600);
  const rounds = numberArg('rounds', 30);
  const memoryLimit = stringArg('memory-limit') ?? '512MB';
  const only = stringArg('mode');
  if (only !== undefined) {
    if (!MODES.includes(only)) throw new Error(`--mode is one of ${MODES.join(', ')}`);
    process.stdout.write(`${JSON.stringify(await probe(only, pairs, batch, rounds, memoryLimit))}\n`);
    return;
  }
  console.log(`${pairs} pairs attached to one instance (memory_limit ${memoryLimit}), ${rounds} rounds of ${batch} ticks per pair; MiB by duckdb_memory() tag at the end\n`);
  console.log('mode                 TRANSACTION (peak)  IN_MEMORY_TABLE  BASE_TABLE  ART_INDEX  RSS   TRANSACTION per pair');
  for (const mode of MODES) {
    const out = execFileSync(process.execPath, ['--expose-gc', __filename, '--mode', mode, '--pairs', String(pairs), '--batch', String(batch), '--rounds', String(rounds), '--memory-limit', memoryLimit], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').at(-1));
    const f = (v) => (v ?? 0).toFixed(1).padStart(6);
    console.log(
      `${mode.padEnd(20)} ${f(r.end.TRANSACTION)} (${f(r.peakTransaction)})   ${f(r.end.IN_MEMORY_TABLE)}         ${f(r.end.BASE_TABLE)}      ${f(r.end.ART_INDEX)}   ${r.rssMiB.toFixed(0).padStart(4)}  ${((r.end.TRANSACTION ?? 0) / pairs).toFixed(2)}`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
