import type { DuckDBConnection } from '@duckdb/node-api';
import { executeQuery } from '@market-data/storage-core';
import { calculateMarketProfileQuery, type MarketProfileRow } from '@market-data/queries';
import type { Candle } from './candle';
import { niceRowSize } from './row-size';

export interface ProfileSettings {
  /** null: niceRowSize(candle.close). */
  readonly rowSize: number | null;
  readonly windowMinutes: number;
  readonly valueAreaPct: number;
}

/**
 * The volume profile (DESIGN.md section 4, calculateMarketProfileQuery) of the `windowMinutes`
 * ending at a closed 1m candle's close, stamped with the candle's open time.
 *
 * The window is [close - W, close): the ticks of exactly the W one-minute buckets ending with this
 * candle. It is (close - W, close] shifted back by one microsecond, because a tick stamped exactly
 * at the close opens the next candle, and its same-microsecond siblings may not have been stored
 * yet when the candle closes; leaving them out keeps the row independent of batch boundaries.
 * The query reads only that window of ticks.
 */
export async function marketProfileRow(conn: DuckDBConnection, candle: Candle, settings: ProfileSettings): Promise<MarketProfileRow> {
  const rowSize = settings.rowSize ?? niceRowSize(candle.close);
  const [row] = await executeQuery(
    conn,
    calculateMarketProfileQuery({
      rowSize,
      lookbackMinutes: settings.windowMinutes,
      endTime: candle.closeMs - 0.001,
      valueAreaPct: settings.valueAreaPct,
    }),
  );
  const nullable = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
  return {
    timestamp: candle.openMs,
    windowMinutes: settings.windowMinutes,
    rowSize,
    poc: nullable(row?.poc),
    valueAreaHigh: nullable(row?.value_area_high),
    valueAreaLow: nullable(row?.value_area_low),
    totalVolume: Number(row?.total_volume ?? 0),
  };
}
