#!/usr/bin/env node
// The main job on a fresh clone (`npm start`): the ingester on the embedded default (synthetic
// market, DuckDB files under ./data) and the analytics app subscribed to it, as two real
// processes, with the analytics report printed as it updates and the chart page's address.
// Ctrl-C or --duration stops both. An app that dies (kill -9, a native abort such as DuckDB's
// FATAL errors) is started again after a short delay, as a service manager would: the ingester
// resumes from its journal and the analytics app from its cursors. One that refuses to start
// (exit 2: a setting is wrong), or dies more than --max-restarts times within a minute, stops
// both (exit 1).
'use strict';
const { execFile, spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// Built with the apps (their dependency): the same schedule the apps' writers retry on.
const { retryDelayMs } = require(path.join(root, 'packages/runtime/dist/process/retry-delay.js'));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const dataDir = path.resolve(flag('data-dir', path.join(root, 'data')));
const duration = Number(flag('duration', '0'));
const ingestListen = flag('ingest-listen', '127.0.0.1:8090');
const analyticsListen = flag('analytics-listen', '127.0.0.1:8091');
const everyMs = Number(flag('report-every', '5')) * 1000;
const maxRestarts = Number(flag('max-restarts', '5'));
const EXIT_USAGE = 2;
const RESTART_WINDOW_MS = 60_000;
const extra = (() => {
  const i = args.indexOf('--');
  return i >= 0 ? args.slice(i + 1) : [];
})();

const ANALYTICS_MAIN = path.join(root, 'packages/analytics-app/dist/main.js');

/** The report as an operator gets it: the analytics app's own `report` command, asking the running app. */
function reportText() {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [ANALYTICS_MAIN, 'report', '--from', `http://${analyticsListen}`, '--data-dir', dataDir], (err, stdout, stderr) =>
      err ? reject(new Error(stderr.trim() || err.message)) : resolve(stdout.trimEnd()),
    ),
  );
}

function start(name, script, argv) {
  const child = spawn(process.execPath, [path.join(root, script), ...argv], { stdio: ['ignore', 'inherit', 'pipe'] });
  // Both apps log JSON lines on stderr; keep warnings and errors visible, the rest quiet.
  let buffer = '';
  child.stderr.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (/"level":"(warn|error)"/.test(line) || !line.startsWith('{')) process.stderr.write(`[${name}] ${line}\n`);
    }
  });
  child.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      child.how = signal ? `signal ${signal}` : `code ${code}`;
      resolve(code ?? (signal ? 128 : 0));
    }),
  );
  return child;
}

async function waitHealthy(url, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status < 500 || res.status === 503) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

let stopping = false;
let failed = false;
/** Set by main before the first app starts: called when a supervised app cannot be kept running. */
let onGiveUp;

/**
 * Keeps one app running: starts it, and when it exits while nothing is stopping, starts it again
 * after 0.5 s, doubling per death within the last minute up to 8 s. Exit 2 (refused to start: a
 * setting is wrong) is not retried, nor a process that died more than maxRestarts times within a
 * minute.
 */
function supervise(name, script, argv) {
  let child = start(name, script, argv);
  const exits = [];
  const watch = () => {
    const current = child;
    current.exited.then((code) => {
      if (stopping || current !== child) return;
      const now = Date.now();
      exits.push(now);
      while (exits.length > 0 && exits[0] < now - RESTART_WINDOW_MS) exits.shift();
      if (code === EXIT_USAGE) return onGiveUp(`${name} refused to start (exit ${code})`);
      if (exits.length > maxRestarts) return onGiveUp(`${name} exited ${exits.length} times within a minute (last: ${current.how}); giving up`);
      // Counted within the minute, so the first death after a quiet one waits 0.5 s again.
      const delayMs = retryDelayMs(exits.length, 500, 8_000);
      console.error(`${name} exited unexpectedly (${current.how}); starting it again in ${delayMs} ms`);
      setTimeout(() => {
        if (stopping) return;
        child = start(name, script, argv);
        console.error(`${name} started again (pid ${child.pid})`);
        watch();
      }, delayMs);
    });
  };
  watch();
  console.log(`${name} pid ${child.pid}`);
  return {
    /** Stops the app (SIGTERM) and resolves to its exit code; 0 if it was not running. */
    async stop() {
      const current = child;
      if (current.exitCode !== null || current.signalCode !== null) return 0;
      current.kill('SIGTERM');
      return current.exited;
    },
  };
}

async function main() {
  console.log(`market-data: data in ${dataDir}; ingester http://${ingestListen}, analytics http://${analyticsListen}`);
  // Whatever has started is stopped on every way out, so no app is left running without the job.
  const apps = {};
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nstopping (${why}) ...`);
    const a = apps.analytics ? await apps.analytics.stop() : 0;
    const i = apps.ingest ? await apps.ingest.stop() : 0;
    console.log(`analytics exited ${a}, ingester exited ${i}`);
    process.exit(a === 0 && i === 0 && !failed ? 0 : 1);
  };
  onGiveUp = (why) => {
    failed = true;
    console.error(why);
    void stop('a process could not be kept running');
  };
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (duration > 0) setTimeout(() => void stop(`--duration ${duration}`), duration * 1000);

  try {
    apps.ingest = supervise('ingest', 'packages/ingest-app/dist/main.js', [
      '--data-dir', dataDir, '--source', 'synthetic', '--listen', ingestListen, '--log-level', 'info', ...extra,
    ]);
    await waitHealthy(`http://${ingestListen}`);
    if (stopping) return;
    apps.analytics = supervise('analytics', 'packages/analytics-app/dist/main.js', [
      '--data-dir', dataDir, '--ingester', `ws://${ingestListen}`, '--listen', analyticsListen,
    ]);
    await waitHealthy(`http://${analyticsListen}`);
  } catch (err) {
    onGiveUp(err.message);
    return;
  }
  if (stopping) return;
  console.log(`\nchart: open http://${analyticsListen}/chart/ in a browser (live candles, delta, CVD, profile, gaps, zones)\n`);

  const show = async () => {
    try {
      const [report, health] = await Promise.all([reportText(), fetch(`http://${ingestListen}/healthz`).then((r) => r.json())]);
      const stored = health.pairs.map((p) => `${p.pair} pending=${p.pending}`).length;
      console.log(`\n=== ${new Date().toISOString()}  pairs=${stored}  subscribers=${health.subscribers}  chart http://${analyticsListen}/chart/ ===`);
      console.log(report);
    } catch (err) {
      // A report that raced the stop found the app's listener closed and its files still locked:
      // not news to someone who just asked both apps to stop.
      if (!stopping) console.error(`report unavailable: ${err.message}`);
    }
  };
  while (!stopping) {
    await new Promise((r) => setTimeout(r, everyMs));
    if (!stopping) await show();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
