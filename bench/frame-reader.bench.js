#!/usr/bin/env node
// npm run bench:frame-reader: the ingester's per-frame parse on its socket thread, in one process.
// Reference: what the feed did before BinanceFrameReader, and still does for any frame outside its
// subset: decode the bytes, JSON.parse, checkTrade on the fields. Measured: BinanceFrameReader on
// the same bytes, then the same checkTrade. Both run in alternating rounds over the same 20,000
// real-shaped USD-M trade frames (100 symbols); the figure is the ratio of the medians.
// Flags: --rounds 15 --frames 20000
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { BinanceFrameReader } = require(path.join(root, 'packages/ingest-app/dist/feeds/binance-frame.js'));
const { checkTrade } = require(path.join(root, 'packages/ingest-app/dist/feeds/validate-trade.js'));

const { numberArg: arg } = require('./cli-args');
const ROUNDS = arg('rounds', 15);
const FRAMES = arg('frames', 20_000);

const pairs = Array.from({ length: 100 }, (_, i) => ({ exchange: 'binance', marketType: 'usdm', symbol: `SYM${i}USDT` }));
const frames = [];
for (let i = 0; i < FRAMES; i++) {
  const symbol = pairs[i % 100].symbol;
  const time = 1723161240099 + i;
  const price = (60000 + (i % 997) / 10).toFixed(2);
  const qty = ((i % 1000) / 1000 + 0.001).toFixed(3);
  frames.push(
    Buffer.from(
      `{"stream":"${symbol.toLowerCase()}@trade","data":{"e":"trade","E":${time + 1},"T":${time},"s":"${symbol}","t":${5226711231 + i},"p":"${price}","q":"${qty}","X":"MARKET","m":${i % 3 === 0}}}`,
    ),
  );
}
const now = 1723161240099 + FRAMES + 60_000;

function check(data, i) {
  const verdict = checkTrade(pairs[i % 100], { tradeId: data.t, price: data.p, volume: data.q, side: data.m === true ? 'SELL' : 'BUY', timestamp: data.T }, 0, now);
  if (!verdict.ok || data.s !== pairs[i % 100].symbol || data.e !== 'trade' || data.X !== 'MARKET') throw new Error(`frame ${i} not read as a trade`);
  return verdict.trade;
}

const viaJson = () => {
  let sum = 0;
  for (let i = 0; i < frames.length; i++) sum += check(JSON.parse(frames[i].toString('utf8')).data, i).price;
  return sum;
};
const reader = new BinanceFrameReader();
const viaReader = () => {
  let sum = 0;
  for (let i = 0; i < frames.length; i++) sum += check(reader.read(frames[i]).data, i).price;
  return sum;
};

function time(fn) {
  const start = process.hrtime.bigint();
  const sum = fn();
  return { nsPerFrame: Number(process.hrtime.bigint() - start) / frames.length, sum };
}

// Same trades, same prices: the two paths must agree before their speed means anything.
if (viaJson() !== viaReader()) throw new Error('the reader and JSON.parse disagree on the prices');
const json = [];
const fast = [];
for (let r = 0; r < ROUNDS; r++) {
  json.push(time(viaJson).nsPerFrame);
  fast.push(time(viaReader).nsPerFrame);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ref = median(json);
const got = median(fast);
console.log(`bench:frame-reader  ${FRAMES} frames x ${ROUNDS} rounds, node ${process.version}`);
console.log(`JSON.parse + checkTrade (reference)  ${ref.toFixed(0)} ns/frame`);
console.log(`BinanceFrameReader + checkTrade      ${got.toFixed(0)} ns/frame   ratio ${(got / ref).toFixed(2)}`);
console.log(JSON.stringify({ bench: 'frame-reader', frames: FRAMES, rounds: ROUNDS, referenceNsPerFrame: Math.round(ref), readerNsPerFrame: Math.round(got), ratio: Math.round((got / ref) * 100) / 100 }));
