import type { Trade } from '../feeds/feed';
import { encodeTrades } from './trade-columns';
import { TradeQueue } from './trade-queue';

const PAIR = { exchange: 'binance', marketType: 'usdm', symbol: 'BTCUSDT' } as const;
const trade = (i: number, patch: Partial<Trade> = {}): Trade => ({
  type: 'trade',
  ...PAIR,
  tradeId: String(5_000_000_000 + i),
  price: 60000.1 + i / 7,
  volume: 0.001 * (i + 1),
  side: i % 3 ? 'SELL' : 'BUY',
  timestamp: 1723075200000.123 + i,
  receivedAt: 1000 + (i % 11),
  ...patch,
});

describe("TradeQueue (a pair writer's pending trades as columns)", () => {
  it('gives back the trades exactly, and the same wire batch encodeTrades makes of them', () => {
    const q = new TradeQueue(PAIR);
    const all = Array.from({ length: 1000 }, (_, i) => trade(i));
    q.push(all.slice(0, 300));
    q.push(all.slice(300));
    expect(q.trades()).toEqual(all);
    expect(q.wire(600)).toEqual(encodeTrades(all.slice(0, 600)));
    expect(q.wire(5000)).toEqual(encodeTrades(all));
    expect(q.oldestReceivedAt(600)).toBe(1000);
    q.drop(995);
    expect(q.wire(5)).toEqual(encodeTrades(all.slice(995)));
    expect(q.oldestReceivedAt(5)).toBe(1000 + (995 % 11));
  });

  it('sends a batch holding a trade the columns cannot carry as plain rows, the trade as it was', () => {
    const q = new TradeQueue(PAIR);
    const odd = [trade(0), trade(1, { side: 'HOLD' as never }), trade(2)];
    q.push(odd);
    expect(q.wire(2)).toEqual({ kind: 'rows', rows: odd.slice(0, 2) });
    q.drop(2);
    expect(q.wire(1)).toEqual(encodeTrades([trade(2)]));
  });
});
