import * as tradeRule from '@market-data/storage-core';
import { decimalTextValue } from './decimal-text';
import type { RejectReason, Side, Trade } from './feed';

export interface RawTradeFields {
  readonly tradeId: unknown;
  readonly price: unknown;
  readonly volume: unknown;
  readonly side: unknown;
  readonly timestamp: unknown;
}

// Bound once: a named import compiles to a property read through the package's re-export getter on
// every call, and checkTrade runs once per trade on the socket thread.
const { isPlausibleTradeTime, isStorablePrice, isStorableVolume, tradeIdText } = tradeRule;

export type TradeCheck = { readonly ok: true; readonly trade: Trade } | { readonly ok: false; readonly reason: RejectReason };

/** A JSON number as it is; text only in decimal notation (see decimalTextValue); NaN for the rest. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? decimalTextValue(value) : Number.NaN;
}

/**
 * Turns exchange fields into a trade, or names the first thing wrong with them. Shared by every
 * feed so that "bad input" means the same everywhere (DESIGN.md section 6), and judged by
 * storage-core's trade rule (time, price, volume and id bounds: see its tick.ts), so that a trade
 * accepted here is never refused by storage, where it would fail its whole batch.
 */
export function checkTrade(
  pair: { readonly exchange: string; readonly marketType: string; readonly symbol: string },
  raw: RawTradeFields,
  receivedAt: number,
  now: number = Date.now(),
): TradeCheck {
  if (raw.tradeId === undefined || raw.price === undefined || raw.volume === undefined || raw.side === undefined || raw.timestamp === undefined) {
    return { ok: false, reason: 'missing_field' };
  }
  const tradeId = tradeIdText(raw.tradeId);
  if (tradeId === undefined) return { ok: false, reason: 'bad_trade_id' };
  const price = toNumber(raw.price);
  if (!isStorablePrice(price)) return { ok: false, reason: 'bad_price' };
  const volume = toNumber(raw.volume);
  if (!isStorableVolume(volume)) return { ok: false, reason: 'bad_volume' };
  if (raw.side !== 'BUY' && raw.side !== 'SELL') return { ok: false, reason: 'bad_side' };
  const timestamp = toNumber(raw.timestamp);
  if (!isPlausibleTradeTime(timestamp, now)) return { ok: false, reason: 'bad_timestamp' };
  return {
    ok: true,
    trade: {
      type: 'trade',
      exchange: pair.exchange,
      marketType: pair.marketType,
      symbol: pair.symbol,
      tradeId,
      price,
      volume,
      side: raw.side as Side,
      timestamp,
      receivedAt,
    },
  };
}
