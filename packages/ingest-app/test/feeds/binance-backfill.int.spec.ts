import type { BinanceFeed, BinanceFeedOptions } from '../../src/feeds/binance-feed';
import type { TradeGap } from '../../src/feeds/feed';
import { aggregate, aggTradeMessage, around, FakeBinance, loadTrades, tradeMessage, type AggTrade, type CsvTrade } from '@market-data/testing';
import { fastBinanceFeed } from './fast-binance-feed';
import { RecordingSink, until } from './recording-sink';

const UM = loadTrades('binance-um-BTCUSDT-trades-2023-04-04T2358.csv');
const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');
const INSURANCE_FUND_ID = 3535191080;

function ids(rows: readonly CsvTrade[]): string[] {
  return rows.map((r) => String(r.id));
}

/** Every id covered by the reports, in order, with whether it was recovered. */
function coverage(gaps: readonly TradeGap[]): { id: number; backfilled: boolean }[] {
  return [...gaps]
    .sort((a, b) => Number(a.fromId) - Number(b.fromId))
    .flatMap((g) => Array.from({ length: Number(g.toId) - Number(g.fromId) + 1 }, (_, i) => ({ id: Number(g.fromId) + i, backfilled: g.backfilled })));
}

describe('BinanceFeed gap backfill against a local fake REST API', () => {
  let fake: FakeBinance;
  const feeds: BinanceFeed[] = [];
  const start = async (options: Pick<BinanceFeedOptions, 'market' | 'symbols'> & Partial<BinanceFeedOptions>, sink: RecordingSink): Promise<void> => {
    const f = fastBinanceFeed(fake, options);
    feeds.push(f);
    await f.start(sink);
  };

  /** Streams `before` on the first connection, cuts it, and streams `after` on the reconnection. */
  async function streamAcrossReconnect(before: readonly string[], after: readonly string[], sink: RecordingSink, delivered: number): Promise<void> {
    fake.send(fake.latest(), ...before);
    await until(() => sink.received.length >= delivered, 'trades before the drop');
    fake.dropAll();
    await until(() => fake.connections.length === 2, 'reconnection');
    fake.send(fake.latest(), ...after);
  }

  beforeEach(async () => {
    fake = await FakeBinance.start();
  });

  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((f) => f.stop()));
    await fake.close();
  });

  it('spot: trades missed between connections are backfilled exactly from /api/v3/historicalTrades', async () => {
    const rows = SPOT.slice(0, 50);
    fake.trades.set('BTCUSDT', SPOT.slice(0, 200));
    const sink = new RecordingSink();
    await start({ market: 'spot', symbols: ['BTCUSDT'] }, sink);
    const msg = (r: CsvTrade): string => tradeMessage('spot', 'BTCUSDT', r);
    await streamAcrossReconnect(rows.slice(0, 20).map(msg), rows.slice(30).map(msg), sink, 20);
    await until(() => sink.received.length === 50 && sink.gaps.length === 1, 'all 50 trades and the gap report');

    expect([...sink.ids()].sort()).toEqual(ids(rows));
    const byId = new Map(sink.received.map((t) => [t.tradeId, t]));
    for (const r of rows.slice(20, 30)) {
      expect(byId.get(String(r.id))).toMatchObject({ price: Number(r.price), volume: Number(r.qty), side: r.isBuyerMaker ? 'SELL' : 'BUY', timestamp: r.time });
    }
    expect(sink.gaps[0]).toEqual({
      type: 'gap',
      exchange: 'binance',
      marketType: 'spot',
      symbol: 'BTCUSDT',
      fromId: String(rows[20].id),
      toId: String(rows[29].id),
      fromTime: rows[19].time,
      toTime: rows[30].time,
      backfilled: true,
      reason: 'backfilled from /api/v3/historicalTrades',
    });
    expect(fake.restRequests.map((u) => `${u.pathname}?${u.searchParams}`)).toEqual([`/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${rows[20].id}&limit=10`]);
    expect(sink.statuses.some((s) => s.state === 'reconnecting')).toBe(true);
  });

  it('records an unfillable gap (REST refuses) and keeps streaming', async () => {
    const rows = SPOT.slice(300, 340);
    fake.restFailure = 429;
    const sink = new RecordingSink();
    await start({ market: 'spot', symbols: ['BTCUSDT'] }, sink);
    const msg = (r: CsvTrade): string => tradeMessage('spot', 'BTCUSDT', r);
    await streamAcrossReconnect(rows.slice(0, 10).map(msg), rows.slice(15, 30).map(msg), sink, 10);
    await until(() => sink.gaps.length === 1, 'gap report');
    expect(sink.gaps[0]).toMatchObject({ fromId: String(rows[10].id), toId: String(rows[14].id), backfilled: false });
    expect(sink.gaps[0].reason).toMatch(/^\/api\/v3\/historicalTrades: http 429/);

    fake.send(fake.latest(), ...rows.slice(30).map(msg));
    await until(() => sink.received.length === 35, 'trades after the gap');
    expect(sink.ids()).toEqual(ids([...rows.slice(0, 10), ...rows.slice(15)]));
  });

  it('splits a partly recoverable gap into recovered and missing runs', async () => {
    const rows = SPOT.slice(500, 540);
    // The exchange no longer has ids 14..15 of the gap (10..19): those stay missing.
    fake.trades.set('BTCUSDT', rows.filter((_, i) => i !== 14 && i !== 15));
    const sink = new RecordingSink();
    await start({ market: 'spot', symbols: ['BTCUSDT'] }, sink);
    const msg = (r: CsvTrade): string => tradeMessage('spot', 'BTCUSDT', r);
    await streamAcrossReconnect(rows.slice(0, 10).map(msg), rows.slice(20).map(msg), sink, 10);
    await until(() => sink.gaps.length === 3, 'three gap runs');
    expect(sink.gaps.map((g) => [g.fromId, g.toId, g.backfilled, g.reason])).toEqual([
      [String(rows[10].id), String(rows[13].id), true, 'backfilled from /api/v3/historicalTrades'],
      [String(rows[14].id), String(rows[15].id), false, 'not returned by /api/v3/historicalTrades'],
      [String(rows[16].id), String(rows[19].id), true, 'backfilled from /api/v3/historicalTrades'],
    ]);
    expect([...sink.ids()].sort()).toEqual(ids(rows.filter((_, i) => i !== 14 && i !== 15)));
  });

  it('USD-M @trade: recovers single-trade aggregates from /fapi/v1/aggTrades, reports aggregated ids as unfilled, skips the insurance-fund id', async () => {
    const rows = around(UM, INSURANCE_FUND_ID, 60, 60);
    const aggs = aggregate(UM, 1_900_000_000);
    fake.aggTrades.set('BTCUSDT', aggs);
    const cut = rows.findIndex((r) => r.id === INSURANCE_FUND_ID);
    const before = rows.slice(0, cut - 40);
    const gap = rows.slice(cut - 40, cut + 40);
    const after = rows.slice(cut + 40);
    const gapAggs = aggs.filter((a) => a.l >= gap[0].id && a.f <= gap[gap.length - 1].id);
    const single = new Set(gapAggs.filter((a) => a.f === a.l).map((a) => a.f));
    const multi = new Set(gapAggs.filter((a) => a.f < a.l).flatMap((a) => Array.from({ length: a.l - a.f + 1 }, (_, i) => a.f + i)));
    // The window holds both kinds, or the test would prove less than it claims.
    expect(single.size).toBeGreaterThan(0);
    expect(multi.size).toBeGreaterThan(0);

    const sink = new RecordingSink();
    await start({ market: 'usdm', symbols: ['BTCUSDT'] }, sink);
    const msg = (r: CsvTrade): string => tradeMessage('usdm', 'BTCUSDT', r);
    await streamAcrossReconnect(before.map(msg), after.map(msg), sink, before.length);
    const expectedCount = before.length + after.length + [...single].filter((id) => gap.some((r) => r.id === id)).length;
    await until(() => sink.received.length === expectedCount && coverage(sink.gaps).length === gap.length, 'recovered trades and full gap coverage');

    const recovered = gap.filter((r) => single.has(r.id));
    expect([...sink.ids()].sort()).toEqual(ids([...before, ...recovered, ...after]).sort());
    const byId = new Map(sink.received.map((t) => [t.tradeId, t]));
    for (const r of recovered) expect(byId.get(String(r.id))).toMatchObject({ price: Number(r.price), volume: Number(r.qty), timestamp: r.time, side: r.isBuyerMaker ? 'SELL' : 'BUY' });
    expect(byId.has(String(INSURANCE_FUND_ID))).toBe(false);

    const covered = coverage(sink.gaps);
    expect(covered.map((c) => c.id)).toEqual(gap.map((r) => r.id));
    // Only ids the REST listing returned count as backfilled: not the aggregated ones, and not the
    // insurance-fund id, which no aggregate covers (it is not missing, but it was not returned either).
    expect(covered.filter((c) => !c.backfilled).map((c) => c.id)).toEqual(gap.filter((r) => multi.has(r.id) || r.id === INSURANCE_FUND_ID).map((r) => r.id));
    expect(covered.filter((c) => c.backfilled).map((c) => c.id)).toEqual(recovered.map((r) => r.id));
    for (const g of sink.gaps.filter((x) => !x.backfilled && x.fromId !== String(INSURANCE_FUND_ID))) {
      expect(g.reason).toBe('aggregated: per-trade quantities are not available from /fapi/v1/aggTrades');
    }
    expect(sink.gaps.find((g) => g.fromId === String(INSURANCE_FUND_ID))).toMatchObject({ toId: String(INSURANCE_FUND_ID), backfilled: false, reason: expect.stringMatching(/^not returned by \/fapi\/v1\/aggTrades: no aggregate covers/) });
    const first = fake.restRequests[0];
    expect(first.pathname).toBe('/fapi/v1/aggTrades');
    expect(first.searchParams.get('startTime')).toBe(String(before[before.length - 1].time));
  });

  it('USD-M @aggTrade: aggregate ids are tracked and a gap is backfilled exactly by fromId', async () => {
    const aggs = aggregate(UM.slice(0, 400), 1_700_000_000);
    fake.aggTrades.set('BTCUSDT', aggs);
    const sink = new RecordingSink();
    await start({ market: 'usdm', symbols: ['BTCUSDT'], stream: 'aggTrade' }, sink);
    expect(fake.latest().streams).toEqual(['btcusdt@aggTrade']);
    const msg = (a: AggTrade): string => aggTradeMessage('BTCUSDT', a);
    await streamAcrossReconnect(aggs.slice(0, 30).map(msg), aggs.slice(45, 60).map(msg), sink, 30);
    await until(() => sink.received.length === 60 && sink.gaps.length === 1, 'all aggregates and the gap report');
    expect([...sink.ids()].sort()).toEqual(aggs.slice(0, 60).map((a) => String(a.a)));
    const byId = new Map(sink.received.map((t) => [t.tradeId, t]));
    for (const a of aggs.slice(30, 45)) expect(byId.get(String(a.a))).toMatchObject({ volume: Number(a.q), price: Number(a.p), timestamp: a.T });
    expect(sink.gaps[0]).toMatchObject({ fromId: String(aggs[30].a), toId: String(aggs[44].a), backfilled: true, reason: 'backfilled from /fapi/v1/aggTrades' });
    expect(fake.restRequests[0].searchParams.get('fromId')).toBe(String(aggs[30].a));
  });

  it('gaps of different symbols are fetched side by side, not one second apart in a queue', async () => {
    const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
    const rows = SPOT.slice(600, 640);
    for (const symbol of symbols) fake.trades.set(symbol, rows);
    // The REST server answers nothing until it has seen a request for every symbol: a backfill
    // that waits for another symbol's to finish never gets its answer (and times out).
    const asked = new Set<string>();
    let release!: () => void;
    const allAsked = new Promise<void>((resolve) => (release = resolve));
    fake.beforeReply = async (url) => {
      asked.add(url.searchParams.get('symbol') ?? '');
      if (asked.size === symbols.length) release();
      await allAsked;
    };
    const sink = new RecordingSink();
    await start({ market: 'spot', symbols, backfillDelayMs: 300, restTimeoutMs: 3000 }, sink);
    const msg = (symbol: string, r: CsvTrade): string => tradeMessage('spot', symbol, r).replace('"s":"BTCUSDT"', `"s":"${symbol}"`);
    const all = (part: readonly CsvTrade[]): string[] => symbols.flatMap((symbol) => part.map((r) => msg(symbol, r)));
    await streamAcrossReconnect(all(rows.slice(0, 10)), all(rows.slice(25)), sink, 30);
    await until(() => sink.gaps.length === 3, 'a gap report per symbol', 10_000);
    expect(sink.gaps.map((g) => [g.symbol, g.fromId, g.toId, g.backfilled]).sort()).toEqual(
      symbols.map((symbol) => [symbol, String(rows[10].id), String(rows[24].id), true]).sort(),
    );
    expect(sink.received).toHaveLength(3 * 40);
  });

  it('a 429 holds the backfill for the server\'s Retry-After and then fetches the gap', async () => {
    const rows = SPOT.slice(700, 740);
    fake.trades.set('BTCUSDT', rows);
    fake.failNext.push(429);
    fake.retryAfterSeconds = 1;
    const sink = new RecordingSink();
    await start({ market: 'spot', symbols: ['BTCUSDT'] }, sink);
    const msg = (r: CsvTrade): string => tradeMessage('spot', 'BTCUSDT', r);
    await streamAcrossReconnect(rows.slice(0, 10).map(msg), rows.slice(20).map(msg), sink, 10);
    await until(() => sink.gaps.length === 1, 'gap report');
    expect(sink.gaps[0]).toMatchObject({ fromId: String(rows[10].id), toId: String(rows[19].id), backfilled: true });
    expect(fake.restRequests).toHaveLength(2);
    expect(sink.received).toHaveLength(40);
  });
});
