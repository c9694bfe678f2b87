#!/usr/bin/env node
// npm run bench:analytics-pass [-- --pairs 100 --minutes 20 --rate 200 --seed 1 --concurrency N --memory-limit 1GB --keep --sql-profile]
//   (--concurrency: pairs passed at once in the last round; default all of them, as the app does;
//    --sql-profile: do not hand stored trades to observeStoredTicks, so every new minute's profile
//    histogram is read by SQL, as before the engine could build it from them;
//    --memory-limit: the files' shared DuckDB instance, default 1GB: this bench stores every pair's
//    minutes with no checkpoint in between, which the app's 256MB does not hold (Out of Memory
//    since the files share one instance; each had its own 64MB when the bench was written).
//    The app's own passes at its own limit are bench:analytics's warm full pass)
//
// One analytics pass over every pair at a minute boundary, the work the analytics app does each
// minute, in one process and without the apps around it (bench:analytics measures those):
//   setup:  N pair files opened as the analytics app opens them (openPairDatabase, role
//           'analytics', all kept open like its pool), each fed seeded synthetic trades
//           (--rate per second, appendTicks with candles) up to 17 minutes before a 15-minute
//           boundary, --minutes + 2 minutes in all; one catch-up pass per pair (printed); then
//           warm-up rounds as the app runs them (a plain minute, a 15-minute boundary, then 14
//           minutes in one pass), so each connection's prepared statements and profile memory
//           are warm, as on a long-running app. From the warm-up on, every stored batch is also
//           handed to observeStoredTicks, as the app's runner does (unless --sql-profile), so a
//           pass builds its new minute's profile histogram without reading it back.
//   timed:  one more minute of trades per pair, up to just past the 15-minute boundary, then one
//           runAnalyticsPass per pair, one after the other (a pair's passes are serialized, and
//           the box has 2 cores): it closes a 1m, a 5m and a 15m candle (the heaviest
//           boundary). Then the same for the next, plain minute. Per-pair p50/p99, the total,
//           statements per pass. Passes get newestTick, as the app's runner passes it.
//   reference: the old way to the same market profile, calculateMarketProfileQuery for the
//           closed 1m candle (what the pass ran per candle before it kept per-minute
//           histograms): its time alone against the whole new pass, and whether both agree.
// Requires the built packages (the npm script builds them); run with --expose-gc so the setup's
// garbage is collected before the timed rounds. The temp dir is removed at the end unless --keep.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DuckDBConnection, DuckDBPreparedStatement } = require('@duckdb/node-api');
const { appendTicks, executeQuery, openPairDatabase, pairKey } = require('@market-data/storage-core');
const { calculateMarketProfileQuery } = require('@market-data/queries');
const { runAnalyticsPass, niceRowSize, observeStoredTicks } = require(path.resolve(__dirname, '../dist/engine'));

const MINUTE_MS = 60_000;
/** Setup batches (history, warm-up rounds): large, so the ~26 M trades of 100 pairs store quickly. */
const SETUP_BATCH_MS = 60_000;
/** Batches of the timed minutes: a few seconds each, nearer the app's (an ingester batch every ~0.1 to 1 s). */
const LIVE_BATCH_MS = 5_000;
const PROFILE_WINDOW_MINUTES = 15;

function parseArgs(argv) {
  const options = { pairs: 100, minutes: 20, rate: 200, seed: 1, concurrency: 0, memoryLimit: '1GB', keep: false, sqlProfile: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--memory-limit') {
      options.memoryLimit = argv[++i];
      continue;
    }
    if (flag === '--keep' || flag === '--sql-profile') {
      options[flag === '--keep' ? 'keep' : 'sqlProfile'] = true;
      continue;
    }
    const value = Number(argv[++i]);
    const key = { '--pairs': 'pairs', '--minutes': 'minutes', '--rate': 'rate', '--seed': 'seed', '--concurrency': 'concurrency' }[flag];
    if (!key || !Number.isInteger(value) || value < 1) throw new Error(`bad option ${flag} ${argv[i]}; see the header of packages/analytics-app/bench/analytics-pass.bench.js`);
    options[key] = value;
  }
  return options;
}

/** mulberry32: a small seeded generator, so every run sees the same market. */
function random(seed) {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * One pair's trade stream from `start`: about `rate` trades a second (a few share a millisecond),
 * a random walk on a price grid of a fifth of the default profile row (so rows hold several
 * prices), volumes with three decimals, taker side at random. Prices range over 0.3 .. 60,000
 * between pairs, so the row sizes differ too.
 */
function tradeStream(pair, start, rate, seed) {
  const rand = random(seed * 1_000_003 + pair);
  const base = 0.3 * 10 ** (rand() * 5.3);
  const grid = niceRowSize(base) / 5;
  let level = Math.round(base / grid);
  let time = start;
  let id = 1;
  const next = () => {
    time += rand() < 0.1 ? 0 : Math.max(1, Math.round((-Math.log(1 - rand()) * 1000) / rate));
    level = Math.max(1, level + (rand() < 0.5 ? -1 : 1) * (rand() < 0.7 ? 0 : 1 + Math.floor(rand() * 2)));
    return {
      timestamp: time,
      price: Math.round(level * grid * 1e8) / 1e8,
      volume: Math.max(0.001, Math.round(-Math.log(1 - rand()) * 2000) / 1000),
      side: rand() < 0.5 ? 'BUY' : 'SELL',
      tradeId: String(id++),
    };
  };
  let pending = next();
  /** The trades before `until` not taken yet. */
  return (until) => {
    const out = [];
    while (pending.timestamp < until) {
      out.push(pending);
      pending = next();
    }
    return out;
  };
}

/**
 * Appends the pair's trades in [from, until) in batches of `batchMs`, as the app stores ingester
 * batches, and keeps the newest stored trade time, as the app's runner does; with `observe`, also
 * hands each stored batch to the engine as the runner does.
 */
async function feed(pair, from, until, batchMs = SETUP_BATCH_MS, observe = false) {
  for (let end = from + batchMs; ; end += batchMs) {
    const batch = pair.stream(Math.min(end, until));
    if (batch.length > 0) {
      const result = await appendTicks(pair.db.connection, batch, { candles: true });
      if (observe) observeStoredTicks(pair.db.connection, batch, result);
      pair.newest = batch[batch.length - 1].timestamp;
    }
    if (end >= until) return;
  }
}

/** Counts statements run through the DuckDB client (a prepared statement's run counts once). */
function countStatements() {
  let count = 0;
  const wrap = (proto, name, counts) => {
    const original = proto[name];
    proto[name] = function (...args) {
      if (counts(args)) count++;
      return original.apply(this, args);
    };
  };
  // connection.run with values prepares a statement and runs it: count it there, not twice.
  wrap(DuckDBConnection.prototype, 'run', (args) => args[1] === undefined);
  wrap(DuckDBPreparedStatement.prototype, 'run', () => true);
  return () => count;
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (x) => Math.round(x * 100) / 100;
  return { total: round(sorted.reduce((a, b) => a + b, 0)), p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]) };
}

/** fn for every item, two at a time. */
async function inPairs(items, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all([worker(), worker()]);
}

/**
 * One pass per pair, `concurrency` pairs at a time (1: one after another; the app itself starts
 * every pair whose candle closed at once, one pass per pair at a time); per-pair times, the wall
 * time of the whole round, statements per pass.
 */
async function passRound(open, statements, concurrency) {
  const passMs = [];
  const before = statements();
  const started = performance.now();
  let candles = 0;
  let next = 0;
  const worker = async () => {
    while (next < open.length) {
      const { db, newest } = open[next++];
      const t = performance.now();
      // What the app's runner passes: it knows each pair's newest stored trade.
      const result = await runAnalyticsPass(db.connection, { newestTick: newest });
      passMs.push(performance.now() - t);
      candles += result.timeframes.reduce((n, tf) => n + tf.candles, 0);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { wallMs: performance.now() - started, passMs, candles, concurrency, statements: (statements() - before) / open.length };
}

/** calculateMarketProfileQuery for the 1m candle closing at `close`, per pair, and whether the pass stored the same. */
async function oldProfiles(open, close) {
  const ms = [];
  let agree = 0;
  for (const { db } of open) {
    const conn = db.connection;
    const stamp = { sql: 'WHERE timestamp = make_timestamp($1::BIGINT)', params: [(close - MINUTE_MS) * 1000] };
    const [candle] = await executeQuery(conn, { sql: `SELECT close FROM candles_1m ${stamp.sql}`, params: stamp.params });
    const rowSize = niceRowSize(Number(candle.close));
    const t = performance.now();
    const [old] = await executeQuery(conn, calculateMarketProfileQuery({ rowSize, lookbackMinutes: PROFILE_WINDOW_MINUTES, endTime: close - 0.001 }));
    ms.push(performance.now() - t);
    const [stored] = await executeQuery(conn, { sql: `SELECT poc, value_area_high, value_area_low, total_volume FROM market_profile ${stamp.sql}`, params: stamp.params });
    if (JSON.stringify(stored) === JSON.stringify(old)) agree++;
  }
  return { ms, agree };
}

function report(label, round, old, pairs) {
  const pass = stats(round.passMs);
  const reference = stats(old.ms);
  const how = round.concurrency === 1 ? 'one pair after another' : `${round.concurrency} pairs at a time`;
  console.log(`${label}: ONE FULL PASS over ${pairs} pairs ${(round.wallMs / 1000).toFixed(3)} s, ${how} (${round.candles} candles closed)`);
  console.log(`  per pair p50 ${pass.p50} ms, p99 ${pass.p99} ms, max ${pass.max} ms; ${round.statements.toFixed(1)} statements per pass`);
  console.log(`  old way, calculateMarketProfileQuery for the closed 1m candle alone: ${(reference.total / 1000).toFixed(3)} s, per pair p50 ${reference.p50} ms, p99 ${reference.p99} ms`);
  console.log(`  old profile query alone / whole new pass = ${(reference.total / pass.total).toFixed(2)}x; profiles identical: ${old.agree}/${pairs}`);
  return { passWallMs: round.wallMs, passMs: pass, statementsPerPass: round.statements, oldProfileMs: reference, profilesIdentical: old.agree };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.minutes < 17) throw new Error('--minutes must be at least 17 (a profile window and the warm-up boundaries)');
  // The timed boundary is a 15-minute one: 1m, 5m and 15m candles all close in its pass.
  const boundary = Date.UTC(2024, 0, 1, 12, 15);
  const start = boundary - (options.minutes + 1) * MINUTE_MS;
  // Each round's trades run a little past its boundary, which closes the candle before it, as live.
  const past = 100;
  const at = (minutesFromBoundary) => boundary + minutesFromBoundary * MINUTE_MS + past;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analytics-pass-bench-'));
  const statements = countStatements();
  const open = [];
  try {
    const setupStarted = performance.now();
    for (let p = 0; p < options.pairs; p++) {
      const db = await openPairDatabase(dir, pairKey('bench', 'um', `SYM${p}USDT`), { role: 'analytics', memoryLimit: options.memoryLimit });
      open.push({ db, stream: tradeStream(p, start, options.rate, options.seed), newest: 0 });
    }
    // Storing trades is setup, not measured: two pairs at a time keep both cores busy. Passes
    // always run one pair after another.
    await inPairs(open, (pair) => feed(pair, start, at(-17)));
    const catchUpMs = [];
    for (const { db } of open) {
      const t = performance.now();
      await runAnalyticsPass(db.connection);
      catchUpMs.push(performance.now() - t);
    }
    // Warm-up as the app runs: a plain minute, a 15-minute boundary, then 14 minutes in one pass.
    // The app's connections stay open, so its prepared statements and profile memory are warm.
    let fed = at(-17);
    const round = async (until, batchMs = SETUP_BATCH_MS, concurrency = 1) => {
      const from = fed;
      await inPairs(open, (pair) => feed(pair, from, until, batchMs, !options.sqlProfile));
      fed = until;
      return passRound(open, statements, concurrency);
    };
    for (const until of [at(-16), at(-15), at(-1)]) await round(until);
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    // The setup's garbage (millions of generated trades) is collected now, not during a timed pass.
    global.gc?.();
    const boundary15 = await round(at(0), LIVE_BATCH_MS);
    const old15 = await oldProfiles(open, boundary);
    global.gc?.();
    const boundary1 = await round(at(1), LIVE_BATCH_MS);
    const old1 = await oldProfiles(open, boundary + MINUTE_MS);
    // The same work as the app schedules it: every pair whose candle closed starts its pass at once.
    global.gc?.();
    const concurrent = await round(at(2), LIVE_BATCH_MS, options.concurrency || open.length);
    const oldC = await oldProfiles(open, boundary + 2 * MINUTE_MS);

    const ticks = Math.round(options.rate * 60 * (options.minutes + 3));
    console.log(options.sqlProfile ? 'new minutes\' profile histograms read by SQL (--sql-profile)' : 'stored trades handed to observeStoredTicks, as the runner does');
    console.log(`analytics-pass bench: ${options.pairs} pairs x ~${ticks.toLocaleString('en')} trades (${options.minutes + 3} min at ${options.rate}/s), memory_limit ${options.memoryLimit}, setup ${setupSeconds.toFixed(1)} s`);
    console.log(`catch-up pass per pair (first pass, ${options.minutes - 16} min): p50 ${stats(catchUpMs).p50} ms, p99 ${stats(catchUpMs).p99} ms`);
    const heavy = report('15-minute boundary (1m, 5m, 15m close)', boundary15, old15, open.length);
    const plain = report('plain minute boundary (1m closes)', boundary1, old1, open.length);
    const together = report('next plain minute, passes started together as the app does', concurrent, oldC, open.length);
    const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
    console.log(`process RSS with ${open.length} pair files open: ${rssMiB} MiB`);
    console.log(JSON.stringify({ sqlProfile: options.sqlProfile, memoryLimit: options.memoryLimit, pairs: options.pairs, minutes: options.minutes, rate: options.rate, setupSeconds, boundary15: heavy, boundary1: plain, concurrent: together, rssMiB }));
    if (old15.agree !== open.length || old1.agree !== open.length || oldC.agree !== open.length) process.exitCode = 1;
  } finally {
    for (const { db } of open) db.close();
    if (options.keep) console.log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
