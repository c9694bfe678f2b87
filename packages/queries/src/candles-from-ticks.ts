import { exactSum } from './exact-volume';
import { SqlParams } from './sql-params';
import { assertTimeframe, candleTable, TIMEFRAME_SECONDS, type Timeframe } from './tables';
import { TRADE_ID_NUMBER_SQL, tradeOrderSql } from './trade-order';
import type { SqlQuery, TimeInput } from './types';
import { optionsObject, requiredTime } from './validate';

export interface CandlesFromTicksOptions {
  /** Rebuild every bucket whose open is >= this time floored to the timeframe. */
  readonly from: TimeInput;
}

/**
 * (Re)builds candles_<tf> from ticks for every bucket from `from` (floored to the timeframe) on,
 * replacing existing candles of those buckets, so re-running after more ticks arrive (or after a
 * replay) converges to the same candles. Bucket = trade time floored to the timeframe; open/close
 * = first/last trade by (time, trade id; see tradeOrderSql); buy_volume = taker-buy volume. On
 * exchange data with only market trades stored this equals the exchange's klines.
 */
export function upsertCandlesFromTicksQuery(timeframe: Timeframe, options: CandlesFromTicksOptions): SqlQuery {
  const table = candleTable(timeframe);
  const opts = optionsObject('options', options);
  const bucketMicros = TIMEFRAME_SECONDS[assertTimeframe(timeframe)] * 1_000_000;
  const fromMicros = Math.floor(requiredTime('from', opts.from) / bucketMicros) * bucketMicros;

  const params = new SqlParams();
  const from = params.timestamp(fromMicros);
  const bucket = `${params.add(bucketMicros)}::BIGINT`;
  const order = tradeOrderSql('ASC', 'trade_number');
  const sql = `INSERT OR REPLACE INTO ${table}
  (timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count, open_time, open_trade_id, close_time, close_trade_id)
SELECT
  time_bucket(to_microseconds(${bucket}), timestamp) AS bucket,
  first(price ORDER BY ${order}) AS open,
  max(price) AS high,
  min(price) AS low,
  last(price ORDER BY ${order}) AS close,
  ${exactSum()} AS volume,
  ${exactSum(undefined, "side = 'BUY'")} AS buy_volume,
  ${exactSum(undefined, "side = 'SELL'")} AS sell_volume,
  count(*) AS trade_count,
  first(timestamp ORDER BY ${order}) AS open_time,
  first(trade_id ORDER BY ${order}) AS open_trade_id,
  last(timestamp ORDER BY ${order}) AS close_time,
  last(trade_id ORDER BY ${order}) AS close_trade_id
FROM (
  SELECT timestamp, price, volume, side, trade_id, ${TRADE_ID_NUMBER_SQL} AS trade_number
  FROM ticks
  WHERE timestamp >= ${from}
) AS recent_ticks
GROUP BY bucket`;
  return { sql, params: params.toArray() };
}
