import { TRADE_ID_PATTERN } from '@market-data/storage-core';
import type { RejectReason, Side, Trade } from './feed';

/** Earliest and latest trade times accepted: Bitcoin's first exchange trades to "a day ahead". */
const MIN_TIMESTAMP_MS = Date.UTC(2009, 0, 1);
const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

export interface RawTradeFields {
  readonly tradeId: unknown;
  readonly price: unknown;
  readonly volume: unknown;
  readonly side: unknown;
  readonly timestamp: unknown;
}

export type TradeCheck = { readonly ok: true; readonly trade: Trade } | { readonly ok: false; readonly reason: RejectReason };

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  // Exchanges send decimals ("60850.01"): one starting with a digit is never blank, so the
  // trim (a new string per field, twice per trade) is only needed for the rest.
  const first = value.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) return Number(value);
  return value.trim() !== '' ? Number(value) : Number.NaN;
}

/**
 * Turns exchange fields into a trade, or names the first thing wrong with them. Shared by every
 * feed so that "bad input" means the same everywhere (DESIGN.md section 6).
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
  const tradeId = typeof raw.tradeId === 'number' && Number.isSafeInteger(raw.tradeId) ? String(raw.tradeId) : raw.tradeId;
  if (typeof tradeId !== 'string') return { ok: false, reason: 'bad_trade_id' };
  // A non-negative safe integer's decimal form always fits the id pattern; only other ids need the regex.
  const plainInteger = typeof raw.tradeId === 'number' && raw.tradeId >= 0;
  if (!plainInteger && !TRADE_ID_PATTERN.test(tradeId)) return { ok: false, reason: 'bad_trade_id' };
  const price = toNumber(raw.price);
  if (!Number.isFinite(price) || price <= 0) return { ok: false, reason: 'bad_price' };
  const volume = toNumber(raw.volume);
  if (!Number.isFinite(volume) || volume < 0) return { ok: false, reason: 'bad_volume' };
  if (raw.side !== 'BUY' && raw.side !== 'SELL') return { ok: false, reason: 'bad_side' };
  const timestamp = toNumber(raw.timestamp);
  if (!Number.isFinite(timestamp) || timestamp < MIN_TIMESTAMP_MS || timestamp > now + MAX_FUTURE_MS) {
    return { ok: false, reason: 'bad_timestamp' };
  }
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
