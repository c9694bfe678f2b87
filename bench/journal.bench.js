#!/usr/bin/env node
// npm run bench:journal: which journal mechanism for the ingester (issue 14, DESIGN.md section 2).
// The same workload, in this one process, against each candidate in turn (rounds interleave them):
//   segment        the ingester's SegmentJournal (built): segment files of CRC-checked records,
//                  one positional write per group to a file opened O_DSYNC, next group as soon as
//                  one is durable
//   segment-fdatasync  the same with a plain write + fdatasync per group (two thread-pool trips)
//   segment-2ms    the same as segment, at most one group every 2 ms
//   lmdb           the `lmdb` package, one put per record, its own event-turn batching into one
//                  transaction; overlappingSync off, so a put resolves once it is durable
//   lmdb-overlap   the same with overlappingSync (its default on Linux): a put resolves at commit,
//                  durability comes with `flushed`, which is what we wait for
//   duckdb         a DuckDB file fed by one appender, one flush (= one commit) per group
// Every candidate gets the same records: one record per pair per 1 ms tick, the bytes of the
// ingester's record format (so only the storage differs).
//   phase fixed: 50,000 trades/s over 100 pairs -> group-commit latency p50/p99 (append -> durable)
//                and CPU (all threads of this process) per trade
//   phase max:   as fast as each takes them (at most 200,000 trades waiting) -> trades/s, records/s
// After each run the store is reopened and its records counted: nothing appended may be missing.
// Each run is a child process of its own (so one candidate's heap or native state cannot carry
// over to the next).
// Flags: --rate 50000 --pairs 100 --seconds 8 --max-seconds 5 --rounds 2 --only segment,lmdb
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { numberArg, stringArg } = require('./cli-args');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'packages/ingest-app/dist/journal');
const { SegmentJournal } = require(path.join(dist, 'segment-journal.js'));
const { scanSegments } = require(path.join(dist, 'journal-segments.js'));
const { GrowBuffer, encodeTradesRecord } = require(path.join(dist, 'journal-record.js'));

const RATE = numberArg('rate', 50_000);
const PAIRS = numberArg('pairs', 100);
const SECONDS = numberArg('seconds', 8);
const MAX_SECONDS = numberArg('max-seconds', 5);
const ROUNDS = numberArg('rounds', 2);
const ONLY = stringArg('only');
const quietLogger = { debug() {}, info() {}, warn: (m, f) => console.warn(m, f), error: (m, f) => console.error(m, f) };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Each candidate: open(dir, durable) -> { append(pairId, trades, lsn), close(), count() } where durable(lsns) is called once records are durable. */
const CANDIDATES = {
  segment: (dir, durable) => segmentCandidate(dir, durable, 0, 'dsync'),
  'segment-fdatasync': (dir, durable) => segmentCandidate(dir, durable, 0, 'fdatasync'),
  'segment-2ms': (dir, durable) => segmentCandidate(dir, durable, 2, 'dsync'),
  lmdb: (dir, durable) => lmdbCandidate(dir, durable, false),
  'lmdb-overlap': (dir, durable) => lmdbCandidate(dir, durable, true),
  duckdb: (dir, durable) => duckdbCandidate(dir, durable),
};

async function segmentCandidate(dir, durable, groupCommitMs, sync) {
  const options = { dir, segmentBytes: 16 << 20, groupCommitMs, maxUnwrittenTrades: 10_000_000, diskCheckMs: 0, sync };
  const { journal } = SegmentJournal.open(options, { durable: (entries) => durable(entries.map((e) => e.lsn)) }, quietLogger);
  return {
    append: (pairId, trades) => journal.append(pairId, trades),
    close: () => journal.close(),
    count: () => scanSegments(dir).records.length,
  };
}

async function lmdbCandidate(dir, durable, overlappingSync) {
  const { open } = require('lmdb');
  const db = open({ path: dir, encoding: 'binary', compression: false, overlappingSync, ...(overlappingSync ? { separateFlushed: true } : {}) });
  const out = new GrowBuffer(1 << 16);
  let lsn = 0;
  return {
    append(pairId, trades) {
      const at = ++lsn;
      out.reset();
      encodeTradesRecord(out, at, pairId, trades);
      const written = db.put(at, out.buf.subarray(0, out.length));
      (overlappingSync ? written.flushed : written).then(() => durable([at]));
      return at;
    },
    close: () => db.close(),
    count() {
      const again = open({ path: dir, encoding: 'binary', compression: false });
      try {
        return again.getKeysCount();
      } finally {
        again.close();
      }
    },
  };
}

async function duckdbCandidate(dir, durable) {
  const { DuckDBInstance } = require('@duckdb/node-api');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'journal.duckdb');
  const instance = await DuckDBInstance.create(file, { threads: '1', memory_limit: '256MB' });
  const conn = await instance.connect();
  await conn.run('CREATE TABLE journal (lsn BIGINT, payload BLOB)');
  const appender = await conn.createAppender('journal');
  const out = new GrowBuffer(1 << 16);
  let lsn = 0;
  let group = [];
  let timer;
  const commit = () => {
    timer = undefined;
    const lsns = group;
    group = [];
    appender.flushSync(); // outside a transaction: one commit, WAL fsync'd
    durable(lsns);
  };
  return {
    append(pairId, trades) {
      const at = ++lsn;
      out.reset();
      encodeTradesRecord(out, at, pairId, trades);
      appender.appendBigInt(BigInt(at));
      appender.appendBlob(out.buf.subarray(0, out.length));
      appender.endRow();
      group.push(at);
      timer ??= setImmediate(commit);
      return at;
    },
    async close() {
      if (timer) {
        clearImmediate(timer);
        commit();
      }
      appender.closeSync();
      conn.closeSync();
      instance.closeSync();
    },
    async count() {
      const again = await DuckDBInstance.create(file);
      const c = await again.connect();
      try {
        return Number((await c.runAndReadAll('SELECT count(*) FROM journal')).getColumnsJS()[0][0]);
      } finally {
        c.closeSync();
        again.closeSync();
      }
    },
  };
}

/** Trades of one pair for one tick, in the ingester's shape. */
function makeTrades(state, n) {
  const trades = new Array(n);
  for (let i = 0; i < n; i++) {
    const id = ++state.id;
    trades[i] = { timestamp: 1_723_075_200_000 + id * 3 + 0.25, price: 60_000 + (id % 97) / 10, volume: 0.001 * (1 + (id % 9)), side: id % 3 ? 'SELL' : 'BUY', tradeId: String(id) };
  }
  return trades;
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function run(name, phase) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-journal-${name}-`));
  const pairs = Array.from({ length: PAIRS }, (_, i) => ({ pairId: `binance:usdm:SYM${i}USDT`, id: i * 1e9 }));
  const sent = new Map(); // lsn -> [appendedAt, trades]
  const latencies = [];
  let durableTrades = 0;
  let durableRecords = 0;
  let appended = 0;
  let records = 0;
  const durable = (lsns) => {
    const now = performance.now();
    for (const lsn of lsns) {
      const s = sent.get(lsn);
      if (!s) continue;
      sent.delete(lsn);
      durableRecords++;
      durableTrades += s[1];
      if (phase === 'fixed') for (let i = 0; i < s[1]; i++) latencies.push(now - s[0]);
    }
  };
  const journal = await CANDIDATES[name](dir, durable);
  const append = (pair, n) => {
    const trades = makeTrades(pair, n);
    const lsn = journal.append(pair.pairId, trades);
    sent.set(lsn, [performance.now(), n]);
    appended += n;
    records++;
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const seconds = phase === 'fixed' ? SECONDS : MAX_SECONDS;
  let k = 0;
  if (phase === 'fixed') {
    // Every ~1 ms: the trades due by now, dealt round robin over the pairs, one record per pair.
    while (performance.now() - t0 < seconds * 1000) {
      const due = Math.floor(((performance.now() - t0) * RATE) / 1000) - appended;
      const perPair = new Map();
      for (let i = 0; i < due; i++) {
        const p = pairs[k++ % PAIRS];
        perPair.set(p, (perPair.get(p) ?? 0) + 1);
      }
      for (const [p, n] of perPair) append(p, n);
      await sleep(1);
    }
  } else {
    while (performance.now() - t0 < seconds * 1000) {
      if (appended - durableTrades > 200_000) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      for (const p of pairs) append(p, 20);
      await new Promise((r) => setImmediate(r));
    }
  }
  const deadline = performance.now() + 30_000;
  while (sent.size > 0 && performance.now() < deadline) await sleep(2);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await journal.close();
  const stored = await journal.count();
  fs.rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  return {
    candidate: name,
    phase,
    tradesPerSec: Math.round(durableTrades / wall),
    recordsPerSec: Math.round(durableRecords / wall),
    cpuCores: Math.round((cpuSec / wall) * 100) / 100,
    cpuMicrosPerTrade: Math.round((cpuSec / Math.max(1, durableTrades)) * 1e7) / 10,
    ...(phase === 'fixed' ? { p50Ms: round(quantile(latencies, 0.5)), p99Ms: round(quantile(latencies, 0.99)), maxMs: round(latencies.at(-1)) } : {}),
    missing: records - stored,
    notDurable: sent.size,
  };
}

const round = (x) => Math.round(x * 100) / 100;

/** Each candidate runs in a child process of its own: no heap, JIT or native state carries over. */
function runInChild(name, phase) {
  const args = [__filename, '--child', name, '--phase', phase, '--rate', String(RATE), '--pairs', String(PAIRS), '--seconds', String(SECONDS), '--max-seconds', String(MAX_SECONDS)];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').at(-1));
}

async function main() {
  if (stringArg('child')) {
    console.log(JSON.stringify(await run(stringArg('child'), stringArg('phase'))));
    return;
  }
  const names = ONLY ? ONLY.split(',') : Object.keys(CANDIDATES);
  for (const n of names) if (!CANDIDATES[n]) throw new Error(`unknown candidate ${n}; known: ${Object.keys(CANDIDATES).join(', ')}`);
  console.log(`bench:journal  ${RATE} trades/s over ${PAIRS} pairs for ${SECONDS} s, max phase ${MAX_SECONDS} s, ${ROUNDS} rounds, node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}, tmpdir ${os.tmpdir()}`);
  const results = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const phase of ['fixed', 'max']) {
      for (const name of names) {
        const res = { round: r + 1, ...runInChild(name, phase) };
        results.push(res);
        console.log(JSON.stringify(res));
      }
    }
  }
  // Ratios against the segment journal, per round and phase (same sitting).
  console.log('\nratios to `segment` in the same round (latency: lower is better; throughput: higher is better)');
  for (const res of results) {
    const ref = results.find((x) => x.round === res.round && x.phase === res.phase && x.candidate === 'segment');
    if (!ref || res === ref) continue;
    const ratio = (a, b) => (b > 0 ? Math.round((a / b) * 100) / 100 : NaN);
    console.log(
      res.phase === 'fixed'
        ? `round ${res.round} fixed ${res.candidate.padEnd(13)} p50 x${ratio(res.p50Ms, ref.p50Ms)}  p99 x${ratio(res.p99Ms, ref.p99Ms)}  cpu/trade x${ratio(res.cpuMicrosPerTrade, ref.cpuMicrosPerTrade)}`
        : `round ${res.round} max   ${res.candidate.padEnd(13)} trades/s x${ratio(res.tradesPerSec, ref.tradesPerSec)}  cpu/trade x${ratio(res.cpuMicrosPerTrade, ref.cpuMicrosPerTrade)}`,
    );
  }
  const bad = results.filter((r) => r.missing !== 0 || r.notDurable !== 0);
  if (bad.length > 0) {
    console.error('records missing after reopen or never durable:', bad);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
