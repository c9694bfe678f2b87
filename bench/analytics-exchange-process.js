#!/usr/bin/env node
// A local Binance USD-M combined-stream server for bench:analytics, in its own process so its CPU
// is not the apps': @market-data/testing's FakeBinance with a shared load (SharedLoad):
//   --rate R          trades/s in TOTAL over every connection and symbol, round-robin
//   --clock wall      trades stamped with the wall clock, so 1m candles close as they do live and
//                     "commit -> analytics row" lag is the lag an operator would see
//                     (--clock synthetic, the default: T = start + id/10 ms per symbol)
//   --time-scale N    with --clock wall: trade time runs N times faster than the wall clock
//   --market M        volatile (default: nearly a price per trade) or ticked (a BTC-like tick
//                     grid: tens to hundreds of prices a minute; see SharedLoadOptions.market)
// Trade ids are sequential per symbol across reconnects (a reconnect shows up as an id gap, as on
// Binance). REST answers empty pages (no backfill).
// Prints {"port":N,"startTime":ms,...} on stdout once listening; stdin lines: "rate N", "sent".
'use strict';
const { runFakeExchange } = require('@market-data/testing');

void runFakeExchange(['--load', 'shared', ...process.argv.slice(2)]);
