#!/usr/bin/env node
// npm run bench:metrics: what prom-client costs on the ingester's hot paths, against what the app
// does instead, in the same run (ratios; the box is shared):
//   - Histogram.observe once per trade (the old per-trade receipt-to-commit) against once per batch
//     of 100 trades plus the loop that finds the batch's oldest trade (what the ingester does now);
//   - a labelled Counter's `labels(..).inc(n)` per socket read against HotCounter's handle (adds to
//     a number; prom-client gets the sum at scrape time), and the scrape that hands it over.
// Flags: --trades 2000000 --rounds 5
'use strict';
const { Counter, Histogram, Registry, HotCounter } = require('@market-data/runtime');
const { numberArg: arg } = require('./cli-args');

const TRADES = arg('trades', 2_000_000);
const ROUNDS = arg('rounds', 5);
const BATCH = 100;
const PAIRS = 100;
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
const receivedAt = Float64Array.from({ length: 4096 }, () => Math.random() * 300);

function time(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / TRADES; // ns per trade
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main() {
  const registry = new Registry();
  const perTrade = new Histogram({ name: 'a_seconds', help: 'a', buckets: BUCKETS, registers: [registry] });
  const perBatch = new Histogram({ name: 'b_seconds', help: 'b', buckets: BUCKETS, registers: [registry] });
  const plain = new Counter({ name: 'c_total', help: 'c', labelNames: ['pair'], registers: [registry] });
  const hot = new HotCounter({ name: 'd_total', help: 'd', labelNames: ['pair'], registers: [registry] });
  const plainHandles = Array.from({ length: PAIRS }, (_, i) => plain.labels({ pair: `binance:usdm:SYM${i}USDT` }));
  const hotHandles = Array.from({ length: PAIRS }, (_, i) => hot.labels({ pair: `binance:usdm:SYM${i}USDT` }));
  const results = { observePerTrade: [], observePerBatch: [], counterIncPerRead: [], hotCounterIncPerRead: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const now = 400;
    results.observePerTrade.push(time(() => {
      for (let i = 0; i < TRADES; i++) perTrade.observe((now - receivedAt[i & 4095]) / 1000);
    }));
    results.observePerBatch.push(time(() => {
      for (let b = 0; b < TRADES; b += BATCH) {
        let oldest = Infinity;
        for (let i = b; i < b + BATCH; i++) if (receivedAt[i & 4095] < oldest) oldest = receivedAt[i & 4095];
        perBatch.observe((now - oldest) / 1000);
      }
    }));
    // A socket read hands each pair about three trades (100 pairs, 64 KiB reads): one inc per 3 trades.
    results.counterIncPerRead.push(time(() => {
      for (let i = 0; i < TRADES; i += 3) plainHandles[i % PAIRS].inc(3);
    }));
    results.hotCounterIncPerRead.push(time(() => {
      for (let i = 0; i < TRADES; i += 3) hotHandles[i % PAIRS].inc(3);
    }));
  }
  const t = process.hrtime.bigint();
  void registry.metrics().then((text) => {
    const scrapeMs = Number(process.hrtime.bigint() - t) / 1e6;
    const same = text.match(/^c_total\{.*$/gm).map((l) => l.slice(1)).sort().join() === text.match(/^d_total\{.*$/gm).map((l) => l.slice(1)).sort().join();
    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(median(v) * 10) / 10]));
    console.log(`bench:metrics  ${TRADES} trades x ${ROUNDS} rounds, node ${process.version}, load ${require('node:os').loadavg()[0].toFixed(2)}; ns per trade (median round)`);
    console.log(`  Histogram.observe per trade             ${m.observePerTrade} ns`);
    console.log(`  per batch of ${BATCH} (oldest trade + observe) ${m.observePerBatch} ns  (${(m.observePerTrade / m.observePerBatch).toFixed(1)}x less)`);
    console.log(`  Counter labels().inc per socket read    ${m.counterIncPerRead} ns`);
    console.log(`  HotCounter handle inc per socket read   ${m.hotCounterIncPerRead} ns  (${(m.counterIncPerRead / m.hotCounterIncPerRead).toFixed(1)}x less); scrape ${scrapeMs.toFixed(1)} ms; same series: ${same}`);
    console.log(JSON.stringify({ bench: 'metrics', trades: TRADES, rounds: ROUNDS, nsPerTrade: m, sameSeries: same }));
  });
}

main();
