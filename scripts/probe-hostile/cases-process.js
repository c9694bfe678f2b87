'use strict';
// The process as a whole (issue 12 item 7 and the intro): a listener on all interfaces without a
// token, and kill -9 at random moments under load with the exchange going on meanwhile.
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = require('ws');
const { sleep, tempDir, startIngester, until, get, subscribeOnce, storedIds, loadTrades, stop } = require('./support');
const { FakeBinance } = require('./fake-binance');

const TOKEN = 'probe-hostile-token-0123456789abcdef';
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT'];
const PAIRS = SYMBOLS.map((s) => `binance:spot:${s}`);
const RATE_PER_SYMBOL = 1000;
const KILLS = 3;

/**
 * Subscribes to every pair, resuming from the newest trade time it has (so a restart replays only
 * the protocol's overlap); every trade id it is sent was acknowledged (published after commit).
 */
function subscriber(url, acked, cursor) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/subscribe`);
  ws.on('error', () => undefined);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', pairs: PAIRS, cursor })));
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.type !== 'ticks') return;
    for (const row of msg.rows) {
      acked.add(`${msg.pair} ${row[4]}`);
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

  await check(`9 kill -9 x${KILLS} under load`, `kill -9 at ${KILLS} random moments (${SYMBOLS.length} pairs x ${RATE_PER_SYMBOL}/s), exchange goes on, restart: every acknowledged trade stored once, downtime backfilled`, async () => {
    const fake = await FakeBinance.start();
    const dataDir = tempDir('kill');
    const args = [
      '--source', 'live', '--pairs', PAIRS.join(','), '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--binance-spot-ws', fake.wsUrl,
      '--binance-spot-rest', fake.restUrl, '--max-delay-ms', '20', '--retention-interval-ms', '0',
    ];
    const acked = new Set();
    const cursor = {};
    const moments = [];
    try {
      fake.pump(SYMBOLS, loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv'), RATE_PER_SYMBOL);
      for (let k = 0; k < KILLS; k++) {
        const app = startIngester(args);
        const ws = subscriber(await app.url(), acked, cursor);
        const before = acked.size;
        const after = 1000 + Math.floor(Math.random() * 6000);
        await until(() => acked.size >= before + after, 60_000, `${after} more acknowledged trades`);
        app.kill('SIGKILL');
        const exit = await app.exited;
        ws.terminate();
        if (exit.signal !== 'SIGKILL') throw new Error(`run ${k + 1} ended by ${exit.signal ?? exit.code}, not kill -9`);
        moments.push(`+${after}`);
        await sleep(200 + Math.floor(Math.random() * 1000)); // down while the exchange goes on
      }
      // The last run: catch up, the exchange stops, every published trade must arrive.
      const app = startIngester(args);
      const ws = subscriber(await app.url(), acked, cursor);
      await sleep(2000);
      fake.stopPump();
      const published = fake.publishedIds();
      const expected = PAIRS.length * published.length;
      const complete = await until(() => acked.size >= expected, 60_000, 'every published trade acknowledged').then(() => true, () => false);
      ws.terminate();
      const gaps = ((await get(`${app.url ? await app.url() : ''}/healthz`)).body.gaps ?? []);
      const unfilled = gaps.filter((g) => !g.backfilled);
      const gapNote = `${gaps.length} gaps reported, ${unfilled.length} not backfilled${unfilled.length ? ` (${[...new Set(unfilled.map((g) => g.reason))].join('; ')})` : ''}`;
      const exit = await stop(app);
      let missingAcked = 0;
      let duplicates = 0;
      let missingPublished = 0;
      let extra = 0;
      for (const pair of PAIRS) {
        const s = await storedIds(dataDir, pair);
        const ids = new Set(s.ids);
        duplicates += s.duplicates;
        for (const key of acked) if (key.startsWith(`${pair} `) && !ids.has(key.slice(pair.length + 1))) missingAcked++;
        const want = new Set(published);
        missingPublished += published.filter((id) => !ids.has(id)).length;
        extra += s.ids.filter((id) => !want.has(id)).length;
      }
      const pass = moments.length === KILLS && exit.code === 0 && missingAcked === 0 && duplicates === 0 && extra === 0;
      lastKillRun = { missingPublished, expected, complete, gapNote };
      return {
        pass,
        result:
          `killed after ${moments.join(', ')} acked trades; ${acked.size} acknowledged over ${KILLS + 1} runs; after restart: ${missingAcked} acknowledged missing, ${duplicates} duplicates, ` +
          `${missingPublished} of ${expected} published missing, ${extra} unknown; ${gapNote}; REST calls ${fake.restRequests}; final SIGTERM exit ${exit.code}`,
      };
    } finally {
      await fake.close();
    }
  });

  await check('9b downtime gaps across kill -9', 'every trade the exchange published during the runs of case 9 is stored after the last restart (gaps backfilled or reported)', async () => {
    if (!lastKillRun) return { pass: false, result: 'case 9 did not get far enough to tell' };
    const { missingPublished, expected, gapNote } = lastKillRun;
    return { pass: missingPublished === 0, result: `${expected - missingPublished} of ${expected} published trades stored, ${missingPublished} missing; last run's /healthz: ${gapNote}` };
  });
}

module.exports = { run };
