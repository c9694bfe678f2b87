// bench:analytics helpers: the child processes (fake exchange, ingester, analytics app) and what
// the bench reads about them from /proc (CPU seconds from stat, RSS from status).
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const root = path.resolve(__dirname, '..');
const USER_HZ = 100; // clock ticks per second in /proc/<pid>/stat on Linux
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return NaN; // exited
  }
}

/** CPU seconds per thread name (/proc/<pid>/task/<tid>/comm), the main thread as "main". */
function threadCpuSeconds(pid) {
  const out = {};
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / USER_HZ;
    }
  } catch {
    // exited, or a thread ended while listed
  }
  return out;
}

function rssMiB(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Proportional set size (MiB): resident pages, each shared page counted once over the processes
 * sharing it (node's and libduckdb's code in both apps), so two processes' PSS add up to what they
 * hold together, where RSS counts those pages twice.
 */
function pssMiB(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * A child process with its exit as a promise, peak RSS and last CPU reading kept by a sampler
 * (so a process that exits still has its CPU total from just before), and its JSON log lines.
 */
class Child {
  constructor(name, args, { nodeArgs = [], stdout = 'ignore' } = {}) {
    this.name = name;
    this.started = performance.now();
    this.proc = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['pipe', stdout, 'pipe'] });
    this.pid = this.proc.pid;
    this.peakRss = 0;
    this.lastCpu = 0;
    this.logs = [];
    this.shown = 0;
    /** Set by stop(): an exit after it is expected. */
    this.stopping = false;
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
    readline.createInterface({ input: this.proc.stderr }).on('line', (line) => this.onLog(line));
    this.sampler = setInterval(() => this.sample(), 100);
    void this.exited.then(({ code, signal }) => {
      clearInterval(this.sampler);
      // A process that dies mid-run: its exit and last lines, which the 20-line cap may have hidden.
      if (!this.stopping && code !== 0) {
        process.stderr.write(`[${this.name}] exited unexpectedly (${code ?? signal}); its last log lines:\n`);
        for (const entry of this.logs.slice(-8)) process.stderr.write(`[${this.name}]   ${JSON.stringify(entry).slice(0, 600)}\n`);
      }
    });
  }
  onLog(line) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = { level: 'raw', msg: line };
    }
    this.logs.push(entry);
    if (this.logs.length > 2000) this.logs.splice(0, 1000);
    if (entry.level !== 'info' && entry.level !== 'debug' && this.shown++ < 20) process.stderr.write(`[${this.name}] ${line}\n`);
  }
  sample() {
    const rss = rssMiB(this.pid);
    if (rss > this.peakRss) this.peakRss = rss;
    const cpu = cpuSeconds(this.pid);
    if (Number.isFinite(cpu)) this.lastCpu = cpu;
  }
  cpu() {
    this.sample();
    return this.lastCpu;
  }
  /** Resolves with the `url` of the first log line whose msg is `msg`. */
  async waitForLog(msg, timeoutMs = 30_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find((l) => l.msg === msg);
      if (found) return found;
      if (Date.now() > end) throw new Error(`${this.name}: no "${msg}" log line within ${timeoutMs} ms`);
      const done = await Promise.race([this.exited, sleep(100).then(() => undefined)]);
      if (done) throw new Error(`${this.name} exited (${done.code ?? done.signal}) before logging "${msg}"`);
    }
  }
  /** SIGTERM, then the exit code and how long the stop took (ms). */
  async stop(timeoutMs = 30_000) {
    const t = performance.now();
    this.stopping = true;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    const ms = Math.round(performance.now() - t);
    // A slow or killed stop: what the process logged last says what it was doing.
    const last = ms > 10_000 || code === null ? { lastLogs: this.logs.slice(-3).map((l) => l.msg) } : {};
    return { code: code ?? signal, ms, ...last };
  }
}

async function startExchange(rate, timeScale, market = 'volatile') {
  const child = new Child('exchange', [path.join(__dirname, 'analytics-exchange-process.js'), '--rate', String(rate), '--clock', 'wall', '--time-scale', String(timeScale), '--market', market], {
    stdout: 'pipe',
  });
  const lines = readline.createInterface({ input: child.proc.stdout });
  const info = await new Promise((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l)));
    void child.exited.then(({ code }) => reject(new Error(`exchange exited ${code}`)));
  });
  return Object.assign(child, { port: info.port, startTime: info.startTime });
}

async function startIngester(port, dataDir, pairs, extraArgs = [], nodeArgs = [], main = path.join(root, 'packages/ingest-app/dist/main.js')) {
  const child = new Child('ingest', [
    main,
    '--source', 'live', '--pairs', pairs.join(','), '--data-dir', dataDir, '--listen', '127.0.0.1:0',
    '--binance-usdm-ws', `ws://127.0.0.1:${port}`, '--binance-usdm-rest', `http://127.0.0.1:${port}`,
    '--log-level', 'info', '--retention-interval-ms', '0', '--stale-timeout-ms', '60000', ...extraArgs,
  ], { nodeArgs });
  child.url = (await child.waitForLog('ingester listening')).url;
  return child;
}

async function startAnalytics(dataDir, ingesterUrl, nodeArgs, extraArgs = [], main = path.join(root, 'packages/analytics-app/dist/main.js')) {
  const child = new Child(
    'analytics',
    [
      main,
      '--data-dir', dataDir, '--ingester', ingesterUrl.replace(/^http/, 'ws'), '--listen', '127.0.0.1:0', '--log-level', 'info', ...extraArgs,
    ],
    { nodeArgs },
  );
  child.url = (await child.waitForLog('analytics listening')).url;
  return child;
}

/** The analytics app in offline mode over dataDir's trading files, to completion. */
async function runOffline(dataDir, analyticsDir, nodeArgs) {
  const child = new Child(
    'offline',
    [path.join(root, 'packages/analytics-app/dist/main.js'), '--offline', '--data-dir', dataDir, '--analytics-dir', analyticsDir, '--log-level', 'info'],
    { nodeArgs },
  );
  const { code, signal, at } = await child.exited;
  const done = child.logs.find((l) => l.msg === 'offline pass done') ?? {};
  return { code: code ?? signal, seconds: (at - child.started) / 1000, cpuSeconds: child.lastCpu, peakRssMiB: child.peakRss, pairs: done.pairs, ticks: done.ticks };
}

/** The pass probe (analytics-pass-probe.js) over the analytics files in dir. */
async function runPassProbe(dir, concurrency, memoryLimit) {
  const args = ['--analytics-dir', dir, '--concurrency', String(concurrency), ...(memoryLimit === undefined ? [] : ['--memory-limit', memoryLimit])];
  const child = new Child('probe', [path.join(__dirname, '../packages/analytics-app/bench/analytics-pass-probe.js'), ...args], { stdout: 'pipe' });
  let out = '';
  child.proc.stdout.on('data', (d) => (out += d));
  const { code } = await child.exited;
  if (code !== 0) throw new Error(`pass probe exited ${code}`);
  return JSON.parse(out.trim().split('\n').pop());
}

/** fetch, once more after a reset: a kept-alive socket the server closed just as it was reused. */
async function fetchOnce(url) {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    if (err?.cause?.code !== 'ECONNRESET') throw err;
    return fetch(url, { signal: AbortSignal.timeout(10_000) });
  }
}

const getJson = async (url) => (await fetchOnce(url)).json();

/** The app's /metrics text: `sum`/`count` of a histogram, the value of an unlabelled series, or a series' total. */
async function readMetrics(url) {
  const text = await (await fetchOnce(`${url}/metrics`)).text();
  const value = (series) => Number((text.match(new RegExp(`^${series} (\\S+)$`, 'm')) ?? [])[1] ?? NaN);
  /** A labelled gauge's values by its one label's value. */
  const byLabel = (name) => Object.fromEntries([...text.matchAll(new RegExp(`^${name}\\{\\w+="([^"]*)"\\} (\\S+)$`, 'gm'))].map((m) => [m[1], Number(m[2])]));
  /** A series summed over all its labels (a counter by pair); 0 when it has none yet. */
  const total = (name) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  return { value, byLabel, total, histogram: (name) => ({ sum: value(`${name}_sum`), count: value(`${name}_count`) }) };
}

module.exports = { sleep, cpuSeconds, threadCpuSeconds, rssMiB, pssMiB, startExchange, startIngester, startAnalytics, runOffline, runPassProbe, getJson, readMetrics };
