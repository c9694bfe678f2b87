#!/usr/bin/env node
// npm run bench:tick-minute [-- --pairs 100 --trades 12000 --rounds 5]
//
// What the analytics app holds per pair for the minute being stored (StoredTickMinutes), and what
// building a pass's profile rows and price_minutes rows from it costs, at --pairs pairs of
// --trades trades each (200 trades/s per pair), in two markets: 'volatile' (a price per trade,
// the bench:analytics default) and 'ticked' (a 0.1 tick grid). Two layouts, each in its own
// process, same seeded trades:
//   per-price:   the reference, a PriceSums map per price as trades arrive (the layout before
//                TickMinute), bucketed per price at pass time;
//   tick-minute: TickMinute, per price until a minute's prices stop repeating, then per trade in
//                typed arrays, summed at pass time.
// Printed per layout and market: retained JS heap, external memory and RSS after a full GC, the
// fold (the stores' share) and one pass round (rows at row size 5 plus price_minutes rows at the
// default 0.5 rows per trade) over all pairs, median of --rounds; then tick-minute / per-price.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { mulberry32 } = require('@market-data/testing');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const PAIRS = arg('pairs', 100);
const TRADES = arg('trades', 12_000);
const ROUNDS = arg('rounds', 5);
const dist = path.join(__dirname, '../dist/engine');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Seeded trades of one pair: [price, units] (units as doubleToExactUnits gives them). */
function trades(market, seed) {
  const rand = mulberry32(seed);
  const out = new Float64Array(TRADES * 2);
  let price = 60_000 + seed;
  for (let i = 0; i < TRADES; i++) {
    price += (rand() - 0.5) * 2;
    out[2 * i] = market === 'volatile' ? Math.round(price * 1e4) / 1e4 : Math.round(price * 10) / 10;
    out[2 * i + 1] = Math.round(rand() * 1e3) * 1e9; // up to 1 BTC in 0.001 steps
  }
  return out;
}

/** The reference layout: per price as trades arrive, bucketed per price at pass time (as before TickMinute). */
function perPriceLayout() {
  const { PriceSums } = require(path.join(dist, 'price-sums.js'));
  const { profileRowIndex, profileRowPrice } = require('@market-data/queries');
  return {
    create: () => new PriceSums(),
    add: (m, price, units) => m.add(price, units),
    pass(m, rowSize) {
      const rows = new Map();
      for (const [price, volume] of m.entries()) {
        const rowIdx = profileRowIndex(price, rowSize);
        const row = rows.get(rowIdx);
        rows.set(rowIdx, { rowPrice: row?.rowPrice ?? profileRowPrice(rowIdx, rowSize), volume: (row?.volume ?? 0n) + volume });
      }
      if (m.size > TRADES * 0.5) return rows.size;
      const prices = Float64Array.from(m.prices()).sort();
      let n = 0;
      for (const p of prices) n += m.get(p).trades > 0 ? 1 : 0;
      return rows.size + n;
    },
  };
}

function tickMinuteLayout() {
  const { TickMinute } = require(path.join(dist, 'tick-minute.js'));
  return {
    create: () => new TickMinute(),
    add: (m, price, units) => m.add(price, units),
    pass: (m, rowSize) => m.rows(rowSize).size + m.priceRows(0, 0.5).length,
  };
}

function child(layoutName, market) {
  const layout = layoutName === 'per-price' ? perPriceLayout() : tickMinuteLayout();
  const input = Array.from({ length: PAIRS }, (_, k) => trades(market, k + 1));
  // After the code and the input: what is left to measure is the minutes' memory.
  global.gc();
  const baseline = process.memoryUsage();
  let held = [];
  const folds = [];
  for (let r = 0; r < ROUNDS; r++) {
    held = [];
    global.gc();
    const t0 = process.hrtime.bigint();
    for (const pair of input) {
      const m = layout.create();
      for (let i = 0; i < TRADES; i++) layout.add(m, pair[2 * i], pair[2 * i + 1]);
      held.push(m);
    }
    folds.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const before = process.memoryUsage();
  const passes = [];
  let rows = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    rows = 0;
    for (const m of held) rows += layout.pass(m, 5);
    passes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  global.gc();
  const mem = process.memoryUsage();
  const mib = (x) => Math.round((x / 1048576) * 10) / 10;
  return {
    heapMiB: mib(mem.heapUsed - baseline.heapUsed),
    externalMiB: mib(mem.external - baseline.external),
    rssMiB: mib(Math.max(before.rss, mem.rss) - baseline.rss),
    foldMs: Math.round(median(folds)),
    passMs: Math.round(median(passes)),
    rows,
    kept: held.length,
  };
}

if (process.env.TICK_MINUTE_CHILD) {
  const [layout, market] = process.env.TICK_MINUTE_CHILD.split(':');
  process.stdout.write(JSON.stringify(child(layout, market)));
} else {
  const results = {};
  console.log(`bench:tick-minute  ${PAIRS} pairs x ${TRADES} trades (one minute each), median of ${ROUNDS}, node ${process.version}`);
  for (const market of ['volatile', 'ticked']) {
    for (const layout of ['per-price', 'tick-minute']) {
      const out = execFileSync(process.execPath, ['--expose-gc', __filename, ...process.argv.slice(2)], { env: { ...process.env, TICK_MINUTE_CHILD: `${layout}:${market}` } });
      const r = (results[`${market}/${layout}`] = JSON.parse(out));
      console.log(
        `  ${`${market} ${layout}`.padEnd(22)} heap ${String(r.heapMiB).padStart(6)} MiB, external ${String(r.externalMiB).padStart(5)} MiB, RSS ${String(r.rssMiB).padStart(6)} MiB; fold ${String(r.foldMs).padStart(5)} ms, pass round ${String(r.passMs).padStart(4)} ms (${r.rows} rows)`,
      );
    }
    const a = results[`${market}/tick-minute`];
    const b = results[`${market}/per-price`];
    const ratio = (x, y) => Math.round((x / y) * 100) / 100;
    console.log(`  ${market}: tick-minute / per-price  heap+external ${ratio(a.heapMiB + a.externalMiB, b.heapMiB + b.externalMiB)}, RSS ${ratio(a.rssMiB, b.rssMiB)}, fold ${ratio(a.foldMs, b.foldMs)}, pass ${ratio(a.passMs, b.passMs)}`);
  }
  console.log(JSON.stringify({ bench: 'tick-minute', date: new Date().toISOString(), node: process.version, pairs: PAIRS, trades: TRADES, results }));
}
