import { invalidateInstance, useTempDir } from '@market-data/testing';
import { idsInFile } from './ids-in-file';
import { appendTicks, isInstanceFatal, needsReattach, openPairDatabase, pairKey, shareInstance, type PairDatabase, type Tick } from '../src';

const dir = useTempDir();
const BASE = Date.UTC(2024, 0, 1);

function ticks(prefix: string, count: number, from = 0): Tick[] {
  return Array.from({ length: count }, (_, i) => ({ timestamp: BASE + (from + i) * 10, price: 100 + i, volume: 1, side: 'BUY', tradeId: `${prefix}-${from + i}` }));
}

async function tradeCount(db: PairDatabase): Promise<number> {
  const reader = await db.connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM ticks');
  return Number(reader.getRowObjectsJS()[0].n);
}

describe('an instance DuckDB invalidated (a rollback out of memory)', () => {
  it('fails every attached file with an error isInstanceFatal recognises; closing them loses nothing, and a new instance serves them', async () => {
    const hold = shareInstance({ memoryLimit: '128MB', tempDirectory: `${dir.path}/spill` });
    const open = (symbol: string) => openPairDatabase(dir.path, pairKey('binance', 'spot', symbol), { instance: hold });
    try {
      const [a, b, big] = [await open('AAA'), await open('BBB'), await open('BIG')];
      await appendTicks(a.connection, ticks('A', 300));
      await appendTicks(b.connection, ticks('B', 200));
      const dead = a.instance;

      const fatal = await invalidateInstance(big.connection);
      expect(fatal.message).toMatch(/Failed to rollback transaction/);
      expect(isInstanceFatal(fatal)).toBe(true);
      // Every file of the instance is gone with it, not just the one whose transaction failed.
      const other = await appendTicks(b.connection, ticks('B', 10, 200)).catch((e: unknown) => e);
      expect(isInstanceFatal(other)).toBe(true);
      // Not the single-file verdict: detaching and re-attaching on this instance cannot help.
      expect(needsReattach(other)).toBe(false);
      // A new open on the dead instance fails as well.
      expect(isInstanceFatal(await open('CCC').catch((e: unknown) => e))).toBe(true);

      // Closing cannot detach from a dead instance, but it releases the paths without an error.
      for (const db of [a, b, big]) expect(() => db.close()).not.toThrow();
      expect(hold.replace(dead)).toBe(false); // the failed open of CCC already retired it

      const [a2, b2] = [await open('AAA'), await open('BBB')];
      try {
        expect(a2.instance).not.toBe(dead);
        expect(hold.generation).toBe(2);
        expect([await tradeCount(a2), await tradeCount(b2)]).toEqual([300, 200]);
        await appendTicks(b2.connection, ticks('B', 10, 200));
        expect(await tradeCount(b2)).toBe(210);
      } finally {
        a2.close();
        b2.close();
      }
      expect(await idsInFile(b2.path)).toHaveLength(210);
    } finally {
      hold.release();
    }
  });

  it('writes nothing to a file re-attached elsewhere while a connection still keeps the dead instance alive', async () => {
    const hold = shareInstance({ memoryLimit: '128MB', tempDirectory: `${dir.path}/spill` });
    const open = (symbol: string) => openPairDatabase(dir.path, pairKey('binance', 'spot', symbol), { instance: hold });
    try {
      const [a, big] = [await open('AAA'), await open('BIG')];
      await appendTicks(a.connection, ticks('A', 300));
      await invalidateInstance(big.connection);
      expect(hold.replace(a.instance)).toBe(true);
      expect(hold.replace(a.instance)).toBe(false);
      a.close();
      // BIG stays open on the dead instance (as a pair in use would) while AAA lives on the new one.
      const a2 = await open('AAA');
      await appendTicks(a2.connection, ticks('A', 100, 300));
      await a2.connection.run('CHECKPOINT');
      a2.close();
      big.close();
      expect(await idsInFile(a2.path)).toHaveLength(400);
    } finally {
      hold.release();
    }
  });
});
