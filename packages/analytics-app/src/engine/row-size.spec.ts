import { niceRowSize } from './row-size';

describe('niceRowSize', () => {
  it.each([
    [61_800, 10], // target 12.36: 10 is 1.24x away, 20 is 1.62x
    [100_000, 20],
    [2_600, 0.5], // 0.52: 0.5 (1.04x) beats 1 (1.92x)
    [3_000, 0.5], // 0.6: 0.5 (1.2x) beats 1 (1.67x)
    [4_500, 1], // 0.9: 1 (1.11x) beats 0.5 (1.8x)
    [0.35, 0.00005], // 0.00007: 0.00005 (1.4x) beats 0.0001 (1.43x)
    [30_000, 5], // 6: 5 (1.2x) beats 10 (1.67x)
    [2_000, 0.5], // 0.4: 0.5 (1.25x) beats 0.25 (1.6x)
    [50, 0.01],
  ])('price %p -> %p', (price, expected) => {
    expect(niceRowSize(price)).toBe(expected);
  });
});
