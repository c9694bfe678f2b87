import {
  doubleToExactVolume,
  exactVolumeToDouble,
  exactVolumeToText,
  parseExactVolume,
  parseSignedExactVolume,
  signedExactVolumeToDouble,
} from './exact-volume';

describe('parseExactVolume', () => {
  it.each([
    ['0.000000000000', 0n],
    ['1.500000000000', 1_500_000_000_000n],
    ['0.000000000001', 1n],
    ['12', 12_000_000_000_000n],
    ['12.5', 12_500_000_000_000n],
    ['99999999999999999999999999.999999999999', 10n ** 38n - 1n],
  ])('reads %p', (text, units) => {
    expect(parseExactVolume(text)).toBe(units);
  });

  it.each(['-1.0', '1e5', '1.0000000000001', '', ' 1', 1.5, null])('rejects %p with INVALID_ROW', (text) => {
    expect(() => parseExactVolume(text)).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
  });
});

describe('exactVolumeToDouble', () => {
  it('divides by 1e12 below 2^53 units', () => {
    expect(exactVolumeToDouble(1_500_000_000_000n)).toBe(1.5);
    expect(exactVolumeToDouble(7n)).toBe(7e-12);
    expect(exactVolumeToDouble(2n ** 53n)).toBe(9007.199254740992);
  });

  it("adds whole part and fraction above, as DuckDB does (not always the nearest double)", () => {
    // 48045119085573100429.264643112373: DuckDB reads 48045119085573095000, the nearest double is ...100000.
    const units = 48_045_119_085_573_100_429_264_643_112_373n;
    expect(exactVolumeToDouble(units)).toBe(48_045_119_085_573_095_000);
    expect(Number('48045119085573100429.264643112373')).toBe(48_045_119_085_573_100_000);
  });
});

describe('doubleToExactVolume', () => {
  // What DuckDB 1.5 gives for volume::DECIMAL(38,12) (the full comparison against DuckDB is in
  // analytics-app test/engine/stored-tick-histogram.int.spec.ts).
  it.each([
    [1.5, 1_500_000_000_000n],
    [0.001, 1_000_000_000n],
    [0, 0n],
    // x 1e12 is exactly ...2.5 / ...8.5: half away from zero, not to even.
    [7.435125e-7, 743_513n],
    [0.0003980083885, 398_008_389n],
  ])('casts %p as DuckDB does', (volume, units) => {
    expect(doubleToExactVolume(volume)).toBe(units);
  });

  it('rejects what DECIMAL(38,12) cannot hold', () => {
    expect(() => doubleToExactVolume(1e27)).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
    expect(() => doubleToExactVolume(Infinity)).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
  });
});

describe('signed exact volumes', () => {
  it('round-trips text and units for either sign, at any size', () => {
    for (const units of [0n, 1n, -1n, 4_250_000_000_000n, -203_897_000_000_000n, 10n ** 37n + 7n, -(10n ** 37n) - 123n]) {
      expect(parseSignedExactVolume(exactVolumeToText(units))).toBe(units);
    }
    expect(exactVolumeToText(-4_250_000_000_000n)).toBe('-4.25');
    expect(exactVolumeToText(0n)).toBe('0');
    expect(exactVolumeToText(12_000_000_000_000n)).toBe('12');
  });

  it('gives the double nearest the exact difference, where a double difference is off in the last bit', () => {
    const buy = doubleToExactVolume(1000.3);
    const sell = doubleToExactVolume(796.403);
    expect(1000.3 - 796.403).not.toBe(203.897);
    expect(signedExactVolumeToDouble(buy - sell)).toBe(203.897);
    expect(signedExactVolumeToDouble(sell - buy)).toBe(-203.897);
  });

  it.each(['1e5', '--1', '1.0000000000001', '', 1.5, null])('rejects %p with INVALID_ROW', (text) => {
    expect(() => parseSignedExactVolume(text)).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
  });
});
