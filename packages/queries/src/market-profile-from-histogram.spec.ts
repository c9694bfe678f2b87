import { marketProfileFromHistogram, marketProfileFromRows, type ProfileRow } from './market-profile-from-histogram';

const UNIT = 1_000_000_000_000n;
const rows = (volumes: readonly number[], first = 100): ProfileRow[] =>
  volumes.map((v, i) => ({ rowIdx: first + i, rowPrice: first + i, volume: BigInt(v) * UNIT }));

describe('marketProfileFromRows', () => {
  it('walks the value area from the POC, larger neighbour first, overshooting once', () => {
    // total 16, target 11.2: 102(5) +103(3)=8 +104(4)=12 -> stop.
    expect(marketProfileFromRows(rows([1, 2, 5, 3, 4, 1]))).toEqual({ poc: 102, valueAreaHigh: 104, valueAreaLow: 102, totalVolume: 16 });
  });

  it('takes the row above on a tie, and continues while the volume is still <= the target', () => {
    expect(marketProfileFromRows(rows([2, 5, 2]))).toMatchObject({ valueAreaHigh: 102, valueAreaLow: 101 });
    // POC 104(5) at the top; target 7: +103(1)=6, +102(1)=7 (7 <= 7 goes on), +101(4)=11 stop.
    expect(marketProfileFromRows(rows([3, 4, 1, 1, 5]), 0.5)).toMatchObject({ poc: 104, valueAreaHigh: 104, valueAreaLow: 101 });
    expect(marketProfileFromRows(rows([3, 4, 1, 1, 5]), 1)).toMatchObject({ valueAreaHigh: 104, valueAreaLow: 100 });
  });

  it('breaks POC ties towards index n / 2, then the lower index', () => {
    expect(marketProfileFromRows(rows([5, 1, 5])).poc).toBe(102);
    expect(marketProfileFromRows(rows([1, 5, 1, 5]), 0.1).poc).toBe(101);
  });

  it('gives NULLs and 0 without rows, and rejects rows out of order or without volume', () => {
    expect(marketProfileFromRows([])).toEqual({ poc: null, valueAreaHigh: null, valueAreaLow: null, totalVolume: 0 });
    for (const bad of [[...rows([1]), ...rows([1])], rows([1, 0, 1]), [{ rowIdx: 1, rowPrice: 1, volume: 1 as never }]]) {
      expect(() => marketProfileFromRows(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
    }
    expect(() => marketProfileFromRows(rows([1]), 0)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  // py-market-profile's midmax_idx + calculate_value_area over rows sorted by price (the port in
  // storage-core's queries.int.spec.ts), on integer volumes where doubles are exact.
  function reference(volumes: readonly number[], pct: number): readonly number[] {
    const max = Math.max(...volumes);
    let poc = -1;
    for (const [i, v] of volumes.entries()) {
      if (v === max && (poc < 0 || Math.abs(i - volumes.length / 2) < Math.abs(poc - volumes.length / 2))) poc = i;
    }
    const target = volumes.reduce((a, b) => a + b, 0) * pct;
    let [lo, hi, acc] = [poc, poc, volumes[poc]];
    while (acc <= target) {
      const low = lo > 0 ? volumes[lo - 1] : undefined;
      const high = hi < volumes.length - 1 ? volumes[hi + 1] : undefined;
      if (low === undefined && high === undefined) break;
      if (high === undefined || (low !== undefined && low > high)) acc += volumes[--lo];
      else acc += volumes[++hi];
    }
    return [poc, hi, lo];
  }

  it('agrees with a line-by-line port of py-market-profile on 2,000 random tie-heavy profiles', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
    for (let c = 0; c < 2000; c++) {
      const volumes: number[] = [];
      while (volumes.length === 0 || random() < 0.85) volumes.push(1 + Math.floor(random() * 4));
      const pct = [0.3, 0.5, 0.7, 0.9, 1][c % 5];
      const [poc, hi, lo] = reference(volumes, pct);
      expect(marketProfileFromRows(rows(volumes, 0), pct)).toMatchObject({ poc, valueAreaHigh: hi, valueAreaLow: lo });
    }
  });
});

describe('marketProfileFromHistogram', () => {
  it('adds up rows of one index exactly (per-minute rows) and drops rows whose total is 0', () => {
    const histogram = [
      { minute: 0, row_idx: 101, row_price: 0.101, row_volume: '0.100000000000' },
      { minute: 0, row_idx: 102, row_price: 0.102, row_volume: '0.000000000000' },
      { minute: 60_000, row_idx: 101n, row_price: 0.101, row_volume: '0.200000000000' },
      { minute: 60_000, row_idx: 100, row_price: 0.1, row_volume: '0.300000000001' },
    ];
    // 0.1 + 0.2 exactly 0.3 < 0.300000000001: the POC is row 100, row 102 does not exist.
    expect(marketProfileFromHistogram(histogram, { valueAreaPct: 0.5 })).toEqual({
      poc: 0.1,
      valueAreaHigh: 0.1,
      valueAreaLow: 0.1,
      totalVolume: 0.600000000001,
    });
  });

  it('rejects malformed rows with INVALID_ROW', () => {
    for (const bad of [
      [{ row_idx: 1.5, row_price: 1, row_volume: '1' }],
      [{ row_idx: 2n ** 60n, row_price: 1, row_volume: '1' }],
      [{ row_idx: 1, row_price: Number.NaN, row_volume: '1' }],
      [{ row_idx: 1, row_price: 1, row_volume: 1 }],
      [null],
    ]) {
      expect(() => marketProfileFromHistogram(bad as never)).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
    }
    expect(() => marketProfileFromHistogram('x' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ROW' }));
  });
});
