import { TradeConsumerGroup, TradePublisher, type TradeBatch } from '../src';
import { ids, startBus, trades, type Bus } from './nats-support';

const A = 'binance:spot:AAAUSDT';
const B = 'binance:spot:BBBUSDT';
const C = 'binance:futures:CCCUSDT';

async function take(it: AsyncIterator<TradeBatch>, n: number, ms = 15_000): Promise<TradeBatch[]> {
  const out: TradeBatch[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([it.next(), new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, deadline - Date.now()))))]);
    clearTimeout(timer);
    if (next === 'timeout') throw new Error(`timed out after ${out.length} of ${n} batches`);
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

const of = (batches: TradeBatch[], pair: string) => batches.filter((b) => b.pair === pair);

describe('TradeConsumerGroup against a real nats-server', () => {
  let bus: Bus;
  let pub: TradePublisher;
  beforeEach(async () => {
    bus = await startBus();
    pub = new TradePublisher(bus.js, bus.jsm, { writerId: 'node-a' });
  });
  afterEach(async () => {
    await bus.close();
  });

  it('merges pairs added and removed on the way, each from its own cursor and in its own order, through a tiny buffer', async () => {
    for (let i = 0; i < 20; i++) for (const p of [A, B, C]) await pub.publish(p, trades(1 + i * 4, 4));
    const group = new TradeConsumerGroup(bus.js, { bufferBatches: 2, maxMessages: 4, expiresMs: 30_000 });
    const it = group[Symbol.asyncIterator]();
    try {
      group.add(A, 'all');
      const bStart = (await pub.resume(B)).lastSeq - 3 * 5; // B's last five batches are after this
      group.add(B, { afterSeq: bStart });
      const first = await take(it, 25);
      expect(ids(of(first, A))).toEqual(trades(1, 80).map((r) => r[4]));
      expect(ids(of(first, B))).toEqual(trades(61, 20).map((r) => r[4]));

      // C joins (a lease arrived); A leaves (its lease went): nothing of A after remove() returns.
      group.add(C, 'all');
      const t = Date.now();
      await group.remove(A);
      expect(Date.now() - t).toBeLessThan(5000);
      await pub.publish(A, trades(81, 4));
      await pub.publish(B, trades(81, 4));
      const later = await take(it, 21);
      expect(of(later, A)).toEqual([]);
      expect(ids(of(later, C))).toEqual(trades(1, 80).map((r) => r[4]));
      expect(ids(of(later, B))).toEqual(trades(81, 4).map((r) => r[4]));
      expect(group.pairs()).toEqual([C, B].sort());
    } finally {
      const t = Date.now();
      await group.close();
      // Stopping does not wait for idle pulls to expire (30 s here).
      expect(Date.now() - t).toBeLessThan(5000);
    }
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});
