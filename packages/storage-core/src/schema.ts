import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The per-pair schema (DESIGN.md section 3). `ticks` keeps the seed's column order so the seed's
 * `INSERT INTO ticks VALUES (NOW(), 50000.0, 1.5, 'BUY', '12345')` runs unchanged.
 *
 * Time-range scans: DuckDB keeps min/max zone maps per row group, and every writer appends in
 * time order, so `WHERE timestamp BETWEEN ...` skips row groups without an ART index (which would
 * only slow appends). Tables that are upserted by time carry a primary key on it.
 */
export const SCHEMA_VERSION = 4;

interface Migration {
  readonly version: number;
  readonly statements: readonly string[];
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS ticks (
        timestamp TIMESTAMP NOT NULL,
        price DOUBLE NOT NULL CHECK (price > 0),
        volume DOUBLE NOT NULL CHECK (volume >= 0),
        side VARCHAR NOT NULL CHECK (side IN ('BUY', 'SELL')),
        trade_id VARCHAR NOT NULL
      )`,
      ...['1m', '5m', '15m'].map(
        (tf) => `CREATE TABLE IF NOT EXISTS candles_${tf} (
        timestamp TIMESTAMP PRIMARY KEY,
        open DOUBLE NOT NULL,
        high DOUBLE NOT NULL,
        low DOUBLE NOT NULL,
        close DOUBLE NOT NULL,
        volume DOUBLE NOT NULL,
        buy_volume DOUBLE NOT NULL,
        sell_volume DOUBLE NOT NULL,
        trade_count BIGINT NOT NULL
      )`,
      ),
      `CREATE TABLE IF NOT EXISTS order_flow (
        timestamp TIMESTAMP PRIMARY KEY,
        buy_volume DOUBLE NOT NULL,
        sell_volume DOUBLE NOT NULL,
        delta DOUBLE NOT NULL,
        cvd DOUBLE NOT NULL,
        imbalance_ratio DOUBLE
      )`,
      `CREATE TABLE IF NOT EXISTS market_profile (
        timestamp TIMESTAMP NOT NULL,
        window_minutes INTEGER NOT NULL,
        row_size DOUBLE NOT NULL,
        poc DOUBLE,
        value_area_high DOUBLE,
        value_area_low DOUBLE,
        total_volume DOUBLE NOT NULL,
        PRIMARY KEY (timestamp, window_minutes)
      )`,
      `CREATE TABLE IF NOT EXISTS supply_demand_zones (
        id VARCHAR PRIMARY KEY,
        timeframe VARCHAR NOT NULL,
        zone_type VARCHAR NOT NULL CHECK (zone_type IN ('supply', 'demand')),
        price_low DOUBLE NOT NULL,
        price_high DOUBLE NOT NULL,
        strength DOUBLE NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN ('active', 'tested', 'broken')),
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        test_count INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE IF NOT EXISTS fair_value_gaps (
        id VARCHAR PRIMARY KEY,
        timeframe VARCHAR NOT NULL,
        gap_type VARCHAR NOT NULL CHECK (gap_type IN ('bullish', 'bearish')),
        price_low DOUBLE NOT NULL,
        price_high DOUBLE NOT NULL,
        filled_pct DOUBLE NOT NULL DEFAULT 0,
        status VARCHAR NOT NULL CHECK (status IN ('open', 'partial', 'filled')),
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
      )`,
    ],
  },
  {
    // Where a subscriber's or a restart's resume cursor lives: (key) -> last applied position.
    version: 2,
    statements: [
      `CREATE TABLE IF NOT EXISTS cursors (
        name VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL,
        updated_at TIMESTAMP NOT NULL
      )`,
    ],
  },
  {
    // Which trade opened and closed each candle, so a batch can be merged into a candle exactly
    // (a late trade earlier than the stored open replaces it) without re-reading the ticks.
    version: 3,
    statements: ['1m', '5m', '15m'].flatMap((tf) => [
      `ALTER TABLE candles_${tf} ADD COLUMN IF NOT EXISTS open_time TIMESTAMP`,
      `ALTER TABLE candles_${tf} ADD COLUMN IF NOT EXISTS open_trade_id VARCHAR`,
      `ALTER TABLE candles_${tf} ADD COLUMN IF NOT EXISTS close_time TIMESTAMP`,
      `ALTER TABLE candles_${tf} ADD COLUMN IF NOT EXISTS close_trade_id VARCHAR`,
    ]),
  },
  {
    // Per minute and distinct price: the exact volume and trade count of its ticks. A volume
    // profile over whole minutes is a function of these alone, so a file may keep them instead of
    // its ticks (the analytics app's live files keep only a tail of ticks: see price_minutes in
    // the docs). Rows are written a fold (a minute, live) at a time, so zone maps serve time ranges as for ticks.
    version: 4,
    statements: [
      `CREATE TABLE IF NOT EXISTS price_minutes (
        timestamp TIMESTAMP NOT NULL,
        price DOUBLE NOT NULL,
        volume DECIMAL(38,12) NOT NULL,
        trades INTEGER NOT NULL
      )`,
    ],
  },
];

/**
 * Creates every table, migrating an older file forward. Idempotent; returns the version now in
 * force. Every pending migration runs in one transaction with one row per version: all or nothing,
 * and a new file is made in one commit (each further commit that appends to schema_version left a
 * 256 KiB block in the shared instance's memory for every new pair, and cost an fsync).
 */
export async function createAllTables(conn: DuckDBConnection): Promise<number> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const reader = await conn.runAndReadAll('SELECT max(version) AS v FROM schema_version');
    const current = Number(reader.getRowObjectsJS()[0]?.v ?? 0);
    const pending = MIGRATIONS.filter((m) => m.version > current);
    for (const migration of pending) {
      for (const statement of migration.statements) await conn.run(statement);
    }
    if (pending.length > 0) {
      const rows = pending.map((_, i) => `($${i + 1})`).join(', ');
      await conn.run(`INSERT INTO schema_version VALUES ${rows}`, pending.map((m) => m.version));
    }
    await conn.run('COMMIT');
    return Math.max(current, SCHEMA_VERSION);
  } catch (err) {
    await conn.run('ROLLBACK');
    throw err;
  }
}
