import { cleanupOldData, flushCandles, openPairDatabase, type PairDatabase, type Tick } from '@market-data/storage-core';
import { runAnalyticsPass, type AnalyticsOptions } from '../../src/engine';
import { analyticsTables, at, feed, PAIR, rows } from './support';
import { lcg as random, TempDirs } from '@market-data/testing';


/**
 * An hour of trades: quiet minutes, noisy ones and occasional displacement minutes (which leave
 * fair value gaps and zones behind), 20-60 trades a minute, some sharing a timestamp.
 */
function market(minutes: number): Tick[] {
  const rand = random(42);
  const ticks: Tick[] = [];
  let price = 100;
  let id = 1;
  for (let m = 0; m < minutes; m++) {
    const kind = rand();
    const drift = kind < 0.15 ? (rand() < 0.5 ? -1 : 1) * (2 + 3 * rand()) : 0;
    const noise = kind < 0.15 ? 0.3 : kind < 0.5 ? 0.04 : 0.2;
    const n = 20 + Math.floor(rand() * 40);
    let last = at(m);
    for (let k = 0; k < n; k++) {
      const time = k % 9 === 5 ? last : at(m) + Math.floor((k * 60_000) / n);
      last = time;
      price = Math.max(1, Math.round((price + drift / n + (rand() - 0.5) * noise) * 100) / 100);
      ticks.push({ timestamp: time, price, volume: Math.round(rand() * 1000) / 1000, side: rand() < 0.5 ? 'BUY' : 'SELL', tradeId: String(id++) });
    }
  }
  return ticks;
}

const OPTIONS: AnalyticsOptions = { fvgMinGapPct: 0.0005 };

// Bit-identical volume sums need the same summation order in every run: ticks sharing a timestamp
// must be stored in trade order (storage-core appendTicks), since DuckDB sums doubles in scan order.
describe('the tables depend only on the stored trades', () => {
  const dirs = new TempDirs('analytics-determinism-');
  const open: PairDatabase[] = [];
  async function fresh(): Promise<PairDatabase> {
    const dir = dirs.make();
    const db = await openPairDatabase(dir, PAIR, { role: 'analytics' });
    open.push(db);
    return db;
  }
  afterEach(() => {
    try {
      for (const db of open.splice(0)) db.close();
    } finally {
      dirs.removeAll();
    }
  });

  it('gives identical tables whatever the batch boundaries, replays, restarts and pass timing', async () => {
    const ticks = market(60);

    // A: everything in one batch, one pass, then retention once.
    const a = await fresh();
    await feed(a.connection, ticks);
    await runAnalyticsPass(a.connection, OPTIONS);
    // The open candles live in the connection's candle book; a stop writes them.
    await flushCandles(a.connection);
    await cleanupOldData(a.connection);
    const expected = await analyticsTables(a.connection);
    // The fixture exercises every table.
    expect(expected.order_flow.length).toBeGreaterThan(10);
    expect(expected.fair_value_gaps.length).toBeGreaterThan(0);
    expect(expected.supply_demand_zones.length).toBeGreaterThan(0);

    // B: random batches, passes with retention after a random third of them, a restart half-way.
    let b = await fresh();
    const rand = random(7);
    let restarted = false;
    for (let i = 0; i < ticks.length; ) {
      const size = 1 + Math.floor(rand() * 300);
      await feed(b.connection, ticks.slice(i, i + size));
      i += size;
      if (rand() < 0.33) await runAnalyticsPass(b.connection, { ...OPTIONS, cleanup: true });
      if (!restarted && i > ticks.length / 2) {
        restarted = true;
        const dir = b.path.split('/binance/')[0];
        b.close();
        b = await openPairDatabase(dir, PAIR, { role: 'analytics' });
        open.push(b);
      }
    }
    await runAnalyticsPass(b.connection, { ...OPTIONS, cleanup: true });
    await flushCandles(b.connection);
    expect(await analyticsTables(b.connection)).toEqual(expected);

    // C: fixed batches that each replay the previous batch's last 50 trades (a reconnect overlap),
    // a pass after every batch, retention only at the end.
    const c = await fresh();
    for (let i = 0; i < ticks.length; i += 997) {
      await feed(c.connection, ticks.slice(Math.max(0, i - 50), i + 997));
      await runAnalyticsPass(c.connection, OPTIONS);
    }
    await runAnalyticsPass(c.connection, OPTIONS);
    await flushCandles(c.connection);
    await cleanupOldData(c.connection);
    expect(await analyticsTables(c.connection)).toEqual(expected);

    // D: as the app's runner passes: the newest tick given (so the connection's kept cursors and
    // gaps serve the pass instead of reads), small batches, retention after a random fifth.
    const d = await fresh();
    const rand2 = random(11);
    for (let i = 0; i < ticks.length; ) {
      const size = 1 + Math.floor(rand2() * 120);
      const batch = ticks.slice(i, i + size);
      await feed(d.connection, batch);
      i += size;
      await runAnalyticsPass(d.connection, { ...OPTIONS, newestTick: batch[batch.length - 1].timestamp as number, cleanup: rand2() < 0.2 });
    }
    await flushCandles(d.connection);
    await cleanupOldData(d.connection);
    expect(await analyticsTables(d.connection)).toEqual(expected);

    // E: the live app's files: a tail of ticks only (tickTail), as the runner passes, and a crash
    // (closed without flushing the open candles) after a random sixth of the batches. Twice: with
    // every minute folded into price_minutes, and with the default fold, which leaves this market's
    // minutes (more than one price per two trades) to their ticks, kept for the profile window.
    const all = await fresh();
    await feed(all.connection, ticks);
    await runAnalyticsPass(all.connection, { ...OPTIONS, foldMaxRowsPerTick: 1 });
    await flushCandles(all.connection);
    await cleanupOldData(all.connection);
    const expectedAllFolded = await analyticsTables(all.connection);
    const minutesOf = (tables: Record<string, unknown[]>): number => new Set(tables.price_minutes.map((r) => String((r as { timestamp: unknown }).timestamp))).size;
    // Retention keeps 15 minutes of price_minutes.
    expect(minutesOf(expectedAllFolded)).toBeGreaterThan(12);
    expect(minutesOf(expected)).toBeLessThan(minutesOf(expectedAllFolded) / 2);
    for (const { fold, want, maxTicks } of [
      // A few minutes of the fixture's 20-60 trades a minute, against the whole hour's 2,400.
      { fold: 1, want: expectedAllFolded, maxTicks: 600 },
      // The 15-minute profile window and the tail.
      { fold: undefined, want: expected, maxTicks: 1_300 },
    ]) {
      let e = await fresh();
      const rand3 = random(13);
      let crashes = 0;
      let mostTicks = 0;
      for (let i = 0; i < ticks.length; ) {
        const size = 1 + Math.floor(rand3() * 60);
        const batch = ticks.slice(i, i + size);
        await feed(e.connection, batch);
        i += size;
        await runAnalyticsPass(e.connection, { ...OPTIONS, newestTick: batch[batch.length - 1].timestamp as number, tickTail: true, cleanup: rand3() < 0.2, foldMaxRowsPerTick: fold });
        const [held] = await rows(e.connection, 'SELECT count(*) AS n FROM ticks');
        mostTicks = Math.max(mostTicks, Number(held.n));
        if (rand3() < 0.15) {
          const dir = e.path.split('/binance/')[0];
          e.close();
          e = await openPairDatabase(dir, PAIR, { role: 'analytics' });
          open.push(e);
          crashes++;
        }
      }
      await flushCandles(e.connection);
      await cleanupOldData(e.connection);
      expect(crashes).toBeGreaterThan(3);
      // The tail is cut by the passes with retention (a fifth of them here).
      expect(mostTicks).toBeLessThan(maxTicks);
      expect(mostTicks).toBeGreaterThan(100);
      expect(await analyticsTables(e.connection)).toEqual(want);
    }
  });
});
