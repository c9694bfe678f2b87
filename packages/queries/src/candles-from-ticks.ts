import { exactSum } from './exact-volume';
import { SqlParams } from './sql-params';
import { assertTimeframe, candleTable, TIMEFRAME_SECONDS, type Timeframe } from './tables';
import { TRADE_ID_NUMBER_SQL, tradeOrderSql } from './trade-order';
import type { ReadQuery, SqlQuery, TimeInput } from './types';
import { optionalTime, optionsObject, requiredTime } from './validate';
import { CANDLE_COLUMNS, decodeCandle, type TimeRangeOptions } from './reads';
import type { StoredCandle } from './rows';

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
  const sql = `INSERT OR REPLACE INTO ${table}
  (timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count, open_time, open_trade_id, close_time, close_trade_id)
${candlesFromTicksSql(bucket, `timestamp >= ${from}`)}`;
  return { sql, params: params.toArray() };
}

/** The candles of the ticks matching `where`, one row per bucket (`bucket` a BIGINT of µs), in candle-row column order. */
function candlesFromTicksSql(bucket: string, where: string): string {
  const order = tradeOrderSql('ASC', 'trade_number');
  return `SELECT
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
  WHERE ${where}
) AS recent_ticks
GROUP BY bucket`;
}

/**
 * The stored candles of a timeframe in time order with the open candle (and a stored row that
 * trails its ticks) built from the ticks: for a file whose table holds closed candles only
 * (storage-core's candleRecovery 'closed', the ingester's) and which keeps the ticks of the open
 * bucket (the default 15 minute tick retention keeps a whole 15m bucket). The newest stored row
 * counts as closed when a tick after its bucket is stored; otherwise its bucket is built from the
 * ticks too. The built rows are what the table will hold once they close (the same aggregate as
 * upsertCandlesFromTicksQuery). Columns as getCandlesQuery.
 */
export function getCandlesWithOpenQuery(timeframe: Timeframe, options?: TimeRangeOptions): ReadQuery<StoredCandle> {
  const table = candleTable(timeframe);
  const opts = optionsObject('options', options);
  const size = TIMEFRAME_SECONDS[assertTimeframe(timeframe)] * 1_000_000;
  const params = new SqlParams();
  const bucket = `${params.add(size)}::BIGINT`;
  const since = optionalTime('since', opts.since);
  const until = optionalTime('until', opts.until);
  const range = [since === undefined ? '' : ` AND timestamp >= ${params.timestamp(since)}`, until === undefined ? '' : ` AND timestamp < ${params.timestamp(until)}`].join('');
  // Where stored rows end and rows built from ticks begin: defined once, read by both halves.
  const cut = '(SELECT cut_at FROM cut)';
  const sql = `WITH cut AS (
  SELECT CASE WHEN newest IS NULL THEN '-infinity'::TIMESTAMP
    WHEN newest + to_microseconds(${bucket}) <= (SELECT max(timestamp) FROM ticks) THEN newest + to_microseconds(${bucket})
    ELSE newest END AS cut_at
  FROM (SELECT max(timestamp) AS newest FROM ${table})
)
SELECT ${CANDLE_COLUMNS} FROM (
  SELECT ${CANDLE_COLUMNS} FROM ${table} WHERE timestamp < ${cut}
  UNION ALL
  SELECT bucket AS timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count FROM (${candlesFromTicksSql(bucket, `timestamp >= ${cut}`)}) AS built
) AS candles WHERE true${range} ORDER BY timestamp`;
  return { sql, params: params.toArray(), decode: decodeCandle };
}
