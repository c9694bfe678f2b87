'use strict';
// The process as a whole (issue 12 item 7 and the intro): a listener on all interfaces without a
// token, and kill -9 at random moments under load with the exchange going on meanwhile.
const fs = require('node:fs');
const path = require('node:path');
const { fork } = require('node:child_process');
const WebSocket = require('ws');
const { sumMetricText } = require('@market-data/testing');
const { sleep, tempDir, startIngester, until, get, subscribeOnce, storedIds, stop } = require('./support');

const TOKEN = 'probe-hostile-token-0123456789abcdef';
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT'];
const PAIRS = SYMBOLS.map((s) => `binance:spot:${s}`);
const RATE_PER_SYMBOL = 1000;
const KILLS = 3;
const TRADES_FILE = 'binance-spot-BTCUSDT-trades-2024-08-08T2354.csv';

/**
 * Subscribes to every pair, resuming from the newest trade time it has (so a restart replays only
 * the protocol's overlap); every trade id it is sent was acknowledged (published after commit).
 */
function subscriber(url, acked, cursor, run = 0) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/subscribe`);
  ws.on('error', () => undefined);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', pairs: PAIRS, cursor })));
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.type !== 'ticks') return;
    for (const row of msg.rows) {
      const key = `${msg.pair} ${row[4]}`;
      if (!acked.has(key)) acked.set(key, run);
      if (!(cursor[msg.pair] >= row[0])) cursor[msg.pair] = Math.floor(row[0]);
    }
  });
  return ws;
}

async function run(check) {
  let lastKillRun;
  await check('8 listener on 0.0.0.0', 'no token: refuses to start (exit 2) saying why; with a token: /healthz and /subscribe without it -> 401', async () => {
    const dataDir = tempDir('auth');
    const base = ['--source', 'synthetic', '--pairs', 'synthetic:spot:AAA', '--rate', '5', '--storage-threads', '0', '--data-dir', dataDir];
    const refused = startIngester([...base, '--listen', '0.0.0.0:0']);
    const timer = setTimeout(() => refused.kill('SIGKILL'), 20_000);
    const exit = await refused.exited;
    clearTimeout(timer);
    const why = refused.stderr.join('\n');
    const says = /auth-token-file/.test(why) && /0\.0\.0\.0|loopback/.test(why);
    const line = (why.split('\n').find((l) => /auth-token-file/.test(l)) ?? why).trim();

    const tokenFile = path.join(dataDir, 'token');
    fs.writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const guarded = startIngester([...base, '--listen', '0.0.0.0:0', '--auth-token-file', tokenFile]);
    const url = `http://127.0.0.1:${new URL(await guarded.url()).port}`;
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const health = [(await get(`${url}/healthz`)).status, (await get(`${url}/healthz`, { headers: bearer })).status];
    const subscribe = { type: 'subscribe', pairs: ['synthetic:spot:AAA'] };
    const noToken = await subscribeOnce(url, subscribe, 2000);
    const withToken = await subscribeOnce(url, subscribe, 2000, bearer);
    const stopped = await stop(guarded);
    const pass = exit.code === 2 && says && health[0] === 401 && health[1] === 200 && noToken.status === 401 && withToken.messages[0]?.type === 'pairs' && stopped.code === 0;
    return {
      pass,
      result:
        `no token: exit ${exit.code}, "${line.length > 110 ? `${line.slice(0, 109)}…` : line}"; with token: /healthz ${health[0]} without, ${health[1]} with; ` +
        `/subscribe upgrade ${noToken.status ?? 'accepted'} without, ${withToken.messages[0]?.type === 'pairs' ? 'subscribed' : 'NOT subscribed'} with`,
    };
  });

  await check(`9 kill -9 x${KILLS} under load`, `kill -9 at ${KILLS} random moments (${SYMBOLS.length} pairs x ${RATE_PER_SYMBOL}/s), exchange goes on, restart: every acknowledged trade stored once`, async () => {
    const exchange = startExchange();
    const dataDir = tempDir('kill');
    const acked = new Map(); // `${pair} ${id}` -> the run whose subscriber first got it
    const cursor = {};
    const runs = [];
    try {
      const { wsUrl, restUrl } = await exchange.ask({ type: 'start', symbols: SYMBOLS, file: TRADES_FILE, rate: RATE_PER_SYMBOL }, 'started');
      const args = [
        '--source', 'live', '--pairs', PAIRS.join(','), '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--binance-spot-ws', wsUrl,
        '--binance-spot-rest', restUrl, '--max-delay-ms', '20', '--retention-interval-ms', '0',
      ];
      for (let k = 0; k < KILLS; k++) {
        const app = startIngester(args);
        const url = await app.url();
        const ws = subscriber(url, acked, cursor, k + 1);
        // From its first live commit, 0 to 2.5 s: some kills land before the downtime gap's
        // backfill (it waits backfillDelayMs, 1 s, then fetches), some after.
        await until(async () => (await storedNow(url)) > 0, 60_000, `run ${k + 1} storing`);
        const t0 = Date.now();
        await sleep(Math.floor(Math.random() * 2500));
        app.kill('SIGKILL');
        const exit = await app.exited;
        ws.terminate();
        if (exit.signal !== 'SIGKILL') throw new Error(`run ${k + 1} ended by ${exit.signal ?? exit.code}, not kill -9`);
        const mark = await exchange.ask({ type: 'mark' }, 'mark');
        runs.push({ app, liveMs: Date.now() - t0, publishedAtKill: mark.published });
        await sleep(200 + Math.floor(Math.random() * 1000)); // down while the exchange goes on
      }
      // The last run: the exchange goes on until every pair has live trades again (a gap shows only
      // when the next trade comes), then stops generating; REST still serves every trade.
      const app = startIngester(args);
      const url = await app.url();
      const ws = subscriber(url, acked, cursor, KILLS + 1);
      runs.push({ app });
      await until(async () => (await storedNow(url, true)) === PAIRS.length, 60_000, 'the last run storing every pair');
      await sleep(1000);
      const generated = await exchange.ask({ type: 'stop' }, 'stopped');
      // Expected from each pair's first stored trade on (what came before the first run started is no gap).
      const firstAcked = firstIds(acked);
      const expected = PAIRS.reduce((n, pair) => n + generated.ids.filter((id) => Number(id) >= (firstAcked.get(pair) ?? Infinity)).length, 0);
      // Until every generated trade is acknowledged, or nothing new for 10 s (what is missing then stays missing).
      let last = -1;
      let lastChange = Date.now();
      const settleEnd = Date.now() + 60_000;
      while (acked.size < expected && Date.now() - lastChange < 10_000 && Date.now() < settleEnd) {
        if (acked.size !== last) {
          last = acked.size;
          lastChange = Date.now();
        }
        await sleep(250);
      }
      ws.terminate();
      const exit = await stop(app);
      lastKillRun = await examine(dataDir, acked, generated, runs, firstAcked);
      const { missingAcked, duplicates, extra } = lastKillRun;
      const pass = runs.length === KILLS + 1 && exit.code === 0 && missingAcked === 0 && duplicates === 0 && extra === 0;
      return {
        pass,
        result:
          `killed ${runs
            .slice(0, KILLS)
            .map((r) => `${(r.liveMs / 1000).toFixed(1)} s`)
            .join(', ')} after each run's first commit; ${acked.size} acknowledged over ${KILLS + 1} runs; after the last restart: ${missingAcked} acknowledged missing, ` +
          `${duplicates} duplicates, ${extra} ids the exchange never generated; final SIGTERM exit ${exit.code}`,
      };
    } finally {
      await exchange.close();
    }
  });

  await check('9b downtime gaps across kill -9', 'every trade the exchange generated during case 9 (all served by REST) is stored once after the last restart, or a gap naming it was reported', async () => {
    if (!lastKillRun) return { pass: false, result: 'case 9 did not get far enough to tell' };
    const r = lastKillRun;
    const lost = r.silent.length === 0 ? '' : `; UNREPORTED missing ids: ${r.silent.join(', ')}`;
    return {
      pass: r.silentCount === 0 && r.duplicates === 0,
      result:
        `exchange generated ${r.generatedPerPair} per pair (${r.expected} from each pair's first stored trade on, ${r.written} frames written to sockets, ${r.restRequests} REST calls); ` +
        `stored ${r.stored}, ${r.expected - r.stored} missing: ${r.reportedCount} in gaps reported not backfilled, ${r.silentCount} in no report; ` +
        `gap reports over the runs: ${r.gapReports}${lost}`,
    };
  });
}

/** The fake exchange in its own process (exchange-process.js), asked and answered over IPC. */
function startExchange() {
  const child = fork(path.join(__dirname, 'exchange-process.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ask = (msg, reply) =>
    new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (m.type !== reply && m.type !== 'error') return;
        child.off('message', onMessage);
        if (m.type === 'error') reject(new Error(`exchange process: ${m.message}`));
        else resolve(m);
      };
      child.on('message', onMessage);
      child.send(msg);
    });
  const close = async () => {
    if (child.exitCode === null && child.connected) child.send({ type: 'close' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { ask, close };
}

/** Trades stored by this run so far (all pairs), or with `pairs` how many pairs have some. */
async function storedNow(url, pairs = false) {
  const { body } = await get(`${url}/metrics`, { timeoutMs: 10_000 });
  if (!pairs) return sumMetricText(body, 'ingest_trades_stored_total');
  return PAIRS.filter((pair) => sumMetricText(body, 'ingest_trades_stored_total', { pair }) > 0).length;
}

/** Each pair's smallest acknowledged trade id. */
function firstIds(acked) {
  const out = new Map();
  for (const key of acked.keys()) {
    const [pair, id] = key.split(' ');
    if (!(out.get(pair) <= Number(id))) out.set(pair, Number(id));
  }
  return out;
}

/** Ranges of sorted numeric ids, as "a..b". */
function ranges(ids) {
  const out = [];
  for (const id of ids) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === id) last[1] = id;
    else out.push([id, id]);
  }
  return out;
}

/** Compares the stored files with what the exchange generated and what the ingester reported. */
async function examine(dataDir, acked, generated, runs, firstAcked) {
  // Gap reports of every run (each is logged once, when its backfill ends or it is given up).
  const reports = runs.flatMap((r, i) => r.app.logs.filter((l) => /^trade gap (backfilled|not filled)$/.test(String(l.msg))).map((l) => ({ ...l, run: i + 1 })));
  const unfilled = reports.filter((g) => !g.backfilled);
  let missingAcked = 0;
  let duplicates = 0;
  let extra = 0;
  let stored = 0;
  let reportedCount = 0;
  let expected = 0;
  const silentIds = [];
  const want = new Set(generated.ids);
  for (const pair of PAIRS) {
    const symbol = pair.split(':')[2];
    const s = await storedIds(dataDir, pair);
    const ids = new Set(s.ids);
    duplicates += s.duplicates;
    for (const key of acked.keys()) if (key.startsWith(`${pair} `) && !ids.has(key.slice(pair.length + 1))) missingAcked++;
    extra += s.ids.filter((id) => !want.has(id)).length;
    stored += s.ids.filter((id) => want.has(id)).length;
    expected += s.ids.filter((id) => want.has(id) && Number(id) >= (firstAcked.get(pair) ?? Infinity)).length;
    const gaps = unfilled.filter((g) => g.symbol === symbol).map((g) => [Number(g.fromId), Number(g.toId)]);
    const from = firstAcked.get(pair) ?? Infinity;
    for (const id of generated.ids) {
      if (ids.has(id) || Number(id) < from) continue;
      expected++;
      const n = Number(id);
      if (gaps.some(([a, b]) => n >= a && n <= b)) reportedCount++;
      else silentIds.push({ symbol, n });
    }
  }
  // Which downtime each unreported run of ids belongs to: the kill before it, and how long that run
  // had been up when the next kill came.
  const silent = [];
  for (const symbol of SYMBOLS) {
    for (const [a, b] of ranges(silentIds.filter((x) => x.symbol === symbol).map((x) => x.n))) {
      // The run whose live trades follow the hole is the one that had to find it.
      const r = acked.get(`binance:spot:${symbol} ${b + 1}`);
      const run = r === undefined ? undefined : runs[r - 1];
      const where =
        run === undefined ? 'at the end' : `the hole before run ${r}'s live trades; run ${r} ${run.liveMs === undefined ? 'was the last' : `was killed ${(run.liveMs / 1000).toFixed(1)} s after its first commit`}, its log has ${reports.filter((g) => g.run === r && g.symbol === symbol).length} gap reports for ${symbol}`;
      silent.push(`${symbol} ${a}..${b} (${b - a + 1} ids, ${where})`);
    }
  }
  for (const pair of PAIRS) {
    const byRun = runs.map((_, i) => ranges([...acked].filter(([key, run]) => run === i + 1 && key.startsWith(`${pair} `)).map(([key]) => Number(key.split(' ')[1])).sort((x, y) => x - y)));
    process.stderr.write(`  9 ${pair}: ids first acknowledged per run: ${byRun.map((rs, i) => `run ${i + 1} [${rs.slice(0, 4).map(([x, y]) => `${x}..${y}`).join(' ')}${rs.length > 4 ? ` +${rs.length - 4}` : ''}]`).join('; ')}\n`);
  }
  const perRun = runs.map((_, i) => reports.filter((g) => g.run === i + 1).length).join('/');
  return {
    missingAcked,
    duplicates,
    extra,
    stored,
    expected,
    generatedPerPair: generated.ids.length,
    written: generated.written,
    restRequests: generated.restRequests,
    reportedCount,
    silentCount: silentIds.length,
    silent: silent.slice(0, 8).concat(silent.length > 8 ? [`${silent.length - 8} more runs`] : []),
    gapReports: `${reports.length} (${unfilled.length} not backfilled; per run ${perRun})`,
  };
}

module.exports = { run };
