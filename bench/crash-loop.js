#!/usr/bin/env node
// npm run bench:crash-loop: kill -9 the real (built) ingester at random moments under load, many
// times, and check that no acknowledged trade is ever lost or stored twice (issue 14).
//   A fake Binance USD-M exchange (bench/fake-exchange-process.js, its own process) sends
//   synthetic trades for N pairs at a fixed rate; each new connection goes on from the ids it
//   had reached, less a rewind (a reconnect overlap the ingester must not store twice).
//   A subscriber in this process records every trade the ingester acknowledges (live batches on
//   /subscribe are published only once their journal group is durable).
//   The ingester (default flags: journal on, pair files written every second) is killed with
//   SIGKILL at a random moment 1.5 to 5 s (--min-run-ms, --max-run-ms) after it started taking trades, and restarted at once.
//   After the last kill, one more start, a few seconds of load, SIGTERM (must exit 0); then
//   every pair file is opened read-only and checked: every acknowledged trade is there, once.
// Flags: --kills 20 --pairs 20 --rate 20000 --rewind 200 --seed 1 --min-run-ms 1500 --max-run-ms 5000 --json;
// after `--`, extra ingester flags.
// Exit code 1 when a trade is missing or duplicated, or a start or the final stop failed.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const WebSocket = require('ws');
const { DuckDBInstance } = require('@duckdb/node-api');
const { numberArg } = require('./cli-args');

const root = path.resolve(__dirname, '..');
const KILLS = numberArg('kills', 20);
const PAIRS = numberArg('pairs', 20);
const RATE = numberArg('rate', 20_000);
const REWIND = numberArg('rewind', 200);
// Each life runs a random time in [min-run-ms, max-run-ms] after its first acknowledged trade.
const MIN_RUN_MS = numberArg('min-run-ms', 1500);
const MAX_RUN_MS = numberArg('max-run-ms', 5000);
let seed = numberArg('seed', 1);
const JSON_ONLY = process.argv.includes('--json');
const INGESTER_EXTRA = process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (text) => {
  if (!JSON_ONLY) console.log(text);
};
/** Mulberry32: the kill moments are reproducible from --seed. */
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function startExchange() {
  const args = [path.join(__dirname, 'fake-exchange-process.js'), '--rate', String(RATE), '--continue-ids', '--rewind', String(REWIND)];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fake exchange did not report its port within 15 s')), 15_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(JSON.parse(l).port);
    });
    child.once('exit', (code) => reject(new Error(`fake exchange exited (${code}) before reporting its port`)));
  });
  return { child, port };
}

const PAIR_LIST = Array.from({ length: PAIRS }, (_, i) => `binance:usdm:SYM${i}USDT`);

/** One ingester life: the process, what its log said, and a subscriber recording its acknowledgements. */
function startIngester(exchangePort, listenPort, dataDir, acked, log) {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'packages/ingest-app/dist/main.js'),
      '--source', 'live', '--pairs', PAIR_LIST.join(','), '--data-dir', dataDir, '--listen', `127.0.0.1:${listenPort}`,
      '--binance-usdm-ws', `ws://127.0.0.1:${exchangePort}`, '--binance-usdm-rest', `http://127.0.0.1:${exchangePort}`,
      '--log-level', 'info', '--retention-interval-ms', '0', '--stale-timeout-ms', '60000',
      ...INGESTER_EXTRA,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      log.push(JSON.parse(line));
    } catch {
      log.push({ msg: line });
    }
  });
  let ws;
  let stopped = false;
  const state = { liveRows: 0, connected: false };
  // Subscribe as soon as the listener answers; the cursor (past every trade time seen) keeps the
  // replay short: this subscriber records what is acknowledged live.
  const connect = () => {
    if (stopped) return;
    const cursor = Object.fromEntries(PAIR_LIST.map((p) => [p, (acked.maxTime.get(p) ?? 0) + 61_000]));
    ws = new WebSocket(`ws://127.0.0.1:${listenPort}/subscribe`);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', pairs: PAIR_LIST, cursor })));
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === 'pairs') state.connected = true;
      if (msg.type !== 'ticks') return;
      let ids = acked.ids.get(msg.pair);
      if (!ids) acked.ids.set(msg.pair, (ids = new Set()));
      for (const row of msg.rows) {
        ids.add(row[4]);
        if (row[0] > (acked.maxTime.get(msg.pair) ?? 0)) acked.maxTime.set(msg.pair, row[0]);
      }
      if (!msg.replay) state.liveRows += msg.rows.length;
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (!state.connected) setTimeout(connect, 50);
    });
  };
  connect();
  return {
    child,
    exited,
    state,
    stop() {
      stopped = true;
      ws?.terminate();
    },
  };
}

async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

async function checkPairFiles(dataDir, acked) {
  let missing = 0;
  let duplicates = 0;
  let stored = 0;
  const examples = [];
  for (const pair of PAIR_LIST) {
    const [exchange, marketType, symbol] = pair.split(':');
    const file = path.join(dataDir, exchange, marketType, symbol, 'trading.duckdb');
    const want = acked.ids.get(pair) ?? new Set();
    if (!fs.existsSync(file)) {
      missing += want.size;
      continue;
    }
    const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    const conn = await db.connect();
    try {
      const ids = (await conn.runAndReadAll('SELECT trade_id FROM ticks')).getColumnsJS()[0];
      stored += ids.length;
      const have = new Set(ids);
      duplicates += ids.length - have.size;
      for (const id of want) {
        if (have.has(id)) continue;
        missing++;
        if (examples.length < 10) examples.push(`${pair} ${id}`);
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  }
  return { missing, duplicates, stored, examples };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-loop-'));
  const exchange = await startExchange();
  const listenPort = await freePort();
  const acked = { ids: new Map(), maxTime: new Map() };
  const log = [];
  const lives = [];
  let failure;
  say(`bench:crash-loop  ${KILLS} kills, ${PAIRS} pairs at ${RATE} trades/s, rewind ${REWIND}, node ${process.version}, load ${os.loadavg()[0].toFixed(2)}, data ${dataDir}`);
  try {
    for (let life = 0; life <= KILLS; life++) {
      const before = log.length;
      const ing = startIngester(exchange.port, listenPort, dataDir, acked, log);
      try {
        await waitFor(() => ing.state.liveRows > 0, 60_000, `life ${life + 1}: acknowledged trades`);
        const last = life === KILLS;
        const runMs = last ? Math.min(3000, MAX_RUN_MS) : MIN_RUN_MS + random() * (MAX_RUN_MS - MIN_RUN_MS);
        await sleep(runMs);
        const ackedSoFar = [...acked.ids.values()].reduce((s, x) => s + x.size, 0);
        ing.child.kill(last ? 'SIGTERM' : 'SIGKILL');
        const end = await Promise.race([ing.exited, sleep(60_000).then(() => ({ code: 'timeout' }))]);
        const mine = log.slice(before);
        const replayed = mine.find((l) => l.msg === 'journal opened')?.replayedTrades ?? 0;
        const torn = mine.filter((l) => typeof l.msg === 'string' && l.msg.includes('torn last record')).length;
        lives.push({ life: life + 1, ranMs: Math.round(runMs), end: end.signal ?? end.code, replayedOnStart: replayed, tornTailsDropped: torn, ackedSoFar });
        say(`life ${String(life + 1).padStart(2)}: ran ${(runMs / 1000).toFixed(1)} s, ${last ? 'SIGTERM' : 'SIGKILL'} -> ${end.signal ?? `exit ${end.code}`}; on start re-applied ${replayed} trades from the journal${torn ? `, dropped ${torn} torn tail` : ''}; acknowledged so far ${ackedSoFar}`);
        if (last && end.code !== 0) failure = `final SIGTERM: ingester exited ${end.code}`;
        if (end.code === 'timeout') ing.child.kill('SIGKILL');
      } finally {
        ing.stop();
        ing.child.kill('SIGKILL');
      }
      if (failure) break;
    }
    const check = await checkPairFiles(dataDir, acked);
    const ackedTotal = [...acked.ids.values()].reduce((s, x) => s + x.size, 0);
    const errors = log.filter((l) => l.level === 'error').map((l) => l.msg);
    const result = {
      bench: 'crash-loop',
      kills: lives.filter((l) => l.end === 'SIGKILL').length,
      pairs: PAIRS,
      rate: RATE,
      acknowledged: ackedTotal,
      storedRows: check.stored,
      missing: check.missing,
      duplicates: check.duplicates,
      missingExamples: check.examples,
      tornTailsDropped: lives.reduce((s, l) => s + l.tornTailsDropped, 0),
      replayedOnStart: lives.reduce((s, l) => s + l.replayedOnStart, 0),
      errorLogs: [...new Set(errors)],
      failure,
      lives,
    };
    console.log(JSON.stringify(result));
    say(`\n${result.kills} kills: ${ackedTotal} trades acknowledged, ${check.stored} rows stored; missing ${check.missing}, duplicates ${check.duplicates}${failure ? `; ${failure}` : ''}`);
    if (check.missing > 0 || check.duplicates > 0 || failure) process.exitCode = 1;
  } finally {
    exchange.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
