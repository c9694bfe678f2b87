import type { DuckDBConnection } from '@duckdb/node-api';
import { executeQuery, executeRead, unwrittenCandles } from '@market-data/storage-core';
import { calculateOrderFlowImbalanceQuery, exactVolumeToText, type WindowImbalance } from '@market-data/queries';

export interface ReportWindow extends WindowImbalance {
  readonly lookbackMinutes: number;
  /** 'ticks': over the ticks in (clock - lookback, clock]; 'minutes': over the 1m candles opened in it (a tick-tail file). */
  readonly source: 'ticks' | 'minutes';
}

/** A minute of the window whose candle is stored but whose ticks are gone: a live file's tick tail. */
const TAIL_CUTS_WINDOW = `SELECT count(*) AS n FROM candles_1m
WHERE timestamp > make_timestamp($1::BIGINT) AND timestamp + INTERVAL 1 MINUTE <= (SELECT min(timestamp) FROM ticks)`;

/**
 * Taker volumes of the 1m candles opened in (start, clock], summed exactly (a stored volume is an
 * exact sum cast once), the open candle's ($3, $4: exact text, '0' without one) added.
 */
const MINUTES_WINDOW = `SELECT buy::DOUBLE AS buy_volume, sell::DOUBLE AS sell_volume, (buy - sell)::DOUBLE AS cvd,
  CASE WHEN sell > 0 THEN buy::DOUBLE / sell::DOUBLE END AS imbalance_ratio
FROM (SELECT COALESCE(sum(buy_volume::DECIMAL(38,12)), 0) + $3::DECIMAL(38,12) AS buy, COALESCE(sum(sell_volume::DECIMAL(38,12)), 0) + $4::DECIMAL(38,12) AS sell
  FROM candles_1m WHERE timestamp > make_timestamp($1::BIGINT) AND timestamp <= make_timestamp($2::BIGINT)) AS volumes`;

/**
 * The report's trailing CVD and imbalance (DESIGN.md section 4) over (clock - lookback, clock].
 * A live analytics file keeps only a tail of ticks (AnalyticsOptions.tickTail); when the window
 * reaches back past it, the window is the 1m candles opened in it instead (the forming one from the
 * connection's candle book, so it is exact), which is the tick window moved to the first minute boundary after its
 * start: `source` says which.
 */
export async function reportWindow(conn: DuckDBConnection, clockMs: number | null, lookbackMinutes: number): Promise<ReportWindow> {
  if (clockMs !== null) {
    const startMicros = Math.round((clockMs - lookbackMinutes * 60_000) * 1000);
    const [cut] = await executeQuery(conn, { sql: TAIL_CUTS_WINDOW, params: [startMicros] });
    if (Number(cut?.n ?? 0) > 0) {
      // The forming minute is in the connection's candle book, not (or not as it is) in the table.
      const open = unwrittenCandles(conn).find((c) => c.timeframe === '1m' && c.time * 1000 > startMicros && c.time <= clockMs);
      const extra = open === undefined ? ['0', '0'] : [exactVolumeToText(open.buyUnits), exactVolumeToText(open.sellUnits)];
      const until = open === undefined ? clockMs : Math.min(clockMs, open.time - 1);
      const [row] = await executeQuery(conn, { sql: MINUTES_WINDOW, params: [startMicros, Math.round(until * 1000), ...extra] });
      const ratio = row.imbalance_ratio;
      return {
        lookbackMinutes,
        source: 'minutes',
        buyVolume: Number(row.buy_volume),
        sellVolume: Number(row.sell_volume),
        cvd: Number(row.cvd),
        imbalanceRatio: ratio === null || ratio === undefined ? null : Number(ratio),
      };
    }
  }
  const [win] = await executeRead(conn, calculateOrderFlowImbalanceQuery({ lookbackMinutes }));
  return { lookbackMinutes, source: 'ticks', ...win };
}
