#!/usr/bin/env node
// The socket thread's per-frame work, two builds side by side in one process (A/B in one run):
// (a) BinanceFrameReader + checkTrade, what bench:frame-reader measures; (b) BinanceFeed's whole
// per-message path (reader, id sequence, checkTrade, per-symbol batching) into a sink that counts.
// Rounds alternate between the builds; CPU time, not wall time (on a shared box the wall clock
// also counts the wait for a CPU). Reads private members of BinanceFeed on purpose: it measures
// exactly what the socket handler runs, without a socket.
// Usage: node bench/feed-path-ab.bench.js --before <old ingest-app dist> [--after packages/ingest-app/dist]
//        (an old dist: build the app at the old commit and copy its dist/ inside packages/ingest-app,
//        so that it resolves the workspace's packages)
// Flags: --rounds 31 --frames 20000
'use strict';
const path = require('node:path');
const { numberArg, stringArg } = require('./cli-args');

const root = path.resolve(__dirname, '..');
const before = stringArg('before');
if (!before) throw new Error('--before <dist dir> is required');
const after = stringArg('after', path.join(root, 'packages/ingest-app/dist'));
const ROUNDS = numberArg('rounds', 31);
const FRAMES = numberArg('frames', 20_000);

const load = (dist) => ({
  reader: require(path.resolve(dist, 'feeds/binance-frame.js')),
  check: require(path.resolve(dist, 'feeds/validate-trade.js')),
  feed: require(path.resolve(dist, 'feeds/binance-feed.js')),
});
const builds = { before: load(before), after: load(after) };

const symbols = Array.from({ length: 100 }, (_, i) => `SYM${i}USDT`);
const pairs = symbols.map((symbol) => ({ exchange: 'binance', marketType: 'usdm', symbol }));
const frames = [];
for (let i = 0; i < FRAMES; i++) {
  const symbol = symbols[i % 100];
  const time = 1723161240099 + i;
  const price = (60000 + (i % 997) / 10).toFixed(2);
  const qty = ((i % 1000) / 1000 + 0.001).toFixed(3);
  // Each symbol's ids rise by one per frame of that symbol: the sequence sees no gap.
  const id = 5226711231 + Math.floor(i / 100);
  frames.push(Buffer.from(`{"stream":"${symbol.toLowerCase()}@trade","data":{"e":"trade","E":${time + 1},"T":${time},"s":"${symbol}","t":${id},"p":"${price}","q":"${qty}","X":"MARKET","m":${i % 3 === 0}}}`));
}
const now = 1723161240099 + FRAMES + 60_000;

function readerPath(build) {
  const reader = new build.reader.BinanceFrameReader();
  return () => {
    for (let i = 0; i < FRAMES; i++) {
      const d = reader.read(frames[i]).data;
      const verdict = build.check.checkTrade(pairs[i % 100], { tradeId: d.t, price: d.p, volume: d.q, side: d.m === true ? 'SELL' : 'BUY', timestamp: d.T }, 0, now);
      if (!verdict.ok) throw new Error(`frame ${i}: ${verdict.reason}`);
    }
  };
}

function feedPath(build) {
  return () => {
    // A fresh feed per pass: every pass sees the ids as new.
    const feed = new build.feed.BinanceFeed({ market: 'usdm', symbols, wsUrl: 'ws://127.0.0.1:1', restUrl: 'http://127.0.0.1:1', staleTimeoutMs: 0, pingIntervalMs: 0, now: () => now });
    let delivered = 0;
    feed.sink = {
      trades: (batch) => (delivered += batch.length),
      reject: (reason, sample) => {
        throw new Error(`${reason}: ${sample}`);
      },
      gap: () => undefined,
      status: () => undefined,
    };
    for (let i = 0; i < FRAMES; i++) feed.onMessage(frames[i], 0, frames[i].length, 0);
    feed.deliverReady();
    if (delivered !== FRAMES) throw new Error(`delivered ${delivered} of ${FRAMES}`);
  };
}

function cpuNsPerFrame(fn) {
  const start = process.cpuUsage();
  for (let k = 0; k < 5; k++) fn();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / (5 * FRAMES);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`bench:feed-path-ab  ${FRAMES} frames x ${ROUNDS} rounds, node ${process.version}\n  before ${before}\n  after  ${after}`);
const results = {};
for (const [name, make] of [['reader+checkTrade', readerPath], ['feed.onMessage', feedPath]]) {
  const a = make(builds.before);
  const b = make(builds.after);
  for (let r = 0; r < 3; r++) {
    a();
    b();
  }
  const ta = [];
  const tb = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      ta.push(cpuNsPerFrame(a));
      tb.push(cpuNsPerFrame(b));
    } else {
      tb.push(cpuNsPerFrame(b));
      ta.push(cpuNsPerFrame(a));
    }
  }
  const ratio = median(tb) / median(ta);
  results[name] = { beforeNs: Math.round(median(ta)), afterNs: Math.round(median(tb)), ratio: Math.round(ratio * 100) / 100 };
  console.log(`${name.padEnd(18)} CPU ns/frame: before ${median(ta).toFixed(0)}  after ${median(tb).toFixed(0)}  after/before ${ratio.toFixed(2)}`);
}
console.log(JSON.stringify({ bench: 'feed-path-ab', frames: FRAMES, rounds: ROUNDS, ...results }));
