#!/usr/bin/env node
'use strict';
// `npm run bench:storage [-- --rows N --batch B --pairs 1,100,200 --rounds R --insert-sample S --rss-pairs P]`
//
// Write throughput of the tick write paths, side by side in one run (DESIGN.md section 5), on pair
// files attached to one shared instance (storage-core's layout):
//   (a) the seed's one INSERT per tick (on a small sample: it is ~1,000x slower),
//   (b) storage-core appendTicks (validation + dedupe + one transaction per batch),
//   (c) DuckDB's raw row appender into `ticks` (no validation, no dedupe), flushSync per batch,
//   (p) appendTicks again, on the layout before it: one DuckDB instance per file (b/p: attached
//       against instance-per-file, the same write path);
// then process RSS with `--rss-pairs` pairs open idle, after writing `--rows` ticks across them,
// after a checkpoint and after closing, for both layouts, each measured in a fresh child process,
// with the time to open them; and ConnectionPoolManager acquire latency.
// Requires the built libraries (the npm script builds them first). The machine is shared and
// noisy: variants run interleaved, in alternating order, `--rounds` times; the table shows each
// variant's best round, the JSON line every round.
const { execFileSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS, NEW_FILE_BLOCK_SIZE } = require('@market-data/storage-core');
const { openPairSet, PER_FILE } = require('./storage/pair-set');
const { makePairTicks } = require('./storage/synthetic-ticks');
const { perRowInsert, appendTicksVariant, rawAppenderVariant } = require('./storage/write-variants');
const { measurePoolLatency } = require('./storage/pool-latency');
const { median, mib, percentile, round, table } = require('./storage/stats');

const TARGETS = { appendVsAppender: 0.7, appendVsInsert: 500, attachedVsPerFile: 0.9, rssBytes: 1024 ** 3, rssIdleAttachedBytes: 150 * 1024 ** 2 };
const LAYOUTS = ['attached', 'instance-per-file'];

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
  a: { layout: 'attached', run: (set, slices, options) => perRowInsert(set, slices, Math.min(options.insertSample, slices[0].length * set.dbs.length)) },
  b: { layout: 'attached', run: (set, slices, options, batch) => appendTicksVariant(set, slices, batch) },
  c: { layout: 'attached', run: (set, slices, options, batch) => rawAppenderVariant(set, slices, batch) },
  p: { layout: 'instance-per-file', run: (set, slices, options, batch) => appendTicksVariant(set, slices, batch) },
};
const NAMES = Object.keys(VARIANTS);

async function runVariant(name, pairs, slices, options, batch) {
  const set = await openPairSet(pairs, VARIANTS[name].layout);
  try {
    global.gc?.();
    // Process CPU (every thread: DuckDB's work runs on libuv's): steadier than wall time on a shared box.
    const cpu = process.cpuUsage();
    const result = await VARIANTS[name].run(set, slices, options, batch);
    const used = process.cpuUsage(cpu);
    const stored = await set.countTicks();
    if (stored !== result.expectedCount) throw new Error(`variant ${name}: ${stored} rows stored, expected ${result.expectedCount}`);
    return { rows: result.rows, seconds: result.seconds, rowsPerSec: result.rows / result.seconds, cpuUsPerRow: (used.user + used.system) / result.rows };
  } finally {
    set.close();
  }
}

async function writeThroughput(options) {
  const results = [];
  for (const pairs of options.pairs) {
    const slices = makePairTicks(options.rows, pairs);
    const batch = Math.min(options.batch, slices[0].length);
    const samples = Object.fromEntries(NAMES.map((n) => [n, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? NAMES : [...NAMES].reverse();
      for (const name of order) {
        const sample = await runVariant(name, pairs, slices, options, batch);
        samples[name].push(sample);
        process.stderr.write(`  pairs=${pairs} round=${round + 1} ${name}: ${Math.round(sample.rowsPerSec)} rows/s, ${sample.cpuUsPerRow.toFixed(2)} µs CPU/row (${sample.rows} rows)\n`);
      }
    }
    const best = (name) => Math.max(...samples[name].map((s) => s.rowsPerSec));
    const med = (name) => median(samples[name].map((s) => s.rowsPerSec));
    const cpu = (name) => Math.min(...samples[name].map((s) => s.cpuUsPerRow));
    results.push({
      pairs,
      batch,
      rows: samples.b[0].rows,
      insertRows: samples.a[0].rows,
      best: Object.fromEntries(NAMES.map((n) => [n, best(n)])),
      median: Object.fromEntries(NAMES.map((n) => [n, med(n)])),
      cpuUsPerRow: Object.fromEntries(NAMES.map((n) => [n, cpu(n)])),
      rounds: samples,
    });
  }
  return results;
}

/** One layout's RSS figures, in a fresh child process so the layouts cannot pollute each other. */
function rssProbe(options, writer, layout) {
  const stdout = execFileSync(
    process.execPath,
    ['--expose-gc', path.join(__dirname, 'storage', 'rss-probe.js'), String(options.rssPairs), String(options.rows), String(options.batch), writer, layout],
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
  const rssByLayout = Object.fromEntries(LAYOUTS.map((layout) => [layout, rssProbe(options, 'appendTicks', layout)]));
  const rss = rssByLayout.attached;
  const pool = await measurePoolLatency();
  const hitUs = [...pool.hitUs].sort((x, y) => x - y);
  const missUs = [...pool.missUs].sort((x, y) => x - y);

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const layoutNote =
    `attached: one instance, threads=${DEFAULT_THREADS}, memory_limit=${DEFAULT_MEMORY_LIMIT} for all files, new files with ${NEW_FILE_BLOCK_SIZE / 1024} KiB blocks; ` +
    `instance-per-file: threads=${PER_FILE.threads}, memory_limit=${PER_FILE.memory_limit} per file, 256 KiB blocks`;
  console.log(`\nWrite throughput, rows/s (best of ${options.rounds} interleaved rounds)\n${layoutNote}\n`);
  console.log(
    table([
      ['pairs', 'rows', 'batch', '(a) INSERT/tick', '(b) appendTicks', '(c) raw appender', '(p) appendTicks per-file', 'b/a', 'b/c', 'b/p'],
      ...writes.map((w) => [
        w.pairs,
        w.rows,
        w.batch,
        fmt(w.best.a),
        fmt(w.best.b),
        fmt(w.best.c),
        fmt(w.best.p),
        round(w.best.b / w.best.a),
        round(w.best.b / w.best.c, 2),
        round(w.best.b / w.best.p, 2),
      ]),
    ]),
  );
  console.log(`\n(a) wrote ${writes[0].insertRows} rows per run (one INSERT and commit per tick).`);
  console.log('\nProcess CPU per row, µs (best round; every thread): appendTicks attached (b) against instance-per-file (p)\n');
  console.log(
    table([
      ['pairs', '(b) attached', '(p) per-file', 'b/p'],
      ...writes.map((w) => [w.pairs, round(w.cpuUsPerRow.b, 2), round(w.cpuUsPerRow.p, 2), round(w.cpuUsPerRow.b / w.cpuUsPerRow.p, 2)]),
    ]),
  );
  console.log(`\nRSS MiB with ${rss.pairs} pairs open, ${rss.rows} rows written with appendTicks in batches of ${options.batch} (a fresh process per layout, after gc)\n`);
  const states = ['baseline', 'idleOpen', 'afterWrite', 'afterCheckpoint', 'afterClose'];
  const perPairIdle = (r) => (r.idleOpen.rss - r.baseline.rss) / r.pairs;
  console.log(
    table([
      ['state', ...LAYOUTS, 'attached/per-file'],
      ...states.map((k) => [k, ...LAYOUTS.map((l) => mib(rssByLayout[l][k].rss)), round(rssByLayout.attached[k].rss / rssByLayout['instance-per-file'][k].rss, 2)]),
      ['idle MiB per pair', ...LAYOUTS.map((l) => mib(perPairIdle(rssByLayout[l]))), round(perPairIdle(rss) / perPairIdle(rssByLayout['instance-per-file']), 2)],
      ['open ms (all pairs)', ...LAYOUTS.map((l) => Math.round(rssByLayout[l].openMs)), round(rss.openMs / rssByLayout['instance-per-file'].openMs, 2)],
    ]),
  );
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
  const worstBp = Math.min(...writes.map((w) => w.best.b / w.best.p));
  const worstCpuBp = Math.max(...writes.map((w) => w.cpuUsPerRow.b / w.cpuUsPerRow.p));
  const checks = {
    [`appendVsAppenderAt${at100.pairs}Pairs`]: { value: round(at100.best.b / at100.best.c, 3), target: `>= ${TARGETS.appendVsAppender}`, ok: at100.best.b / at100.best.c >= TARGETS.appendVsAppender },
    appendVsInsertWorst: { value: round(worstBa), target: `>= ${TARGETS.appendVsInsert}`, ok: worstBa >= TARGETS.appendVsInsert },
    appendAttachedVsPerFileWorst: { value: round(worstBp, 3), target: `>= ${TARGETS.attachedVsPerFile}`, ok: worstBp >= TARGETS.attachedVsPerFile },
    appendCpuAttachedVsPerFileWorst: { value: round(worstCpuBp, 3), target: `<= ${round(1 / TARGETS.attachedVsPerFile, 2)}`, ok: worstCpuBp <= 1 / TARGETS.attachedVsPerFile },
    [`rssIdleOpen${rss.pairs}PairsAttachedMiB`]: { value: mib(rss.idleOpen.rss), target: `< ${mib(TARGETS.rssIdleAttachedBytes)}`, ok: rss.idleOpen.rss < TARGETS.rssIdleAttachedBytes },
    rssAfterWriteAttachedMiB: { value: mib(rss.afterWrite.rss), target: `< ${mib(TARGETS.rssBytes)}`, ok: rss.afterWrite.rss < TARGETS.rssBytes },
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
      ...Object.fromEntries(
        LAYOUTS.map((l) => [
          l,
          { openMs: Math.round(rssByLayout[l].openMs), perPairIdleMiB: mib(perPairIdle(rssByLayout[l])), ...Object.fromEntries(states.map((k) => [k, mib(rssByLayout[l][k].rss)])) },
        ]),
      ),
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
