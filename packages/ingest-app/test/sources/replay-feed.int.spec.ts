import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { ReplayFeed, progressOutput } from '../../src/sources';
import { makeTempDir, REALDATA, removeTempDir } from '@market-data/testing';
import { CollectingSink, writeText } from './support';

const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);
const HEADER = 'trade_id,price,qty,time,is_buyer_maker';

/** A trades file whose rows are at the given offsets (ms) from T0. */
function tradesFile(dir: string, name: string, firstId: number, offsets: readonly number[]): string {
  const rows = offsets.map((ms, i) => `${firstId + i},${(100 + i / 10).toFixed(1)},0.001,${T0 + ms},${i % 2 === 0}`);
  return writeText(dir, name, [HEADER, ...rows].join('\n') + '\n');
}

describe('ReplayFeed', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeTempDir(dir));

  it('paces by trade time at a speed factor and still delivers everything in order', async () => {
    const file = tradesFile(dir, 'paced.csv', 1, [0, 40, 80, 80, 120, 200]);
    const sink = new CollectingSink();
    const feed = new ReplayFeed({ files: [{ path: file, exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' }], speed: 20 });
    await feed.start(sink);
    await feed.done;
    expect(sink.all.map((t) => t.tradeId)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(sink.all.map((t) => t.timestamp - T0)).toEqual([0, 40, 80, 80, 120, 200]);
    expect(sink.statuses.map((s) => s.state)).toEqual(['open', 'done']);
  });

  it('merges pairs by trade time and reads one pair\'s files in sequence', async () => {
    const btcDay1 = tradesFile(dir, 'btc-1.csv', 10, [0, 30]);
    const btcDay2 = tradesFile(dir, 'btc-2.csv', 12, [60, 90]);
    const eth = tradesFile(dir, 'eth.csv', 500, [10, 30, 70]);
    for (const speed of [0, 50]) {
      const sink = new CollectingSink();
      const feed = new ReplayFeed({
        files: [
          { path: btcDay1, exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' },
          { path: eth, exchange: 'binance', marketType: 'spot', symbol: 'ETHUSDT' },
          { path: btcDay2, exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' },
        ],
        speed,
        batchSize: 2,
      });
      await feed.start(sink);
      await feed.done;
      // Equal times (30 ms) keep config order: BTC was listed first.
      expect(sink.all.map((t) => `${t.symbol.slice(0, 3)}${t.tradeId}@${t.timestamp - T0}`)).toEqual([
        'BTC10@0',
        'ETH500@10',
        'BTC11@30',
        'ETH501@30',
        'BTC12@60',
        'ETH502@70',
        'BTC13@90',
      ]);
      expect(sink.batches.every((b) => b.length <= 2)).toBe(true);
    }
  });

  it('stop() ends a real-time replay early: nothing more arrives, done resolves, state stopped', async () => {
    const hour = Array.from({ length: 61 }, (_, i) => i * 60_000);
    const file = tradesFile(dir, 'hour.csv', 1, hour);
    const sink = new CollectingSink();
    const firstBatch = new Promise<void>((resolve) => {
      sink.onBatch = () => resolve();
    });
    const feed = new ReplayFeed({ files: [{ path: file, exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' }], speed: 1 });
    await feed.start(sink);
    await firstBatch;
    await feed.stop();
    await feed.done;
    const delivered = sink.all.length;
    expect(delivered).toBeGreaterThanOrEqual(1);
    expect(delivered).toBeLessThan(61);
    expect(feed.stats().trades).toBe(delivered);
    expect(sink.statuses.map((s) => s.state)).toEqual(['open', 'stopped']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sink.all.length).toBe(delivered);
  });

  it('yields to the event loop between batches (backpressure for the pipeline)', async () => {
    const sink = new CollectingSink();
    let otherWorkRan = true;
    let starvedBatches = 0;
    sink.onBatch = () => {
      if (!otherWorkRan) starvedBatches++;
      otherWorkRan = false;
      setImmediate(() => {
        otherWorkRan = true;
      });
    };
    const feed = new ReplayFeed({
      files: [{ path: path.join(REALDATA, 'binance-um-BTCUSDT-trades-2023-04-04T2358.csv'), exchange: 'binance', marketType: 'usdm', symbol: 'BTCUSDT' }],
      batchSize: 100,
    });
    await feed.start(sink);
    await feed.done;
    expect(sink.batches.length).toBeGreaterThanOrEqual(130);
    expect(starvedBatches).toBe(0);
  });

  it('draws a progress bar: in place on a terminal, as lines on a plain stream, nothing for `true` without a TTY', async () => {
    const file = tradesFile(dir, 'p.csv', 1, [0, 1, 2, 3]);
    const spec = { path: file, exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT' };

    const written: string[] = [];
    const terminal = { isTTY: true, write: (text: string) => written.push(text) };
    const tty = new ReplayFeed({ files: [spec], progress: terminal });
    await tty.start(new CollectingSink());
    await tty.done;
    const last = written.at(-1) ?? '';
    expect(last.startsWith('\r')).toBe(true);
    expect(last.endsWith('\n')).toBe(true);
    expect(last).toContain('100.0%');
    expect(last).toContain('4 trades');
    expect(last).toMatch(/trades\/s +ETA 00:00/);

    const plain = new PassThrough();
    let text = '';
    plain.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const piped = new ReplayFeed({ files: [spec], progress: plain });
    await piped.start(new CollectingSink());
    await piped.done;
    expect(text).not.toContain('\r');
    expect(text.trim().split('\n').at(-1)).toMatch(/^replay \[#+\] 100\.0% {2}4 trades/);

    expect(progressOutput(false)).toBeUndefined();
    expect(progressOutput(true)).toBe(process.stderr.isTTY ? process.stderr : undefined);
  });
});
