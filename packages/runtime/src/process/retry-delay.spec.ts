import { retryDelayMs } from './retry-delay';

describe('retryDelayMs', () => {
  it('starts at the base, doubles per failure and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n, 100, 5000))).toEqual([100, 200, 400, 800, 1600, 3200, 5000]);
  });

  it('stays at the cap however many failures, and treats 0 as the first', () => {
    expect(retryDelayMs(10_000, 1000, 60_000)).toBe(60_000);
    expect(retryDelayMs(0, 250, 5000)).toBe(250);
  });
});
