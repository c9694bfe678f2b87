#!/usr/bin/env node
// npm run bench:tickerplant-fanout: the ingester's publish of one committed batch to many live
// subscribers, on the same sockets in one process.
// Reference: what publish did before the hardening: one JSON string per batch, handed to every
// subscriber's socket (ws turns a string into a new Buffer per send). Measured: WsTickerplant.publish
// as built (one Buffer per batch shared by every socket, plus the per-subscriber memory checks).
// Alternating rounds; each round publishes --batches batches of --trades trades to --subscribers
// clients that read everything, and is timed until every client has received every batch.
// Flags: --rounds 9 --subscribers 20 --batches 200 --trades 500
'use strict';
const http = require('node:http');
const path = require('node:path');
const WebSocket = require('ws');

const root = path.resolve(__dirname, '..');
const { WsTickerplant } = require(path.join(root, 'packages/ingest-app/dist/server/ws-tickerplant.js'));

const { numberArg: arg } = require('./cli-args');
const ROUNDS = arg('rounds', 9);
const SUBSCRIBERS = arg('subscribers', 20);
const BATCHES = arg('batches', 200);
const TRADES = arg('trades', 500);

const PAIR = { exchange: 'binance', marketType: 'usdm', symbol: 'BTCUSDT' };
const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const batch = Array.from({ length: TRADES }, (_, i) => ({
  type: 'trade',
  ...PAIR,
  tradeId: String(5_226_711_231 + i),
  price: 60_000 + (i % 997) / 10,
  volume: Number(((i % 1000) / 1000 + 0.001).toFixed(3)),
  side: i % 3 === 0 ? 'SELL' : 'BUY',
  timestamp: 1_723_161_240_099 + i,
  receivedAt: 0,
}));

/** What publish did before: a string per batch, sent to each subscriber socket as it is. */
function referencePublish(sockets) {
  const rows = batch.map((t) => [t.timestamp, t.price, t.volume, t.side, t.tradeId]);
  const frame = JSON.stringify({ type: 'ticks', pair: 'binance:usdm:BTCUSDT', replay: false, rows, committedAt: Date.now() });
  for (const socket of sockets) socket.send(frame);
}

async function main() {
  const source = { has: () => true, async *replay() {} };
  const tickerplant = new WsTickerplant({ source, pairs: () => [PAIR], logger: quiet });
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => tickerplant.handleUpgrade(req, socket, head));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${server.address().port}/subscribe`;

  let received = 0;
  const clients = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const ws = new WebSocket(url);
    ws.on('message', (data) => {
      if (data.length > 1000) received++;
    });
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'subscribe', pairs: ['binance:usdm:BTCUSDT'] }));
    clients.push(ws);
  }
  // Every subscriber live (its empty replay done) before timing.
  while (tickerplant.subscriberCount() < SUBSCRIBERS) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 500));
  const serverSockets = [...tickerplant.wss.clients];

  const round = async (publish) => {
    received = 0;
    let inPublish = 0n;
    const started = process.hrtime.bigint();
    for (let b = 0; b < BATCHES; b++) {
      const t = process.hrtime.bigint();
      publish();
      inPublish += process.hrtime.bigint() - t;
      // Let the sockets drain between batches, as commits arrive spread out.
      if (b % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    while (received < BATCHES * SUBSCRIBERS) await new Promise((r) => setImmediate(r));
    return { total: Number(process.hrtime.bigint() - started) / 1e6, publish: Number(inPublish) / 1e6 };
  };
  const measured = [];
  const reference = [];
  for (let r = 0; r < ROUNDS; r++) {
    reference.push(await round(() => referencePublish(serverSockets)));
    measured.push(await round(() => tickerplant.publish(PAIR, batch)));
  }
  const median = (list, key) => list.map((x) => x[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const perBatch = (ms) => ((ms / BATCHES) * 1000).toFixed(0);
  console.log(`${SUBSCRIBERS} subscribers, ${BATCHES} batches of ${TRADES} trades, ${ROUNDS} alternating rounds (medians)`);
  for (const [name, list] of [['reference (a string per batch, a Buffer per socket)', reference], ['WsTickerplant.publish (one shared Buffer per batch)', measured]]) {
    console.log(`${name}: publish calls ${perBatch(median(list, 'publish'))} us per batch; until every client has it ${median(list, 'total').toFixed(1)} ms`);
  }
  console.log(`ratio measured / reference: publish calls ${(median(measured, 'publish') / median(reference, 'publish')).toFixed(2)}, end to end ${(median(measured, 'total') / median(reference, 'total')).toFixed(2)}`);
  for (const ws of clients) ws.terminate();
  await tickerplant.close();
  server.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
