'use strict';
// Deterministic synthetic trades: a seeded random walk, so every run and every variant writes
// the same rows. Each pair's ticks come in time order, as an exchange feed delivers them.

const BASE_MS = Date.UTC(2024, 0, 1);

/** mulberry32: tiny, fast and good enough for benchmark data. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` ticks of pair `pairIndex` starting at its `from`-th tick: 10 ms apart, trade ids
 * `pairIndex * idStride + position + 1`, so ids never collide across pairs.
 */
function makeTickRange(pairIndex, from, count, next, idStride = 1e9) {
  const ticks = new Array(count);
  let price = 100 + pairIndex;
  for (let k = 0; k < count; k++) {
    price = Math.max(0.01, price * (1 + (next() - 0.5) * 0.001));
    const position = from + k;
    ticks[k] = {
      timestamp: BASE_MS + position * 10 + next(),
      price: Math.round(price * 100) / 100,
      volume: Math.round(next() * 2000) / 1000,
      side: next() < 0.5 ? 'BUY' : 'SELL',
      tradeId: pairIndex * idStride + position + 1,
    };
  }
  return ticks;
}

/** `rows` ticks split into `pairs` equal slices (the remainder is dropped), one per pair. */
function makePairTicks(rows, pairs, seed = 42) {
  const perPair = Math.floor(rows / pairs);
  const next = random(seed);
  const slices = [];
  for (let p = 0; p < pairs; p++) slices.push(makeTickRange(p, 0, perPair, next));
  return slices;
}

/** One tick per pair an hour before the data: primes per-connection writer state outside the timing. */
function warmUpTick(pairIndex) {
  return { timestamp: BASE_MS - 3_600_000, price: 100 + pairIndex, volume: 1, side: 'BUY', tradeId: `warm-${pairIndex}` };
}

module.exports = { makePairTicks, makeTickRange, random, warmUpTick, BASE_MS };
