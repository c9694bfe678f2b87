import { compareTradeIds } from './trade-order';

/** Volumes are kept as integers of 1e-12 units: sums are exact and independent of order. */
const SCALE = 1_000_000_000_000;
/** A volume in units: an integer, exact as a double (BigInt of it is exact too). */
export const volumeUnits = (v: number): number => Math.round(v * SCALE);
const toUnits = (v: number): bigint => BigInt(volumeUnits(v));
const fromUnits = (u: bigint, rest: number): number => Number(u + BigInt(rest)) / SCALE;
const SAFE = Number.MAX_SAFE_INTEGER;

/** One candle being built, with the keys of the trades that opened and closed it. */
export interface CandleAcc {
  bucketMicros: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /**
   * Each sum is `big + rest` units: `rest` takes the trades while it stays an exact integer, and
   * moves into the BigInt only when one more would pass 2^53. For a 0.001 BTC trade (1e9 units)
   * that is once every nine million trades instead of a BigInt per trade and timeframe, which was
   * a tenth of the ingester's storage thread.
   */
  volume: bigint;
  volumeRest: number;
  buyVolume: bigint;
  buyRest: number;
  sellVolume: bigint;
  sellRest: number;
  count: number;
  openMicros: number;
  openId: string;
  closeMicros: number;
  closeId: string;
  /** Whether the row exists in the table (then it is updated in place, not inserted). */
  stored: boolean;
}

export interface TickForCandle {
  readonly micros: number;
  readonly price: number;
  /** volumeUnits(volume). */
  readonly units: number;
  readonly buy: boolean;
  readonly id: string;
}

export function bucketOfSize(micros: number, sizeMicros: number): number {
  return Math.floor(micros / sizeMicros) * sizeMicros;
}

function earlier(aMicros: number, aId: string, bMicros: number, bId: string): boolean {
  return aMicros < bMicros || (aMicros === bMicros && compareTradeIds(aId, bId) < 0);
}

export function newCandle(bucketMicros: number, t: TickForCandle): CandleAcc {
  const units = t.units <= SAFE ? 0n : BigInt(t.units);
  const rest = t.units <= SAFE ? t.units : 0;
  return {
    bucketMicros,
    open: t.price,
    high: t.price,
    low: t.price,
    close: t.price,
    volume: units,
    volumeRest: rest,
    buyVolume: t.buy ? units : 0n,
    buyRest: t.buy ? rest : 0,
    sellVolume: t.buy ? 0n : units,
    sellRest: t.buy ? 0 : rest,
    count: 1,
    openMicros: t.micros,
    openId: t.id,
    closeMicros: t.micros,
    closeId: t.id,
    stored: false,
  };
}

/** Folds one new trade into its candle: the same result as aggregating all its trades at once. */
export function foldTrade(c: CandleAcc, t: TickForCandle): void {
  if (t.price > c.high) c.high = t.price;
  if (t.price < c.low) c.low = t.price;
  const u = t.units;
  if (u <= SAFE - c.volumeRest) c.volumeRest += u;
  else {
    c.volume += BigInt(c.volumeRest) + BigInt(u);
    c.volumeRest = 0;
  }
  if (t.buy) {
    if (u <= SAFE - c.buyRest) c.buyRest += u;
    else {
      c.buyVolume += BigInt(c.buyRest) + BigInt(u);
      c.buyRest = 0;
    }
  } else if (u <= SAFE - c.sellRest) c.sellRest += u;
  else {
    c.sellVolume += BigInt(c.sellRest) + BigInt(u);
    c.sellRest = 0;
  }
  c.count++;
  extendEnds(c, t.price, t.micros, t.id, t.price, t.micros, t.id);
}

/** Takes the given open if it traded before c's, and the given close if it traded after c's. */
function extendEnds(c: CandleAcc, open: number, openMicros: number, openId: string, close: number, closeMicros: number, closeId: string): void {
  if (earlier(openMicros, openId, c.openMicros, c.openId)) {
    c.open = open;
    c.openMicros = openMicros;
    c.openId = openId;
  }
  if (earlier(c.closeMicros, c.closeId, closeMicros, closeId)) {
    c.close = close;
    c.closeMicros = closeMicros;
    c.closeId = closeId;
  }
}

/**
 * Folds candle `o` (a later or earlier part of the same bucket's trades, disjoint from `c`'s)
 * into `c`: the candle of both parts' trades, as if folded trade by trade.
 */
export function mergeCandle(c: CandleAcc, o: CandleAcc): void {
  if (o.high > c.high) c.high = o.high;
  if (o.low < c.low) c.low = o.low;
  c.volume += o.volume + BigInt(o.volumeRest);
  c.buyVolume += o.buyVolume + BigInt(o.buyRest);
  c.sellVolume += o.sellVolume + BigInt(o.sellRest);
  c.count += o.count;
  extendEnds(c, o.open, o.openMicros, o.openId, o.close, o.closeMicros, o.closeId);
}

/** Exact volumes of a candle in units of 1e-12. */
export function candleUnits(c: CandleAcc): { readonly volume: bigint; readonly buy: bigint; readonly sell: bigint } {
  return { volume: c.volume + BigInt(c.volumeRest), buy: c.buyVolume + BigInt(c.buyRest), sell: c.sellVolume + BigInt(c.sellRest) };
}

/** The select list candleFromRow reads a stored candle row with. */
export const CANDLE_ROW_SELECT = `epoch_us(timestamp) AS us, open, high, low, close, volume, buy_volume, sell_volume, trade_count,
  epoch_us(open_time) AS open_us, open_trade_id, epoch_us(close_time) AS close_us, close_trade_id`;

/** A stored candle row (as read back with CANDLE_ROW_SELECT) turned into an accumulator. */
export function candleFromRow(row: Record<string, unknown>): CandleAcc | undefined {
  if (row.open_us === null || row.open_us === undefined) return undefined;
  return {
    bucketMicros: row.us as number,
    open: row.open as number,
    high: row.high as number,
    low: row.low as number,
    close: row.close as number,
    volume: toUnits(row.volume as number),
    volumeRest: 0,
    buyVolume: toUnits(row.buy_volume as number),
    buyRest: 0,
    sellVolume: toUnits(row.sell_volume as number),
    sellRest: 0,
    count: row.trade_count as number,
    openMicros: row.open_us as number,
    openId: row.open_trade_id as string,
    closeMicros: row.close_us as number,
    closeId: row.close_trade_id as string,
    stored: true,
  };
}

/** Bound values for one candle row, in CANDLE_COLUMNS order. */
export function candleParams(c: CandleAcc): (number | string)[] {
  return [
    c.bucketMicros,
    c.open,
    c.high,
    c.low,
    c.close,
    fromUnits(c.volume, c.volumeRest),
    fromUnits(c.buyVolume, c.buyRest),
    fromUnits(c.sellVolume, c.sellRest),
    c.count,
    c.openMicros,
    c.openId,
    c.closeMicros,
    c.closeId,
  ];
}

export const CANDLE_COLUMNS =
  'timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count, open_time, open_trade_id, close_time, close_trade_id';

/** Insert of a new candle row, values as candleParams. */
export function insertCandleSql(table: string): string {
  return `INSERT INTO ${table} (${CANDLE_COLUMNS}) VALUES (make_timestamp($1::BIGINT), $2, $3, $4, $5, $6, $7, $8, $9, make_timestamp($10::BIGINT), $11, make_timestamp($12::BIGINT), $13)`;
}

/** Update of an existing candle row in place (cheaper than INSERT OR REPLACE), values as candleParams. */
export function updateCandleSql(table: string): string {
  return `UPDATE ${table} SET open = $2, high = $3, low = $4, close = $5, volume = $6, buy_volume = $7, sell_volume = $8,
    trade_count = $9, open_time = make_timestamp($10::BIGINT), open_trade_id = $11, close_time = make_timestamp($12::BIGINT), close_trade_id = $13
    WHERE timestamp = make_timestamp($1::BIGINT)`;
}
