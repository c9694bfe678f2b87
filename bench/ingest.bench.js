#!/usr/bin/env node
// npm run bench:ingest: end-to-end ingest of raw Binance-format trade frames for 100 pairs over
// WebSocket (a fake exchange in its own process) by the real ingester process.
//   phase 1: the exchange sends as fast as the ingester takes them -> committed trades/s, CPU, RSS
//   phase 2: a fixed offered load of 50,000 trades/s -> p50/p99 receipt-to-commit latency
// Flags: --pairs 100 --seconds 20 --rate 50000
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const root = path.resolve(__dirname, '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const PAIRS = arg('pairs', 100);
const SECONDS = arg('seconds', 20);
const RATE = arg('rate', 50_000);
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

async function startExchange(rate) {
  const child = spawn(process.execPath, [path.join(__dirname, 'fake-exchange-process.js'), '--rate', String(rate)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const port = await new Promise((resolve) => lines.once('line', (l) => resolve(JSON.parse(l).port)));
  return { child, port };
}

async function startIngester(port, dataDir) {
  const pairs = Array.from({ length: PAIRS }, (_, i) => `binance:usdm:SYM${i}USDT`).join(',');
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'packages/ingest-app/dist/main.js'),
      '--source', 'live', '--pairs', pairs, '--data-dir', dataDir, '--listen', '127.0.0.1:0',
      '--binance-usdm-ws', `ws://127.0.0.1:${port}`, '--binance-usdm-rest', `http://127.0.0.1:${port}`,
      '--log-level', 'warn', '--retention-interval-ms', '0', '--stale-timeout-ms', '60000',
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
  if (!url) throw new Error('ingester did not start listening');
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
const batches = async (url) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.match(/^ingest_batch_commit_seconds_count(?:\{\})? (\d+)/m);
  return m ? Number(m[1]) : NaN;
};

async function phase(name, rate, dataDir) {
  const exchange = await startExchange(rate);
  const ingester = await startIngester(exchange.port, dataDir);
  try {
    await sleep(3000); // warm-up: connections, file opens, JIT
    const s0 = await stats(ingester.url);
    const b0 = await batches(ingester.url);
    const c0 = cpuSeconds(ingester.child.pid);
    const x0 = cpuSeconds(exchange.child.pid);
    const t0 = performance.now();
    let peakRss = 0;
    for (let i = 0; i < SECONDS * 4; i++) {
      await sleep(250);
      peakRss = Math.max(peakRss, rssMiB(ingester.child.pid));
    }
    const s1 = await stats(ingester.url);
    const b1 = await batches(ingester.url);
    const secs = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(ingester.child.pid) - c0) / secs;
    const exchangeCpu = (cpuSeconds(exchange.child.pid) - x0) / secs;
    return {
      phase: name,
      offeredPerSec: rate || 'max',
      committedPerSec: Math.round((s1.stored - s0.stored) / secs),
      receivedPerSec: Math.round((s1.received - s0.received) / secs),
      batchesPerSec: Math.round((b1 - b0) / secs),
      ingesterCpuCores: Math.round(cpu * 100) / 100,
      exchangeCpuCores: Math.round(exchangeCpu * 100) / 100,
      ingesterPeakRssMiB: Math.round(peakRss),
      receiptToCommitMs: s1.receiptToCommitMs,
      batchCommitMs: s1.batchCommitMs,
      openPairs: s1.pool.poolSize,
    };
  } finally {
    const stopAt = performance.now();
    ingester.child.kill('SIGTERM');
    const code = await new Promise((r) => ingester.child.once('exit', (c) => r(c)));
    exchange.child.kill('SIGKILL');
    console.log(`${name}: ingester exited ${code} ${((performance.now() - stopAt) / 1000).toFixed(1)} s after SIGTERM`);
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
  try {
    console.log(`bench:ingest  ${PAIRS} pairs, ${SECONDS} s per phase, node ${process.version}, ${os.cpus().length} cores`);
    const flat = await phase('max throughput', 0, path.join(dir, 'a'));
    const fixed = await phase(`fixed ${RATE}/s`, RATE, path.join(dir, 'b'));
    for (const r of [flat, fixed]) {
      console.log(
        `${r.phase.padEnd(16)} offered=${String(r.offeredPerSec).padStart(6)}/s committed=${String(r.committedPerSec).padStart(7)}/s ` +
          `batches=${r.batchesPerSec}/s cpu=${r.ingesterCpuCores} cores (exchange ${r.exchangeCpuCores}) rss=${r.ingesterPeakRssMiB} MiB receipt->commit p50=${r.receiptToCommitMs.p50} ms p99=${r.receiptToCommitMs.p99} ms`,
      );
    }
    console.log(JSON.stringify({ bench: 'ingest', pairs: PAIRS, results: [flat, fixed] }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
