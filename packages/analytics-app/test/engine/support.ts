import type { DuckDBConnection } from '@duckdb/node-api';
import { appendTicks, executeQuery, openPairDatabase, pairKey, type PairDatabase, type Row, type Tick } from '@market-data/storage-core';
import type { Logger } from '@market-data/runtime';
import { makeTempDir, removeTempDir, TempDirs } from '@market-data/testing';
import { STORE_OPTIONS } from '../../src/engine';

/** A logger that drops everything, for runners under test. */
export const SILENT_LOGGER: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => SILENT_LOGGER };

export const PAIR = pairKey('binance', 'um', 'TESTUSDT');
export const MINUTE = 60_000;
/** 2024-01-01 12:00 UTC: minute m of a fixture opens at T0 + m minutes. */
export const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

export function at(minute: number, seconds = 0): number {
  return T0 + minute * MINUTE + seconds * 1000;
}

export function iso(minute: number, seconds = 0): string {
  return new Date(at(minute, seconds)).toISOString();
}

/** A fresh analytics file per test in a temp dir, closed and removed afterwards. */
export function useAnalyticsDb(): { readonly conn: DuckDBConnection; readonly dir: string; reopen(): Promise<void> } {
  let dir = '';
  let db: PairDatabase | undefined;
  beforeEach(async () => {
    dir = makeTempDir('analytics-engine-');
    db = await openPairDatabase(dir, PAIR, { role: 'analytics' });
  });
  afterEach(() => {
    try {
      db?.close();
    } finally {
      db = undefined;
      removeTempDir(dir);
    }
  });
  return {
    get conn(): DuckDBConnection {
      if (!db) throw new Error('no open database');
      return db.connection;
    },
    get dir(): string {
      return dir;
    },
    // A restart: close the file and open it again, as a new process would.
    async reopen(): Promise<void> {
      db?.close();
      db = await openPairDatabase(dir, PAIR, { role: 'analytics' });
    },
  };
}

let nextId = 1;

export function tick(ms: number, price: number, volume: number, side: 'BUY' | 'SELL'): Tick {
  return { timestamp: ms, price, volume, side, tradeId: String(nextId++) };
}

/**
 * Four trades making minute `minute`'s candle open/high/low/close (at +1 s, +2 s, +3 s, +4 s),
 * one unit of volume each, taker buys on the way up and sells on the way down.
 */
export function ohlc(minute: number, open: number, high: number, low: number, close: number): Tick[] {
  return [
    tick(at(minute, 1), open, 1, 'BUY'),
    tick(at(minute, 2), high, 1, 'BUY'),
    tick(at(minute, 3), low, 1, 'SELL'),
    tick(at(minute, 4), close, 1, close >= open ? 'BUY' : 'SELL'),
  ];
}

/** What the analytics app does with a batch: append ticks and their candles (idempotent). */
export async function feed(conn: DuckDBConnection, ticks: readonly Tick[]): Promise<void> {
  await appendTicks(conn, ticks, STORE_OPTIONS);
}

export async function rows(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  return executeQuery(conn, sql);
}

/** Every analytics table in a canonical order, timestamps as ISO text: for whole-table comparisons. */
export async function analyticsTables(conn: DuckDBConnection): Promise<Record<string, unknown[]>> {
  const plain = (list: Row[]): unknown[] =>
    list.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])));
  return {
    order_flow: plain(await rows(conn, 'SELECT * FROM order_flow ORDER BY timestamp')),
    market_profile: plain(await rows(conn, 'SELECT * FROM market_profile ORDER BY timestamp, window_minutes')),
    fair_value_gaps: plain(await rows(conn, 'SELECT * FROM fair_value_gaps ORDER BY id')),
    supply_demand_zones: plain(await rows(conn, 'SELECT * FROM supply_demand_zones ORDER BY id')),
    candles_1m: plain(await rows(conn, 'SELECT * FROM candles_1m ORDER BY timestamp')),
    candles_5m: plain(await rows(conn, 'SELECT * FROM candles_5m ORDER BY timestamp')),
    candles_15m: plain(await rows(conn, 'SELECT * FROM candles_15m ORDER BY timestamp')),
    price_minutes: plain(await rows(conn, 'SELECT * FROM price_minutes ORDER BY timestamp, price')),
  };
}

/**
 * Analytics files a test opens (each in a temp dir of its own unless given one), closed and their
 * dirs removed after each test, jest mocks restored first.
 */
export function useAnalyticsFiles(prefix: string): { open(dir?: string): Promise<PairDatabase>; close(db: PairDatabase): void; dir(): string } {
  const dirs = new TempDirs(prefix);
  const opened: PairDatabase[] = [];
  afterEach(() => {
    jest.restoreAllMocks();
    try {
      for (const db of opened.splice(0)) db.close();
    } finally {
      dirs.removeAll();
    }
  });
  return {
    async open(dir = dirs.make()): Promise<PairDatabase> {
      const db = await openPairDatabase(dir, PAIR, { role: 'analytics' });
      opened.push(db);
      return db;
    },
    close(db: PairDatabase): void {
      opened.splice(opened.indexOf(db), 1);
      db.close();
    },
    dir: () => dirs.make(),
  };
}
