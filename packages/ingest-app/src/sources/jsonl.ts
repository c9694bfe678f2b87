import { PAIR_PART_PATTERN } from '@market-data/storage-core';
import { checkTrade } from '../feeds/validate-trade';
import { MAX_LINE_LENGTH, type LineOutcome, type TradeLineParser } from './trade-line-parser';

/**
 * JSON lines of normalized trades, one object per line:
 * `{"exchange","marketType","symbol","tradeId","price","volume","side","timestamp"}`,
 * timestamp as epoch milliseconds (number or digit string, fraction = µs) or an ISO-8601 string
 * (no zone means UTC; up to 9 fraction digits, µs kept).
 *
 * Pair fields: a part fixed by the file's spec must match (else `unknown_symbol`, as a live feed
 * refuses a symbol it did not subscribe); a part the spec leaves open must be present in the row.
 */
export interface JsonlPair {
  readonly exchange?: string;
  readonly marketType?: string;
  readonly symbol?: string;
}

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const EPOCH_DIGITS = /^\d+(?:\.\d+)?$/;

/** Epoch ms from an ISO-8601 string, keeping sub-millisecond digits that Date.parse would drop. */
export function isoToMillis(text: string): number {
  const m = ISO_TIME.exec(text.trim());
  if (m === null) return Number.NaN;
  let zone = (m[4] ?? 'Z').toUpperCase();
  if (zone !== 'Z') zone = zone.length === 3 ? `${zone}:00` : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const whole = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return m[3] === undefined ? whole : whole + Number(`0.${m[3]}`) * 1000;
}

function toMillis(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return EPOCH_DIGITS.test(value) ? Number(value) : isoToMillis(value);
}

type PartRefusal = { readonly refused: 'missing_field' | 'unknown_symbol' };
const MISSING: PartRefusal = { refused: 'missing_field' };
const UNKNOWN: PartRefusal = { refused: 'unknown_symbol' };

function pairPart(fixed: string | undefined, row: unknown): string | PartRefusal {
  if (row === undefined || row === null) return fixed ?? MISSING;
  if (typeof row !== 'string' || !PAIR_PART_PATTERN.test(row)) return UNKNOWN;
  if (fixed !== undefined && row !== fixed) return UNKNOWN;
  return row;
}

export class JsonlTradeParser implements TradeLineParser {
  constructor(private readonly pair: JsonlPair = {}) {}

  parse(line: string, receivedAt: number, now: number): LineOutcome {
    if (line.length > MAX_LINE_LENGTH) return 'oversized';
    if (line.trim().length === 0) return 'skip';
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return 'malformed_json';
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'unexpected_message';
    const row = value as Record<string, unknown>;
    const exchange = pairPart(this.pair.exchange, row.exchange);
    const marketType = pairPart(this.pair.marketType, row.marketType);
    const symbol = pairPart(this.pair.symbol, row.symbol);
    if (typeof exchange !== 'string') return exchange.refused;
    if (typeof marketType !== 'string') return marketType.refused;
    if (typeof symbol !== 'string') return symbol.refused;
    const check = checkTrade(
      { exchange, marketType, symbol },
      { tradeId: row.tradeId, price: row.price, volume: row.volume, side: row.side, timestamp: toMillis(row.timestamp) },
      receivedAt,
      now,
    );
    return check.ok ? check.trade : check.reason;
  }
}
