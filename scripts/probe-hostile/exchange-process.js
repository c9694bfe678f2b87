#!/usr/bin/env node
'use strict';
// The Binance fake of the kill -9 case in its own process (forked, driven over IPC), so that the
// probe's own work (parsing what its subscriber gets, querying files) cannot slow the exchange
// down and its record of the trades it generated stays the exchange's, not the probe's.
//   {type:'start', symbols, file, rate} -> {type:'started', wsUrl, restUrl}
//   {type:'mark'} -> {type:'mark', published, written, restRequests}   (published = ids generated per symbol)
//   {type:'stop'} -> {type:'stopped', published, written, restRequests, ids}   (the pump stops, REST goes on)
const { FakeBinance } = require('./fake-binance');
const { loadTrades } = require('@market-data/testing');

let fake;
const stats = () => ({ published: fake.pumped?.published ?? 0, written: fake.pumped?.written ?? 0, restRequests: fake.restRequests });

process.on('message', async (msg) => {
  try {
    if (msg.type === 'start') {
      fake = await FakeBinance.start();
      fake.pump(msg.symbols, loadTrades(msg.file), msg.rate);
      process.send({ type: 'started', wsUrl: fake.wsUrl, restUrl: fake.restUrl });
    } else if (msg.type === 'mark') {
      process.send({ type: 'mark', ...stats() });
    } else if (msg.type === 'stop') {
      fake.stopPump();
      process.send({ type: 'stopped', ...stats(), ids: fake.publishedIds() });
    } else if (msg.type === 'close') {
      await fake?.close();
      process.exit(0);
    }
  } catch (err) {
    process.send({ type: 'error', message: err?.stack ?? String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
