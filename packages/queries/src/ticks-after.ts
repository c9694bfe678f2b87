import { numberColumn, oneOfColumn, stringColumn } from './decode';
import { TRADE_SIDES, type TradeSide } from './rows';
import { toEpochMicros } from './time';
import type { ReadQuery, ResultRow, TimeInput } from './types';
import { limitOption, optionsObject, orDefault } from './validate';
import { QueryError } from './errors';

export interface TicksAfterOptions {
  /** Exclusive start: ticks after (time, trade id) = (after, afterTradeId); omit for the beginning. */
  readonly after?: TimeInput;
  readonly afterTradeId?: string;
  /** Page size (1..1e6); default 20,000. */
  readonly limit?: number;
}

export const DEFAULT_PAGE_ROWS = 20_000;

/** A row of a tick page: the trade time as epoch microseconds, so a page's last row starts the next exactly. */
export interface TickPageRow {
  readonly timeUs: number;
  readonly price: number;
  readonly volume: number;
  readonly side: TradeSide;
  readonly tradeId: string;
}

export function decodeTickPageRow(row: ResultRow): TickPageRow {
  return {
    timeUs: numberColumn(row, 'us'),
    price: numberColumn(row, 'price'),
    volume: numberColumn(row, 'volume'),
    side: oneOfColumn(row, 'side', TRADE_SIDES),
    tradeId: stringColumn(row, 'trade_id'),
  };
}

/**
 * One page of ticks in (time, trade id) order, for replaying a pair's history without OFFSET:
 * pass the last row's time (`us` / 1000, or `timeUs` / 1000 decoded) and trade id as the next
 * page's start. Columns `us` (epoch microseconds), `price, volume, side, trade_id`.
 */
export function getTicksAfterQuery(options?: TicksAfterOptions): ReadQuery<TickPageRow> {
  const opts = optionsObject('options', options);
  const afterUs = opts.after === undefined ? -1 : toEpochMicros(opts.after);
  const afterId = opts.afterTradeId ?? '';
  if (typeof afterId !== 'string') throw new QueryError('INVALID_OPTION', 'afterTradeId must be a string');
  const limit = limitOption(orDefault(opts.limit, DEFAULT_PAGE_ROWS));
  return {
    sql: `SELECT epoch_us(timestamp) AS us, price, volume, side, trade_id FROM ticks
WHERE timestamp > make_timestamp($1::BIGINT) OR (timestamp = make_timestamp($1::BIGINT) AND trade_id > $2)
ORDER BY timestamp, trade_id LIMIT $3`,
    params: [afterUs, afterId, limit],
    decode: decodeTickPageRow,
  };
}
