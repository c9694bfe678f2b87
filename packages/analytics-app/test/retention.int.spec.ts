import { tradeOf, type TickRow } from '@market-data/client';
import { flushCandles, openPairDatabase, pairId, type PairDatabase } from '@market-data/storage-core';
import { AnalyticsMetrics } from '../src/core/analytics-metrics';
import { AnalyticsRunner } from '../src/core/analytics-runner';
import { TempDirs } from '@market-data/testing';
import { analyticsTables, MINUTE, PAIR, rows, SILENT_LOGGER, T0 } from './engine/support';

/**
 * 40 minutes: 15 climbing a step a minute (each minute trades in a narrow band, so bullish gaps
 * open between non-adjacent candles), 15 falling back through them (filling them), 10 flat.
 */
function market(): TickRow[][] {
  const batches: TickRow[][] = [];
  let id = 1;
  for (let m = 0; m < 40; m++) {
    const level = m < 15 ? 100 + m : m < 30 ? 115 - (m - 15) : 100;
    const minute: TickRow[] = [];
    for (let k = 0; k < 20; k++) {
      minute.push([T0 + m * MINUTE + k * 2_900 + 7, level + ((k * 7) % 5) * 0.04, 1 + (k % 3), k % 2 ? 'BUY' : 'SELL', String(id++)]);
    }
    for (let b = 0; b < 20; b += 5) batches.push(minute.slice(b, b + 5));
  }
  return batches;
}

describe('retention in the live analytics app (AnalyticsRunner retentionIntervalMs)', () => {
  const dirs = new TempDirs('analytics-retention-');
  const open: PairDatabase[] = [];
  afterEach(() => {
    try {
      for (const db of open.splice(0)) db.close();
    } finally {
      dirs.removeAll();
    }
  });

  async function run(retentionIntervalMs: number): Promise<PairDatabase> {
    const dir = dirs.make();
    const db = await openPairDatabase(dir, PAIR, { role: 'analytics' });
    open.push(db);
    const runner = new AnalyticsRunner(
      { withConnection: (_pair, fn) => fn(db.connection), metrics: new AnalyticsMetrics(), logger: SILENT_LOGGER },
      { engine: { fvgMinGapPct: 0.001 }, retentionIntervalMs },
    );
    for (const batch of market()) {
      await runner.apply(pairId(PAIR), batch.map(tradeOf));
      // Let the interval elapse between passes.
      if (retentionIntervalMs > 0) await new Promise((r) => setTimeout(r, retentionIntervalMs));
    }
    // As a stop does: the open candle's row may trail by up to CANDLE_FLUSH_MS (on each book's
    // random wall-clock phase), which made the two runs' newest candle differ now and then.
    await flushCandles(db.connection);
    return db;
  }

  it('prunes filled gaps and rows past the policy after passes, and leaves every kept row as it was', async () => {
    const all = await analyticsTables((await run(0)).connection);
    const kept = await analyticsTables((await run(2)).connection);
    const status = (list: unknown[]) => list.map((g) => (g as { status: string }).status);

    // Without retention the fixture has filled gaps and 40 minutes of order flow.
    expect(status(all.fair_value_gaps).filter((s) => s === 'filled').length).toBeGreaterThan(3);
    expect(all.order_flow).toHaveLength(39);
    // With it: no filled gap, the unfilled ones exactly as without.
    expect(status(kept.fair_value_gaps)).not.toContain('filled');
    expect(kept.fair_value_gaps).toEqual(all.fair_value_gaps.filter((g) => (g as { status: string }).status !== 'filled'));
    // Order flow, profiles and candles: the newest 15 minutes (DESIGN.md section 3), each row equal.
    for (const table of ['order_flow', 'market_profile', 'candles_1m'] as const) {
      expect(kept[table].length).toBeGreaterThanOrEqual(14);
      expect(kept[table].length).toBeLessThanOrEqual(16);
      expect(kept[table]).toEqual(all[table].slice(all[table].length - kept[table].length));
    }
    expect(kept.supply_demand_zones).toEqual(all.supply_demand_zones);
  });

  it('keeps the newest 15 minutes of ticks, plus what arrived since the last pass', async () => {
    const db = await run(2);
    const [span] = await rows(db.connection, 'SELECT epoch_ms(min(timestamp)) AS lo, epoch_ms(max(timestamp)) AS hi FROM ticks');
    // Retention runs after a pass (when a minute turns), on the clock of that pass.
    expect(Number(span.lo)).toBeGreaterThanOrEqual(T0 + (39 - 15) * MINUTE);
    expect(Number(span.hi) - Number(span.lo)).toBeLessThanOrEqual(16 * MINUTE);
    expect(Number(span.hi)).toBeGreaterThan(T0 + 39 * MINUTE);
  });
});
