'use strict';
// What every case of the hostile probe shares: built apps as child processes, temp dirs removed
// at the end, the ingester's HTTP endpoints and stored trade ids (raw WebSocket frames and the
// hostile ones come from @market-data/testing, as the ingester's hostile-subscriber spec uses them).
const WebSocket = require('ws');
const { ChildApp, INGEST_MAIN, TempDirs, until } = require('@market-data/testing');
const { executeQuery, openPairDatabase, toPairKey } = require('@market-data/storage-core');

const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = new Set();
const dirs = new TempDirs();

const tempDir = (prefix) => dirs.make(`probe-hostile-${prefix}-`);

/** The built ingester as a real process (ChildApp from @market-data/testing), killed at the end. */
function startIngester(args, env) {
  const app = env ? withEnv(env, () => new ChildApp(INGEST_MAIN, args)) : new ChildApp(INGEST_MAIN, args);
  children.add(app);
  app.alive = true;
  void app.exited.then(() => {
    app.alive = false;
    children.delete(app);
  });
  return app;
}

// ChildApp inherits process.env; set the variables only while it spawns.
function withEnv(env, fn) {
  const saved = {};
  for (const k of Object.keys(env)) {
    saved[k] = process.env[k];
    process.env[k] = env[k];
  }
  try {
    return fn();
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

async function stopAll() {
  for (const app of children) app.kill('SIGKILL');
  await Promise.all([...children].map((app) => app.exited));
}

function removeDirs() {
  dirs.removeAll();
}

/** GET url; resolves { status, body } (body parsed as JSON when it is). */
async function get(url, { headers = {}, timeoutMs = 5000 } = {}) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (Prometheus text)
  }
  return { status: res.status, body };
}

async function healthz(url, timeoutMs = 5000) {
  const started = performance.now();
  const { status, body } = await get(`${url}/healthz`, { timeoutMs });
  return { status, body, ms: performance.now() - started };
}

/** Sends one subscribe message; resolves with what came back and how the ingester closed (if it did within waitMs). */
function subscribeOnce(url, message, waitMs = 3000, headers = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/subscribe`, { headers });
    const messages = [];
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ messages });
    }, waitMs);
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve({ messages, status: res.statusCode });
    });
    ws.on('open', () => ws.send(typeof message === 'string' ? message : JSON.stringify(message)));
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ messages, close: { code, reason: reason.toString() } });
    });
  });
}

/** Trade ids stored in a pair file (ingester stopped), and how many are stored twice. */
async function storedIds(dataDir, pair) {
  const db = await openPairDatabase(dataDir, toPairKey(pair), { readOnly: true });
  try {
    const ids = (await executeQuery(db.connection, 'SELECT trade_id FROM ticks ORDER BY trade_id')).map((r) => String(r.trade_id));
    return { ids, duplicates: ids.length - new Set(ids).size };
  } finally {
    db.close();
  }
}

async function query(dataDir, pair, sql) {
  const db = await openPairDatabase(dataDir, toPairKey(pair), { readOnly: true });
  try {
    return await executeQuery(db.connection, sql);
  } finally {
    db.close();
  }
}

/** SIGTERM and the exit code (SIGKILL after 30 s). */
async function stop(app) {
  app.kill('SIGTERM');
  const timer = setTimeout(() => app.kill('SIGKILL'), 30_000);
  const exit = await app.exited;
  clearTimeout(timer);
  return exit;
}

/** Log lines at error level or above, or an unhandled error on stderr. */
function errorLines(app) {
  return app.stderr.filter((l) => /"level":"(error|fatal)"|Unhandled|uncaught/i.test(l));
}

module.exports = {
  MiB, sleep, tempDir, startIngester, stopAll, removeDirs, until, get, healthz, subscribeOnce, storedIds, query, stop, errorLines,
};
