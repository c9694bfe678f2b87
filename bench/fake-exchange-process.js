#!/usr/bin/env node
// A local Binance USD-M combined-stream server for benchmarks, in its own process so its CPU is
// not the ingester's: @market-data/testing's FakeBinance with a per-connection load (built by
// `nx run testing:build`, which the bench npm scripts run first).
//   node bench/fake-exchange-process.js --rate 50000   (per connection; 0 = as fast as the client reads)
//   node bench/fake-exchange-process.js --rate 20000 --continue-ids --rewind 200
//     (each new connection goes on from where the last one stopped, 200 ids back)
//   node bench/fake-exchange-process.js --rate 5000 --file trades.csv
//     (replays a Binance trades CSV, `trade_id,price,qty,time,is_buyer_maker[,type]`, for every
//      requested symbol, from the start on every connection, then goes quiet)
// Prints {"port":N} on stdout once listening; stdin lines: "rate N", "sent", "schedule" (the
// latest connection's t0 as epoch ms, rate, symbols and first ids).
'use strict';
const { runFakeExchange } = require('@market-data/testing');

void runFakeExchange(['--load', 'per-connection', ...process.argv.slice(2)]);
