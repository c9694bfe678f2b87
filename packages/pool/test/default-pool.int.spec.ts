import * as path from 'node:path';
import { DATA_DIR_ENV, getPool, resetDefaultPool } from '../src';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import { codeOf, insertTicks, tradeIds } from './support';

describe('getPool (process-wide default, real DuckDB files)', () => {
  let dir: string;
  const savedEnv = process.env[DATA_DIR_ENV];

  beforeEach(() => {
    dir = makeTempDir();
  });

  afterEach(async () => {
    await resetDefaultPool();
    if (savedEnv === undefined) delete process.env[DATA_DIR_ENV];
    else process.env[DATA_DIR_ENV] = savedEnv;
    removeTempDir(dir);
  });

  it('creates one instance on the first call and returns it afterwards', async () => {
    const pool = getPool({ baseDir: dir, maxConnections: 7 });
    expect(getPool()).toBe(pool);
    expect(getPool({ baseDir: dir, maxConnections: 7 })).toBe(pool);
    expect(() => getPool({ baseDir: dir, maxConnections: 8 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    await getPool().withConnection('binance:spot:BTCUSDT', (conn) => insertTicks(conn, 'D', 1));
    expect(await pool.withConnection('binance:spot:BTCUSDT', (conn) => tradeIds(conn))).toEqual(['D-0']);
  });

  it('takes its directory from MARKET_DATA_DIR when called without options', () => {
    process.env[DATA_DIR_ENV] = dir;
    expect(getPool().baseDir).toBe(dir);
    expect(getPool().maxConnections).toBe(200);
  });

  it('stays closed after closeAll until resetDefaultPool', async () => {
    const pool = getPool({ baseDir: dir });
    await pool.closeAll();
    expect(getPool()).toBe(pool);
    expect(await codeOf(getPool().acquire('binance:spot:BTCUSDT'))).toBe('POOL_CLOSED');
    await resetDefaultPool();
    const fresh = getPool({ baseDir: path.join(dir, 'other') });
    expect(fresh).not.toBe(pool);
    expect(fresh.closed).toBe(false);
  });
});
