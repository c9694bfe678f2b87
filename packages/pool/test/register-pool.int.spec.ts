import 'reflect-metadata';
import { container, inject, injectable } from 'tsyringe';
import { CONNECTION_POOL, ConnectionPoolManager, registerPool, type ConnectionPool } from '../src';
import { makeTempDir, removeTempDir } from '@market-data/testing';
import { insertTicks, tradeIds } from './support';

@injectable()
class TradeIdReader {
  constructor(@inject(CONNECTION_POOL) private readonly pool: ConnectionPool) {}

  read(pair: string): Promise<string[]> {
    return this.pool.withConnection(pair, (conn) => tradeIds(conn));
  }
}

describe('registerPool (tsyringe child container, real DuckDB files)', () => {
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

  it('registers one instance under CONNECTION_POOL in the given container only', async () => {
    const child = container.createChildContainer();
    pool = registerPool(child, { baseDir: dir, maxConnections: 5 });

    expect(child.resolve<ConnectionPool>(CONNECTION_POOL)).toBe(pool);
    expect(child.resolve<ConnectionPool>(CONNECTION_POOL)).toBe(pool);
    expect(container.isRegistered(CONNECTION_POOL)).toBe(false);
    expect(CONNECTION_POOL).toBe(Symbol.for('market-data.ConnectionPoolManager'));

    await pool.withConnection('binance:spot:BTCUSDT', (conn) => insertTicks(conn, 'T', 2));
    const reader = child.resolve(TradeIdReader);
    expect(await reader.read('binance:spot:BTCUSDT')).toEqual(['T-0', 'T-1']);
    expect(pool.getPoolStats()).toMatchObject({ poolSize: 1, hits: 1, misses: 1, maxConnections: 5 });
  });

  it('gives separate child containers separate pools', async () => {
    const a = container.createChildContainer();
    const b = container.createChildContainer();
    pool = registerPool(a, { baseDir: dir });
    const other = registerPool(b, { baseDir: dir });
    expect(b.resolve(CONNECTION_POOL)).toBe(other);
    expect(a.resolve(CONNECTION_POOL)).not.toBe(other);
    await other.closeAll();
  });
});
