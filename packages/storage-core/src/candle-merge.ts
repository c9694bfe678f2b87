import { TIMEFRAME_SECONDS, TRADE_ID_NUMBER_SQL, candleTable, type Timeframe } from '@market-data/queries';

/** `a` is earlier in trade order than `b`: by time, then numeric ids as numbers, then as text. */
function before(aTime: string, aId: string, bTime: string, bId: string): string {
  const num = (id: string) => TRADE_ID_NUMBER_SQL.replace(/trade_id/g, id);
  return `(${aTime} < ${bTime} OR (${aTime} = ${bTime} AND (
    CASE WHEN ${num(aId)} IS NOT NULL AND ${num(bId)} IS NOT NULL THEN ${num(aId)} < ${num(bId)}
         WHEN ${num(aId)} IS NOT NULL THEN true
         WHEN ${num(bId)} IS NOT NULL THEN false
         ELSE ${aId} < ${bId} END)))`;
}

/**
 * Folds the rows of `source` (new, already de-duplicated ticks) into candles_<tf>: high/low by
 * max/min, volumes and counts added exactly (DECIMAL), open/close replaced only by a trade that
 * comes earlier/later in trade order than the stored one. The result equals rebuilding the
 * candle from all its ticks, whatever the batching, without re-reading stored ticks.
 */
export function mergeCandlesSql(timeframe: Timeframe, source: string): string {
  const table = candleTable(timeframe);
  const bucketMicros = TIMEFRAME_SECONDS[timeframe] * 1_000_000;
  const order = `timestamp, ${TRADE_ID_NUMBER_SQL} NULLS LAST, trade_id`;
  const dec = (col: string) => `${col}::DECIMAL(38,12)`;
  const add = (col: string) => `(${dec(col)} + ${dec(`EXCLUDED.${col}`)})::DOUBLE`;
  const earlier = before('EXCLUDED.open_time', 'EXCLUDED.open_trade_id', 'open_time', 'open_trade_id');
  const later = before('close_time', 'close_trade_id', 'EXCLUDED.close_time', 'EXCLUDED.close_trade_id');
  return `INSERT INTO ${table}
  (timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count, open_time, open_trade_id, close_time, close_trade_id)
SELECT time_bucket(to_microseconds(${bucketMicros}::BIGINT), timestamp) AS bucket,
  first(price ORDER BY ${order}), max(price), min(price), last(price ORDER BY ${order}),
  sum(${dec('volume')})::DOUBLE,
  COALESCE(sum(${dec('volume')}) FILTER (WHERE side = 'BUY'), 0)::DOUBLE,
  COALESCE(sum(${dec('volume')}) FILTER (WHERE side = 'SELL'), 0)::DOUBLE,
  count(*),
  first(timestamp ORDER BY ${order}), first(trade_id ORDER BY ${order}),
  last(timestamp ORDER BY ${order}), last(trade_id ORDER BY ${order})
FROM ${source}
GROUP BY bucket
ON CONFLICT (timestamp) DO UPDATE SET
  high = greatest(high, EXCLUDED.high),
  low = least(low, EXCLUDED.low),
  volume = ${add('volume')},
  buy_volume = ${add('buy_volume')},
  sell_volume = ${add('sell_volume')},
  trade_count = trade_count + EXCLUDED.trade_count,
  open = CASE WHEN open_time IS NULL OR ${earlier} THEN EXCLUDED.open ELSE open END,
  open_trade_id = CASE WHEN open_time IS NULL OR ${earlier} THEN EXCLUDED.open_trade_id ELSE open_trade_id END,
  open_time = CASE WHEN open_time IS NULL OR ${earlier} THEN EXCLUDED.open_time ELSE open_time END,
  close = CASE WHEN close_time IS NULL OR ${later} THEN EXCLUDED.close ELSE close END,
  close_trade_id = CASE WHEN close_time IS NULL OR ${later} THEN EXCLUDED.close_trade_id ELSE close_trade_id END,
  close_time = CASE WHEN close_time IS NULL OR ${later} THEN EXCLUDED.close_time ELSE close_time END`;
}
