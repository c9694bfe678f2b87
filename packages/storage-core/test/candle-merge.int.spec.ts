import { getCandlesWithOpenQuery, upsertCandlesFromTicksQuery, type Timeframe } from '@market-data/queries';
import { appendTicks, closeCandles, executeInsert, executeQuery, flushCandles, openPairDatabase, pairKey, unwrittenCandles, type Tick } from '../src';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();
const T0 = Date.UTC(2024, 7, 8, 23, 50);

/** Deterministic pseudo-random trades over 40 minutes, many sharing a millisecond. */
function trades(n: number): Tick[] {
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => ({
    timestamp: T0 + Math.floor((i * 40 * 60_000) / n),
    price: Math.round((60000 + rnd() * 200) * 10) / 10,
    volume: Math.round(rnd() * 1000) / 1000 + 0.001,
    side: rnd() < 0.5 ? 'BUY' : 'SELL',
    tradeId: String(1_000_000 + i),
  }));
}

function shuffle<T>(items: T[], seed: number): T[] {
  let x = seed;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const CANDLE_SQL = (tf: Timeframe) =>
  `SELECT epoch_ms(timestamp) AS t, open, high, low, close, volume, buy_volume, sell_volume, trade_count,
          epoch_ms(open_time) AS ot, open_trade_id, epoch_ms(close_time) AS ct, close_trade_id
   FROM candles_${tf} ORDER BY t`;

describe('appendTicks with candles', () => {
  it('writes a candle when the next bucket opens, and recovers a trailing open candle from ticks on reopen', async () => {
    const pair = pairKey('t', 'crash', 'X');
    const db = await openPairDatabase(dir.path, pair);
    await appendTicks(db.connection, [{ timestamp: T0 + 1000, price: 10, volume: 1, side: 'BUY', tradeId: '1' }], { candles: true });
    await appendTicks(db.connection, [{ timestamp: T0 + 2000, price: 12, volume: 1, side: 'BUY', tradeId: '2' }], { candles: true });
    await appendTicks(db.connection, [{ timestamp: T0 + 61_000, price: 11, volume: 1, side: 'SELL', tradeId: '3' }], { candles: true });
    const closed = await executeQuery(db.connection, CANDLE_SQL('1m'));
    expect(closed[0]).toMatchObject({ t: T0, open: 10, close: 12, trade_count: 2 });
    // The candle the close opened is stored with it: recovery rebuilds from the newest stored bucket.
    expect(closed.map((c) => c.t)).toEqual([T0, T0 + 60_000]);
    // Closing without flushCandles stands in for a crash: the open candle's row may trail.
    await appendTicks(db.connection, [{ timestamp: T0 + 62_000, price: 13, volume: 2, side: 'BUY', tradeId: '4' }], { candles: true });
    db.close();
    const again = await openPairDatabase(dir.path, pair);
    try {
      await appendTicks(again.connection, [{ timestamp: T0 + 63_000, price: 9, volume: 1, side: 'SELL', tradeId: '5' }], { candles: true });
      await flushCandles(again.connection);
      const rows = await executeQuery(again.connection, CANDLE_SQL('1m'));
      expect(rows[1]).toMatchObject({ t: T0 + 60_000, open: 11, high: 13, low: 9, close: 9, volume: 4, buy_volume: 2, sell_volume: 2, trade_count: 3 });
    } finally {
      again.close();
    }
  });

  // 'continue' merges late trades into their stored rows instead of rebuilding buckets from ticks.
  it.each(['rebuild', 'continue', 'closed'] as const)('gives, for any batching, order and overlap, exactly the candles a rebuild from all ticks gives (%s)', async (candleRecovery) => {
    const all = trades(6000);
    const merged = await openPairDatabase(dir.path, pairKey('t', `merged-${candleRecovery}`, 'X'));
    const rebuilt = await openPairDatabase(dir.path, pairKey('t', `rebuilt-${candleRecovery}`, 'X'));
    try {
      // Out-of-order batches of varying size, with replayed overlaps.
      const shuffled = shuffle(all, 7);
      for (let i = 0, size = 1; i < shuffled.length; i += size, size = (size * 7) % 997 + 1) {
        await appendTicks(merged.connection, shuffled.slice(i, i + size), { candles: true, candleRecovery });
        if (i % 3 === 0) await appendTicks(merged.connection, shuffled.slice(Math.max(0, i - 50), i + 10), { candles: true, candleRecovery });
      }
      await flushCandles(merged.connection);
      await appendTicks(rebuilt.connection, all);
      for (const tf of ['1m', '5m', '15m'] as const) {
        await executeInsert(rebuilt.connection, upsertCandlesFromTicksQuery(tf, { from: T0 }));
        const a = await executeQuery(merged.connection, CANDLE_SQL(tf));
        const b = await executeQuery(rebuilt.connection, CANDLE_SQL(tf));
        expect(a.length).toBeGreaterThan(0);
        expect(a).toEqual(b);
      }
      const [count] = await executeQuery(merged.connection, 'SELECT sum(trade_count) AS n FROM candles_1m');
      expect(count.n).toBe(6000);
    } finally {
      merged.close();
      rebuilt.close();
    }
  });

  it("continues the stored rows after a crash ('continue' recovery) with only a tail of ticks left, giving exactly the candles of a rebuild from all ticks", async () => {
    const all = trades(6000);
    const pair = pairKey('t', 'tail', 'X');
    const rebuilt = await openPairDatabase(dir.path, pairKey('t', 'tail-rebuilt', 'X'));
    let db = await openPairDatabase(dir.path, pair);
    try {
      let crashes = 0;
      for (let i = 0, size = 1; i < all.length; i += size, size = (size * 7) % 331 + 1) {
        await appendTicks(db.connection, all.slice(i, i + size), { candles: true, candleRecovery: 'continue' });
        if (i % 5 !== 0) continue;
        // Drop every tick before the newest rows' closing trades (what the analytics app's tick
        // tail may do), then close without flushCandles: a crash, the open rows trailing.
        await db.connection.run(`DELETE FROM ticks WHERE timestamp < (
          SELECT min(c) FROM (SELECT (SELECT close_time FROM candles_1m ORDER BY timestamp DESC LIMIT 1) AS c
          UNION ALL SELECT (SELECT close_time FROM candles_5m ORDER BY timestamp DESC LIMIT 1)
          UNION ALL SELECT (SELECT close_time FROM candles_15m ORDER BY timestamp DESC LIMIT 1)))`);
        db.close();
        db = await openPairDatabase(dir.path, pair);
        crashes++;
      }
      await flushCandles(db.connection);
      expect(crashes).toBeGreaterThan(5);
      // The file no longer holds most ticks: a rebuild from them could not give these candles.
      const [held] = await executeQuery(db.connection, 'SELECT count(*) AS n FROM ticks');
      expect(Number(held.n)).toBeLessThan(3000);
      await appendTicks(rebuilt.connection, all);
      for (const tf of ['1m', '5m', '15m'] as const) {
        await executeInsert(rebuilt.connection, upsertCandlesFromTicksQuery(tf, { from: T0 }));
        const a = await executeQuery(db.connection, CANDLE_SQL(tf));
        expect(a.length).toBeGreaterThan(0);
        expect(a).toEqual(await executeQuery(rebuilt.connection, CANDLE_SQL(tf)));
      }
    } finally {
      db.close();
      rebuilt.close();
    }
  });

  it("'closed' stores closed candles only, keeps the open ones in memory, and after crashes, clock closes and flushes with only a tail of ticks left gives exactly the candles of a rebuild from all ticks", async () => {
    const all = trades(6000);
    const pair = pairKey('t', 'closed', 'X');
    const rebuilt = await openPairDatabase(dir.path, pairKey('t', 'closed-rebuilt', 'X'));
    await appendTicks(rebuilt.connection, all);
    for (const tf of ['1m', '5m', '15m'] as const) await executeInsert(rebuilt.connection, upsertCandlesFromTicksQuery(tf, { from: T0 }));
    const expected = async (tf: Timeframe) => executeQuery(rebuilt.connection, CANDLE_SQL(tf));
    let db = await openPairDatabase(dir.path, pair);
    try {
      const ends = { crash: 0, clock: 0, flush: 0 };
      let checkedOpen = 0;
      let flushedMinute = NaN;
      for (let i = 0, size = 1, step = 0; i < all.length; i += size, size = (size * 7) % 331 + 1, step++) {
        const batch = all.slice(i, i + size);
        await appendTicks(db.connection, batch, { candles: true, candleRecovery: 'closed' });
        const newest = batch[batch.length - 1].timestamp as number;
        const minute = Math.floor(newest / 60_000) * 60_000;
        // The forming minute is not in the table (unless a flush wrote it); the book has it, equal
        // to its candle from all ticks.
        const [top] = await executeQuery(db.connection, 'SELECT epoch_ms(max(timestamp)) AS t FROM candles_1m');
        if (top.t !== null && minute !== flushedMinute) expect(Number(top.t)).toBeLessThan(minute);
        const open = unwrittenCandles(db.connection).find((c) => c.timeframe === '1m');
        if (minute !== flushedMinute) {
          // The trades so far in the forming minute (trades() is in trade order).
          const sofar = all.slice(0, i + size).filter((t) => Number(t.timestamp) >= minute);
          expect(open).toMatchObject({
            time: minute,
            open: sofar[0].price,
            close: sofar[sofar.length - 1].price,
            high: Math.max(...sofar.map((t) => t.price)),
            low: Math.min(...sofar.map((t) => t.price)),
            trades: sofar.length,
          });
          checkedOpen++;
        }
        if (step % 3 !== 0) continue;
        const end = (['crash', 'clock', 'flush'] as const)[(step / 3) % 3];
        ends[end]++;
        // The clock reaching the next trade's time closes the candles that end before it, without
        // a trade; a flush is a graceful stop, which writes the open ones too.
        if (end === 'clock') await closeCandles(db.connection, Number(all[i + size]?.timestamp ?? newest + 3_600_000));
        if (end === 'flush') {
          await flushCandles(db.connection);
          flushedMinute = minute;
        }
        // Drop every tick before the newest 1m row's closing trade (the analytics app's tick tail).
        await db.connection.run('DELETE FROM ticks WHERE timestamp < (SELECT close_time FROM candles_1m ORDER BY timestamp DESC LIMIT 1)');
        db.close();
        db = await openPairDatabase(dir.path, pair);
      }
      expect(Math.min(ends.crash, ends.clock, ends.flush)).toBeGreaterThan(3);
      expect(checkedOpen).toBeGreaterThan(5);
      await flushCandles(db.connection);
      const [held] = await executeQuery(db.connection, 'SELECT count(*) AS n FROM ticks');
      expect(Number(held.n)).toBeLessThan(1000);
      for (const tf of ['1m', '5m', '15m'] as const) {
        const a = await executeQuery(db.connection, CANDLE_SQL(tf));
        expect(a.length).toBeGreaterThan(0);
        expect(a).toEqual(await expected(tf));
      }
    } finally {
      db.close();
      rebuilt.close();
    }
  });

  it("getCandlesWithOpenQuery gives a 'closed' file's candles with the open ones built from its ticks, as a rebuild from the ticks so far, also after a flush and a reopen", async () => {
    const all = trades(3000);
    const pair = pairKey('t', 'with-open', 'X');
    const rebuilt = await openPairDatabase(dir.path, pairKey('t', 'with-open-rebuilt', 'X'));
    let db = await openPairDatabase(dir.path, pair);
    try {
      let checks = 0;
      for (let i = 0, size = 1, step = 0; i < all.length; i += size, size = (size * 7) % 331 + 1, step++) {
        const batch = all.slice(i, i + size);
        await appendTicks(db.connection, batch, { candles: true, candleRecovery: 'closed' });
        await appendTicks(rebuilt.connection, batch);
        for (const tf of ['1m', '5m', '15m'] as const) {
          await executeInsert(rebuilt.connection, upsertCandlesFromTicksQuery(tf, { from: T0 }));
          const { sql, params } = getCandlesWithOpenQuery(tf);
          const ours = await executeQuery(db.connection, { sql, params });
          const theirs = await executeQuery(rebuilt.connection, `SELECT timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count FROM candles_${tf} ORDER BY timestamp`);
          expect(ours).toEqual(theirs);
          checks++;
        }
        // A stop writes the open candles; after the reopen they trail their ticks until they close.
        if (step % 5 === 4) {
          await flushCandles(db.connection);
          db.close();
          db = await openPairDatabase(dir.path, pair);
        }
      }
      expect(checks).toBeGreaterThan(60);
      const { sql, params } = getCandlesWithOpenQuery('1m', { since: T0 + 5 * 60_000, until: T0 + 7 * 60_000 });
      expect((await executeQuery(db.connection, { sql, params })).map((r) => (r.timestamp as Date).getTime())).toEqual([T0 + 5 * 60_000, T0 + 6 * 60_000]);
    } finally {
      db.close();
      rebuilt.close();
    }
  });

  it('orders ids with leading zeros by value, as a rebuild from ticks does', async () => {
    const at = T0 + 1000;
    const ticks: Tick[] = [
      { timestamp: at, price: 10, volume: 1, side: 'BUY', tradeId: '10' },
      { timestamp: at, price: 7, volume: 1, side: 'SELL', tradeId: '007' },
      { timestamp: at, price: 8, volume: 1, side: 'BUY', tradeId: '8' },
      { timestamp: at, price: 12, volume: 1, side: 'BUY', tradeId: '0012' },
    ];
    const merged = await openPairDatabase(dir.path, pairKey('t', 'zeros', 'X'));
    const rebuilt = await openPairDatabase(dir.path, pairKey('t', 'zeros-rebuilt', 'X'));
    try {
      for (const t of ticks) await appendTicks(merged.connection, [t], { candles: true });
      await flushCandles(merged.connection);
      await appendTicks(rebuilt.connection, ticks);
      await executeInsert(rebuilt.connection, upsertCandlesFromTicksQuery('1m', { from: T0 }));
      const [c] = await executeQuery(merged.connection, CANDLE_SQL('1m'));
      expect(c).toMatchObject({ open: 7, close: 12, open_trade_id: '007', close_trade_id: '0012' });
      expect(await executeQuery(merged.connection, CANDLE_SQL('1m'))).toEqual(await executeQuery(rebuilt.connection, CANDLE_SQL('1m')));
    } finally {
      merged.close();
      rebuilt.close();
    }
  });

  it('takes a late trade earlier than the stored open as the new open, ids ordered numerically', async () => {
    const db = await openPairDatabase(dir.path, pairKey('t', 'late', 'X'));
    try {
      const at = T0 + 1000;
      await appendTicks(db.connection, [{ timestamp: at, price: 10, volume: 1, side: 'BUY', tradeId: '1000' }], { candles: true });
      await appendTicks(db.connection, [{ timestamp: at, price: 9, volume: 2, side: 'SELL', tradeId: '999' }], { candles: true });
      await appendTicks(db.connection, [{ timestamp: at, price: 11, volume: 0.5, side: 'BUY', tradeId: '1001' }], { candles: true });
      await flushCandles(db.connection);
      const [c] = await executeQuery(db.connection, CANDLE_SQL('1m'));
      expect(c).toMatchObject({ open: 9, close: 11, high: 11, low: 9, volume: 3.5, buy_volume: 1.5, sell_volume: 2, trade_count: 3, open_trade_id: '999', close_trade_id: '1001' });
    } finally {
      db.close();
    }
  });
});
