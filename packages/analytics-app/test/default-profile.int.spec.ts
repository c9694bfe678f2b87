import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeQuery, openPairDatabase, toPairKey } from '@market-data/storage-core';
import { marketProfileHistogramQuery } from '@market-data/queries';
import { ANALYTICS_MAIN, ChildApp, INGEST_MAIN, until } from '@market-data/testing';

// The ingester's defaults (ingest-config.ts): these five pairs, seed 42, 50 trades/s per pair.
const DEFAULT_PAIRS = ['synthetic:spot:BTCUSDT', 'synthetic:spot:ETHUSDT', 'synthetic:spot:SOLUSDT', 'synthetic:usdm:BTCUSDT', 'synthetic:usdm:ETHUSDT'];
const MINUTES = 15;
// 50 trades/s per pair on the simulated clock, plus a little so minute 16 has closed minute 15.
const TRADES_PER_PAIR = 50 * 60 * (MINUTES + 1.5);

async function storedPerPair(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^ingest_trades_stored_total\{pair="([^"]+)"\} (\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/**
 * Issue 13.6: on the market `npm start` runs (the ingester's default synthetic market, default
 * analytics settings), POC = VAL = VAH on every pair: the default row size (5 bp of price) was
 * coarser than what the market moves in a few minutes. The same tape on the simulated clock
 * (--realtime false: the model runs on elapsed time, so it is the tape a realtime run makes),
 * then the analytics app offline with its defaults.
 */
describe('the default market profile on the default synthetic market', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'default-profile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has a value area wider than one row from the first closed minute, and 15+ rows from the fifth, on every pair', async () => {
    const dataDir = join(dir, 'data');
    const ingest = new ChildApp(INGEST_MAIN, ['--source', 'synthetic', '--realtime', 'false', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    try {
      const url = await ingest.url();
      await until(async () => {
        const stored = await storedPerPair(url);
        return DEFAULT_PAIRS.every((p) => (stored[p] ?? 0) >= TRADES_PER_PAIR);
      }, 120_000, `${TRADES_PER_PAIR} trades per pair`);
    } finally {
      ingest.kill('SIGTERM');
    }
    expect((await ingest.exited).code).toBe(0);
    const offline = new ChildApp(ANALYTICS_MAIN, ['--offline', '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
    expect((await offline.exited).code).toBe(0);

    const seen: string[] = [];
    for (const id of DEFAULT_PAIRS) {
      const db = await openPairDatabase(dataDir, toPairKey(id), { role: 'analytics', readOnly: true });
      try {
        const profiles = await executeQuery(db.connection, {
          sql: 'SELECT epoch_ms(timestamp) AS t, row_size, poc, value_area_low AS val, value_area_high AS vah FROM market_profile ORDER BY timestamp LIMIT $1',
          params: [MINUTES],
        });
        expect(profiles).toHaveLength(MINUTES);
        for (const [minute, p] of profiles.entries()) {
          const rowSize = Number(p.row_size);
          // The rows the profile was walked over: the window [close - 15 min, close).
          const rows = await executeQuery(db.connection, marketProfileHistogramQuery({ rowSize, endTime: Number(p.t) + 60_000 - 0.001, lookbackMinutes: 15 }));
          const valueAreaRows = Math.round((Number(p.vah) - Number(p.val)) / rowSize) + 1;
          seen.push(`${id} ${new Date(Number(p.t)).toISOString().slice(11, 16)}: ${rows.length} rows, value area ${valueAreaRows}`);
          // Before the fix: usdm:BTCUSDT's first two profiles had 3 rows, POC = VAL = VAH, and
          // the BTC pairs never reached 15 rows in 15 minutes.
          expect(rows.length).toBeGreaterThanOrEqual(minute < 4 ? 6 : 15);
          expect(valueAreaRows).toBeGreaterThanOrEqual(2);
          expect(Number(p.val)).toBeLessThan(Number(p.vah));
        }
      } catch (err) {
        throw new Error(`${(err as Error).message}\nprofiles so far:\n${seen.join('\n')}`);
      } finally {
        db.close();
      }
    }
  }, 240_000);
});
