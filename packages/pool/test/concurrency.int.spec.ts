import * as fs from 'node:fs';
import { pairDatabasePath, pairKey } from '@market-data/storage-core';
import { ConnectionPoolManager } from '../src';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import { countingOpener, insertTicks, tradeIds } from './support';

const PAIRS = 100;
const WRITES_PER_PAIR = 3;
const ROWS_PER_WRITE = 10;

describe('ConnectionPoolManager under concurrent load (real DuckDB files)', () => {
  let dir: string;
  let pool: ConnectionPoolManager | undefined;

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(async () => {
    await pool?.closeAll();
    pool = undefined;
    removeTempDir(dir);
  });

  it('writes 100 pairs at once through withConnection with every row accounted for, in 20 slots', async () => {
    const opener = countingOpener(dir);
    // Fewer slots than pairs, so the run goes through waiting, eviction and reopening.
    const p = (pool = new ConnectionPoolManager({ baseDir: dir, maxConnections: 20, open: opener.open }));
    const symbols = Array.from({ length: PAIRS }, (_, i) => `SYM${String(i).padStart(3, '0')}`);

    await Promise.all(
      symbols.flatMap((symbol) =>
        Array.from({ length: WRITES_PER_PAIR }, (_, w) =>
          p.withConnection(`binance:spot:${symbol}`, (conn) => insertTicks(conn, `${symbol}-w${w}`, ROWS_PER_WRITE)),
        ),
      ),
    );
    const during = pool.getPoolStats();
    expect(during.poolSize).toBeLessThanOrEqual(20);
    expect(during).toMatchObject({ activePairs: 0, waiting: 0, misses: opener.opens.length });
    expect(during.hits + during.misses).toBe(PAIRS * WRITES_PER_PAIR);

    const stored = await Promise.all(
      symbols.map((symbol) => p.withConnection(`binance:spot:${symbol}`, (conn) => tradeIds(conn))),
    );
    for (let i = 0; i < PAIRS; i++) {
      const expected = Array.from({ length: WRITES_PER_PAIR }, (_, w) =>
        Array.from({ length: ROWS_PER_WRITE }, (_, r) => `${symbols[i]}-w${w}-${r}`),
      )
        .flat()
        .sort();
      expect(stored[i]).toEqual(expected);
      expect(fs.existsSync(pairDatabasePath(dir, pairKey('binance', 'spot', symbols[i])))).toBe(true);
    }

    const after = pool.getPoolStats();
    expect(after.hits + after.misses).toBe(PAIRS * WRITES_PER_PAIR + PAIRS);
    expect(after.misses).toBe(opener.opens.length);
    expect(after.evictions).toBe(opener.opens.length - after.poolSize);
    expect(after.poolSize).toBe(20);
    // Generous: hundreds of opens on a shared 2-core machine; this is a correctness test, not a benchmark.
  }, 120_000);
});
