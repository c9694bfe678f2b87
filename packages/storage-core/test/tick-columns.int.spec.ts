import { DuckDBDataChunk, DuckDBInstance, DOUBLE, TIMESTAMP, VARCHAR } from '@duckdb/node-api';
import { appendTicks, executeQuery, openPairDatabase, pairKey, type Tick } from '../src';
import { TickColumns } from '../src/tick-columns';
import { useTempDir } from './temp-dir';

const dir = useTempDir();
const READ = 'SELECT epoch_us(timestamp) AS us, price, volume, side, trade_id FROM ticks ORDER BY timestamp, trade_id';

describe('TickColumns (the chunk layout appendTicks writes)', () => {
  it('stores every value exactly: ids of 1 to 64 characters, both sides, microsecond times at both ends of the range, over several chunks', async () => {
    const db = await openPairDatabase(dir.path, pairKey('t', 'layout', 'X'));
    try {
      // Ids around the 12-byte in-place limit, with every character the id pattern allows.
      const idOf = (i: number): string => {
        const lengths = [1, 11, 12, 13, 20, 64];
        const body = `${i}:Ab_.-`.repeat(12);
        return `${i}-${body}`.slice(0, Math.max(String(i).length + 1, lengths[i % lengths.length]));
      };
      // The ends of the trade rule's time range (2009-01-01 to a day from now).
      const early = Date.UTC(2009, 0, 1, 0, 0, 1);
      const late = Date.now() + 23 * 60 * 60 * 1000;
      const ticks: Tick[] = Array.from({ length: 4500 }, (_, i) => ({
        timestamp: (i % 2 === 0 ? early : late - 10_000) + i + 0.001 * (i % 1000),
        price: i % 5 === 0 ? 1e-8 * (i + 1) : 12345.678901 + i,
        volume: i % 7 === 0 ? 0 : 1e6 / (i + 3),
        side: i % 3 === 0 ? 'SELL' : 'BUY',
        tradeId: idOf(i),
      }));
      expect((await appendTicks(db.connection, ticks)).inserted).toBe(4500);
      const stored = await executeQuery(db.connection, READ);
      const expected = ticks
        .map((t) => ({ us: Math.round((t.timestamp as number) * 1000), price: t.price, volume: t.volume, side: t.side, trade_id: t.tradeId }))
        .sort((a, b) => a.us - b.us || (a.trade_id < b.trade_id ? -1 : a.trade_id > b.trade_id ? 1 : 0));
      expect(stored).toEqual(expected);
      // Equality and grouping compare whole string slots: in-place strings must be zero padded.
      const [groups] = await executeQuery(db.connection, "SELECT count(DISTINCT trade_id) AS ids, count(*) FILTER (WHERE side = 'BUY') AS buys FROM ticks");
      expect(groups).toEqual({ ids: 4500, buys: ticks.filter((t) => t.side === 'BUY').length });
      // A freshly built copy of each string equals the stored one only if the slot's padding is zero.
      const [same] = await executeQuery(db.connection, "SELECT count(*) FILTER (WHERE trade_id = concat(trade_id, '') AND side = concat(side, '')) AS n FROM ticks");
      expect(same.n).toBe(4500);
    } finally {
      db.close();
    }
  });

  it('writes strings that are not ASCII through the vector heap, after strings written in place in the same chunk', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const chunk = DuckDBDataChunk.create([TIMESTAMP, DOUBLE, DOUBLE, VARCHAR, VARCHAR], 8);
    try {
      await conn.run('CREATE TABLE ticks (timestamp TIMESTAMP, price DOUBLE, volume DOUBLE, side VARCHAR, trade_id VARCHAR)');
      const appender = await conn.createAppender('ticks');
      const columns = new TickColumns(8);
      const rows: [number, string, string][] = [
        [1, 'BUY', 'é'],
        [2, 'SELL', 'ab€cd'],
        [3, 'BUY', '123456789012'],
        [4, 'ACHAT', 'x'.repeat(40)],
        [5, 'BUYé', '7'],
      ];
      columns.begin(rows.length);
      rows.forEach(([us, side, id], r) => columns.set(r, us, 1.5, 2.5, side, id));
      chunk.reset();
      chunk.rowCount = rows.length;
      columns.copyTo(chunk, rows.length);
      appender.appendDataChunk(chunk);
      appender.flushSync();
      appender.closeSync();
      const result = await conn.runAndReadAll('SELECT epoch_us(timestamp)::INTEGER, side, trade_id FROM ticks ORDER BY 1');
      expect(result.getRows()).toEqual(rows.map(([us, side, id]) => [us, side, id]));
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
