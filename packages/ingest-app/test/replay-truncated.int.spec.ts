import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { executeQuery, openPairDatabase, pairKey } from '@market-data/storage-core';
import { ChildApp, INGEST_MAIN, REALDATA } from '@market-data/testing';

const CSV = readFileSync(join(REALDATA, 'binance-um-BTCUSDT-trades-2024-08-08T2354.csv'), 'utf8');
const IDS = CSV.trim().split('\n').slice(1).map((l) => l.split(',')[0]);

describe('ingester process: replay of a truncated .gz', () => {
  it('stores what is readable, reports which file ends where, and exits non-zero without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ingest-trunc-'));
    try {
      const whole = gzipSync(Buffer.from(CSV));
      const file = join(dir, 'trades.csv.gz');
      writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ source: 'replay', replayFile: [`${file}:binance:usdm:BTCUSDT`], retentionIntervalMs: 0 }));
      const app = new ChildApp(INGEST_MAIN, ['--config', config, '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0']);
      const exit = await app.exited;
      expect(exit.code).toBe(1);
      const report = app.logs.find((l) => l.msg === 'input not read completely');
      expect(report).toMatchObject({ level: 'error', feed: 'replay' });
      expect(String(report?.err)).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ends after \\d+ lines \\(\\d+ of \\d+ bytes read\\)`));
      expect(app.stderr.some((l) => /^\s+at /.test(l))).toBe(false);
      expect(app.logs.some((l) => l.msg === 'ingester stopped')).toBe(true);

      const db = await openPairDatabase(join(dir, 'data'), pairKey('binance', 'usdm', 'BTCUSDT'), { readOnly: true });
      try {
        const stored = (await executeQuery(db.connection, 'SELECT trade_id FROM ticks ORDER BY timestamp, trade_id')).map((r) => r.trade_id as string);
        expect(stored.length).toBeGreaterThan(IDS.length * 0.3);
        expect(stored).toEqual(IDS.slice(0, stored.length));
        const lines = Number(/ends after (\d+) lines/.exec(String(report?.err))?.[1]);
        expect(stored.length).toBe(lines - 1);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
