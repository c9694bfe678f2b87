import { RETENTION_POLICY } from '@market-data/storage-core';
import { DEFAULT_VALUE_AREA_PCT, TIMEFRAMES, type Timeframe } from '@market-data/queries';
import { AnalyticsError } from '../errors';
import { FOLD_MAX_ROWS_PER_TICK } from './tick-tail';

/**
 * Per-pair engine options, flat so that app-wide defaults and per-pair overrides merge with a
 * spread. Every field is optional; `undefined` means the default.
 */
export interface AnalyticsOptions {
  /** Market profile row height R in price units. Default: niceRowSize(candle close), about price / 5000. */
  readonly rowSize?: number;
  /** Market profile window in whole minutes, ending at each 1m candle's close; default 15. */
  readonly profileWindowMinutes?: number;
  /** Value-area share of the window's volume, in (0, 1]; default 0.7. */
  readonly valueAreaPct?: number;
  /** Fair value gaps lower than this (price units) are ignored; default 0. */
  readonly fvgMinGapAbs?: number;
  /** ... or lower than this fraction of the middle candle's close (0.0005 = 5 bp); default 0. */
  readonly fvgMinGapPct?: number;
  /** Timeframes scanned for fair value gaps; default 1m, 5m and 15m. */
  readonly fvgTimeframes?: readonly Timeframe[];
  /** Supply/demand zones (rule in supply-demand-zones.ts): most base candles; default 3. */
  readonly zoneMaxBaseCandles?: number;
  /** A base candle's body is at most this share of its range; default 0.5. */
  readonly zoneMaxBodyRatio?: number;
  /** The displacement's range is at least this multiple of the average range; default 2. */
  readonly zoneDisplacementFactor?: number;
  /** Candles averaged (the ones right before the displacement); default 10. */
  readonly zoneAverageCandles?: number;
  /**
   * Those candles must have opened within this many minutes before the displacement; default
   * zoneAverageCandles + 4. Bounding context by time (not by row count) keeps the rule a function
   * of the candles alone, whatever the pass timing, and keeps reads bounded.
   */
  readonly zoneLookbackMinutes?: number;
  /** At most this many zones per pair, weakest broken first out; default 50 (storage-core's cap). */
  readonly maxZones?: number;
  /**
   * A clock reading the data may lag: candles that ended at or before it count as closed even
   * without a later tick (the end of a recording, an ingester heartbeat on a quiet pair). The
   * newest tick is still used when it is later. Ticks that arrive afterwards for a candle closed
   * this way are not reflected: closed candles are final.
   */
  readonly externalClock?: Date | number;
  /**
   * The pair's newest stored tick as the caller knows it (the app's runner tracks it per pair):
   * the pass then does not read it, and when the connection's previous pass left its cursors
   * and this clock closes nothing, the pass runs no statement at all. It must be the newest
   * stored tick: an earlier one only leaves candles for a later pass, a later one would close
   * candles whose ticks are still to come.
   */
  readonly newestTick?: Date | number;
  /** After the pass commits, run storage-core's cleanupOldData on the data clock; default false. */
  readonly cleanup?: boolean;
  /**
   * Keep only the tail of ticks later passes and a restart need (see tick-tail.ts): a pass with
   * `cleanup` (the live app's retention, every 5 min by default) deletes the ticks of the minutes
   * passes folded into price_minutes. Every pass would cost a delete and a candle flush per pair
   * and minute (bench:analytics: 1.7x the pass p50) for no lower peak. The live app's files; the
   * caller must append with STORE_OPTIONS (tick-tail.ts), whose candles a restart derives from the
   * 1m rows and the tail. Reads that need older ticks
   * (a tick-exact window) then see only the tail. Default false.
   */
  readonly tickTail?: boolean;
  /**
   * Fold a closed minute into price_minutes only with at most this many distinct prices per tick,
   * in (0, 1]; 1 folds every minute. The others keep their ticks for the profile window
   * (tick-tail.ts, FOLD_MAX_ROWS_PER_TICK, the default).
   */
  readonly foldMaxRowsPerTick?: number;
}

export interface ResolvedOptions {
  readonly profile: { readonly rowSize: number | null; readonly windowMinutes: number; readonly valueAreaPct: number };
  readonly fvg: { readonly minGapAbs: number; readonly minGapPct: number; readonly timeframes: readonly Timeframe[] };
  readonly zones: {
    readonly maxBaseCandles: number;
    readonly maxBodyRatio: number;
    readonly displacementFactor: number;
    readonly averageCandles: number;
    readonly lookbackMinutes: number;
    readonly maxZones: number;
  };
  readonly externalClockMs: number | null;
  readonly newestTickMs: number | null;
  readonly cleanup: boolean;
  readonly tickTail: boolean;
  readonly foldMaxRowsPerTick: number;
}

function fail(field: string, rule: string, value: unknown): never {
  throw new AnalyticsError('INVALID_CONFIG', `${field} must be ${rule}; got ${String(value)}`, field);
}

function number(field: string, value: unknown, fallback: number, min: number, max: number, exclusiveMin = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (exclusiveMin && value === min) || value > max) {
    fail(field, `a number in ${exclusiveMin ? '(' : '['}${min}, ${max}]`, value);
  }
  return value;
}

function integer(field: string, value: unknown, fallback: number, min: number, max: number): number {
  const n = number(field, value, fallback, min, max);
  if (!Number.isInteger(n)) fail(field, `an integer in ${min}..${max}`, value);
  return n;
}

function object<T extends object>(field: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'an object', value);
  return value;
}

function timeframes(value: unknown): readonly Timeframe[] {
  if (value === undefined) return TIMEFRAMES;
  if (!Array.isArray(value) || value.some((tf) => !(TIMEFRAMES as readonly unknown[]).includes(tf))) {
    fail('fvgTimeframes', `a list of ${TIMEFRAMES.join(', ')}`, value);
  }
  return TIMEFRAMES.filter((tf) => value.includes(tf));
}

function clockMs(field: string, value: unknown): number | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) fail(field, 'a Date or epoch milliseconds', value);
  return ms;
}

/** Validates options and fills in defaults; throws AnalyticsError INVALID_CONFIG naming the option (`key`). */
export function resolveAnalyticsOptions(options: AnalyticsOptions = {}): ResolvedOptions {
  const o = object('options', options);
  const averageCandles = integer('zoneAverageCandles', o.zoneAverageCandles, 10, 1, 1000);
  if (o.cleanup !== undefined && typeof o.cleanup !== 'boolean') fail('cleanup', 'a boolean', o.cleanup);
  if (o.tickTail !== undefined && typeof o.tickTail !== 'boolean') fail('tickTail', 'a boolean', o.tickTail);
  return {
    profile: {
      rowSize: o.rowSize === undefined ? null : number('rowSize', o.rowSize, 0, 0, Number.MAX_VALUE, true),
      windowMinutes: integer('profileWindowMinutes', o.profileWindowMinutes, 15, 1, 1440),
      valueAreaPct: number('valueAreaPct', o.valueAreaPct, DEFAULT_VALUE_AREA_PCT, 0, 1, true),
    },
    fvg: {
      minGapAbs: number('fvgMinGapAbs', o.fvgMinGapAbs, 0, 0, Number.MAX_VALUE),
      minGapPct: number('fvgMinGapPct', o.fvgMinGapPct, 0, 0, 1),
      timeframes: timeframes(o.fvgTimeframes),
    },
    zones: {
      maxBaseCandles: integer('zoneMaxBaseCandles', o.zoneMaxBaseCandles, 3, 1, 100),
      maxBodyRatio: number('zoneMaxBodyRatio', o.zoneMaxBodyRatio, 0.5, 0, 1),
      displacementFactor: number('zoneDisplacementFactor', o.zoneDisplacementFactor, 2, 0, 1000, true),
      averageCandles,
      lookbackMinutes: integer('zoneLookbackMinutes', o.zoneLookbackMinutes, averageCandles + 4, averageCandles, 10_000),
      maxZones: integer('maxZones', o.maxZones, RETENTION_POLICY.maxZones, 0, 1_000_000),
    },
    externalClockMs: clockMs('externalClock', o.externalClock),
    newestTickMs: clockMs('newestTick', o.newestTick),
    cleanup: o.cleanup ?? false,
    tickTail: o.tickTail ?? false,
    foldMaxRowsPerTick: number('foldMaxRowsPerTick', o.foldMaxRowsPerTick, FOLD_MAX_ROWS_PER_TICK, 0, 1, true),
  };
}
