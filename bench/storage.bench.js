#!/usr/bin/env node
'use strict';
// `npm run bench:storage [-- --rows N --batch B --pairs 1,100,200 --rounds R --insert-sample S]`
//
// Write throughput of the three tick write paths, side by side in one run (DESIGN.md section 5):
//   (a) the seed's one INSERT per tick (on a small sample: it is ~1,000x slower),
//   (b) storage-core appendTicks (validation + dedupe + one transaction per batch),
//   (c) DuckDB's raw row appender into `ticks` (no validation, no dedupe), flushSync per batch;
// then process RSS with 200 pairs open and ConnectionPoolManager acquire latency.
// Requires the built libraries (the npm script builds them first). The machine is shared and
// noisy: variants run interleaved, in alternating order, `--rounds` times; the table shows each
// variant's best round, the JSON line every round.
const { execFileSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS } = require('@market-data/storage-core');
const { openPairSet } = require('./storage/pair-set');
const { makePairTicks } = require('./storage/synthetic-ticks');
const { perRowInsert, appendTicksVariant, rawAppenderVariant } = require('./storage/write-variants');
const { measurePoolLatency } = require('./storage/pool-latency');
const { median, mib, percentile, round, table } = require('./storage/stats');

const TARGETS = { appendVsAppender: 0.7, appendVsInsert: 500, rssBytes: 1024 ** 3 };

function parseArgs(argv) {
  const options = { rows: 1_000_000, batch: 10_000, pairs: [1, 100, 200], rounds: 2, insertSample: 5_000, rssPairs: 200 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const number = Number(value);
    if (flag === '--pairs') options.pairs = value.split(',').map(Number);
    else if (flag === '--rows') options.rows = number;
    else if (flag === '--batch') options.batch = number;
    else if (flag === '--rounds') options.rounds = number;
    else if (flag === '--insert-sample') options.insertSample = number;
    else if (flag === '--rss-pairs') options.rssPairs = number;
    else throw new Error(`unknown option ${flag}; see the header of bench/storage.bench.js`);
  }
  const counts = [options.rows, options.batch, options.rounds, options.insertSample, options.rssPairs, ...options.pairs];
  if (!counts.every((n) => Number.isInteger(n) && n > 0)) throw new Error('every option must be a positive integer');
  return options;
}

const VARIANTS = {
  a: (set, slices, options) => perRowInsert(set, slices, Math.min(options.insertSample, slices[0].length * set.dbs.length)),
  b: (set, slices, options, batch) => appendTicksVariant(set, slices, batch),
  c: (set, slices, options, batch) => rawAppenderVariant(set, slices, batch),
};

async function runVariant(name, pairs, slices, options, batch) {
  const set = await openPairSet(pairs);
  try {
    global.gc?.();
    const result = await VARIANTS[name](set, slices, options, batch);
    const stored = await set.countTicks();
    if (stored !== result.expectedCount) throw new Error(`variant ${name}: ${stored} rows stored, expected ${result.expectedCount}`);
    return { rows: result.rows, seconds: result.seconds, rowsPerSec: result.rows / result.seconds };
  } finally {
    set.close();
  }
}

async function writeThroughput(options) {
  const results = [];
  for (const pairs of options.pairs) {
    const slices = makePairTicks(options.rows, pairs);
    const batch = Math.min(options.batch, slices[0].length);
    const samples = { a: [], b: [], c: [] };
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? ['a', 'b', 'c'] : ['c', 'b', 'a'];
      for (const name of order) {
        const sample = await runVariant(name, pairs, slices, options, batch);
        samples[name].push(sample);
        process.stderr.write(`  pairs=${pairs} round=${round + 1} ${name}: ${Math.round(sample.rowsPerSec)} rows/s (${sample.rows} rows)\n`);
      }
    }
    const best = (name) => Math.max(...samples[name].map((s) => s.rowsPerSec));
    const med = (name) => median(samples[name].map((s) => s.rowsPerSec));
    results.push({
      pairs,
      batch,
      rows: samples.b[0].rows,
      insertRows: samples.a[0].rows,
      best: { a: best('a'), b: best('b'), c: best('c') },
      median: { a: med('a'), b: med('b'), c: med('c') },
      rounds: samples,
    });
  }
  return results;
}

function rssProbe(options, writer) {
  const stdout = execFileSync(
    process.execPath,
    ['--expose-gc', path.join(__dirname, 'storage', 'rss-probe.js'), String(options.rssPairs), String(options.rows), String(options.batch), writer],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(stdout.trim().split('\n').pop());
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!global.gc) process.stderr.write('note: run with node --expose-gc for steadier figures\n');
  const machine = { nproc: os.availableParallelism(), node: process.version, cpu: os.cpus()[0]?.model, date: new Date().toISOString() };
  process.stderr.write(`storage bench: ${JSON.stringify({ ...options, ...machine })}\n`);

  const writes = await writeThroughput(options);
  const rss = rssProbe(options, 'appendTicks');
  const rssAppender = rssProbe(options, 'appender');
  const pool = await measurePoolLatency();
  const hitUs = [...pool.hitUs].sort((x, y) => x - y);
  const missUs = [...pool.missUs].sort((x, y) => x - y);

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(`\nWrite throughput, rows/s (best of ${options.rounds} interleaved rounds; threads=${DEFAULT_THREADS}, memory_limit=${DEFAULT_MEMORY_LIMIT} per file)\n`);
  console.log(
    table([
      ['pairs', 'rows', 'batch', '(a) INSERT/tick', '(b) appendTicks', '(c) raw appender', 'b/a', 'b/c'],
      ...writes.map((w) => [w.pairs, w.rows, w.batch, fmt(w.best.a), fmt(w.best.b), fmt(w.best.c), round(w.best.b / w.best.a), round(w.best.b / w.best.c, 2)]),
    ]),
  );
  console.log(`\n(a) wrote ${writes[0].insertRows} rows per run (one INSERT and commit per tick).`);
  console.log(`\nRSS MiB with ${rss.pairs} pairs open, ${rss.rows} rows written in batches of ${options.batch} (own process each, after gc)\n`);
  const states = ['baseline', 'idleOpen', 'afterWrite', 'afterCheckpoint', 'afterClose'];
  console.log(
    table([
      ['state', 'writer (b) appendTicks', 'writer (c) raw appender'],
      ...states.map((k) => [k, mib(rss[k].rss), mib(rssAppender[k].rss)]),
    ]),
  );
  const perPairIdle = (rss.idleOpen.rss - rss.baseline.rss) / rss.pairs;
  console.log(`\nidle cost per open pair: ${mib(perPairIdle)} MiB; opening ${rss.pairs} pairs took ${Math.round(rss.openMs)} ms`);
  console.log(`\nConnectionPoolManager.acquire latency, µs (${pool.pairs} pairs, maxConnections ${pool.maxConnections})\n`);
  console.log(
    table([
      ['kind', 'count', 'p50', 'p99', 'max'],
      ['hit', hitUs.length, round(percentile(hitUs, 50), 1), round(percentile(hitUs, 99), 1), round(hitUs[hitUs.length - 1], 1)],
      ['miss (evict + open)', missUs.length, round(percentile(missUs, 50)), round(percentile(missUs, 99)), round(missUs[missUs.length - 1])],
    ]),
  );

  const at100 = writes.find((w) => w.pairs === 100) ?? writes[writes.length - 1];
  const worstBa = Math.min(...writes.map((w) => w.best.b / w.best.a));
  const checks = {
    [`appendVsAppenderAt${at100.pairs}Pairs`]: { value: round(at100.best.b / at100.best.c, 3), target: `>= ${TARGETS.appendVsAppender}`, ok: at100.best.b / at100.best.c >= TARGETS.appendVsAppender },
    appendVsInsertWorst: { value: round(worstBa), target: `>= ${TARGETS.appendVsInsert}`, ok: worstBa >= TARGETS.appendVsInsert },
    rssIdleOpenMiB: { value: mib(rss.idleOpen.rss), target: `< ${mib(TARGETS.rssBytes)}`, ok: rss.idleOpen.rss < TARGETS.rssBytes },
    rssAfterWriteMiB: { value: mib(rss.afterWrite.rss), target: `< ${mib(TARGETS.rssBytes)}`, ok: rss.afterWrite.rss < TARGETS.rssBytes },
  };
  console.log('\nTargets');
  for (const [name, c] of Object.entries(checks)) console.log(`  ${c.ok ? 'ok  ' : 'MISS'} ${name}: ${c.value} (target ${c.target})`);

  const summary = {
    bench: 'storage',
    ...machine,
    options,
    writes: writes.map(({ rounds, ...w }) => ({ ...w, rounds: Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, v.map((s) => Math.round(s.rowsPerSec))])) })),
    rss: {
      pairs: rss.pairs,
      rows: rss.rows,
      openMs: Math.round(rss.openMs),
      perPairIdleMiB: mib(perPairIdle),
      appendTicks: Object.fromEntries(states.map((k) => [k, mib(rss[k].rss)])),
      appender: Object.fromEntries(states.map((k) => [k, mib(rssAppender[k].rss)])),
    },
    poolAcquireUs: {
      hit: { count: hitUs.length, p50: round(percentile(hitUs, 50), 1), p99: round(percentile(hitUs, 99), 1) },
      miss: { count: missUs.length, p50: round(percentile(missUs, 50)), p99: round(percentile(missUs, 99)) },
      evictions: pool.evictions,
    },
    checks,
  };
  console.log(`\n${JSON.stringify(summary)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
