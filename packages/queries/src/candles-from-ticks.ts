import { SqlParams } from './sql-params';
import { assertTimeframe, candleTable, TIMEFRAME_SECONDS, type Timeframe } from './tables';
import { TRADE_ID_NUMBER_SQL, tradeOrderSql } from './trade-order';
import type { SqlQuery, TimeInput } from './types';
import { optionsObject, requiredTime } from './validate';

/**
 * Volumes are summed as DECIMAL(38,12), not as doubles: a double sum depends on the order rows
 * are read in (which batching and replays change), so two runs over the same trades could differ
 * in the last bit; exchange quantities have at most 12 decimals, so the decimal sum is exact and
 * equals the exchange's own kline volume.
 */
const EXACT_VOLUME = 'volume::DECIMAL(38,12)';

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
  (timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count)
SELECT
  time_bucket(to_microseconds(${bucket}), timestamp) AS bucket,
  first(price ORDER BY ${order}) AS open,
  max(price) AS high,
  min(price) AS low,
  last(price ORDER BY ${order}) AS close,
  sum(${EXACT_VOLUME})::DOUBLE AS volume,
  COALESCE(sum(${EXACT_VOLUME}) FILTER (WHERE side = 'BUY'), 0)::DOUBLE AS buy_volume,
  COALESCE(sum(${EXACT_VOLUME}) FILTER (WHERE side = 'SELL'), 0)::DOUBLE AS sell_volume,
  count(*) AS trade_count
FROM (
  SELECT timestamp, price, volume, side, trade_id, ${TRADE_ID_NUMBER_SQL} AS trade_number
  FROM ticks
  WHERE timestamp >= ${from}
) AS recent_ticks
GROUP BY bucket`;
  return { sql, params: params.toArray() };
}
