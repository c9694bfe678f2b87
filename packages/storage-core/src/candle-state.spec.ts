import { candleParams, foldTrade, newCandle, volumeUnits, type TickForCandle } from './candle-state';

const SCALE = 1_000_000_000_000;
const tick = (i: number, volume: number, buy: boolean): TickForCandle => ({ micros: 1_000 + i, price: 100 + i, units: volumeUnits(volume), buy, id: String(i) });

/** volume, buy_volume, sell_volume as candleParams gives them. */
const sums = (params: (number | string)[]) => params.slice(5, 8);

/** What the sums must be: BigInt arithmetic on every trade's units, as the candles were built before. */
function exact(volumes: number[], buys: boolean[]): number[] {
  let all = 0n;
  let buy = 0n;
  let sell = 0n;
  volumes.forEach((v, i) => {
    const u = BigInt(volumeUnits(v));
    all += u;
    if (buys[i]) buy += u;
    else sell += u;
  });
  return [all, buy, sell].map((u) => Number(u) / SCALE);
}

function fold(volumes: number[], buys: boolean[]): (number | string)[] {
  const c = newCandle(0, tick(0, volumes[0], buys[0]));
  for (let i = 1; i < volumes.length; i++) foldTrade(c, tick(i, volumes[i], buys[i]));
  return candleParams(c);
}

describe('candle volume sums', () => {
  it('stay exact where the sum of units passes 2^53, and for a single trade above it', () => {
    // 4,000 units of volume are 4e15 units of 1e-12: three of them pass 2^53 (9.007e15).
    const volumes = [4000.000000000001, 4000.5, 3999.999999999999, 0.001, 12_345_678.9, 4000.25, 0.000000000001];
    const buys = [true, true, false, true, false, true, false];
    expect(sums(fold(volumes, buys))).toEqual(exact(volumes, buys));
    // Past 2^53 a double sum drops single units: 10,000 trades of one unit must all count.
    const dust = [4000, 4000, 4000, ...Array.from({ length: 10_000 }, () => 0.000000000001)];
    const sides = dust.map(() => true);
    expect(sums(fold(dust, sides))).toEqual(exact(dust, sides));
    expect(sums(fold(dust, sides))[0]).toBe(12000.00000001);
  });

  it('equal the BigInt sums over many random trades', () => {
    let seed = 3;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const volumes = Array.from({ length: 5000 }, () => Math.round(random() * 10 ** (1 + Math.floor(random() * 7))) / 1000);
    const buys = volumes.map(() => random() < 0.5);
    expect(sums(fold(volumes, buys))).toEqual(exact(volumes, buys));
  });
});
