import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Tick } from '@market-data/storage-core';
import { runAnalyticsPass } from '../../src/engine';
import { feed, rows, useAnalyticsDb } from './support';
import { REALDATA } from '@market-data/testing';

// Real Binance USD-M trades and Binance's own 1m klines (see shared/realdata/README.md).
const TRADES = 'binance-um-BTCUSDT-trades-2024-08-08T2354.csv';
const KLINES = 'binance-um-BTCUSDT-1m-2024-08-08T2344_2024-08-09T0201.csv';
/** End of the trade recording: the 23:59 candle is complete although its last trade is at 23:59:59.643. */
const RECORDING_END = 1_723_161_601_105;
const FIRST_FULL_MINUTE = Date.UTC(2024, 7, 8, 23, 55);

const db = useAnalyticsDb();

function csv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(resolve(REALDATA, file), 'utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [names[i], value])));
}

function marketTrades(): Tick[] {
  // Klines count MARKET trades only (no insurance-fund / ADL fills); is_buyer_maker true = taker sell.
  return csv(TRADES)
    .filter((t) => t.type === 'MARKET')
    .map((t) => ({
      timestamp: Number(t.time),
      price: Number(t.price),
      volume: Number(t.qty),
      side: t.is_buyer_maker === 'true' ? 'SELL' : 'BUY',
      tradeId: t.trade_id,
    }));
}

describe('real Binance data', () => {
  it("matches Binance's taker buy/sell volume per fully covered minute, with a running CVD", async () => {
    const trades = marketTrades();
    expect(trades.length).toBeGreaterThan(21_000);
    // As the ingester would deliver them: batches of 2,500.
    for (let i = 0; i < trades.length; i += 2500) await feed(db.conn, trades.slice(i, i + 2500));
    const result = await runAnalyticsPass(db.conn, { externalClock: RECORDING_END });
    expect(result.clock?.getTime()).toBe(RECORDING_END);

    const flow = await rows(db.conn, 'SELECT * FROM order_flow ORDER BY timestamp');
    // 23:54 (partially recorded) .. 23:59.
    expect(flow.map((r) => (r.timestamp as Date).toISOString().slice(11, 16))).toEqual(['23:54', '23:55', '23:56', '23:57', '23:58', '23:59']);

    const klines = new Map(csv(KLINES).map((k) => [Number(k.open_time), k]));
    let cvd = 0;
    for (const row of flow) {
      const ms = (row.timestamp as Date).getTime();
      cvd += Number(row.delta);
      expect(row.cvd).toBeCloseTo(cvd, 9);
      expect(row.delta).toBeCloseTo(Number(row.buy_volume) - Number(row.sell_volume), 12);
      expect(row.imbalance_ratio).toBeCloseTo(Number(row.buy_volume) / Number(row.sell_volume), 12);
      if (ms < FIRST_FULL_MINUTE) continue;
      const kline = klines.get(ms);
      if (!kline) throw new Error(`no kline for ${ms}`);
      const buy = Number(kline.taker_buy_volume);
      const sell = Number(kline.volume) - buy;
      expect(Math.abs(Number(row.buy_volume) - buy)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(Number(row.sell_volume) - sell)).toBeLessThanOrEqual(1e-9);
    }

    // Market profile per minute with the default row size for ~61,800 (10); the 23:59 window
    // [23:45, 00:00) holds every recorded trade.
    const profiles = await rows(db.conn, 'SELECT * FROM market_profile ORDER BY timestamp');
    expect(profiles).toHaveLength(6);
    const last = profiles[5];
    expect(last.row_size).toBe(10);
    const total = trades.reduce((sum, t) => sum + t.volume, 0);
    expect(Math.abs(Number(last.total_volume) - total)).toBeLessThanOrEqual(1e-6);
    const prices = trades.map((t) => t.price);
    for (const key of ['poc', 'value_area_low', 'value_area_high'] as const) {
      expect(Number(last[key]) % 10).toBe(0);
      expect(Number(last[key])).toBeGreaterThanOrEqual(Math.min(...prices));
      expect(Number(last[key])).toBeLessThanOrEqual(Math.max(...prices) + 10);
    }
    expect(Number(last.value_area_low)).toBeLessThanOrEqual(Number(last.poc));
    expect(Number(last.value_area_high)).toBeGreaterThanOrEqual(Number(last.poc));
  });
});
