#!/usr/bin/env node
// node bench/live-frame.bench.js: the tickerplant's encoding of a live batch, once per batch on the
// ingester's socket thread. Reference: JSON.stringify of the message object (liveFrameJson, what
// the tickerplant did before); measured: liveFrame, the same bytes written out directly. Alternating
// rounds over the same batches at each size (4 trades is a pair's share of one journal group at
// 50,000 trades/s over 100 pairs); the figure is the ratio of the medians, ns per trade.
// Flags: --rounds 11 --trades 200000
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { liveFrame, liveFrameJson } = require(path.join(root, 'packages/ingest-app/dist/server/live-frame.js'));
const { numberArg: arg } = require('./cli-args');

const ROUNDS = arg('rounds', 11);
const TRADES = arg('trades', 200_000);
const trades = Array.from({ length: TRADES }, (_, i) => ({
  type: 'trade', exchange: 'binance', marketType: 'usdm', symbol: 'BTCUSDT', tradeId: String(5226711231 + i),
  price: 60000 + (i % 997) / 10, volume: (i % 1000) / 1000 + 0.001, side: i % 3 === 0 ? 'SELL' : 'BUY', timestamp: 1723161240099 + i / 7, receivedAt: 0,
}));

function time(encode, size) {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i + size <= TRADES; i += size) bytes += encode('binance:usdm:BTCUSDT', trades.slice(i, i + size), 1723161300123).length;
  if (bytes === 0) throw new Error('nothing encoded');
  return Number(process.hrtime.bigint() - t0) / TRADES;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const size of [4, 30, 200]) {
  const ref = [];
  const fast = [];
  for (let r = 0; r < ROUNDS; r++) {
    ref.push(time(liveFrameJson, size));
    fast.push(time(liveFrame, size));
  }
  const a = median(ref);
  const b = median(fast);
  console.log(`batch ${String(size).padStart(3)}: JSON.stringify ${a.toFixed(0)} ns/trade, liveFrame ${b.toFixed(0)} ns/trade, ratio ${(b / a).toFixed(2)}x`);
}
