'use strict';
// The seed's example usage, run against the installed tarballs. The caller hands in the three
// packages' exports (from `require` or from `import`), so the CommonJS and the ESM consumer run
// exactly the same steps and print comparable JSON.

const BASE = Date.UTC(2024, 0, 1);
// Seed check (DESIGN.md section 4): buys 10+15+20, sells 5+3 -> CVD 37, imbalance 45/8 = 5.625.
const TICKS = [
  { timestamp: BASE + 1000, price: 50000, volume: 10, side: 'BUY', tradeId: 1 },
  { timestamp: BASE + 2000, price: 50001, volume: 5, side: 'SELL', tradeId: 2 },
  { timestamp: BASE + 3000, price: 50002, volume: 15, side: 'BUY', tradeId: 3 },
  { timestamp: BASE + 4000, price: 50001, volume: 3, side: 'SELL', tradeId: 4 },
  { timestamp: BASE + 5000, price: 50003, volume: 20, side: 'BUY', tradeId: 5 },
];

function errorInfo(fn, ErrorClass) {
  try {
    fn();
    return null;
  } catch (error) {
    return { name: error.name, code: error.code, instanceOf: error instanceof ErrorClass };
  }
}

async function runSeedScenario(lib, dataDir) {
  const out = {};
  const db = new lib.DatabaseManager({ baseDir: dataDir });
  try {
    const conn = await db.getConnection('binance', 'spot', 'BTCUSDT');
    // The seed's own statement runs unchanged against the packaged schema.
    await conn.run("INSERT INTO ticks VALUES (NOW(), 50000.0, 1.5, 'BUY', '12345')");
    out.append = await lib.appendTicks(conn, TICKS);
    out.appendAgain = await lib.appendTicks(conn, TICKS);
    // A window ending at the last seed tick leaves the NOW() row out; the default window (the
    // pair's data clock, i.e. the newest tick) holds only that row.
    const window = { endTime: BASE + 10_000, lookbackMinutes: 15 };
    out.cvd = (await lib.executeQuery(conn, lib.calculateCvdQuery(window)))[0];
    out.imbalance = (await lib.executeQuery(conn, lib.calculateOrderFlowImbalanceQuery(window)))[0];
    out.latestCvd = (await lib.executeQuery(conn, lib.calculateCvdQuery()))[0].cvd;
    out.tickCount = (await lib.executeQuery(conn, 'SELECT count(*) AS n FROM ticks'))[0].n;
  } finally {
    await db.closeAll();
  }

  const pool = new lib.ConnectionPoolManager({ baseDir: dataDir, maxConnections: 1 });
  try {
    const eth = await pool.acquire('binance', 'spot', 'ETHUSDT');
    try {
      out.poolAppend = await lib.appendTicks(eth, TICKS);
      // One storage-core copy serves both packages: the pool's open is visible to the consumer's import.
      out.ethOpen = lib.isPairDatabaseOpen(lib.pairDatabasePath(dataDir, lib.pairKey('binance', 'spot', 'ETHUSDT')));
    } finally {
      pool.release(eth);
    }
    out.poolCvd = await pool.withConnection('binance:spot:ETHUSDT', async (conn) => {
      const rows = await lib.executeQuery(conn, lib.calculateCvdQuery());
      return rows[0].cvd;
    });
    const futures = await pool.acquire(lib.pairKey('binance', 'futures', 'BTCUSDT'));
    pool.release(futures);
    out.poolStats = pool.getPoolStats();
  } finally {
    await pool.closeAll();
  }

  out.errors = {
    pair: errorInfo(() => lib.pairKey('..', 'spot', 'BTCUSDT'), lib.InvalidPairError),
    query: errorInfo(() => lib.calculateCvdQuery({ lookbackMinutes: -1 }), lib.QueryError),
    pool: errorInfo(() => new lib.ConnectionPoolManager({ baseDir: dataDir, maxConnections: 0 }), lib.PoolError),
  };
  return out;
}

module.exports = { runSeedScenario };
