import { tradeOf, type TickRow, type Trade } from '@market-data/client';
import { pairId, type PairDatabase } from '@market-data/storage-core';
import { mulberry32 as random } from '@market-data/testing';
import type { DuckDBConnection } from '@duckdb/node-api';
import { AnalyticsMetrics } from '../../src/core/analytics-metrics';
import { AnalyticsRunner } from '../../src/core/analytics-runner';
import { analyticsTables, MINUTE, PAIR, rows, SILENT_LOGGER, T0, useAnalyticsFiles } from './support';

/** 20 minutes of 20 to 50 trades each around a drifting price, in batches of 1 to 40 as the ingester sends them. */
function batches(seed: number): Trade[][] {
  const rand = random(seed);
  const ticks: TickRow[] = [];
  let price = 100;
  let id = 5_000;
  for (let m = 0; m < 20; m++) {
    const n = 20 + Math.floor(rand() * 30);
    for (let k = 0; k < n; k++) {
      price = Math.max(1, Math.round((price + (rand() - 0.48) * 0.4) * 100) / 100);
      ticks.push([T0 + m * MINUTE + ((k + rand()) * 60_000) / n, price, Number((rand() * 2).toFixed(3)), rand() < 0.5 ? 'BUY' : 'SELL', String(id++)]);
    }
  }
  const out: Trade[][] = [];
  for (let i = 0; i < ticks.length; ) {
    const size = 1 + Math.floor(rand() * 40);
    out.push(ticks.slice(i, i + size).map(tradeOf));
    i += size;
  }
  return out;
}

const ID = pairId(PAIR);

describe('a batch that opens a minute is stored and passed in one transaction', () => {
  const files = useAnalyticsFiles('analytics-store-and-pass-');
  const fresh = (dir?: string): Promise<PairDatabase> => files.open(dir);
  function runner(db: PairDatabase, storeWithPass: boolean, metrics = new AnalyticsMetrics(), live = false): AnalyticsRunner {
    // live: the app's live files (a tick tail, retention after every pass: its candle flush and tail cut run in the pass).
    const tail = live ? { retentionIntervalMs: 1 } : {};
    return new AnalyticsRunner(
      { withConnection: (_pair, fn) => fn(db.connection), metrics, logger: SILENT_LOGGER },
      { engine: { fvgMinGapPct: 0.0005, tickTail: live }, storeWithPass, ...tail },
    );
  }
  function statements(conn: DuckDBConnection, sql: string): () => number {
    const run = jest.spyOn(conn, 'run');
    return () => run.mock.calls.filter(([text]) => text === sql).length;
  }
  const commits = (conn: DuckDBConnection): (() => number) => statements(conn, 'COMMIT');
  it('writes the same tables as storing and passing apart, with one commit per boundary instead of two', async () => {
    const input = batches(1);
    const apart = await fresh();
    const apartCommits = commits(apart.connection);
    const a = runner(apart, false);
    for (const batch of input) await a.apply(ID, batch);
    const together = await fresh();
    const togetherCommits = commits(together.connection);
    const togetherRollbacks = statements(together.connection, 'ROLLBACK');
    const t = runner(together, true);
    for (const batch of input) await t.apply(ID, batch);

    const expected = await analyticsTables(apart.connection);
    expect(expected.order_flow.length).toBe(19);
    expect(await analyticsTables(together.connection)).toEqual(expected);
    // Apart, the boundary batch's store (it writes the closed candle) and its pass commit one after
    // the other; together, once. The batches inside a minute commit alike both ways (the runner's
    // stores use an awaited COMMIT), so together saves one commit per boundary.
    expect(togetherCommits()).toBeGreaterThanOrEqual(18);
    expect(apartCommits() - togetherCommits()).toBeGreaterThanOrEqual(18);
    expect(togetherRollbacks()).toBe(0);
  });

  it('keeps a live file\'s candle flush and tick-tail cut in the same transaction, never falling back', async () => {
    const input = batches(4);
    const apart = await fresh();
    const a = runner(apart, false, new AnalyticsMetrics(), true);
    for (const batch of input) await a.apply(ID, batch);
    const together = await fresh();
    const rollbacks = statements(together.connection, 'ROLLBACK');
    const t = runner(together, true, new AnalyticsMetrics(), true);
    for (const batch of input) await t.apply(ID, batch);
    const expected = await analyticsTables(apart.connection);
    // Retention kept the last 15 minutes of the 19 closed.
    expect(expected.order_flow.length).toBe(14);
    expect(await analyticsTables(together.connection)).toEqual(expected);
    // A rolled-back store and pass (then stored and passed apart) would show as a ROLLBACK.
    expect(rollbacks()).toBe(0);
    const tail = async (db: PairDatabase): Promise<unknown> => rows(db.connection, 'SELECT count(*)::INTEGER AS n, min(trade_id) AS first FROM ticks');
    expect(await tail(together)).toEqual(await tail(apart));
  });

  it('rolls the store back with a failing pass, then stores the batch alone and reports the pass, losing nothing', async () => {
    const input = batches(2);
    const clean = await fresh();
    const c = runner(clean, true);
    for (const batch of input) await c.apply(ID, batch);
    const expected = await analyticsTables(clean.connection);

    // A process that stored the first half, then a restart over a cursor someone broke.
    const dir = files.dir();
    const first = await fresh(dir);
    const half = Math.floor(input.length / 2);
    const early = runner(first, true);
    for (const batch of input.slice(0, half)) await early.apply(ID, batch);
    const [cursor] = await rows(first.connection, "SELECT value FROM cursors WHERE name = 'analytics.1m'");
    await first.connection.run("UPDATE cursors SET value = 'not json' WHERE name = 'analytics.1m'");
    files.close(first);
    const restarted = await fresh(dir);
    const metrics = new AnalyticsMetrics();
    const late = runner(restarted, true, metrics);
    // The restart's first batch is merged (no pass yet this process) and fails in the pass.
    await late.apply(ID, input[half]);
    expect(late.failing()[ID]).toMatch(/corrupt cursor/);
    expect((await metrics.passFailures.get()).values[0]?.value).toBe(1);
    // Its trades were stored all the same, once each.
    const ids = input[half].map((t) => t.tradeId);
    const [stored] = await rows(restarted.connection, `SELECT count(*)::INTEGER AS n, count(DISTINCT trade_id)::INTEGER AS d FROM ticks WHERE trade_id IN (${ids.map((id) => `'${id}'`).join(', ')})`);
    expect(stored).toEqual({ n: ids.length, d: ids.length });

    // Repaired, the rest of the feed ends in the tables of a run that never failed.
    await restarted.connection.run('UPDATE cursors SET value = $1 WHERE name = $2', [String(cursor.value), 'analytics.1m']);
    for (const batch of input.slice(half + 1)) await late.apply(ID, batch);
    expect(await analyticsTables(restarted.connection)).toEqual(expected);
    expect(late.failing()).toEqual({});
    const [all] = await rows(restarted.connection, 'SELECT count(*)::INTEGER AS n, count(DISTINCT trade_id)::INTEGER AS d FROM ticks');
    expect(all.n).toBe(all.d);
  });

  it('keeps a boundary whose retention fails after the commit: its ticks counted, the pair reported failing until a retention succeeds', async () => {
    const input = batches(5);
    const clean = await fresh();
    const c = runner(clean, true, new AnalyticsMetrics(), true);
    for (const batch of input) await c.apply(ID, batch);
    const expected = await analyticsTables(clean.connection);

    const db = await fresh();
    const metrics = new AnalyticsMetrics();
    const r = runner(db, true, metrics, true);
    const minuteOf = (batch: readonly Trade[]): number => Math.floor((batch[batch.length - 1].timestamp - T0) / MINUTE);
    let pinned = false;
    let failedWhilePinned: string | undefined;
    for (const batch of input) {
      const minute = minuteOf(batch);
      if (minute === 3 && !pinned) {
        // A real constraint, not a fault hook: another table referencing the first candle makes
        // retention's DELETE of candles past 15 minutes fail (the passes' own writes do not).
        await db.connection.run('CREATE TABLE pin (t TIMESTAMP REFERENCES candles_1m (timestamp))');
        await db.connection.run('INSERT INTO pin SELECT min(timestamp) FROM candles_1m');
        pinned = true;
      }
      if (minute === 19 && pinned) {
        failedWhilePinned = r.failing()[ID];
        await db.connection.run('DROP TABLE pin');
        pinned = false;
      }
      await r.apply(ID, batch);
    }
    expect(failedWhilePinned).toMatch(/^retention after the pass failed: .*foreign key/i);
    expect((await metrics.retentionFailures.get()).values[0]?.value).toBeGreaterThanOrEqual(2);
    // The passes went on: no pass failed, and every tick was counted once.
    expect((await metrics.passFailures.get()).values).toEqual([]);
    expect((await metrics.ticksApplied.get()).values[0]?.value).toBe(input.flat().length);
    // The first retention after the pin was dropped deleted what the failed ones had left, and the pair recovered.
    expect(r.failing()).toEqual({});
    expect(await analyticsTables(db.connection)).toEqual(expected);
  });

  it('refuses a batch with a bad trade whole, as a store alone does', async () => {
    const input = batches(3);
    const db = await fresh();
    const r = runner(db, true);
    for (const batch of input.slice(0, 10)) await r.apply(ID, batch);
    const before = await analyticsTables(db.connection);
    const [{ n }] = await rows(db.connection, 'SELECT count(*)::INTEGER AS n FROM ticks');
    const next = input[10];
    const bad = { ...next[next.length - 1], timestamp: T0 + 30 * MINUTE, price: -1 };
    await expect(r.apply(ID, [...next.slice(0, -1), bad])).rejects.toMatchObject({ code: 'INVALID_TICK' });
    expect(await rows(db.connection, 'SELECT count(*)::INTEGER AS n FROM ticks')).toEqual([{ n }]);
    expect(await analyticsTables(db.connection)).toEqual(before);
    // The writer the rollback released starts again from the file.
    for (const batch of input.slice(10)) await r.apply(ID, batch);
    const clean = await fresh();
    const c = runner(clean, true);
    for (const batch of input) await c.apply(ID, batch);
    expect(await analyticsTables(db.connection)).toEqual(await analyticsTables(clean.connection));
  });
});
