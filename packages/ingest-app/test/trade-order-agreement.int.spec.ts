import { compareTradeIds as clientCompare, compareTradePositions } from '@market-data/client';
import { tradeOrderSql } from '@market-data/queries';
import { appendTicks, compareTradeIds as storageCompare, executeQuery, openPairDatabase, toPairKey, type Tick } from '@market-data/storage-core';
import { mulberry32, useTempDir } from '@market-data/testing';

// Trade order exists three times: SQL (queries' tradeOrderSql: what reads, replays and candle
// rebuilds use), storage-core's compareTradeIds (appendTicks, live candles) and client's copy
// (the bus publisher's cursor). client may import only types from queries and nothing from
// storage-core (DESIGN section 1), and storage-core may not import client, so the JS copies stay
// two; an app may import all three packages, so this spec holds them to one another.

const dir = useTempDir('trade-order-');
const T = Date.UTC(2026, 0, 5, 12);

/** Ids a store accepts: digits of mixed lengths (many with leading zeros), 38/39 digits, text. */
function ids(n: number, seed: number): string[] {
  const random = mulberry32(seed);
  const pick = (chars: string) => chars[Math.floor(random() * chars.length)];
  const fixed = ['0', '00', '000', '7', '07', '007', '9', '10', '010', '0010', '999', '1000', '01000', '9'.repeat(38), `0${'9'.repeat(37)}`, '1'.repeat(39),
    '1e3', '0x1', '1.5', '1:2', 'A', 'a', 'Z9', 'a_b', 'ab-1', '9a'];
  const out = new Set(fixed);
  while (out.size < n) {
    const length = 1 + Math.floor(random() * (random() < 0.9 ? 8 : 41));
    const numeric = random() < 0.75;
    let id = numeric ? '' : pick('ABCXYZabcxyz0123456789');
    while (id.length < length) id += numeric ? pick('0000123456789') : pick('0123456789abcXYZ_.:-');
    out.add(id);
  }
  return [...out];
}

describe("trade order: client's copy, storage-core's and the SQL order agree", () => {
  it("client's compareTradeIds and storage-core's give the same sign for every pair of 600 ids", () => {
    const all = ids(600, 42);
    const wrong: string[] = [];
    for (const a of all) for (const b of all) if (Math.sign(clientCompare(a, b)) !== Math.sign(storageCompare(a, b))) wrong.push(`${a} vs ${b}`);
    expect(wrong.slice(0, 20)).toEqual([]);
  });

  it('both sort stored trades exactly as ORDER BY tradeOrderSql does, both ways', async () => {
    const all = ids(1500, 7);
    // Three timestamps, so that time orders first and ids only within a millisecond.
    const ticks: Tick[] = all.map((tradeId, i) => ({ timestamp: T + (i % 3) * 1000, price: 1, volume: 1, side: 'BUY', tradeId }));
    const db = await openPairDatabase(dir.path, toPairKey('binance:spot:BTCUSDT'));
    try {
      await appendTicks(db.connection, ticks);
      const order = async (direction: 'ASC' | 'DESC') =>
        (await executeQuery(db.connection, `SELECT epoch_ms(timestamp) AS t, trade_id FROM ticks ORDER BY ${tradeOrderSql(direction)}`)).map((r) => `${r.t}/${r.trade_id}`);
      const sqlAsc = await order('ASC');
      expect(sqlAsc).toHaveLength(all.length);
      const key = (t: Tick) => `${t.timestamp as number}/${t.tradeId}`;
      const byClient = [...ticks].sort((a, b) => compareTradePositions({ timeMs: a.timestamp as number, tradeId: String(a.tradeId) }, { timeMs: b.timestamp as number, tradeId: String(b.tradeId) }));
      const byStorage = [...ticks].sort((a, b) => (a.timestamp as number) - (b.timestamp as number) || storageCompare(String(a.tradeId), String(b.tradeId)));
      expect(byClient.map(key)).toEqual(sqlAsc);
      expect(byStorage.map(key)).toEqual(sqlAsc);
      expect(await order('DESC')).toEqual([...sqlAsc].reverse());
    } finally {
      db.close();
    }
  });
});
