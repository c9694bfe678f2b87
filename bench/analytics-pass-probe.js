#!/usr/bin/env node
// bench:analytics helper, run as its own process once the apps have stopped: full analytics
// passes over every pair's analytics.duckdb in --analytics-dir, with the app's own engine
// (packages/analytics-app/dist), timed per pair and per round.
//   cold round: files just reopened, one pass each closing the minute the live run's last ticks
//               fell in: a restart's first pass (no profile memory, no prepared statements).
//   warm round: the work of a running app at a minute boundary. Every pair gets one more minute
//               of ticks (its last full minute's trades again, two minutes on, new ids) and the
//               first trade of the minute after, stored as the app's store does (appendTicks with
//               candles, then observeStoredTicks; the "store round"); then each pair's pass runs
//               as the app schedules passes, --concurrency at a time (the app's default 3): the
//               "pass round", whose wall time is the full pass over all pairs.
//   node bench/analytics-pass-probe.js --analytics-dir DIR [--concurrency 3]
// Prints one JSON line: { pairs, openMs, passMs (cold), candles1m, warm: { concurrency, storeMs, passMs, roundMs, candles1m } }.
'use strict';
const path = require('node:path');
const { listPairs, openPairDatabase, executeQuery, appendTicks } = require('@market-data/storage-core');
const { runAnalyticsPass, observeStoredTicks } = require(path.resolve(__dirname, '../packages/analytics-app/dist/engine'));

const MINUTE_MS = 60_000;
const option = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (x) => Math.round(x * 100) / 100;
  return { total: round(sorted.reduce((a, b) => a + b, 0)), p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]) };
}

const candles1mOf = (result) => result.timeframes.find((tf) => tf.timeframe === '1m')?.candles ?? 0;

/** The pair's last full minute of ticks moved two minutes on (ids past the newest), plus one trade the minute after: a live boundary. */
async function nextMinute(conn, newestMs) {
  const lastFull = Math.floor(newestMs / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  const rows = await executeQuery(
    conn,
    `SELECT epoch_us(timestamp) AS us, price, volume, side, trade_id FROM ticks
     WHERE timestamp >= make_timestamp(${lastFull * 1000}::BIGINT) AND timestamp < make_timestamp(${(lastFull + MINUTE_MS) * 1000}::BIGINT)
     ORDER BY timestamp, trade_id`,
  );
  const [{ id }] = await executeQuery(conn, 'SELECT max(trade_id::BIGINT) AS id FROM ticks');
  let nextId = BigInt(id) + 1n;
  const ticks = rows.map((r) => ({ timestamp: Number(r.us) / 1000 + 2 * MINUTE_MS, price: r.price, volume: r.volume, side: r.side, tradeId: String(nextId++) }));
  if (ticks.length > 0) ticks.push({ ...ticks[0], timestamp: ticks[0].timestamp + MINUTE_MS, tradeId: String(nextId++) });
  return ticks;
}

/** Runs fn over items, `limit` at a time, in order of start. */
async function limited(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function main() {
  const dir = option('analytics-dir');
  if (!dir) throw new Error('--analytics-dir DIR is required');
  const concurrency = Number(option('concurrency') ?? 3);
  const pairs = listPairs(dir, 'analytics');
  const open = [];
  const openMs = [];
  const passMs = [];
  let candles1m = 0;
  try {
    for (const pair of pairs) {
      const t = performance.now();
      open.push({ pair, db: await openPairDatabase(dir, pair, { role: 'analytics' }) });
      openMs.push(performance.now() - t);
    }
    for (const entry of open) {
      const [row] = await executeQuery(entry.db.connection, 'SELECT epoch_ms(max(timestamp)) AS ms FROM ticks');
      entry.newestMs = Number(row.ms);
      // The clock one minute on closes the candle the last ticks fell in, as the next live tick would.
      const clock = (Math.floor(entry.newestMs / MINUTE_MS) + 1) * MINUTE_MS;
      const t = performance.now();
      const result = await runAnalyticsPass(entry.db.connection, { externalClock: clock });
      passMs.push(performance.now() - t);
      candles1m += candles1mOf(result);
    }

    const storeMs = [];
    for (const entry of open) {
      const conn = entry.db.connection;
      const ticks = await nextMinute(conn, entry.newestMs);
      const t = performance.now();
      const result = await appendTicks(conn, ticks, { candles: true });
      observeStoredTicks(conn, ticks, result);
      storeMs.push(performance.now() - t);
      entry.newestMs = ticks.length > 0 ? ticks[ticks.length - 1].timestamp : entry.newestMs;
    }
    const warmPassMs = [];
    let warmCandles = 0;
    const roundStart = performance.now();
    await limited(open, concurrency, async (entry) => {
      const t = performance.now();
      // As the app's runner: the newest stored tick is known, so the pass need not read it.
      const result = await runAnalyticsPass(entry.db.connection, { newestTick: entry.newestMs });
      warmPassMs.push(performance.now() - t);
      // Added after the await: `x += await f()` reads x before it waits, and passes run 3 at a time.
      warmCandles += candles1mOf(result);
    });
    const roundMs = Math.round((performance.now() - roundStart) * 100) / 100;
    process.stdout.write(
      JSON.stringify({
        pairs: pairs.length,
        openMs: summary(openMs),
        passMs: summary(passMs),
        candles1m,
        warm: { concurrency, storeMs: summary(storeMs), passMs: summary(warmPassMs), roundMs, candles1m: warmCandles },
      }) + '\n',
    );
  } finally {
    for (const { db } of open) db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
