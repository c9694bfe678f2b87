import { BinanceFeed, type BinanceFeedOptions } from '../../src/feeds/binance-feed';
import type { Trade } from '../../src/feeds/feed';
import { IngestError } from '../../src/errors';
import { around, combined, FakeBinance, loadTrades, tradeEvent, tradeMessage, type CsvTrade } from '@market-data/testing';
import { fastBinanceFeed } from './fast-binance-feed';
import { RecordingSink, until } from './recording-sink';

const UM = loadTrades('binance-um-BTCUSDT-trades-2023-04-04T2358.csv');
const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');
const INSURANCE_FUND_ID = 3535191080;

/** What a CSV row must become once normalized (receipt time aside). */
function expected(market: 'spot' | 'usdm', row: CsvTrade): Omit<Trade, 'receivedAt'> {
  return {
    type: 'trade',
    exchange: 'binance',
    marketType: market,
    symbol: 'BTCUSDT',
    tradeId: String(row.id),
    price: Number(row.price),
    volume: Number(row.qty),
    side: row.isBuyerMaker ? 'SELL' : 'BUY',
    timestamp: row.time,
  };
}

function withoutReceipt(trades: readonly Trade[]): Omit<Trade, 'receivedAt'>[] {
  return trades.map(({ receivedAt: _receivedAt, ...rest }) => rest);
}

describe('BinanceFeed against a local Binance-protocol server', () => {
  let fake: FakeBinance;
  const feeds: BinanceFeed[] = [];
  const feed = (options: Partial<BinanceFeedOptions> & Pick<BinanceFeedOptions, 'market' | 'symbols'>): BinanceFeed => {
    const f = fastBinanceFeed(fake, options);
    feeds.push(f);
    return f;
  };

  beforeEach(async () => {
    fake = await FakeBinance.start();
  });

  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((f) => f.stop()));
    await fake.close();
  });

  it('USD-M @trade: real trades arrive normalized, the INSURANCE_FUND trade is dropped apart from rejects', async () => {
    const rows = around(UM, INSURANCE_FUND_ID, 25, 24);
    expect(rows).toHaveLength(50);
    const sink = new RecordingSink();
    await feed({ market: 'usdm', symbols: ['btcusdt'] }).start(sink);
    expect(fake.latest().streams).toEqual(['btcusdt@trade']);

    fake.send(fake.latest(), ...rows.map((r) => tradeMessage('usdm', 'BTCUSDT', r)));
    await until(() => sink.received.length === 49, '49 market trades');

    const market = rows.filter((r) => r.type === 'MARKET');
    expect(withoutReceipt(sink.received)).toEqual(market.map((r) => expected('usdm', r)));
    expect(sink.rejected).toHaveLength(1);
    expect(sink.rejected[0].reason).toBe('non_market_trade');
    expect(sink.rejected[0].sample).toContain(`"t":${INSURANCE_FUND_ID}`);
    expect(sink.rejected[0].sample).toContain('"X":"INSURANCE_FUND"');
    // The dropped id still counts as seen: no gap, no backfill.
    expect(sink.gaps).toEqual([]);
    expect(fake.restRequests).toEqual([]);
  });

  it('spot: splits symbols over connections within the stream limit and reports each connection', async () => {
    const sink = new RecordingSink();
    await feed({ market: 'spot', symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], maxStreamsPerConnection: 2 }).start(sink);
    expect(fake.connections.map((c) => c.streams).sort((a, b) => b.length - a.length)).toEqual([['btcusdt@trade', 'ethusdt@trade'], ['solusdt@trade']]);
    const opened = sink.statuses.filter((s) => s.state === 'open').map((s) => s.feed);
    expect(opened.sort()).toEqual(['binance-spot#0', 'binance-spot#1']);

    const btc = fake.connections.find((c) => c.streams.includes('btcusdt@trade'));
    if (!btc) throw new Error('no connection carries btcusdt@trade');
    fake.send(btc, ...SPOT.slice(0, 10).map((r) => tradeMessage('spot', 'BTCUSDT', r)));
    await until(() => sink.received.length === 10, 'ten spot trades');
    expect(withoutReceipt(sink.received)).toEqual(SPOT.slice(0, 10).map((r) => expected('spot', r)));
  });

  it('refuses a stream limit above the exchange limit and a bad endpoint with typed errors', () => {
    expect(() => new BinanceFeed({ market: 'usdm', symbols: ['BTCUSDT'], maxStreamsPerConnection: 201 })).toThrow(IngestError);
    expect(() => new BinanceFeed({ market: 'spot', symbols: ['BTCUSDT'], wsUrl: 'http://example.com' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', key: 'wsUrl' }),
    );
    expect(() => new BinanceFeed({ market: 'spot', symbols: ['../etc'] })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', key: 'symbols' }));
  });

  it('counts garbage per reason and keeps delivering every good trade on the same connection', async () => {
    const rows = SPOT.slice(0, 30);
    const sink = new RecordingSink();
    await feed({ market: 'spot', symbols: ['BTCUSDT'] }).start(sink);
    const corrupt = new Map<number, (e: Record<string, unknown>) => Record<string, unknown>>([
      [5, (e) => ({ ...e, p: 'NaN' })],
      [8, (e) => ({ ...e, p: '-61837.63' })],
      [11, (e) => ({ ...e, p: '0.00000000' })],
      [14, (e) => ({ ...e, q: '-0.5' })],
      [17, (e) => ({ ...e, m: 'maybe' })],
      [20, (e) => ({ ...e, T: 1 })],
      [23, (e) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'p'))],
      [26, (e) => ({ ...e, p: 'Infinity' })],
    ]);
    const messages: string[] = [];
    rows.forEach((r, i) => {
      const event = tradeEvent('spot', 'BTCUSDT', r);
      messages.push(combined('btcusdt@trade', corrupt.get(i)?.(event) ?? event));
      if (i === 2) messages.push(tradeMessage('spot', 'BTCUSDT', r).slice(0, 40));
      if (i === 3) messages.push(tradeMessage('spot', 'XRPUSDT', r));
      if (i === 4) messages.push(combined('btcusdt@trade', { ...event, t: 'abc' }));
      if (i === 6) messages.push(`{"stream":"btcusdt@trade","data":{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}}`);
      if (i === 7) messages.push('[1,2,3]', '{"result":null,"id":1}');
    });
    fake.send(fake.latest(), ...messages);
    const good = rows.filter((_, i) => !corrupt.has(i));
    await until(() => sink.received.length === good.length && sink.rejected.length === 13, 'good trades and all rejects');

    expect(withoutReceipt(sink.received)).toEqual(good.map((r) => expected('spot', r)));
    const counts = Object.fromEntries(['malformed_json', 'unknown_symbol', 'bad_trade_id', 'oversized', 'unexpected_message', 'bad_price', 'bad_volume', 'bad_side', 'bad_timestamp', 'missing_field'].map((k) => [k, sink.count(k as never)]));
    expect(counts).toEqual({
      malformed_json: 1,
      unknown_symbol: 1,
      bad_trade_id: 1,
      oversized: 1,
      unexpected_message: 1,
      bad_price: 4,
      bad_volume: 1,
      bad_side: 1,
      bad_timestamp: 1,
      missing_field: 1,
    });
    expect(sink.rejected.every((r) => r.sample.length <= 203)).toBe(true);
    expect(fake.connections).toHaveLength(1);
    expect(sink.statuses.map((s) => s.state)).not.toContain('reconnecting');
    // Refused trades were still seen: their ids are not a gap.
    expect(sink.gaps).toEqual([]);
  });

  it('rotates before max age without duplicates or gaps (overlapping connections)', async () => {
    const rows = SPOT.slice(100, 120);
    const sink = new RecordingSink();
    await feed({ market: 'spot', symbols: ['BTCUSDT'], maxConnectionAgeMs: 150, rotationOverlapMs: 5000 }).start(sink);
    fake.send(fake.latest(), ...rows.slice(0, 10).map((r) => tradeMessage('spot', 'BTCUSDT', r)));
    await until(() => fake.connections.length === 2, 'replacement connection');
    const [old, fresh] = fake.connections;
    fake.send(old, ...rows.slice(10, 13).map((r) => tradeMessage('spot', 'BTCUSDT', r)));
    await until(() => sink.received.length === 13, 'old connection still delivering');
    fake.send(fresh, ...rows.slice(5).map((r) => tradeMessage('spot', 'BTCUSDT', r)));
    await until(() => sink.received.length === 20 && old.closedByClient, 'all trades and the old connection retired');
    expect(sink.ids()).toEqual(rows.map((r) => String(r.id)));
    expect(sink.gaps).toEqual([]);
    expect(sink.statuses.map((s) => s.state)).not.toContain('reconnecting');
  });
});
