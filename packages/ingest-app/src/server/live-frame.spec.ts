import { loadTrades } from '@market-data/testing';
import type { Trade } from '../feeds/feed';
import { liveFrame, liveFrameJson } from './live-frame';

const trade = (over: Partial<Trade>): Trade => ({
  type: 'trade', exchange: 'binance', marketType: 'spot', symbol: 'BTCUSDT', tradeId: '1', price: 1, volume: 1, side: 'BUY', timestamp: 1_700_000_000_000, receivedAt: 0, ...over,
});

describe('liveFrame (the ticks message written out directly)', () => {
  it('is byte for byte what JSON.stringify makes of the message, over recorded Binance trades', () => {
    const recorded = loadTrades('binance-spot-BTCUSDT-trades-2024-08-08T2354.csv').slice(0, 5000);
    const trades = recorded.map((r) => trade({ tradeId: String(r.id), price: Number(r.price), volume: Number(r.qty), side: r.isBuyerMaker ? 'SELL' : 'BUY', timestamp: r.time / 1000 }));
    expect(trades.length).toBe(5000);
    for (const size of [1, 2, 7, 100, 5000]) {
      for (let i = 0; i + size <= trades.length; i += Math.max(size, 997)) {
        const batch = trades.slice(i, i + size);
        expect(liveFrame('binance:spot:BTCUSDT', batch, 1_723_161_300_123).toString()).toBe(liveFrameJson('binance:spot:BTCUSDT', batch, 1_723_161_300_123).toString());
      }
    }
  });

  it('agrees on the numbers JavaScript prints unusually, ids of every allowed kind, and an empty batch', () => {
    const batch = [
      trade({ price: 1e-7, volume: 123456789012345680000, timestamp: 1_700_000_000_000.123, tradeId: 'a1b2-c3_d.e:f' }),
      trade({ price: 0.1 + 0.2, volume: 5e-324, side: 'SELL', tradeId: '9007199254740993' }),
      trade({ price: 65000, volume: 0.00001, timestamp: 1_700_000_000_001.5 }),
    ];
    expect(liveFrame('bybit:linear:BTC-USDT', batch, 1).toString()).toBe(liveFrameJson('bybit:linear:BTC-USDT', batch, 1).toString());
    expect(liveFrame('binance:spot:X', [], 2).toString()).toBe(liveFrameJson('binance:spot:X', [], 2).toString());
    expect(JSON.parse(liveFrame('binance:spot:X', batch, 3).toString()).rows[0]).toEqual([1_700_000_000_000.123, 1e-7, 123456789012345680000, 'BUY', 'a1b2-c3_d.e:f']);
  });
});
