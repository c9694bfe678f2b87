'use strict';
// Hostile exchanges (issue 12 items 3, 4 and 5): a restart while the exchange goes on, trades that
// must be refused alone, and a socket that answers pings but sends no trades. Each case runs the
// built ingester against the in-script Binance spot fake with real recorded trades.
const { loadTrades, metricSum } = require('@market-data/testing');
const { sleep, tempDir, startIngester, until, healthz, storedIds, query, stop, errorLines } = require('./support');
const { FakeBinance, spotTradeFrame } = require('./fake-binance');

const PAIR = 'binance:spot:BTCUSDT';
const TRADES = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');

function ingesterArgs(dataDir, fake, extra = []) {
  return [
    '--source', 'live', '--pairs', PAIR, '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--binance-spot-ws', fake.wsUrl,
    '--binance-spot-rest', fake.restUrl, '--max-delay-ms', '20', '--retention-interval-ms', '0', '--storage-threads', '1', ...extra,
  ];
}

const stored = (url) => metricSum(url, 'ingest_trades_stored_total', { pair: PAIR });
const frames = (rows) => rows.map((r) => spotTradeFrame('BTCUSDT', r));

async function withFake(fn) {
  const fake = await FakeBinance.start();
  try {
    return await fn(fake);
  } finally {
    await fake.close();
  }
}

async function run(check) {
  await check('4 restart gap', 'trades published while the ingester was down: gap detected on restart, backfilled from REST, stored once', () =>
    withFake(async (fake) => {
      const dataDir = tempDir('gap');
      const rows = TRADES.slice(3000, 3060);
      fake.trades.set('BTCUSDT', rows);
      const first = startIngester(ingesterArgs(dataDir, fake));
      const url1 = await first.url();
      await until(() => fake.connections.length === 1, 10_000, 'first connection');
      fake.send(...frames(rows.slice(0, 20)));
      await until(async () => (await stored(url1)) === 20, 20_000, 'first run stores 20');
      const exit1 = await stop(first);
      // Down: the exchange goes on (ids 20..39 are published to nobody), then the ingester comes back.
      const second = startIngester(ingesterArgs(dataDir, fake));
      const url2 = await second.url();
      await until(() => fake.connections.length === 2, 10_000, 'second connection');
      fake.send(...frames(rows.slice(40)));
      const filled = await until(async () => (await stored(url2)) >= 40, 20_000, 'gap filled').then(() => true, () => false);
      const gaps = ((await healthz(url2)).body.gaps ?? []).map((g) => `${g.fromId}..${g.toId}${g.backfilled ? ' backfilled' : ' NOT backfilled'}`);
      const exit2 = await stop(second);
      const { ids, duplicates } = await storedIds(dataDir, PAIR);
      const want = rows.map((r) => String(r.id));
      const exact = ids.length === want.length && ids.every((id, i) => id === want[i]);
      const expectGap = `${rows[20].id}..${rows[39].id} backfilled`;
      return {
        pass: exit1.code === 0 && exit2.code === 0 && filled && exact && duplicates === 0 && gaps.includes(expectGap),
        result: `/healthz gaps after restart: [${gaps.join(', ')}]; stored ${ids.length}/${want.length} ids${exact ? ' exactly' : ' (MISMATCH)'}, ${duplicates} duplicates; REST calls ${fake.restRequests}`,
      };
    }),
  );

  await check('5 poison trades', 'id 10,000,000,000: dropped alone, reported (id_outlier), later trades stored; qty 1e26 and price "0x10": rejected alone', () =>
    withFake(async (fake) => {
      const dataDir = tempDir('poison');
      const rows = TRADES.slice(6000, 6030);
      fake.trades.set('BTCUSDT', rows);
      const app = startIngester(ingesterArgs(dataDir, fake));
      const url = await app.url();
      await until(() => fake.connections.length === 1, 10_000, 'connection');
      fake.send(
        ...frames(rows.slice(0, 10)),
        spotTradeFrame('BTCUSDT', rows[10], { t: 10_000_000_000, p: '1.00' }),
        ...frames(rows.slice(10, 20)),
        // These two stand in for the real trades 20 and 25 (same ids), which are never sent live.
        spotTradeFrame('BTCUSDT', rows[20], { q: '100000000000000000000000000' }),
        ...frames(rows.slice(21, 25)),
        spotTradeFrame('BTCUSDT', rows[25], { p: '0x10' }),
        ...frames(rows.slice(26)),
      );
      const all = await until(async () => (await stored(url)) >= 28, 20_000, 'the 28 trades sent intact stored').then(() => true, () => false);
      await sleep(1000); // the two poisoned ids may come back by REST backfill, as the real trades

      const rejected = {};
      for (const reason of ['bad_trade_id', 'bad_volume', 'bad_price']) rejected[reason] = await metricSum(url, 'ingest_messages_rejected_total', { reason });
      const health = (await healthz(url)).body;
      const pair = (health.pairs ?? []).find((p) => p.pair === PAIR) ?? {};
      const alerts = (pair.alerts ?? []).map((a) => a.kind);
      const exit = await stop(app);
      const { ids, duplicates } = await storedIds(dataDir, PAIR);
      // Every stored row is the real trade: same price and quantity as recorded (none is 16, 1 or 1e26).
      const storedRows = await query(dataDir, PAIR, 'SELECT trade_id, price::VARCHAR AS p, volume::VARCHAR AS q FROM ticks');
      const real = new Map(rows.map((r) => [String(r.id), r]));
      const odd = storedRows.filter((r) => !real.has(r.trade_id) || Number(r.p) !== Number(real.get(r.trade_id).price) || Number(r.q) !== Number(real.get(r.trade_id).qty));
      const intact = rows.filter((_, i) => i !== 20 && i !== 25).map((r) => String(r.id));
      const poisoned = [rows[20], rows[25]].map((r) => String(r.id));
      const exact = intact.every((id) => ids.includes(id)) && ids.every((id) => intact.includes(id) || poisoned.includes(id));
      const backfilled = poisoned.filter((id) => ids.includes(id)).length;
      const pass = all && exact && odd.length === 0 && duplicates === 0 && rejected.bad_trade_id === 1 && rejected.bad_volume === 1 && rejected.bad_price === 1 && alerts.includes('id_outlier') && pair.setAside !== true && exit.code === 0;
      return {
        pass,
        result: `stored all ${intact.length} intact trades${exact ? '' : ' (MISMATCH)'} + ${backfilled}/2 poisoned ids as the real trade (REST), ${odd.length} rows differing from the recording; rejected bad_trade_id ${rejected.bad_trade_id}, bad_volume ${rejected.bad_volume}, bad_price ${rejected.bad_price}; health alerts [${alerts.join(', ')}], set aside ${pair.setAside === true}`,
      };
    }),
  );

  await check('6 silent socket', 'a socket that answers pings but sends no trades (--stale-data-ms 1500): /healthz reports stale, connection replaced', () =>
    withFake(async (fake) => {
      const dataDir = tempDir('stale');
      fake.trades.set('BTCUSDT', TRADES);
      const app = startIngester(ingesterArgs(dataDir, fake, ['--stale-data-ms', '1500']));
      const url = await app.url();
      await until(() => fake.connections.length === 1, 10_000, 'connection');
      fake.send(...frames(TRADES.slice(0, 5)));
      const started = Date.now();
      // Then silence; the fake's socket still answers every ping (ws autoPong).
      const stale = await until(async () => (await healthz(url)).body.ok === false, 15_000, 'health not ok').then(() => true, () => false);
      const health = (await healthz(url)).body;
      const alert = (health.pairs ?? []).flatMap((p) => p.alerts ?? []).find((a) => a.kind === 'stale');
      const replaced = await until(() => fake.connections.length >= 2, 15_000, 'replacement connection').then(() => true, () => false);
      const replacedAfter = (Date.now() - started) / 1000;
      fake.send(...frames(TRADES.slice(5, 10)));
      const recovered = await until(async () => (await healthz(url)).body.ok === true, 15_000, 'health ok again').then(() => true, () => false);
      const exit = await stop(app);
      return {
        pass: stale && alert !== undefined && alert.lastTradeAgeMs >= 1500 && replaced && recovered && exit.code === 0 && errorLines(app).length === 0,
        result: `/healthz ok=false with ${alert ? `stale alert, last trade ${alert.lastTradeAgeMs} ms old` : 'NO stale alert'}; connection ${replaced ? `replaced (${fake.connections.length} connections by ${replacedAfter.toFixed(1)} s)` : 'NOT replaced'}; ok again once trades flow: ${recovered}`,
      };
    }),
  );
}

module.exports = { run };
