import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles from the base up to the max, each delay between half and all of its step', () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    const high = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect(Array.from({ length: 6 }, () => Math.round(low.next()))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => Math.round(high.next()))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('starts over after reset and counts attempts', () => {
    const b = new Backoff({ baseMs: 10, maxMs: 80, random: () => 0.5 });
    b.next();
    b.next();
    expect(b.attempts).toBe(2);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(7.5);
  });
});
