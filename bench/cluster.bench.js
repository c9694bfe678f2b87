#!/usr/bin/env node
// npm run bench:cluster: ingest nodes on NATS JetStream (docs/cluster.md), on this box.
//   1. trades/s end to end: a live fake Binance spot market offers a fixed load (--pairs x --rate)
//      to one plain ingester (reference), then to three ingest nodes with --bus; counted as trades
//      committed (reference) and trades consumed from MD_TRADES (nodes) per second over a window of
//      the same length -> ratio; the load the exchange really made in each window is printed too
//   2. commit-to-consumer delay: a consumer of every pair on the bus, p50/p99 of (receipt - the
//      batch's committedAt), per batch
//   3. takeover after kill -9: the node holding a pair is killed, time until the others hold all
//      of its pairs (lease TTL --ttl ms); a fresh node joins before the next kill. p50 and max.
// Flags: --pairs 12 --rate 300 (trades/s per pair) --seconds 15 --kills 10 --ttl 3000
'use strict';
require('reflect-metadata');
const { container } = require('tsyringe');
const { numberArg: arg } = require('./cli-args');
const { ChildApp, FakeBinanceMarket, INGEST_MAIN, metricSum, NatsServer, TempDirs, until } = require('../packages/testing/dist');
const { connectBus, registerNatsBus, TradeConsumerGroup } = require('../packages/client/dist');

const PAIRS = arg('pairs', 12);
const RATE = arg('rate', 300);
const SECONDS = arg('seconds', 15);
const KILLS = arg('kills', 10);
const TTL = arg('ttl', 3000);
const STREAM_BYTES = 1024 * 1024 * 1024;
const SYMBOLS = Array.from({ length: PAIRS }, (_, i) => `P${String(i).padStart(3, '0')}USDT`);
const PAIR_IDS = SYMBOLS.map((s) => `binance:spot:${s}`);
const dirs = new TempDirs('bench-cluster-');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]);

function ingestArgs(market, extra) {
  return [
    '--source', 'live', '--pairs', PAIR_IDS.join(','), '--data-dir', dirs.make(), '--listen', '127.0.0.1:0',
    '--binance-spot-ws', market.wsUrl, '--binance-spot-rest', market.restUrl, '--retention-interval-ms', '0', '--storage-threads', '0',
    ...extra,
  ];
}
async function pairsOf(url) {
  try {
    const h = await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).json();
    return h.node?.pairs ?? [];
  } catch {
    return [];
  }
}
class Node {
  constructor(id, market, bus) {
    this.id = id;
    this.app = new ChildApp(INGEST_MAIN, ingestArgs(market, ['--log-level', 'info', '--bus', bus, '--node-id', id, '--lease-ttl-ms', String(TTL), '--bus-trades-max-bytes', String(STREAM_BYTES)]));
  }
  async url() {
    this.u ??= await this.app.url('ingester listening', 60_000);
    return this.u;
  }
}

async function rateOver(read, seconds) {
  const a = await read();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  return ((await read()) - a) / ((performance.now() - t0) / 1000);
}

async function main() {
  const server = await NatsServer.start();
  const market = await FakeBinanceMarket.start({ symbols: SYMBOLS, rate: RATE });
  const out = { pairs: PAIRS, offeredTradesPerSec: PAIRS * RATE, seconds: SECONDS, ttlMs: TTL };
  try {
    // 1a. reference: one ingester, no bus.
    const single = new ChildApp(INGEST_MAIN, ingestArgs(market, ['--log-level', 'info']));
    const singleUrl = await single.url('ingester listening', 60_000);
    market.open();
    await sleep(5000);
    const made = () => SYMBOLS.reduce((n, s) => n + market.made(s).length, 0);
    let offered = made();
    out.singleNodeTradesPerSec = Math.round(await rateOver(() => metricSum(singleUrl, 'ingest_trades_stored_total'), SECONDS));
    out.offeredDuringSingle = Math.round((made() - offered) / SECONDS);
    single.kill('SIGTERM');
    await single.exited;

    // 1b. three nodes on the bus, and a consumer of every pair.
    const nodes = ['b1', 'b2', 'b3'].map((id) => new Node(id, market, server.url));
    await until(async () => (await Promise.all(nodes.map(async (n) => (await pairsOf(await n.url())).length))).reduce((a, b) => a + b, 0) === PAIRS, 120_000, 'pairs held');
    const connection = await connectBus({ servers: server.url, name: 'bench-consumer' });
    const bus = await registerNatsBus(container.createChildContainer(), { connection, streams: { trades: { maxBytes: STREAM_BYTES } } });
    const group = new TradeConsumerGroup(bus.js, { streams: bus.streams });
    for (const p of PAIR_IDS) group.add(p, 'new');
    let consumed = 0;
    let delays = [];
    const consuming = (async () => {
      for await (const b of group) {
        consumed += b.rows.length;
        delays.push(Date.now() - b.committedAt);
      }
    })();
    await sleep(5000);
    delays = [];
    offered = made();
    out.threeNodesTradesPerSec = Math.round(await rateOver(async () => consumed, SECONDS));
    out.offeredDuringThree = Math.round((made() - offered) / SECONDS);
    out.ratioThreeNodesToSingle = Number((out.threeNodesTradesPerSec / out.singleNodeTradesPerSec).toFixed(3));
    out.commitToConsumerMs = { batches: delays.length, p50: pct(delays, 0.5), p99: pct(delays, 0.99) };
    await group.close();
    await consuming;
    await connection.close();

    // 3. takeovers after kill -9.
    const takeovers = [];
    let live = nodes;
    for (let k = 0; k < KILLS; k++) {
      let held = [];
      // /healthz may time out under load: ask again until every pair has a holder.
      await until(async () => {
        held = await Promise.all(live.map(async (n) => ({ n, pairs: await pairsOf(await n.url()) })));
        return held.reduce((sum, h) => sum + h.pairs.length, 0) === PAIRS;
      }, 120_000, 'every pair held').catch((err) => {
        throw new Error(`${err.message}: ${JSON.stringify(held.map((h) => ({ node: h.n.id, pairs: h.pairs })))}`);
      });
      const victim = held.reduce((a, b) => (b.pairs.length > a.pairs.length ? b : a));
      const others = live.filter((n) => n !== victim.n);
      victim.n.app.kill('SIGKILL');
      const t0 = performance.now();
      await until(async () => {
        const now = (await Promise.all(others.map(async (n) => pairsOf(await n.url())))).flat();
        return victim.pairs.every((p) => now.includes(p));
      }, 120_000, 'takeover');
      takeovers.push(performance.now() - t0);
      // A fresh node joins; wait for the share to settle before the next kill.
      live = [...others, new Node(`b${4 + k}`, market, server.url)];
      const share = Math.floor(PAIRS / live.length);
      let counts = [];
      await until(async () => (counts = await Promise.all(live.map(async (n) => (await pairsOf(await n.url())).length))).every((c) => c >= share), 120_000, 'rebalance').catch(async (err) => {
        const health = await Promise.all(live.map(async (n) => (await fetch(`${await n.url()}/healthz`)).json()));
        throw new Error(`${err.message}: pairs per node ${counts.join(',')}; ${JSON.stringify(health.map((h) => ({ ...h.node, feeds: undefined })))}`);
      });
      process.stderr.write(`kill ${k + 1}/${KILLS}: ${Math.round(takeovers[k])} ms\n`);
    }
    out.takeoverMs = { kills: takeovers.length, p50: Math.round(pct(takeovers, 0.5)), max: Math.round(Math.max(...takeovers)) };
    for (const n of live) n.app.kill('SIGTERM');
    await Promise.all(live.map((n) => n.app.exited));
  } finally {
    market.halt();
    await market.stop();
    await server.stop();
    dirs.removeAll();
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
