#!/usr/bin/env node
// npm run bench:ingest: end-to-end ingest of raw Binance-format trade frames for 100 pairs over
// WebSocket (a fake exchange in its own process) by the real ingester process.
//   phase 1: the exchange sends as fast as the ingester takes them -> committed trades/s, CPU, RSS
//   phase 2: a fixed offered load of 50,000 trades/s -> p50/p99 receipt to acknowledged (the
//            journal group durable; on a build without the journal, the pair file batch
//            committed), receipt to pair-file commit, and a subscriber's latency (below). The
//            ingester observes latency once per journal record (one pair's trades in a group) or
//            per committed batch: the wait of its oldest trade, so the percentiles here are over
//            records/batches of each one's worst trade (an upper bound for the trades in it).
// The subscriber (on /subscribe, every pair, live batches only) measures two things per trade:
// exchange due -> subscriber, from the fake exchange's send schedule (trade k of the connection
// is due at t0 + k / rate; an upper bound of receipt -> subscriber, as it includes the exchange's
// own lateness and the socket), and publish -> subscriber, from each batch's `committedAt`.
// Per-thread run and runqueue-wait shares come from /proc/<pid>/task/*/schedstat (thread-sched.js).
// Flags: --pairs 100 --seconds 20 --rate 50000 --phases max,fixed --series --no-subscriber
// --node-args "..." (node flags for the ingester, e.g. --cpu-prof) --ingester path/to/dist/main.js (another build, e.g. a worktree of main, for before/after);
// after `--`, extra ingester flags (e.g. `-- --storage-threads 4`).
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const root = path.resolve(__dirname, '..');
const { numberArg: arg, stringArg } = require('./cli-args');
const WebSocket = require('ws');
const { startSched } = require('./thread-sched');
const { ExchangeProcess, makeTempDir, removeTempDir } = require('@market-data/testing');
const PAIRS = arg('pairs', 100);
const SECONDS = arg('seconds', 20);
const RATE = arg('rate', 50_000);
const PHASES = (process.argv.includes('--phases') ? process.argv[process.argv.indexOf('--phases') + 1] : 'max,fixed').split(',');
const INGESTER_EXTRA = process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : [];
// --series: also each second's batches and receipt-to-commit p50/p99, to see whether a phase's
// tail is spread out or comes in bursts.
const SERIES = process.argv.slice(0, process.argv.includes('--') ? process.argv.indexOf('--') : undefined).includes('--series');
const BENCH_ARGS = process.argv.slice(0, process.argv.includes('--') ? process.argv.indexOf('--') : undefined);
const SUBSCRIBER = !BENCH_ARGS.includes('--no-subscriber');
// --node-args "--cpu-prof --cpu-prof-dir=DIR": node flags for the ingester process (a profile of a phase).
const NODE_ARGS = (stringArg('node-args', '') || '').split(' ').filter(Boolean);
const INGESTER_MAIN = path.resolve(stringArg('ingester', path.join(root, 'packages/ingest-app/dist/main.js')));
const TICKS = os.constants ? 100 : 100; // USER_HZ on Linux
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}
function rssMiB(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The fake exchange in its own process, `rate` trades/s per connection (0 = as fast as the ingester reads). */
const startExchange = (rate) => ExchangeProcess.start(['--rate', String(rate)]);

/** Sorted-sample quantile. */
const quantile = (sorted, q) => (sorted.length === 0 ? NaN : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10);

/**
 * A subscriber to every pair's live batches that times each trade: exchange due -> here (see the
 * header) and publish (committedAt) -> here. `measure()` starts a window, `result()` ends it.
 */
function startSubscriber(url, schedule) {
  const index = new Map(schedule.symbols.map((s, i) => [s, i]));
  const n = schedule.symbols.length;
  const state = { measuring: false, due: [], published: [], rows: 0 };
  const ws = new WebSocket(url.replace('http', 'ws') + '/subscribe');
  // The cursor is after every synthetic trade time (2024): no history is replayed.
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', pairs: '*', cursor: Object.fromEntries(Array.from({ length: PAIRS }, (_, i) => [`binance:usdm:SYM${i}USDT`, Date.now()])) })));
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.type !== 'ticks' || msg.replay || !state.measuring) return;
    const now = performance.timeOrigin + performance.now();
    const j = index.get(msg.pair.slice(msg.pair.lastIndexOf(':') + 1));
    if (msg.committedAt !== undefined) state.published.push(now - msg.committedAt);
    for (const row of msg.rows) {
      const k = (Number(row[4]) - (schedule.firstIds[j] ?? 1)) * n + j;
      state.due.push(now - (schedule.t0Wall + (k * 1000) / schedule.rate));
    }
    state.rows += msg.rows.length;
  });
  ws.on('error', () => undefined);
  return {
    measure: () => (state.measuring = true),
    result() {
      state.measuring = false;
      ws.terminate();
      const due = state.due.sort((a, b) => a - b);
      const pub = state.published.sort((a, b) => a - b);
      return { trades: state.rows, dueToSubscriberMs: { p50: quantile(due, 0.5), p99: quantile(due, 0.99) }, publishToSubscriberMs: { p50: quantile(pub, 0.5), p99: quantile(pub, 0.99) } };
    },
  };
}

async function startIngester(port, dataDir) {
  const pairs = Array.from({ length: PAIRS }, (_, i) => `binance:usdm:SYM${i}USDT`).join(',');
  const child = spawn(
    process.execPath,
    [
      ...NODE_ARGS,
      INGESTER_MAIN,
      '--source', 'live', '--pairs', pairs, '--data-dir', dataDir, '--listen', '127.0.0.1:0',
      '--binance-usdm-ws', `ws://127.0.0.1:${port}`, '--binance-usdm-rest', `http://127.0.0.1:${port}`,
      '--log-level', 'warn', '--retention-interval-ms', '0', '--stale-timeout-ms', '60000',
      ...INGESTER_EXTRA,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let url;
  const lines = readline.createInterface({ input: child.stderr });
  lines.on('line', (line) => {
    if (line.includes('"level":"error"')) process.stderr.write(`[ingest] ${line}\n`);
  });
  // The listening line is logged at info, which --log-level warn hides; find the port from /proc instead.
  const end = Date.now() + 30_000;
  while (!url && Date.now() < end) {
    await sleep(200);
    url = listeningUrl(child.pid);
  }
  if (!url) {
    child.kill('SIGKILL');
    throw new Error('ingester did not start listening within 30 s');
  }
  return { child, url };
}

function listeningUrl(pid) {
  // Find the TCP port the process listens on (state 0A = LISTEN) on 127.0.0.1.
  try {
    const inodes = new Set(
      fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      }).filter((l) => l.startsWith('socket:')).map((l) => l.slice(8, -1)),
    );
    for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9])) return `http://127.0.0.1:${parseInt(f[1].split(':')[1], 16)}`;
    }
  } catch {
    // process gone
  }
  return undefined;
}

const stats = async (url) => (await fetch(`${url}/stats`)).json();
const bucketsOf = (text, name) => [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map((b) => ({ le: Number(b[1]), n: Number(b[2]) }));
/**
 * Batch count and the cumulative buckets of receipt-to-commit (pair file) and receipt-to-ack
 * (journal) from one /metrics scrape. A build without the journal acknowledges at the pair file
 * commit, so there receipt-to-commit is also the acknowledgement.
 */
const scrape = async (url) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.match(/^ingest_batch_commit_seconds_count(?:\{\})? (\d+)/m);
  const buckets = bucketsOf(text, 'ingest_receipt_to_commit_seconds');
  const ack = bucketsOf(text, 'ingest_receipt_to_ack_seconds');
  const journal = /^ingest_journal_bytes /m.test(text);
  const groups = text.match(/^ingest_journal_groups_total(?:\{\})? (\d+)/m);
  // A build before this histogram has none: the phase then prints no journal write figures.
  const writeBuckets = bucketsOf(text, 'ingest_journal_group_write_seconds');
  return { batches: m ? Number(m[1]) : NaN, groups: groups ? Number(groups[1]) : 0, buckets, ackBuckets: journal ? ack : buckets, journal, writeBuckets };
};
/** The same latency over the acknowledgement histogram. */
const ackLatency = (before, after) => phaseLatency({ buckets: before.ackBuckets }, { buckets: after.ackBuckets });

/**
 * Receipt-to-commit percentiles over the whole phase: the difference of two histogram scrapes,
 * interpolated linearly inside a bucket (the app's /stats covers its last 60 s only). The
 * histogram has one observation per committed batch, its oldest trade's wait, so these are
 * percentiles over batches of each batch's worst trade; also the share of batches whose oldest
 * trade was committed within 50 ms.
 */
function phaseLatency(before, after) {
  const delta = after.buckets.map((b, i) => ({ le: b.le, n: b.n - (before.buckets[i]?.n ?? 0) }));
  const total = delta[delta.length - 1]?.n ?? 0;
  const at = (q) => {
    const want = q * total;
    let prevLe = 0;
    let prevN = 0;
    for (const { le, n } of delta) {
      if (n >= want) return Math.round((prevLe + ((want - prevN) / Math.max(1, n - prevN)) * ((Number.isFinite(le) ? le : prevLe * 2) - prevLe)) * 1e4) / 10;
      prevLe = le;
      prevN = n;
    }
    return NaN;
  };
  const within50 = delta.find((b) => b.le === 0.05)?.n ?? NaN;
  const within10 = delta.find((b) => b.le === 0.01)?.n ?? NaN;
  return { batches: total, p50: at(0.5), p99: at(0.99), within50msPct: Math.round((within50 / total) * 1000) / 10, within10msPct: Math.round((within10 / total) * 1000) / 10 };
}

async function phase(name, rate, dataDir) {
  const exchange = await startExchange(rate);
  let ingester;
  try {
    ingester = await startIngester(exchange.port, dataDir);
  } catch (err) {
    // Never leave the exchange behind: it would keep running (and loading the box) after the bench.
    await exchange.stop('SIGKILL');
    throw err;
  }
  try {
    await sleep(3000); // warm-up: connections, file opens, JIT
    // At a fixed rate, trades pile up while the 100 files are created; measure the steady state
    // only once that backlog is stored (and report how long it took).
    let caughtUpSec = null;
    if (rate > 0) {
      const start = performance.now();
      let prev = await stats(ingester.url);
      for (let i = 0; i < 120; i++) {
        await sleep(500);
        const cur = await stats(ingester.url);
        const receivedRate = (cur.received - prev.received) * 2;
        prev = cur;
        if (cur.received - cur.stored < rate * 0.1 && receivedRate > rate * 0.9) {
          caughtUpSec = Math.round((3 + (performance.now() - start) / 1000) * 10) / 10;
          break;
        }
      }
    }
    let subscriber;
    if (rate > 0 && SUBSCRIBER) {
      const schedule = await exchange.schedule();
      if (schedule) {
        subscriber = startSubscriber(ingester.url, schedule);
        await sleep(1000); // connected, subscribed, the (empty) replay done
        subscriber.measure();
      }
    }
    const s0 = await stats(ingester.url);
    const m0 = await scrape(ingester.url);
    const c0 = cpuSeconds(ingester.child.pid);
    const x0 = cpuSeconds(exchange.pid);
    const endSched = startSched(ingester.child.pid);
    const t0 = performance.now();
    let peakRss = 0;
    const series = [];
    let mPrev = m0;
    for (let i = 0; i < SECONDS * 4; i++) {
      await sleep(250);
      peakRss = Math.max(peakRss, rssMiB(ingester.child.pid));
      if (SERIES && i % 4 === 3) {
        const m = await scrape(ingester.url);
        const l = phaseLatency(mPrev, m);
        const a = ackLatency(mPrev, m);
        series.push({ sec: (i + 1) / 4, batches: m.batches - mPrev.batches, p50: l.p50, p99: l.p99, ackP50: a.p50, ackP99: a.p99 });
        mPrev = m;
      }
    }
    const sched = endSched();
    const s1 = await stats(ingester.url);
    const m1 = await scrape(ingester.url);
    const sub = subscriber?.result();
    const secs = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(ingester.child.pid) - c0) / secs;
    const exchangeCpu = (cpuSeconds(exchange.pid) - x0) / secs;
    return {
      phase: name,
      offeredPerSec: rate || 'max',
      committedPerSec: Math.round((s1.stored - s0.stored) / secs),
      receivedPerSec: Math.round((s1.received - s0.received) / secs),
      batchesPerSec: Math.round((m1.batches - m0.batches) / secs),
      journalGroupsPerSec: Math.round((m1.groups - m0.groups) / secs),
      ingesterCpuCores: Math.round(cpu * 100) / 100,
      exchangeCpuCores: Math.round(exchangeCpu * 100) / 100,
      ingesterPeakRssMiB: Math.round(peakRss),
      journal: m1.journal,
      receiptToAckMs: ackLatency(m0, m1),
      // The device's part of receipt -> ack: each group's write and sync on the journal's I/O thread.
      journalWriteMs: m1.writeBuckets.length > 0 ? phaseLatency({ buckets: m0.writeBuckets }, { buckets: m1.writeBuckets }) : undefined,
      receiptToCommitMs: phaseLatency(m0, m1),
      ...(sub ? { subscriber: sub } : {}),
      receiptToCommitLast60sMs: s1.receiptToCommitMs,
      batchCommitMs: s1.batchCommitMs,
      openPairs: s1.pool.poolSize,
      threads: sched,
      caughtUpAfterSec: rate > 0 ? caughtUpSec : undefined,
      ...(SERIES ? { series } : {}),
    };
  } finally {
    const stopAt = performance.now();
    ingester.child.kill('SIGTERM');
    // A stop that hangs is a finding, not a reason for the bench to hang: report it and kill.
    const { child } = ingester;
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode ?? child.signalCode) : new Promise((r) => child.once('exit', (c) => r(c)));
    const code = await Promise.race([exited, sleep(60_000).then(() => 'timeout')]);
    if (code === 'timeout') {
      ingester.child.kill('SIGKILL');
      await exited;
    }
    await exchange.stop('SIGKILL');
    console.log(
      code === 'timeout'
        ? `${name}: ingester did NOT exit within 60 s of SIGTERM (killed)`
        : `${name}: ingester exited ${code} ${((performance.now() - stopAt) / 1000).toFixed(1)} s after SIGTERM`,
    );
  }
}

async function main() {
  const dir = makeTempDir('bench-ingest-');
  try {
    console.log(`bench:ingest  ${PAIRS} pairs, ${SECONDS} s per phase, node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}, ingester ${path.relative(root, INGESTER_MAIN)}${INGESTER_EXTRA.length ? ` ${INGESTER_EXTRA.join(' ')}` : ''}`);
    const results = [];
    if (PHASES.includes('max')) results.push(await phase('max throughput', 0, path.join(dir, 'a')));
    if (PHASES.includes('fixed')) results.push(await phase(`fixed ${RATE}/s`, RATE, path.join(dir, 'b')));
    for (const r of results) {
      console.log(
        `${r.phase.padEnd(16)} offered=${String(r.offeredPerSec).padStart(6)}/s acknowledged=${String(r.committedPerSec).padStart(7)}/s ` +
          `batches=${r.batchesPerSec}/s${r.journal ? ` journal groups=${r.journalGroupsPerSec}/s` : ''} cpu=${r.ingesterCpuCores} cores (exchange ${r.exchangeCpuCores}) rss=${r.ingesterPeakRssMiB} MiB ${r.journal ? 'journal' : 'no journal'}; ` +
          `receipt->ack (per record/batch, oldest trade) p50=${r.receiptToAckMs.p50} ms p99=${r.receiptToAckMs.p99} ms (${r.receiptToAckMs.within10msPct}% within 10 ms); ` +
          (r.journalWriteMs ? `journal group write+sync (I/O thread) p50=${r.journalWriteMs.p50} ms p99=${r.journalWriteMs.p99} ms; ` : '') +
          `receipt->pair file (per batch, oldest trade) p50=${r.receiptToCommitMs.p50} ms p99=${r.receiptToCommitMs.p99} ms` +
          `${r.subscriber ? `; subscriber (${r.subscriber.trades} trades): exchange due->subscriber p50=${r.subscriber.dueToSubscriberMs.p50} p99=${r.subscriber.dueToSubscriberMs.p99} ms, publish->subscriber p99=${r.subscriber.publishToSubscriberMs.p99} ms` : ''}` +
          `${r.caughtUpAfterSec === undefined ? '' : `; start-up backlog stored after ${r.caughtUpAfterSec ?? 'more than 63'} s`}`,
      );
      const t = r.threads;
      console.log(
        `${''.padEnd(16)} threads: socket run ${t.mainThread.runPct}% + runqueue wait ${t.mainThread.waitPct}%; ` +
          `busiest others ${t.busiestOthers.map((o) => `${o.runPct}% + ${o.waitPct}%`).join(', ')}; the rest ${t.restRunPct}%; box busy ${t.boxBusyPct}%`,
      );
      for (const x of r.series ?? []) console.log(`${''.padEnd(16)} ${String(x.sec).padStart(5)} s  batches ${String(x.batches).padStart(5)}  commit p50 ${x.p50} ms p99 ${x.p99} ms  ack p50 ${x.ackP50} ms p99 ${x.ackP99} ms`);
    }
    console.log(JSON.stringify({ bench: 'ingest', pairs: PAIRS, ingester: INGESTER_MAIN, results, ingesterFlags: INGESTER_EXTRA }));
  } finally {
    removeTempDir(dir);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
