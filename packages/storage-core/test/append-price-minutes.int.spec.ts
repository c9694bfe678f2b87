import { doubleToExactVolume, insertPriceMinutesFromTicksQuery } from '@market-data/queries';
import { mulberry32 as random } from '@market-data/testing';
import { appendPriceMinutes, appendTicks, executeInsert, executeQuery, type PriceMinuteRow, type Tick } from '../src';
import { useDb } from './use-db';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const db = useDb('pair', 'price-minutes');

/** Three minutes of trades on a cent grid with exchange-like volumes: ~2,500 distinct (minute, price) rows, more than one data chunk. */
function market(): Tick[] {
  const rand = random(7);
  const ticks: Tick[] = [];
  let price = 30_000;
  for (let i = 0; i < 9_000; i++) {
    price = Math.round((price + (rand() - 0.5) * 2) * 100) / 100;
    const volume = i % 31 === 0 ? 0 : Number((rand() * 4).toFixed(1 + Math.floor(rand() * 7)));
    ticks.push({ timestamp: T0 + (i * 3 * MINUTE) / 9_000 + rand() * 0.9, price, volume, side: rand() < 0.5 ? 'BUY' : 'SELL', tradeId: String(1_000 + i) });
  }
  return ticks;
}

/** What the analytics app holds in memory for these ticks: exact volume and count per (minute, price), in (minute, price) order. */
function fold(ticks: readonly Tick[]): PriceMinuteRow[] {
  const sums = new Map<string, PriceMinuteRow>();
  for (const t of ticks) {
    const minuteMs = Math.floor(Math.floor(Number(t.timestamp) * 1000) / (MINUTE * 1000)) * MINUTE;
    const key = `${minuteMs}|${t.price}`;
    const held = sums.get(key);
    const units = doubleToExactVolume(t.volume);
    sums.set(key, held ? { ...held, volumeUnits: held.volumeUnits + units, trades: held.trades + 1 } : { minuteMs, price: t.price, volumeUnits: units, trades: 1 });
  }
  return [...sums.values()].sort((a, b) => a.minuteMs - b.minuteMs || a.price - b.price);
}

const ROWS = 'SELECT epoch_ms(timestamp) AS minute, price, volume::VARCHAR AS volume, trades FROM price_minutes ORDER BY timestamp, price';

describe('appendPriceMinutes', () => {
  it("stores the SQL fold's rows exactly, across data chunks, inside the caller's transaction", async () => {
    const conn = db();
    const ticks = market();
    await appendTicks(conn, ticks);
    await executeInsert(conn, insertPriceMinutesFromTicksQuery({ from: T0, until: T0 + 3 * MINUTE }));
    const bySql = await executeQuery(conn, ROWS);
    expect(bySql.length).toBeGreaterThan(2_048);
    await conn.run('DELETE FROM price_minutes');

    const rows = fold(ticks);
    await conn.run('BEGIN TRANSACTION');
    expect(await appendPriceMinutes(conn, rows)).toBe(rows.length);
    await conn.run('ROLLBACK');
    expect(await executeQuery(conn, 'SELECT count(*)::INTEGER AS n FROM price_minutes')).toEqual([{ n: 0 }]);

    await conn.run('BEGIN TRANSACTION');
    await appendPriceMinutes(conn, rows);
    await conn.run('COMMIT');
    expect(await executeQuery(conn, ROWS)).toEqual(bySql);
  });

  it('refuses a row DuckDB would not hold with INVALID_OPTION and appends none of the batch', async () => {
    const conn = db();
    const good: PriceMinuteRow = { minuteMs: T0, price: 1.5, volumeUnits: 2_000_000_000_000n, trades: 2 };
    const bad: PriceMinuteRow[] = [
      { ...good, minuteMs: T0 + 1 },
      { ...good, price: Number.NaN },
      { ...good, volumeUnits: 10n ** 38n },
      { ...good, trades: 0 },
    ];
    for (const row of bad) {
      await expect(appendPriceMinutes(conn, [good, row])).rejects.toMatchObject({ code: 'INVALID_OPTION', field: 'rows' });
    }
    expect(await executeQuery(conn, 'SELECT count(*)::INTEGER AS n FROM price_minutes')).toEqual([{ n: 0 }]);
    expect(await appendPriceMinutes(conn, [good])).toBe(1);
    expect(await executeQuery(conn, ROWS)).toEqual([{ minute: T0, price: 1.5, volume: '2.000000000000', trades: 2 }]);
  });
});
