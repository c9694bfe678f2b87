import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Trade } from '../../src/feeds/feed';
import { BinanceCsvParser, ReplayFeed, readTradeFile, type ReplayFile } from '../../src/sources';
import { CollectingSink, codeOf, makeTempDir, removeTempDir, writeGzip, writeText, writeZip } from './support';

const PAIR = { exchange: 'binance', marketType: 'usdm', symbol: 'BTCUSDT' } as const;

async function replay(files: ReplayFile[]): Promise<{ sink: CollectingSink; feed: ReplayFeed }> {
  const sink = new CollectingSink();
  const feed = new ReplayFeed({ files });
  await feed.start(sink);
  await feed.done;
  return { sink, feed };
}

/** The fields a file determines, for comparing layouts. */
function essentials(trades: readonly Trade[]): [string, number, number, string, number][] {
  return trades.map((t) => [t.tradeId, t.price, t.volume, t.side, t.timestamp]);
}

const EXPECTED: [string, number, number, string, number][] = [
  ['101', 28145.1, 0.002, 'SELL', 1680652700452],
  ['102', 28145.2, 0.02, 'BUY', 1680652700460],
  ['103', 28145.2, 1.5, 'BUY', 1680652701000],
];

describe('Binance CSV files (real files in a temp dir)', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeTempDir(dir));

  describe('every layout, with and without header', () => {
    const layouts: { name: string; header: string; rows: string[]; format?: ReplayFile['format'] }[] = [
      {
        name: 'realdata trades (trade_id,price,qty,time,is_buyer_maker)',
        header: 'trade_id,price,qty,time,is_buyer_maker',
        rows: ['101,28145.10,0.002,1680652700452,true', '102,28145.20,0.020,1680652700460,false', '103,28145.20,1.500,1680652701000,false'],
      },
      {
        name: 'realdata trades with type',
        header: 'trade_id,price,qty,time,is_buyer_maker,type',
        rows: ['101,28145.10,0.002,1680652700452,true,MARKET', '102,28145.20,0.020,1680652700460,false,MARKET', '103,28145.20,1.500,1680652701000,false,MARKET'],
      },
      {
        name: 'USD-M public trades (id,price,qty,quote_qty,time,is_buyer_maker)',
        header: 'id,price,qty,quote_qty,time,is_buyer_maker',
        rows: ['101,28145.10,0.002,56.2902,1680652700452,true', '102,28145.20,0.020,562.904,1680652700460,false', '103,28145.20,1.500,42217.8,1680652701000,false'],
      },
      {
        name: 'spot public trades (... is_best_match)',
        header: 'id,price,qty,quote_qty,time,is_buyer_maker,is_best_match',
        rows: ['101,28145.10,0.002,56.2902,1680652700452,True,True', '102,28145.20,0.020,562.904,1680652700460,False,True', '103,28145.20,1.500,42217.8,1680652701000,False,True'],
      },
      {
        name: 'USD-M aggTrades',
        header: 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker',
        rows: ['101,28145.10,0.002,9001,9001,1680652700452,true', '102,28145.20,0.020,9002,9004,1680652700460,false', '103,28145.20,1.500,9005,9005,1680652701000,false'],
      },
      {
        name: 'spot aggTrades (... is_best_match), format given',
        header: 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match',
        rows: ['101,28145.10,0.002,9001,9001,1680652700452,true,true', '102,28145.20,0.020,9002,9004,1680652700460,false,true', '103,28145.20,1.500,9005,9005,1680652701000,false,true'],
        format: 'binance-aggtrades',
      },
    ];
    for (const layout of layouts) {
      it(`${layout.name}: same trades with a header, without one, and with CRLF line ends`, async () => {
        const withHeader = writeText(dir, 'with-header.csv', [layout.header, ...layout.rows].join('\n') + '\n');
        const headerless = writeText(dir, 'headerless.csv', layout.rows.join('\n'));
        const crlf = writeText(dir, 'crlf.csv', [layout.header, ...layout.rows].join('\r\n') + '\r\n');
        for (const file of [withHeader, headerless, crlf]) {
          const { sink, feed } = await replay([{ path: file, ...PAIR, format: layout.format }]);
          expect(essentials(sink.all)).toEqual(EXPECTED);
          expect(sink.rejects).toEqual([]);
          expect(feed.stats()).toMatchObject({ trades: 3, rejected: 0, dropped: 0 });
          expect(sink.all.every((t) => t.exchange === 'binance' && t.marketType === 'usdm' && t.symbol === 'BTCUSDT' && t.type === 'trade')).toBe(true);
        }
      });
    }

    it('tells the layout it detected, and headerless 7-column files apart by content', async () => {
      const spotTrades = new BinanceCsvParser(PAIR);
      expect(spotTrades.parse('101,28145.10,0.002,56.29,1680652700452,true,true', 0, Date.now())).toMatchObject({ side: 'SELL', timestamp: 1680652700452 });
      expect(spotTrades.layout).toBe('trades');
      const futuresAgg = new BinanceCsvParser(PAIR);
      expect(futuresAgg.parse('101,28145.10,0.002,9001,9003,1680652700452,false', 0, Date.now())).toMatchObject({ side: 'BUY', timestamp: 1680652700452 });
      expect(futuresAgg.layout).toBe('aggTrades');
    });
  });

  it('reads microsecond times (> 1e14) keeping the microseconds as the fraction of a millisecond', async () => {
    const file = writeText(dir, 'BTCUSDT-trades-2025-01-01.csv', ['1,94000.01,0.001,94.00001,1735689600000123,false,true', '2,94000.02,0.002,188.00004,1735689600001999,true,true'].join('\n'));
    const { sink } = await replay([{ path: file, exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' }]);
    const [a, b] = sink.all;
    expect(Math.round(a.timestamp * 1000)).toBe(1735689600000123);
    expect(Math.round(b.timestamp * 1000)).toBe(1735689600001999);
    expect(a.timestamp).toBeCloseTo(1735689600000.123, 3);
    expect(Math.floor(b.timestamp)).toBe(1735689600001);
  });

  it('reads .gz and single-entry .zip archives (deflate, stored, data descriptor) to the same trades', async () => {
    const text = ['trade_id,price,qty,time,is_buyer_maker,type', '101,28145.10,0.002,1680652700452,true,MARKET', '102,28145.20,0.020,1680652700460,false,MARKET', '103,28145.20,1.500,1680652701000,false,MARKET'].join('\n');
    const files = [
      writeGzip(dir, 'trades.csv.gz', text),
      writeZip(dir, 'BTCUSDT-trades-2023-04-04.zip', 'BTCUSDT-trades-2023-04-04.csv', text),
      writeZip(dir, 'stored.zip', 'stored.csv', text, { method: 0 }),
      writeZip(dir, 'streamed.zip', 'streamed.csv', text, { dataDescriptor: true }),
    ];
    for (const file of files) {
      const { sink, feed } = await replay([{ path: file, ...PAIR }]);
      expect(essentials(sink.all)).toEqual(EXPECTED);
      const stats = feed.stats();
      expect(stats.bytesTotal).toBe(fs.statSync(file).size);
      expect(stats.bytesRead).toBe(stats.bytesTotal);
    }
    const reader = await readTradeFile(files[1], new BinanceCsvParser(PAIR));
    expect(reader.file.compression).toBe('zip');
    reader.file.close();
  });

  it('rejects bad rows, counted per reason, while the good rows around them still flow', async () => {
    const lines = [
      'trade_id,price,qty,time,is_buyer_maker,type',
      '101,28145.10,0.002,1680652700452,true,MARKET',
      '102,abc,0.002,1680652700453,true,MARKET', // bad_price
      '103,0,0.002,1680652700453,true,MARKET', // bad_price (zero)
      '104,28145.10,-1,1680652700453,true,MARKET', // bad_volume
      '105,28145.10,0.002,1680652700453,maybe,MARKET', // bad_side
      '106,28145.10,0.002,yesterday,true,MARKET', // bad_timestamp
      '107,28145.10,0.002,12,true,MARKET', // bad_timestamp (1970)
      ',28145.10,0.002,1680652700453,true,MARKET', // bad_trade_id
      '108,28145.10,0.002,1680652700453', // missing_field
      '109,28145.10,0.002,1680652700453,true,MARKET,extra', // unexpected_message
      '',
      '110,28722.50,0.001,1680652874400,true,INSURANCE_FUND', // non_market_trade: dropped, not bad input
      `111,${'9'.repeat(5000)},0.002,1680652700453,true,MARKET`, // oversized
      '113,0x10,0.002,1680652700453,true,MARKET', // bad_price: hex is not decimal notation
      '114,28145.10,1e26,1680652700453,true,MARKET', // bad_volume: beyond what storage holds
      '115,28145.10,0.002,0x18874D6CE05,true,MARKET', // bad_timestamp: hex again
      '-116,28145.10,0.002,1680652700453,true,MARKET', // bad_trade_id: negative
      '112,28145.30,0.004,1680652700500,false,MARKET',
    ];
    const file = writeText(dir, 'bad.csv', lines.join('\n'));
    const { sink, feed } = await replay([{ path: file, ...PAIR }]);
    expect(sink.all.map((t) => t.tradeId)).toEqual(['101', '112']);
    expect(sink.rejectCounts()).toEqual({
      bad_price: 3,
      bad_volume: 2,
      bad_side: 1,
      bad_timestamp: 3,
      bad_trade_id: 2,
      missing_field: 1,
      unexpected_message: 1,
      oversized: 1,
      non_market_trade: 1,
    });
    expect(feed.stats()).toMatchObject({ trades: 2, rejected: 14, dropped: 1, rejectedByReason: { bad_price: 3, oversized: 1, non_market_trade: 1 } });
    expect(sink.rejects[0].sample).toBe('bad.csv:3: 102,abc,0.002,1680652700453,true,MARKET');
    expect(sink.rejects.find((r) => r.reason === 'oversized')?.sample.length).toBeLessThan(300);
  });

  it('skips an unrecognisable first row of a headerless file and detects the layout from the next', async () => {
    const file = writeText(dir, 'garbage-first.csv', ['garbage', '101,28145.10,0.002,1680652700452,true'].join('\n'));
    const { sink } = await replay([{ path: file, ...PAIR }]);
    expect(sink.all.map((t) => t.tradeId)).toEqual(['101']);
    expect(sink.rejectCounts()).toEqual({ unexpected_message: 1 });
  });

  it('refuses with typed errors: a header of the other layout, a missing file, a truncated or damaged archive, a multi-entry zip', async () => {
    const trades = writeText(dir, 'trades.csv', 'id,price,qty,quote_qty,time,is_buyer_maker\n1,1,1,1,1680652700452,true\n');
    const asAgg = new ReplayFeed({ files: [{ path: trades, ...PAIR, format: 'binance-aggtrades' }] });
    const sink = new CollectingSink();
    expect(await codeOf(asAgg.start(sink))).toBe('INVALID_CONFIG');
    expect(await codeOf(asAgg.done)).toBe('INVALID_CONFIG');
    expect(sink.statuses.at(-1)).toMatchObject({ state: 'stopped' });

    const missing = new ReplayFeed({ files: [{ path: path.join(dir, 'nope.csv'), ...PAIR }] });
    await expect(missing.start(new CollectingSink())).rejects.toMatchObject({ code: 'INVALID_CONFIG', key: 'files[0].path' });

    const good = 'trade_id,price,qty,time,is_buyer_maker\n' + '101,28145.10,0.002,1680652700452,true\n'.repeat(20000);
    const gz = fs.readFileSync(writeGzip(dir, 'whole.csv.gz', good));
    const truncated = path.join(dir, 'truncated.csv.gz');
    fs.writeFileSync(truncated, gz.subarray(0, gz.length - 100));
    const corrupt = new ReplayFeed({ files: [{ path: truncated, ...PAIR }] });
    const corruptSink = new CollectingSink();
    await corrupt.start(corruptSink).catch(() => undefined);
    // A truncated archive is read up to its cut (see replay-truncated.int.spec.ts), then reported.
    await expect(corrupt.done).rejects.toMatchObject({ code: 'TRUNCATED_INPUT' });
    expect(corruptSink.all.length).toBeGreaterThan(0);
    // Damaged data inside the archive (not a clean cut) is a file that cannot be read.
    const damaged = path.join(dir, 'damaged.csv.gz');
    const bytes = Buffer.from(gz);
    for (let i = 20; i < 60; i++) bytes[i] ^= 0xff;
    fs.writeFileSync(damaged, bytes);
    const broken = new ReplayFeed({ files: [{ path: damaged, ...PAIR }] });
    await broken.start(new CollectingSink()).catch(() => undefined);
    await expect(broken.done).rejects.toMatchObject({ code: 'INVALID_CONFIG', key: 'files[0].path' });

    const twoEntries = writeZip(dir, 'two.zip', 'a.csv', good, { declaredEntries: 2 });
    expect(await codeOf(new ReplayFeed({ files: [{ path: twoEntries, ...PAIR }] }).start(new CollectingSink()))).toBe('INVALID_CONFIG');

    expect(() => new ReplayFeed({ files: [{ path: trades, exchange: 'binance', marketType: 'usdm' }] })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', key: 'files[0].symbol' }));
    expect(() => new ReplayFeed({ files: [{ path: trades, ...PAIR, symbol: '../etc' }] })).toThrow(expect.objectContaining({ key: 'files[0].symbol' }));
    expect(() => new ReplayFeed({ files: [] })).toThrow(expect.objectContaining({ key: 'files' }));
    expect(() => new ReplayFeed({ files: [{ path: trades, ...PAIR }], speed: -1 })).toThrow(expect.objectContaining({ key: 'speed' }));
    expect(() => new ReplayFeed({ files: [{ path: trades, ...PAIR }], batchSize: 0 })).toThrow(expect.objectContaining({ key: 'batchSize' }));
  });
});
