import { planConnections } from './binance-streams';

describe('planConnections', () => {
  it('puts up to maxStreams lower-case streams on each combined-stream URL', () => {
    const plans = planConnections('wss://fstream.binance.com/', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], 'trade', 2);
    expect(plans).toEqual([
      { url: 'wss://fstream.binance.com/stream?streams=btcusdt@trade/ethusdt@trade', symbols: ['BTCUSDT', 'ETHUSDT'] },
      { url: 'wss://fstream.binance.com/stream?streams=solusdt@trade', symbols: ['SOLUSDT'] },
    ]);
  });

  it('keeps every URL within the length limit', () => {
    const symbols = Array.from({ length: 1024 }, (_, i) => `SYM${i}USDT`);
    const plans = planConnections('wss://stream.binance.com:9443', symbols, 'aggTrade', 1024, 8000);
    expect(plans.length).toBeGreaterThan(1);
    for (const plan of plans) expect(plan.url.length).toBeLessThanOrEqual(8000);
    expect(plans.flatMap((p) => p.symbols)).toEqual(symbols);
  });
});
