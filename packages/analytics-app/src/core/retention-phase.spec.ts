import { retentionPhase } from './retention-phase';

describe('retentionPhase', () => {
  it('is a fraction in [0, 1) that depends only on the pair id', () => {
    for (const id of ['binance:usdm:BTCUSDT', 'binance:spot:ETHUSDT', '']) {
      const phase = retentionPhase(id);
      expect(phase).toBeGreaterThanOrEqual(0);
      expect(phase).toBeLessThan(1);
      expect(retentionPhase(id)).toBe(phase);
    }
  });

  it('spreads 100 pairs of one exchange over the interval: every fifth holds 10 to 30 of them', () => {
    const fifths = [0, 0, 0, 0, 0];
    for (let i = 0; i < 100; i++) fifths[Math.floor(retentionPhase(`binance:usdm:SYM${i}USDT`) * 5)]++;
    for (const n of fifths) {
      expect(n).toBeGreaterThanOrEqual(10);
      expect(n).toBeLessThanOrEqual(30);
    }
  });
});
