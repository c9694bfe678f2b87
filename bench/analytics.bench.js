#!/usr/bin/env node
// npm run bench:analytics: both apps as real processes, fed by a fake Binance USD-M exchange in
// its own process (100 pairs, 20,000 trades/s in total, trades stamped with the wall clock so 1m
// candles close every minute as they do live).
//   warm-up:       the analytics app starts, catches up, and runs its first minute boundary (cold
//                  passes on fresh connections; its lag is printed apart), then
//   live phase:    steady state for --seconds: commit -> analytics row lag (p50/p99, from the
//                  analytics app's /stats), committed trades/s, CPU cores and peak RSS per process,
//                  both apps' RSS and PSS summed at one instant (peak; PSS counts shared code once),
//                  analytics backlog, and the analytics passes of each minute boundary.
//   offline phase: both apps stopped; `market-data-analytics --offline` over the same trading files
//                  into a fresh analytics dir (total time), then analytics-pass-probe.js times a
//                  full pass over every pair's live analytics file, reopened: a restart's first
//                  (cold) pass, then a warm boundary (one more minute stored per pair, then every
//                  pair's pass, as many at a time as the app runs): the full-pass target.
// Flags: --pairs 100 --rate 20000 --seconds 60 --warmup 10 --time-scale 1 --max-delay-ms N (the
// ingester's batch delay; its default is 100) --profile (node --cpu-prof
// for the live and offline analytics processes; top functions printed) --keep (keep the temp dir)
// --live-only (skip the offline run and the probe: a quick iteration on the lag)
// --series S (a line every S seconds of the live phase: each app's RSS, lag, pass and commit means,
// files on disk; for long runs, to see what levels off and what keeps growing)
// --analytics-max-delay-ms N (the analytics app's --max-delay-ms: how long it holds a pair's ticks)
// --analytics-concurrency N (its --concurrency: pairs storing and passing at once)
// --analytics-memory-limit SIZE (its --memory-limit: DuckDB memory_limit of the instance all analytics files share; the pass probe uses it too)
// --app-node-args 'FLAGS' (node/V8 flags for both apps, e.g. '--optimize-for-size')
// --analytics-args 'FLAGS' (more flags for the live analytics app, e.g. '--checkpoint-interval-ms 15000')
// --ingester path/to/dist/main.js, --analytics path/to/dist/main.js (another build of either app,
// e.g. a worktree of main, for before/after; the live phase only)
// --ingester-storage-threads N (the ingester's --storage-threads); --market volatile|ticked (the
// exchange's prices: nearly one per trade, the default, or a BTC-like tick grid); after `--`, any other ingester flags
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { sleep, threadCpuSeconds, rssMiB, pssMiB, startExchange, startIngester, startAnalytics, runOffline, runPassProbe, getJson, readMetrics } = require('./analytics-processes');
const { topFunctions } = require('./analytics-cpu-profile');
const { startSeries } = require('./analytics-series');
const { makeTempDir, removeTempDir } = require('@market-data/testing');

const { numberArg: arg, stringArg } = require('./cli-args');
const flag = (name) => process.argv.includes(`--${name}`);
const PAIRS = arg('pairs', 100);
const RATE = arg('rate', 20_000);
const SECONDS = arg('seconds', 60);
const WARMUP = arg('warmup', 10);
const TIME_SCALE = arg('time-scale', 1);
const PROFILE = flag('profile');
const MAX_DELAY_MS = arg('max-delay-ms', undefined);
const INGESTER_STORAGE_THREADS = arg('ingester-storage-threads', undefined);
// After `--`: more ingester flags, as bench:ingest takes them.
const INGESTER_EXTRA = process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : [];
const LIVE_ONLY = flag('live-only');
const SERIES_SECONDS = arg('series', 0);
const ANALYTICS_MAX_DELAY_MS = arg('analytics-max-delay-ms', undefined);
const ANALYTICS_CONCURRENCY = arg('analytics-concurrency', undefined);
const ANALYTICS_MEMORY_LIMIT = stringArg('analytics-memory-limit', undefined);
const MARKET = stringArg('market', 'volatile');
// Node/V8 flags for both apps' processes, e.g. --app-node-args '--optimize-for-size'.
const APP_NODE_ARGS = stringArg('app-node-args', '').split(' ').filter(Boolean);
const ANALYTICS_ARGS = stringArg('analytics-args', '').split(' ').filter(Boolean);
const INGESTER_MAIN = path.resolve(stringArg('ingester', path.join(__dirname, '../packages/ingest-app/dist/main.js')));
const ANALYTICS_MAIN = path.resolve(stringArg('analytics', path.join(__dirname, '../packages/analytics-app/dist/main.js')));
const MINUTE_MS = 60_000;
const round = (x, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);

/** The exchange's trade time at a wall-clock instant. */
const tradeTime = (exchange, ms) => exchange.startTime + (ms - exchange.startTime) * TIME_SCALE;

/** Trade-time minute boundaries crossed between two wall-clock instants. */
function boundaries(exchange, fromMs, toMs) {
  return Math.floor(tradeTime(exchange, toMs) / MINUTE_MS) - Math.floor(tradeTime(exchange, fromMs) / MINUTE_MS);
}

/** How far (trade time, ms) each pair's analytics file trails the feed: p50 and max over pairs. */
async function analyticsBehind(exchange, analytics) {
  const { newest = {} } = await getJson(`${analytics.url}/healthz`);
  const now = tradeTime(exchange, Date.now());
  const behind = Object.values(newest).map((ms) => now - ms).sort((a, b) => a - b);
  if (behind.length === 0) return null;
  return { p50: Math.round(behind[Math.floor(behind.length / 2)]), max: Math.round(behind[behind.length - 1]) };
}

function heapOf(metrics) {
  const mib = (name) => Math.round((metrics.value(name) || 0) / 1048576);
  return { used: mib('nodejs_heap_size_used_bytes'), total: mib('nodejs_heap_size_total_bytes'), external: mib('nodejs_external_memory_bytes') };
}

/** An app's DuckDB memory by tag (MiB, tags under 1 MiB left out), as its /metrics reports it (`<app>_duckdb_memory_bytes`). */
function duckdbOf(metrics, app) {
  const tags = Object.entries(metrics.byLabel(`${app}_duckdb_memory_bytes`)).map(([tag, bytes]) => [tag, Math.round(bytes / 1048576)]);
  return Object.fromEntries(tags.filter(([, mib]) => mib >= 1));
}

async function snapshot(ingester, analytics, procs, sinceMs) {
  const [ing, ana, metrics, ingMetrics] = await Promise.all([
    getJson(`${ingester.url}/stats`),
    getJson(`${analytics.url}/stats${sinceMs === undefined ? '' : `?since=${sinceMs}`}`),
    readMetrics(analytics.url),
    readMetrics(ingester.url),
  ]);
  return {
    at: performance.now(),
    wall: Date.now(),
    ing,
    ana,
    pass: metrics.histogram('analytics_pass_seconds'),
    lag: metrics.histogram('analytics_commit_to_row_seconds'),
    store: metrics.histogram('analytics_store_seconds'),
    reconnects: metrics.value('analytics_subscriber_reconnects_total') || 0,
    // A memory setting that makes DuckDB fail stores or passes must not pass for a saving.
    failures: { stores: metrics.total('analytics_store_failures_total'), passes: metrics.total('analytics_pass_failures_total') },
    // Every committed batch is one message to the analytics app.
    batches: ingMetrics.histogram('ingest_batch_commit_seconds'),
    receipt: ingMetrics.histogram('ingest_receipt_to_commit_seconds'),
    cpu: procs.map((p) => p.cpu()),
    analyticsThreads: threadCpuSeconds(analytics.pid),
    // Where each app's RSS is: the JS heap and what Node counts outside it (the rest is native: DuckDB).
    heapMiB: { ingest: { ...heapOf(ingMetrics), duckdb: duckdbOf(ingMetrics, 'ingest') }, analytics: { ...heapOf(metrics), duckdb: duckdbOf(metrics, 'analytics') } },
  };
}

async function livePhase(dir) {
  const dataDir = path.join(dir, 'data');
  const pairs = Array.from({ length: PAIRS }, (_, i) => `binance:usdm:SYM${i}USDT`);
  const exchange = await startExchange(RATE, TIME_SCALE, MARKET);
  const procs = [exchange];
  try {
    const ingester = await startIngester(exchange.port, dataDir, pairs, [
      ...(MAX_DELAY_MS === undefined ? [] : ['--max-delay-ms', String(MAX_DELAY_MS)]),
      ...(INGESTER_STORAGE_THREADS === undefined ? [] : ['--storage-threads', String(INGESTER_STORAGE_THREADS)]),
      ...INGESTER_EXTRA,
    ], APP_NODE_ARGS, INGESTER_MAIN);
    procs.push(ingester);
    await sleep(5000); // every pair has stored trades before the analytics app subscribes
    const analyticsStart = Date.now();
    const analytics = await startAnalytics(
      dataDir,
      ingester.url,
      [...APP_NODE_ARGS, ...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(dir, 'prof-live')] : [])],
      [
        ...(ANALYTICS_MAX_DELAY_MS === undefined ? [] : ['--max-delay-ms', String(ANALYTICS_MAX_DELAY_MS)]),
        ...(ANALYTICS_CONCURRENCY === undefined ? [] : ['--concurrency', String(ANALYTICS_CONCURRENCY)]),
        ...(ANALYTICS_MEMORY_LIMIT === undefined ? [] : ['--memory-limit', ANALYTICS_MEMORY_LIMIT]),
        ...ANALYTICS_ARGS,
      ],
      ANALYTICS_MAIN,
    );
    procs.push(analytics);
    let startBoundary = null;
    if (TIME_SCALE === 1) {
      // The first boundary after a start is the app's cold one: every pair's first pass on a fresh
      // connection (no profile memory, no prepared statements; 2 to 3x a warm pass). It belongs
      // to the warm-up and is reported apart; the window starts so that its first boundary, the
      // next one, comes 15 s (or half the window) into it.
      const b0 = Math.ceil((analyticsStart + WARMUP * 1000) / MINUTE_MS) * MINUTE_MS;
      const windowStart = b0 + MINUTE_MS - Math.min(15, SECONDS / 2) * 1000;
      await sleep(windowStart - Date.now());
      startBoundary = { afterStartS: round((b0 - analyticsStart) / 1000, 1), ...(await getJson(`${analytics.url}/stats?since=${b0}`)).commitToRowMsSince };
    } else {
      await sleep(WARMUP * 1000);
    }

    const s0 = await snapshot(ingester, analytics, procs);
    for (const p of procs) p.peakRss = 0; // peaks of the steady state only
    // Both apps at the same instant: the sum of each one's own peak overstates what they held
    // together, and RSS counts the code pages they share twice (PSS splits them).
    const together = { rss: 0, pss: 0 };
    const togetherSampler = setInterval(() => {
      together.rss = Math.max(together.rss, rssMiB(ingester.pid) + rssMiB(analytics.pid));
      together.pss = Math.max(together.pss, pssMiB(ingester.pid) + pssMiB(analytics.pid));
    }, 250);
    const filesMiB = () => ({ trading: round(filesBytes(dataDir, 'trading.duckdb') / 2 ** 20, 1), analytics: round(filesBytes(dataDir, 'analytics.duckdb') / 2 ** 20, 1) });
    const series = SERIES_SECONDS > 0 ? startSeries({ seconds: SERIES_SECONDS, ingester, analytics, filesMiB }) : undefined;
    let maxBacklog = 0;
    const end = s0.at + SECONDS * 1000;
    while (performance.now() < end) {
      await sleep(Math.min(1000, Math.max(0, end - performance.now())));
      const [ing, ana] = await Promise.all([getJson(`${ingester.url}/stats`), getJson(`${analytics.url}/stats`)]);
      maxBacklog = Math.max(maxBacklog, ing.stored - ana.ticksApplied);
    }
    clearInterval(togetherSampler);
    series?.stop();
    const s1 = await snapshot(ingester, analytics, procs, s0.wall);
    const behindAtEnd = await analyticsBehind(exchange, analytics);
    // The passes of a boundary near the window's end finish after it: wait for their lag samples.
    const crossed = boundaries(exchange, s0.wall, s1.wall);
    // The window's boundaries only: passes that ended before its first boundary were the app's
    // start-up catch-up (it had not caught up by the window's start).
    const firstBoundary = (Math.floor(tradeTime(exchange, s0.wall) / MINUTE_MS) + 1) * MINUTE_MS;
    const boundarySamples = async () =>
      TIME_SCALE === 1 && crossed > 0 ? (await getJson(`${analytics.url}/stats?since=${firstBoundary}`)).commitToRowMsSince : undefined;
    let s2 = s1;
    let sinceBoundary = await boundarySamples();
    const waitEnd = performance.now() + 30_000;
    const waiting = () => (sinceBoundary ? sinceBoundary.count : s2.lag.count - s0.lag.count) < crossed * PAIRS;
    while (waiting() && performance.now() < waitEnd) {
      await sleep(500);
      s2 = await snapshot(ingester, analytics, procs, s0.wall);
      sinceBoundary = await boundarySamples();
    }
    const secs = (s1.at - s0.at) / 1000;
    // Samples still missing: passes not run yet (lag at least the time since the boundary), or run
    // on replayed ticks after a reconnect (a replay carries no commit time, so no sample).
    const missing = Math.max(0, crossed * PAIRS - (sinceBoundary ? sinceBoundary.count : s2.lag.count - s0.lag.count));
    const lastBoundary = Math.floor(s2.wall / MINUTE_MS) * MINUTE_MS;
    const passes = s2.pass.count - s0.pass.count;
    const result = {
      seconds: round(secs, 1),
      offeredPerSec: RATE,
      committedPerSec: Math.round((s1.ing.stored - s0.ing.stored) / secs),
      analyticsAppliedPerSec: Math.round((s1.ana.ticksApplied - s0.ana.ticksApplied) / secs),
      backlogTicks: { max: maxBacklog, end: s1.ing.stored - s1.ana.ticksApplied },
      analyticsBehindMs: behindAtEnd,
      minuteBoundaries: crossed,
      // p50/p99 over the window's samples only (the app's start-up catch-up passes left out).
      commitToRowMs: {
        p50: s2.ana.commitToRowMsSince.p50,
        p99: s2.ana.commitToRowMsSince.p99,
        sinceStart: s2.ana.commitToRowMs,
        ...(sinceBoundary ? { boundaries: sinceBoundary } : {}),
        samples: s2.lag.count,
        inWindow: s2.lag.count - s0.lag.count,
        mean: round(((s2.lag.sum - s0.lag.sum) / Math.max(1, s2.lag.count - s0.lag.count)) * 1000, 1),
        missing,
        ...(missing > 0 && TIME_SCALE === 1 ? { missingAtLeastMs: s2.wall - lastBoundary } : {}),
      },
      subscriberReconnects: s2.reconnects - s0.reconnects,
      livePassMs: { ...s2.ana.passMs, passes, mean: round(((s2.pass.sum - s0.pass.sum) / Math.max(1, passes)) * 1000, 2) },
      // One store per merged batch of a pair (appendTicks with candles).
      analyticsStoresPerSec: Math.round((s1.store.count - s0.store.count) / secs),
      analyticsStoreMeanMs: round(((s1.store.sum - s0.store.sum) / Math.max(1, s1.store.count - s0.store.count)) * 1000, 2),
      livePassSecondsPerRound: round(((s2.pass.sum - s0.pass.sum) / Math.max(1, passes)) * PAIRS, 3),
      failures: { inWindow: { stores: s2.failures.stores - s0.failures.stores, passes: s2.failures.passes - s0.failures.passes }, sinceStart: s2.failures },
      ingestReceiptToCommitMs: { ...s1.ing.receiptToCommitMs, windowMean: round(((s1.receipt.sum - s0.receipt.sum) / Math.max(1, s1.receipt.count - s0.receipt.count)) * 1000, 1) },
      ingestBatchesPerSec: Math.round((s1.batches.count - s0.batches.count) / secs),
      ingestTradesPerBatch: round((s1.ing.stored - s0.ing.stored) / Math.max(1, s1.batches.count - s0.batches.count), 1),
      processes: Object.fromEntries(
        procs.map((p, i) => [p.name, { cpuCores: round((s1.cpu[i] - s0.cpu[i]) / secs), peakRssMiB: Math.round(p.peakRss) }]),
      ),
      appsTogetherPeakMiB: { rss: Math.round(together.rss), pss: Math.round(together.pss) },
      // Cores per thread name of the analytics app (libuv pool threads run DuckDB's statements).
      analyticsThreadCores: Object.fromEntries(
        Object.entries(s1.analyticsThreads)
          .map(([name, cpu]) => [name, round((cpu - (s0.analyticsThreads[name] ?? 0)) / secs)])
          .filter(([, cores]) => cores >= 0.01),
      ),
      heapAtEndMiB: s1.heapMiB,
      analyticsStartedAfterIngesterMs: analyticsStart - exchange.startTime,
      // Where the window's first boundary fell: the app's start-up catch-up is over well before it.
      firstBoundaryAfterAnalyticsStartS: TIME_SCALE === 1 && crossed > 0 ? round((firstBoundary - analyticsStart) / 1000, 1) : null,
      // The warm-up's boundary (the app's first, with cold passes): lag p50/p99 of its samples.
      startBoundary,
    };
    result.stop = {};
    // A backlogged analytics app drains what it already received before it exits.
    for (const p of [...procs].reverse()) result.stop[p.name] = await p.stop(p === analytics ? 60_000 : 30_000);
    // What the files hold after the run (the analytics app keeps a tail of ticks: tickTail).
    result.filesOnDiskMiB = filesMiB();
    if (series) result.series = series.lines;
    return result;
  } finally {
    for (const p of procs) p.proc.kill('SIGKILL');
  }
}

/**
 * Bytes of every file named `name` (and its WAL) under `dir`. A WAL the apps' checkpoint removes
 * between the listing and its stat counts as 0 (it lost a series line once).
 */
function filesBytes(dir, name) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && (entry.name === name || entry.name === `${name}.wal`)) {
      total += fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name), { throwIfNoEntry: false })?.size ?? 0;
    }
  }
  return total;
}

function printTable(live, offline, probe) {
  const rows = [
    ['offered / committed trades/s', `${live.offeredPerSec} / ${live.committedPerSec}`],
    ['analytics ticks stored/s', `${live.analyticsAppliedPerSec}`],
    ['analytics stores/s (merged batches), mean store', `${live.analyticsStoresPerSec}, ${live.analyticsStoreMeanMs} ms`],
    ['analytics backlog (ticks) max / end', `${live.backlogTicks.max} / ${live.backlogTicks.end}`],
    ['analytics files behind the feed at end, p50 / max', live.analyticsBehindMs ? `${live.analyticsBehindMs.p50} / ${live.analyticsBehindMs.max} ms` : 'n/a'],
    ['minute boundaries in window, subscriber reconnects', `${live.minuteBoundaries}, ${live.subscriberReconnects}${live.firstBoundaryAfterAnalyticsStartS === null ? '' : ` (first ${live.firstBoundaryAfterAnalyticsStartS} s after the app started)`}`],
    ['commit -> row lag p50 / p99 (target p99 < 1 s)', `${live.commitToRowMs.p50} / ${live.commitToRowMs.p99} ms (${live.commitToRowMs.inWindow} samples in the window)`],
    ...(live.commitToRowMs.boundaries
      ? [['  passes from the window\'s first boundary on', `${live.commitToRowMs.boundaries.p50} / ${live.commitToRowMs.boundaries.p99} ms (${live.commitToRowMs.boundaries.count} samples)`]]
      : []),
    ...(live.startBoundary
      ? [[`  the app's first boundary (warm-up, cold passes, ${live.startBoundary.afterStartS} s after start)`, `${live.startBoundary.p50} / ${live.startBoundary.p99} ms (${live.startBoundary.count} samples)`]]
      : []),
    ['  the app\'s last 10 minutes (its catch-up too in a short run)', `${live.commitToRowMs.sinceStart.p50} / ${live.commitToRowMs.sinceStart.p99} ms (${live.commitToRowMs.samples} samples)`],
    ...(live.commitToRowMs.missing > 0
      ? [['  lag samples missing (pass not run, or run on a replay)', `${live.commitToRowMs.missing}${live.commitToRowMs.missingAtLeastMs ? `, each >= ${live.commitToRowMs.missingAtLeastMs} ms` : ''}`]]
      : []),
    ['live pass p50 / p99 / mean', `${live.livePassMs.p50} / ${live.livePassMs.p99} / ${live.livePassMs.mean} ms`],
    [`live passes, one round of ${PAIRS} pairs`, `${live.livePassSecondsPerRound} s`],
    ['failed stores / passes in the window (since start)', `${live.failures.inWindow.stores} / ${live.failures.inWindow.passes} (${live.failures.sinceStart.stores} / ${live.failures.sinceStart.passes})`],
    ...Object.entries(live.processes).map(([name, p]) => [`${name} CPU / peak RSS`, `${p.cpuCores} cores / ${p.peakRssMiB} MiB`]),
    ['ingest + analytics at one instant, peak RSS / PSS (target < 768 MiB)', `${live.appsTogetherPeakMiB.rss} / ${live.appsTogetherPeakMiB.pss} MiB`],
    ...Object.entries(live.heapAtEndMiB).map(([name, h]) => [`${name} JS heap used / total, external (end)`, `${h.used} / ${h.total}, ${h.external} MiB`]),
    ['files on disk after the run (trading / analytics)', `${live.filesOnDiskMiB.trading} / ${live.filesOnDiskMiB.analytics} MiB`],
    ...Object.entries(live.heapAtEndMiB).map(([name, h]) => [`${name} DuckDB memory by tag (end)`, Object.entries(h.duckdb).map(([tag, mib]) => `${tag} ${mib}`).join(', ') + ' MiB']),
    ['analytics cores by thread', Object.entries(live.analyticsThreadCores).map(([n, c]) => `${n} ${c}`).join(', ')],
    ['ingester receipt -> commit p50 / p99 (per batch, its oldest trade; last 60 s)', `${live.ingestReceiptToCommitMs.p50} / ${live.ingestReceiptToCommitMs.p99} ms, window mean ${live.ingestReceiptToCommitMs.windowMean} ms`],
    ['ingester batches (= analytics messages)/s, trades per batch', `${live.ingestBatchesPerSec}, ${live.ingestTradesPerBatch}`],
    ['stop (analytics, ingest) ms, exit codes', `${live.stop.analytics.ms}, ${live.stop.ingest.ms}; ${live.stop.analytics.code}, ${live.stop.ingest.code}`],
    ...(offline ? [[`offline run: ${offline.pairs} pairs, ${offline.ticks} ticks`, `${round(offline.seconds)} s (${round((offline.seconds / offline.pairs) * 1000, 1)} ms/pair), ${round(offline.cpuSeconds)} CPU s, ${Math.round(offline.peakRssMiB)} MiB`]] : []),
    // Reopened files start cold (no profile memory, no prepared statements): a restart's first
    // pass, one pair after another. The warm round is a running app's boundary (see the probe).
    ...(probe
      ? [
          [`cold full pass after reopening ${probe.pairs} pairs`, `${round(probe.passMs.total / 1000, 3)} s one after another; per pair p50 ${probe.passMs.p50} / p99 ${probe.passMs.p99} ms (opens: ${round(probe.openMs.total / 1000, 2)} s)`],
          [`warm boundary setup: a minute stored per pair in one batch, ${probe.pairs} pairs`, `${round(probe.warm.storeMs.total / 1000, 3)} s one after another (median round); per pair p50 ${probe.warm.storeMs.p50} / p99 ${probe.warm.storeMs.p99} ms`],
          [`warm boundary: full pass, ${probe.warm.concurrency} at a time (target < 1 s)`, `${round(probe.warm.roundMs / 1000, 3)} s median of ${probe.warm.rounds.map((ms) => round(ms / 1000, 3)).join(' / ')} s; per pair p50 ${probe.warm.passMs.p50} / p99 ${probe.warm.passMs.p99} ms; CPU ${probe.warm.cpuMs.map((ms) => round(ms / 1000, 2)).join(' / ')} s; ${probe.warm.candles1m} 1m candles`],
        ]
      : []),
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}

/** Prints the top self-time functions of each profiled process; returns the top 8 of each. */
function profiles(dir) {
  const out = {};
  for (const name of ['prof-live', 'prof-offline']) {
    const files = fs.existsSync(path.join(dir, name)) ? fs.readdirSync(path.join(dir, name)) : [];
    // A worker thread writes a profile of its own: print each.
    for (const file of files.sort()) {
      const top = topFunctions(path.join(dir, name, file), 15);
      console.log(`  cpu profile ${name} ${file} (self time, one thread):`);
      for (const t of top) console.log(`    ${String(t.ms).padStart(8)} ms ${String(t.pct).padStart(5)}%  ${t.fn}`);
      out[`${name}/${file}`] = top.slice(0, 8);
    }
  }
  return out;
}

async function main() {
  const dir = makeTempDir('bench-analytics-');
  try {
    console.log(
      `bench:analytics  ${PAIRS} pairs, ${RATE} trades/s, ${SECONDS} s window, wall clock x${TIME_SCALE}, ingester max-delay ${MAX_DELAY_MS ?? 'default (100)'} ms, analytics max-delay ${ANALYTICS_MAX_DELAY_MS ?? 'default'} ms, concurrency ${ANALYTICS_CONCURRENCY ?? 'default'}, memory-limit ${ANALYTICS_MEMORY_LIMIT ?? 'default (256MB, one instance)'}, market ${MARKET}, node ${process.version}${APP_NODE_ARGS.length ? ` ${APP_NODE_ARGS.join(' ')}` : ''}, ${os.cpus().length} cores`,
    );
    const live = await livePhase(dir);
    if (LIVE_ONLY) {
      printTable(live);
      console.log(JSON.stringify({ bench: 'analytics', date: new Date().toISOString(), pairs: PAIRS, live, ...(PROFILE ? profiles(dir) : {}) }));
      return;
    }
    const prof = (name) => (PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(dir, name)] : []);
    const offline = await runOffline(path.join(dir, 'data'), path.join(dir, 'offline'), prof('prof-offline'));
    if (offline.code !== 0) throw new Error(`offline analytics exited ${offline.code}`);
    const probe = await runPassProbe(path.join(dir, 'data'), ANALYTICS_CONCURRENCY ?? 3, ANALYTICS_MEMORY_LIMIT);
    printTable(live, offline, probe);
    const summary = {
      bench: 'analytics',
      date: new Date().toISOString(),
      node: process.version,
      cores: os.cpus().length,
      pairs: PAIRS,
      timeScale: TIME_SCALE,
      ingesterMaxDelayMs: MAX_DELAY_MS ?? 100,
      live,
      offline: { ...offline, seconds: round(offline.seconds), cpuSeconds: round(offline.cpuSeconds), peakRssMiB: Math.round(offline.peakRssMiB) },
      fullPass: probe,
      targets: { lagP99Under1s: live.commitToRowMs.p99 < 1000 && live.commitToRowMs.missing === 0, fullPassUnder1s: probe.warm.roundMs < 1000, appsTogetherUnder768MiB: { rss: live.appsTogetherPeakMiB.rss < 768, pss: live.appsTogetherPeakMiB.pss < 768 } },
    };
    if (PROFILE) Object.assign(summary, profiles(dir));
    console.log(JSON.stringify(summary));
  } finally {
    if (flag('keep')) console.error(`kept ${dir}`);
    else removeTempDir(dir);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
