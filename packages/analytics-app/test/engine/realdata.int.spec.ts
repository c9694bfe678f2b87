import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Tick } from '@market-data/storage-core';
import { runAnalyticsPass } from '../../src/engine';
import { feed, rows, useAnalyticsDb } from './support';
import { REALDATA } from '@market-data/testing';
import { parseExactVolume, signedExactVolumeToDouble } from '@market-data/queries';

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
  it("matches Binance's taker buy/sell volume per fully covered minute, with an exact delta and running CVD", async () => {
    const trades = marketTrades();
    // The exchange's own arithmetic: its quantity strings summed exactly, per minute and side.
    const exact = new Map<number, { buy: bigint; sell: bigint }>();
    for (const t of csv(TRADES).filter((r) => r.type === 'MARKET')) {
      const minute = Math.floor(Number(t.time) / 60_000) * 60_000;
      const sums = exact.get(minute) ?? { buy: 0n, sell: 0n };
      if (t.is_buyer_maker === 'true') sums.sell += parseExactVolume(t.qty);
      else sums.buy += parseExactVolume(t.qty);
      exact.set(minute, sums);
    }
    expect(trades.length).toBeGreaterThan(21_000);
    // As the ingester would deliver them: batches of 2,500.
    for (let i = 0; i < trades.length; i += 2500) await feed(db.conn, trades.slice(i, i + 2500));
    const result = await runAnalyticsPass(db.conn, { externalClock: RECORDING_END });
    expect(result.clock?.getTime()).toBe(RECORDING_END);

    const flow = await rows(db.conn, 'SELECT * FROM order_flow ORDER BY timestamp');
    // 23:54 (partially recorded) .. 23:59.
    expect(flow.map((r) => (r.timestamp as Date).toISOString().slice(11, 16))).toEqual(['23:54', '23:55', '23:56', '23:57', '23:58', '23:59']);

    const klines = new Map(csv(KLINES).map((k) => [Number(k.open_time), k]));
    let cvd = 0n;
    for (const row of flow) {
      const ms = (row.timestamp as Date).getTime();
      const sums = exact.get(ms);
      if (!sums) throw new Error(`no trades in minute ${ms}`);
      cvd += sums.buy - sums.sell;
      expect(row.delta).toBe(signedExactVolumeToDouble(sums.buy - sums.sell));
      expect(row.cvd).toBe(signedExactVolumeToDouble(cvd));
      expect(row.imbalance_ratio).toBeCloseTo(Number(row.buy_volume) / Number(row.sell_volume), 12);
      if (ms < FIRST_FULL_MINUTE) continue;
      const kline = klines.get(ms);
      if (!kline) throw new Error(`no kline for ${ms}`);
      const buy = Number(kline.taker_buy_volume);
      expect(row.buy_volume).toBe(buy);
      expect(row.sell_volume).toBe(signedExactVolumeToDouble(parseExactVolume(kline.volume) - parseExactVolume(kline.taker_buy_volume)));
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
