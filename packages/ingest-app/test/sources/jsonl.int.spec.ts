import { ReplayFeed, type ReplayFile } from '../../src/sources';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import { CollectingSink, writeGzip, writeText } from './support';

async function replay(files: ReplayFile[]): Promise<CollectingSink> {
  const sink = new CollectingSink();
  const feed = new ReplayFeed({ files });
  await feed.start(sink);
  await feed.done;
  return sink;
}

const row = (fields: Record<string, unknown>): string =>
  JSON.stringify({ exchange: 'bybit', marketType: 'linear', symbol: 'ETHUSDT', tradeId: 'a1', price: 1850.5, volume: 0.3, side: 'BUY', timestamp: 1680652700452, ...fields });

describe('JSON-lines trade files (real files in a temp dir)', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeTempDir(dir));

  it('reads epoch-ms and ISO timestamps (no zone = UTC, offsets honoured, microseconds kept)', async () => {
    const lines = [
      row({ tradeId: '1', timestamp: 1680652700452 }),
      row({ tradeId: '2', timestamp: 1680652700452.123 }),
      row({ tradeId: '3', timestamp: '1680652700453' }),
      row({ tradeId: '4', timestamp: '2023-04-05T00:01:14.400123Z' }),
      row({ tradeId: '5', timestamp: '2023-04-05T00:01:14.4' }),
      row({ tradeId: '6', timestamp: '2023-04-05T02:01:14+02:00' }),
      row({ tradeId: 7, price: '1850.60', volume: '0.001', side: 'SELL', timestamp: '2023-04-05 00:01:15.000001Z' }),
    ];
    const sink = await replay([{ path: writeText(dir, 'trades.jsonl', lines.join('\n') + '\n') }]);
    expect(sink.rejects).toEqual([]);
    const byId = new Map(sink.all.map((t) => [t.tradeId, t]));
    expect(byId.get('1')?.timestamp).toBe(1680652700452);
    expect(byId.get('2')?.timestamp).toBe(1680652700452.123);
    expect(byId.get('3')?.timestamp).toBe(1680652700453);
    expect(Math.round((byId.get('4')?.timestamp ?? 0) * 1000)).toBe(Date.UTC(2023, 3, 5, 0, 1, 14, 400) * 1000 + 123);
    expect(byId.get('5')?.timestamp).toBe(Date.UTC(2023, 3, 5, 0, 1, 14, 400));
    expect(byId.get('6')?.timestamp).toBe(Date.UTC(2023, 3, 5, 0, 1, 14));
    expect(byId.get('7')).toMatchObject({ exchange: 'bybit', marketType: 'linear', symbol: 'ETHUSDT', price: 1850.6, volume: 0.001, side: 'SELL' });
    expect(Math.round((byId.get('7')?.timestamp ?? 0) * 1000)).toBe(Date.UTC(2023, 3, 5, 0, 1, 15) * 1000 + 1);
  });

  it('rejects bad lines per reason and keeps the good ones', async () => {
    const lines = [
      row({ tradeId: 'ok-1' }),
      '{"exchange": "bybit", ', // malformed_json
      '[1, 2, 3]', // unexpected_message
      row({ price: undefined }), // missing_field (JSON drops undefined)
      row({ price: -5 }), // bad_price
      row({ volume: 'lots' }), // bad_volume
      row({ side: 'buy' }), // bad_side: normalized files say BUY/SELL
      row({ timestamp: 'not a time' }), // bad_timestamp
      row({ tradeId: 'has space' }), // bad_trade_id
      row({ symbol: '../../etc' }), // unknown_symbol: not a valid pair name
      '',
      row({ tradeId: 'ok-2', side: 'SELL' }),
    ];
    const sink = await replay([{ path: writeText(dir, 'mixed.ndjson', lines.join('\n')) }]);
    expect(sink.all.map((t) => t.tradeId)).toEqual(['ok-1', 'ok-2']);
    expect(sink.rejectCounts()).toEqual({
      malformed_json: 1,
      unexpected_message: 1,
      missing_field: 1,
      bad_price: 1,
      bad_volume: 1,
      bad_side: 1,
      bad_timestamp: 1,
      bad_trade_id: 1,
      unknown_symbol: 1,
    });
  });

  it("uses the file's pair as a filter and a default; reads .jsonl.gz", async () => {
    const lines = [
      row({ tradeId: 'eth' }),
      row({ tradeId: 'btc', symbol: 'BTCUSDT' }), // another pair than the file's: unknown_symbol
      JSON.stringify({ tradeId: 'bare', price: 1, volume: 1, side: 'BUY', timestamp: 1680652700452 }), // pair from the file spec
    ];
    const file = writeGzip(dir, 'eth.jsonl.gz', lines.join('\n'));
    const sink = await replay([{ path: file, exchange: 'bybit', marketType: 'linear', symbol: 'ETHUSDT' }]);
    expect(sink.all.map((t) => `${t.tradeId}@${t.exchange}:${t.marketType}:${t.symbol}`)).toEqual(['eth@bybit:linear:ETHUSDT', 'bare@bybit:linear:ETHUSDT']);
    expect(sink.rejectCounts()).toEqual({ unknown_symbol: 1 });

    // Without a pair in the spec, a row must name its own.
    const unnamed = await replay([{ path: writeText(dir, 'x.jsonl', lines[2]), format: 'jsonl' }]);
    expect(unnamed.rejectCounts()).toEqual({ missing_field: 1 });
  });
});
