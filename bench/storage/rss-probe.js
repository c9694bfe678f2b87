'use strict';
// Run as its own process, one per layout, so layouts cannot pollute each other's figures:
// `node --expose-gc bench/storage/rss-probe.js <pairs> <rows> <batch> <writer> <layout> [memoryLimit] [blockSize]`.
// Figures: baseline, all pairs open and idle, after writing `rows` ticks across them (still
// open), after a CHECKPOINT of every file, and after closing; plus the time to open them all.
// <writer> is `appendTicks` (storage-core) or `appender` (DuckDB's raw row appender), to tell the
// write path's own memory from the table data's; <layout> is `attached` (one shared instance) or
// `instance-per-file` (see pair-set.js). Ticks are generated batch by batch, so the benchmark's
// own data does not inflate the RSS. Prints one JSON line.
const { appendTicks } = require('@market-data/storage-core');
const { openPairSet } = require('./pair-set');
const { appendRaw } = require('./write-variants');
const { makeTickRange, random } = require('./synthetic-ticks');

function sample() {
  global.gc?.();
  global.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

async function main() {
  const [pairs, rows, batch] = process.argv.slice(2, 5).map(Number);
  const writer = process.argv[5] ?? 'appendTicks';
  const layout = process.argv[6] ?? 'attached';
  const memoryLimit = process.argv[7] || undefined;
  const blockSize = process.argv[8] ? Number(process.argv[8]) : undefined;
  if (writer !== 'appendTicks' && writer !== 'appender') throw new Error(`unknown writer ${writer}`);
  const baseline = sample();
  const openStart = process.hrtime.bigint();
  const set = await openPairSet(pairs, layout, { memoryLimit, blockSize });
  const openMs = Number(process.hrtime.bigint() - openStart) / 1e6;
  try {
    const idleOpen = sample();
    const perPair = Math.floor(rows / pairs);
    const next = random(7);
    const appenders = [];
    if (writer === 'appender') for (const db of set.dbs) appenders.push(await db.connection.createAppender('ticks'));
    for (let from = 0; from < perPair; from += batch) {
      for (let p = 0; p < pairs; p++) {
        const ticks = makeTickRange(p, from, Math.min(batch, perPair - from), next);
        if (writer === 'appendTicks') await appendTicks(set.dbs[p].connection, ticks);
        else appendRaw(appenders[p], ticks);
      }
    }
    for (const appender of appenders) appender.closeSync();
    const afterWrite = sample();
    for (const db of set.dbs) await db.connection.run('CHECKPOINT');
    const afterCheckpoint = sample();
    const stored = await set.countTicks();
    set.close();
    const afterClose = sample();
    process.stdout.write(`${JSON.stringify({ pairs, rows: stored, writer, layout, memoryLimit, blockSize, openMs, baseline, idleOpen, afterWrite, afterCheckpoint, afterClose })}\n`);
  } catch (error) {
    set.close();
    throw error;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
