import { resolveAnalyticsOptions, type AnalyticsOptions } from './options';

describe('resolveAnalyticsOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveAnalyticsOptions()).toEqual({
      profile: { rowSize: null, windowMinutes: 15, valueAreaPct: 0.7 },
      fvg: { minGapAbs: 0, minGapPct: 0, timeframes: ['1m', '5m', '15m'] },
      zones: { maxBaseCandles: 3, maxBodyRatio: 0.5, displacementFactor: 2, averageCandles: 10, lookbackMinutes: 14, maxZones: 50 },
      externalClockMs: null,
      newestTickMs: null,
      cleanup: false,
      tickTail: false,
      foldMaxRowsPerTick: 0.5,
    });
  });

  it('takes overrides, undefined meaning the default (so spreads of partial configs merge)', () => {
    const resolved = resolveAnalyticsOptions({ ...{ rowSize: 5, valueAreaPct: 0.8 }, ...{ rowSize: undefined, zoneAverageCandles: 20 } });
    expect(resolved.profile).toEqual({ rowSize: null, windowMinutes: 15, valueAreaPct: 0.8 });
    expect(resolved.zones).toMatchObject({ averageCandles: 20, lookbackMinutes: 24 });
    expect(resolveAnalyticsOptions({ fvgTimeframes: ['15m', '1m'], externalClock: new Date(5), newestTick: 7.5 })).toMatchObject({
      fvg: { timeframes: ['1m', '15m'] },
      externalClockMs: 5,
      newestTickMs: 7.5,
    });
  });

  it.each<[AnalyticsOptions, string]>([
    [{ rowSize: 0 }, 'rowSize'],
    [{ rowSize: Number.NaN }, 'rowSize'],
    [{ profileWindowMinutes: 1.5 }, 'profileWindowMinutes'],
    [{ valueAreaPct: 0 }, 'valueAreaPct'],
    [{ valueAreaPct: 1.01 }, 'valueAreaPct'],
    [{ fvgMinGapAbs: -1 }, 'fvgMinGapAbs'],
    [{ fvgMinGapPct: 2 }, 'fvgMinGapPct'],
    [{ foldMaxRowsPerTick: 0 }, 'foldMaxRowsPerTick'],
    [{ foldMaxRowsPerTick: 1.5 }, 'foldMaxRowsPerTick'],
    [{ fvgTimeframes: ['1h'] as never }, 'fvgTimeframes'],
    [{ zoneMaxBaseCandles: 0 }, 'zoneMaxBaseCandles'],
    [{ zoneDisplacementFactor: 0 }, 'zoneDisplacementFactor'],
    [{ zoneAverageCandles: 10, zoneLookbackMinutes: 9 }, 'zoneLookbackMinutes'],
    [{ maxZones: -1 }, 'maxZones'],
    [{ externalClock: Number.POSITIVE_INFINITY }, 'externalClock'],
    [{ externalClock: new Date(Number.NaN) }, 'externalClock'],
    [{ newestTick: -1 }, 'newestTick'],
    [{ cleanup: 'yes' as never }, 'cleanup'],
  ])('rejects %p naming %s', (options, key) => {
    expect(() => resolveAnalyticsOptions(options)).toThrow(expect.objectContaining({ name: 'AnalyticsError', code: 'INVALID_CONFIG', key }));
  });
});
