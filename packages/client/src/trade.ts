import type { Side, TickRow } from './protocol/messages';

/**
 * One committed trade as the client hands it out. Shaped like storage-core's `Tick`, so a
 * consumer that stores trades can pass these to `appendTicks` as they are.
 */
export interface Trade {
  /** Exchange trade time, epoch milliseconds (the fraction carries microseconds). */
  readonly timestamp: number;
  readonly price: number;
  readonly volume: number;
  /** The taker's side. */
  readonly side: Side;
  readonly tradeId: string;
}

export function tradeOf(row: TickRow): Trade {
  return { timestamp: row[0], price: row[1], volume: row[2], side: row[3], tradeId: row[4] };
}

export function rowOf(trade: Trade): TickRow {
  return [trade.timestamp, trade.price, trade.volume, trade.side, trade.tradeId];
}
