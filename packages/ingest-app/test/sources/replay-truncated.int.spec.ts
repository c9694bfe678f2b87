import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ReplayFeed } from '../../src/sources';
import { CollectingSink, makeTempDir, REALDATA, removeTempDir } from './support';

const CSV = fs.readFileSync(path.join(REALDATA, 'binance-um-BTCUSDT-trades-2024-08-08T2354.csv'), 'utf8');
/** Market rows in file order: [id, qty]. */
const ROWS = CSV.trim().split('\n').slice(1).map((l) => l.split(',')).filter((f) => f[5] === 'MARKET');

describe('a truncated .gz replay stores what is readable and then fails with where the file ends', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeTempDir(dir));

  it('delivers every complete row before the cut, goes on with the other pair, and rejects naming the file and how far', async () => {
    const whole = gzipSync(Buffer.from(CSV));
    const cut = path.join(dir, 'um-half.csv.gz');
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const other = path.join(dir, 'um-other.csv.gz');
    fs.writeFileSync(other, whole);
    const sink = new CollectingSink();
    const feed = new ReplayFeed({
      files: [
        { path: cut, exchange: 'binance', marketType: 'usdm', symbol: 'BTCUSDT' },
        { path: other, exchange: 'binance', marketType: 'usdm', symbol: 'ETHUSDT' },
      ],
    });
    await feed.start(sink);
    const outcome = await feed.done.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome).toMatchObject({ name: 'IngestError', code: 'TRUNCATED_INPUT' });
    const message = (outcome as Error).message;
    expect(message).toContain(cut);
    expect(message).toMatch(/ends after \d+ lines \(\d+ of \d+ bytes read\)/);

    const btc = sink.all.filter((t) => t.symbol === 'BTCUSDT');
    // About half the archive is readable: every complete row up to the cut, in order, exactly.
    expect(btc.length).toBeGreaterThan(ROWS.length * 0.3);
    expect(btc.length).toBeLessThan(ROWS.length);
    expect(btc.map((t) => [t.tradeId, t.volume])).toEqual(ROWS.slice(0, btc.length).map((f) => [f[0], Number(f[2])]));
    expect(sink.all.filter((t) => t.symbol === 'ETHUSDT')).toHaveLength(ROWS.length);

    const [truncation] = feed.stats().truncated;
    expect(truncation).toMatchObject({ path: cut, size: fs.statSync(cut).size });
    // Lines read: the header and every row up to the last one delivered.
    const allRows = CSV.trim().split('\n').slice(1);
    expect(truncation.lines).toBe(1 + allRows.findIndex((l) => l.startsWith(`${btc[btc.length - 1].tradeId},`)) + 1);
    expect(sink.statuses[sink.statuses.length - 1]).toMatchObject({ state: 'stopped', detail: expect.stringContaining('truncated input') });
  });
});
