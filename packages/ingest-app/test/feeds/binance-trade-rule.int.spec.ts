import { BinanceFeed } from '../../src/feeds/binance-feed';
import { FakeBinance } from './fake-binance';
import { combined, loadTrades, tradeEvent } from './realdata';
import { RecordingSink, until } from './recording-sink';

const SPOT = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv');

/** The same envelope, spaced out: outside BinanceFrameReader's subset, so it takes the JSON.parse path. */
function spaced(stream: string, data: Record<string, unknown>): string {
  return JSON.stringify({ stream, data }, null, 1);
}

describe('BinanceFeed applies the trade rule the same on both parse paths', () => {
  let fake: FakeBinance;
  let feed: BinanceFeed | undefined;

  beforeEach(async () => {
    fake = await FakeBinance.start();
  });

  afterEach(async () => {
    await feed?.stop();
    await fake.close();
  });

  // Each corruption goes out twice: compact (byte-level fast path) and spaced (JSON.parse path).
  const corruptions: [string, (e: Record<string, unknown>) => Record<string, unknown>, string][] = [
    ['hex price', (e) => ({ ...e, p: '0x10' }), 'bad_price'],
    ['binary quantity', (e) => ({ ...e, q: '0b11' }), 'bad_volume'],
    ['octal price', (e) => ({ ...e, p: '0o17' }), 'bad_price'],
    ['blank quantity', (e) => ({ ...e, q: '' }), 'bad_volume'],
    ['quantity 1e26 (beyond DECIMAL(38,12))', (e) => ({ ...e, q: '100000000000000000000000000' }), 'bad_volume'],
    ['quantity 1e15 in exponent form', (e) => ({ ...e, q: '1e15' }), 'bad_volume'],
    ['price 1e20', (e) => ({ ...e, p: '100000000000000000000.00' }), 'bad_price'],
    ['time in 2005', (e) => ({ ...e, T: Date.UTC(2005, 0, 1) }), 'bad_timestamp'],
    ['negative id', (e) => ({ ...e, t: -(e.t as number) }), 'bad_trade_id'],
  ];

  it.each(corruptions)('%s is refused alone, whichever path reads the frame', async (_what, corrupt, reason) => {
    const rows = SPOT.slice(0, 6);
    const sink = new RecordingSink();
    feed = new BinanceFeed({ market: 'spot', symbols: ['BTCUSDT'], wsUrl: fake.wsUrl, restUrl: fake.restUrl, staleTimeoutMs: 0, pingIntervalMs: 0, backfill: false });
    await feed.start(sink);
    const event = (i: number): Record<string, unknown> => tradeEvent('spot', 'BTCUSDT', rows[i]);
    fake.send(
      fake.latest(),
      combined('btcusdt@trade', event(0)),
      combined('btcusdt@trade', corrupt(event(1))),
      spaced('btcusdt@trade', event(2)),
      spaced('btcusdt@trade', corrupt(event(3))),
      combined('btcusdt@trade', event(4)),
      spaced('btcusdt@trade', event(5)),
    );
    await until(() => sink.received.length === 4 && sink.rejected.length === 2, 'four good trades and two rejects');
    expect(sink.ids()).toEqual([0, 2, 4, 5].map((i) => String(rows[i].id)));
    expect(sink.rejected.map((r) => r.reason)).toEqual([reason, reason]);
  });

  it('reads decimal and exponent notation to the same number on both paths', async () => {
    const rows = SPOT.slice(10, 14);
    const sink = new RecordingSink();
    feed = new BinanceFeed({ market: 'spot', symbols: ['BTCUSDT'], wsUrl: fake.wsUrl, restUrl: fake.restUrl, staleTimeoutMs: 0, pingIntervalMs: 0, backfill: false });
    await feed.start(sink);
    const event = (i: number, patch: Record<string, unknown>): Record<string, unknown> => ({ ...tradeEvent('spot', 'BTCUSDT', rows[i]), ...patch });
    fake.send(
      fake.latest(),
      combined('btcusdt@trade', event(0, { p: '16.00000000', q: '0.5' })),
      spaced('btcusdt@trade', event(1, { p: '16.00000000', q: '0.5' })),
      combined('btcusdt@trade', event(2, { p: '1.6e1', q: '5e-1' })),
      spaced('btcusdt@trade', event(3, { p: '1.6e1', q: '5e-1' })),
    );
    await until(() => sink.received.length === 4, 'four trades');
    expect(sink.received.map((t) => [t.price, t.volume])).toEqual(Array.from({ length: 4 }, () => [16, 0.5]));
    expect(sink.rejected).toEqual([]);
  });
});
