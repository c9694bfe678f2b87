import { tradeOf, type TickRow, type Trade } from '@market-data/client';
import { appendTicks, pairId, type PairDatabase } from '@market-data/storage-core';
import { AnalyticsMetrics } from '../../src/core/analytics-metrics';
import { AnalyticsRunner } from '../../src/core/analytics-runner';
import { ROW_SIZE_DIVISOR, runAnalyticsPass, STORE_OPTIONS, type AnalyticsOptions } from '../../src/engine';
import { ProfileMemory } from '../../src/engine/profile-memory';
import { StoredTickMinutes } from '../../src/engine/stored-tick-minutes';
import { analyticsTables, MINUTE, PAIR, SILENT_LOGGER, T0, useAnalyticsFiles } from './support';
import { mulberry32 as random } from '@market-data/testing';

/**
 * Live-like trades: 40 to 160 a minute with sub-millisecond times (some shared, some a fraction of
 * a microsecond off a minute's edge), exchange-like volumes (zero now and then), and a price that
 * climbs across 353.55 (sqrt(0.05 x 0.1) x ROW_SIZE_DIVISOR) in its first minutes, where niceRowSize
 * switches from 0.05 to 0.1: windows then need minutes at a row size other than the one they were
 * first built at. Prices on a grid of `cents` hundredths: 1, nearly a price per trade; 50, a few
 * trades per price, as on a real book.
 */
function market(minutes: number, cents = 1): Trade[] {
  const rand = random(99);
  const out: TickRow[] = [];
  let price = Math.round(Math.sqrt(0.05 * 0.1) * ROW_SIZE_DIVISOR * 100) / 100 - 24;
  let id = 1_000;
  for (let m = 0; m < minutes; m++) {
    const n = 40 + Math.floor(rand() * 120);
    const drift = m < minutes / 2 ? 0.08 : -0.08;
    for (let k = 0; k < n; k++) {
      const edge = k === 0 ? 0.0004 : k === n - 1 ? 60_000 - 0.0004 : ((k + rand()) * 60_000) / n;
      const time = k % 7 === 3 ? (out[out.length - 1]?.[0] ?? T0) : T0 + m * MINUTE + edge;
      price = Math.max(1, (Math.round(((price + drift + (rand() - 0.5) * 0.6) * 100) / cents) * cents) / 100);
      const volume = k % 29 === 0 ? 0 : Number((rand() * 3).toFixed(Math.floor(rand() * 8)));
      out.push([time, price, volume, rand() < 0.5 ? 'BUY' : 'SELL', String(id++)]);
    }
  }
  return out.map(tradeOf);
}

/** Small batches of random size (1 to 60 trades), as the ingester's commits arrive. */
function batches(ticks: readonly Trade[], seed: number): Trade[][] {
  const rand = random(seed);
  const out: Trade[][] = [];
  for (let i = 0; i < ticks.length; ) {
    const size = 1 + Math.floor(rand() * 60);
    out.push(ticks.slice(i, i + size));
    i += size;
  }
  return out;
}

const OPTIONS: AnalyticsOptions = { fvgMinGapPct: 0.0005 };

describe('profiles built from the ticks the runner stored', () => {
  const files = useAnalyticsFiles('analytics-stored-ticks-');
  const fresh = (): Promise<PairDatabase> => files.open();
  function runner(db: PairDatabase): AnalyticsRunner {
    return new AnalyticsRunner({ withConnection: (_pair, fn) => fn(db.connection), metrics: new AnalyticsMetrics(), logger: SILENT_LOGGER }, { engine: OPTIONS });
  }

  // price_minutes comes from the handed-over ticks too, unless a minute has nearly a price per
  // trade (then it is not folded at all: its ticks serve): both ways must give the SQL's tables.
  it.each([
    { grid: 'a price per trade', cents: 1, memoryFolds: false },
    { grid: 'a few trades per price', cents: 50, memoryFolds: true },
  ])('gives the same tables as the SQL read, row for row, and never double-counts an overlap ($grid)', async ({ cents, memoryFolds }) => {
    const ticks = market(45, cents);
    const id = pairId(PAIR);
    const reads = jest.spyOn(ProfileMemory.prototype, 'store');
    const built = jest.spyOn(ProfileMemory.prototype, 'put');

    // Without the JS minutes: what the runner does (append, pass with newestTick when a minute
    // turned), but nothing handed to the engine, so every new minute is read by SQL.
    const sql = await fresh();
    let newest = 0;
    let passedMinute = -1;
    for (const batch of batches(ticks, 1)) {
      const result = await appendTicks(sql.connection, batch, STORE_OPTIONS);
      newest = Math.max(newest, result.maxTimestamp ?? 0);
      if (Math.floor(newest / MINUTE) > passedMinute) {
        await runAnalyticsPass(sql.connection, { ...OPTIONS, newestTick: newest });
        passedMinute = Math.floor(newest / MINUTE);
      }
    }
    const expected = await analyticsTables(sql.connection);
    expect(expected.market_profile.length).toBeGreaterThan(40);
    // The fixture switches row size, so windows mix minutes first built at the other size.
    expect(new Set(expected.market_profile.map((row) => (row as { row_size: number }).row_size)).size).toBe(2);
    // Only minutes without trades (before the first) are taken without a read.
    expect(built.mock.calls.every(([, , minute]) => minute.trades === 0)).toBe(true);

    // With them: the real runner, the same batches.
    reads.mockClear();
    built.mockClear();
    const folds = jest.spyOn(StoredTickMinutes.prototype, 'priceRows');
    const live = await fresh();
    const a = runner(live);
    for (const batch of batches(ticks, 1)) await a.apply(id, batch);
    expect(await analyticsTables(live.connection)).toEqual(expected);
    const fromMemory = folds.mock.results.filter((r) => r.value !== undefined && r.value.length > 0).length;
    if (memoryFolds) expect(fromMemory).toBeGreaterThan(40);
    else expect(fromMemory).toBe(0);
    // Only the first pass (no minute handed over before it had a cursor) and the row-size
    // switch's windows (minutes the JS copy had forgotten or never had) need SQL.
    const liveReads = reads.mock.calls.length;
    expect(liveReads).toBeLessThan(5);
    expect(built.mock.calls.filter(([, , minute]) => minute.trades > 0).length).toBeGreaterThan(40);
    // Per-price copies are kept only for minutes not passed yet (the newest one), not for the
    // whole 15-minute window: on a market with a price per trade they were most of the heap.
    expect(StoredTickMinutes.of(live.connection).heldMinutes).toBe(1);

    // With overlaps: every batch replays up to 5 trades of the one before it (only partly new: its
    // minutes fall back to SQL), now and then a batch of duplicates only (nothing new: harmless),
    // and different batch boundaries.
    reads.mockClear();
    const overlap = await fresh();
    const c = runner(overlap);
    const rand = random(3);
    let previous: Trade[] = [];
    for (const batch of batches(ticks, 2)) {
      const replay = previous.slice(previous.length - Math.floor(rand() * 6));
      await c.apply(id, [...replay, ...batch]);
      if (rand() < 0.1) await c.apply(id, batch);
      previous = batch;
    }
    expect(await analyticsTables(overlap.connection)).toEqual(expected);
    expect(reads.mock.calls.length).toBeGreaterThan(liveReads);

    // A restart mid-minute: the previous process stored the minute's first 5 trades (never handed
    // over); the new runner gets 10 new trades, then a batch replaying 5 of them with 10 more. Its
    // count alone (5 + 10 + 10 = the 25 handed over if the replay were folded) would match the
    // candle's 25 with a trade counted twice and one missing: the partly new batch must not fold.
    const before = await fresh();
    const first = ticks.findIndex((t) => t.timestamp >= T0 + 20 * MINUTE) + 5;
    expect(ticks[first + 20].timestamp).toBeLessThan(T0 + 21 * MINUTE);
    const old = runner(before);
    for (const batch of batches(ticks.slice(0, first), 4)) await old.apply(id, batch);
    files.close(before);
    const restarted = await files.open(before.path.split('/binance/')[0]);
    const d = runner(restarted);
    await d.apply(id, ticks.slice(first, first + 10));
    await d.apply(id, ticks.slice(first + 5, first + 20));
    for (const batch of batches(ticks.slice(first + 20), 5)) await d.apply(id, batch);
    expect(await analyticsTables(restarted.connection)).toEqual(expected);
  });
});
