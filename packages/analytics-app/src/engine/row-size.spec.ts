import { niceRowSize } from './row-size';

describe('niceRowSize', () => {
  it.each([
    [61_800, 25], // target 30.9: 25 is 1.24x away, 50 is 1.62x
    [100_000, 50],
    [2_600, 1], // 1.3: 1 (1.3x) beats 2 (1.54x)
    [3_000, 2], // 1.5: 2 (1.33x) beats 1 (1.5x)
    [4_500, 2.5], // 2.25: 2.5 (1.11x) beats 2 (1.125x)
    [0.35, 0.0002], // 0.000175: 0.0002 (1.14x) beats 0.0001 (1.75x)
    [2_000, 1],
    [50, 0.025],
  ])('price %p -> %p', (price, expected) => {
    expect(niceRowSize(price)).toBe(expected);
  });
});
