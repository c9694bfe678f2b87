#!/usr/bin/env node
// bench:analytics helper, run as its own process once the apps have stopped: one full analytics
// pass over every pair's analytics.duckdb in --analytics-dir, timed per pair, with the app's own
// engine (packages/analytics-app/dist). It is the work the analytics app does at each minute
// boundary: every pair's newest 1m candle closes (plus 5m/15m ones on their boundaries) and its
// pass writes order flow, market profile, gaps and zones. Files are opened first (the app keeps
// them open in its pool), then passed one after the other (the app applies one message at a time).
//   node bench/analytics-pass-probe.js --analytics-dir DIR
// Prints one JSON line: { pairs, openMs: {...}, passMs: {...}, candles1m }.
'use strict';
const path = require('node:path');
const { listPairs, openPairDatabase, executeQuery } = require('@market-data/storage-core');
const { runAnalyticsPass } = require(path.resolve(__dirname, '../packages/analytics-app/dist/engine'));

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

async function main() {
  const dir = option('analytics-dir');
  if (!dir) throw new Error('--analytics-dir DIR is required');
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
    for (const { db } of open) {
      const [row] = await executeQuery(db.connection, 'SELECT epoch_ms(max(timestamp)) AS ms FROM ticks');
      // The clock one minute on closes the candle the last ticks fell in, as the next live tick would.
      const clock = (Math.floor(Number(row.ms) / MINUTE_MS) + 1) * MINUTE_MS;
      const t = performance.now();
      const result = await runAnalyticsPass(db.connection, { externalClock: clock });
      passMs.push(performance.now() - t);
      candles1m += result.timeframes.find((tf) => tf.timeframe === '1m')?.candles ?? 0;
    }
  } finally {
    for (const { db } of open) db.close();
  }
  process.stdout.write(JSON.stringify({ pairs: pairs.length, openMs: summary(openMs), passMs: summary(passMs), candles1m }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
