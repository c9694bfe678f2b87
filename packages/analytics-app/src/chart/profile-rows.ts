import type { DuckDBConnection } from '@duckdb/node-api';
import { executeQuery } from '@market-data/storage-core';
import { exactVolumeToDouble, marketProfileHistogramQuery, parseExactVolume } from '@market-data/queries';
import type { ChartProfileRow } from './page/chart-data';

export interface ProfileWindow {
  readonly rowSize: number;
  /** [fromMs, untilMs): whole minutes, epoch ms. */
  readonly fromMs: number;
  readonly untilMs: number;
}

/**
 * The volume per profile row over a window, as the engine bucketed it for the stored profile
 * (marketProfileHistogramQuery over the analytics file's price_minutes, which the passes fold
 * closed minutes into, and the ticks of the minutes they leave out: a live file keeps only a tail
 * of ticks besides).
 */
export async function readProfileRows(conn: DuckDBConnection, window: ProfileWindow): Promise<ChartProfileRow[]> {
  const query = marketProfileHistogramQuery({
    rowSize: window.rowSize,
    source: 'price_minutes_or_ticks',
    // The template's window is (end - lookback, end]; one microsecond back makes it [from, until).
    endTime: window.untilMs - 0.001,
    lookbackMinutes: (window.untilMs - window.fromMs) / 60_000,
  });
  const rows: ChartProfileRow[] = [];
  for (const row of await executeQuery(conn, query)) {
    const units = parseExactVolume(row.row_volume);
    // Only rows with volume exist in a profile (DESIGN.md section 4).
    if (units > 0n) rows.push({ price: Number(row.row_price), volume: exactVolumeToDouble(units) });
  }
  return rows;
}
