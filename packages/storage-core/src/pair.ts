import { InvalidPairError } from './errors';

/** One trading pair: the unit of storage, one folder and one file per role. */
export interface PairKey {
  readonly exchange: string;
  readonly marketType: string;
  readonly symbol: string;
}

/** Each part must be safe as a single path segment and as a label: no `/`, `..`, NUL or spaces. */
export const PAIR_PART_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function checkPart(field: keyof PairKey, value: unknown): string {
  if (typeof value !== 'string' || !PAIR_PART_PATTERN.test(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value) : String(value);
    throw new InvalidPairError(`${field} must match ${PAIR_PART_PATTERN}; got ${shown}`, field);
  }
  return value;
}

/** Validates and freezes a pair; throws InvalidPairError (code INVALID_PAIR) naming the bad part. */
export function pairKey(exchange: string, marketType: string, symbol: string): PairKey {
  return Object.freeze({
    exchange: checkPart('exchange', exchange),
    marketType: checkPart('marketType', marketType),
    symbol: checkPart('symbol', symbol),
  });
}

/** Accepts either a PairKey or an `exchange:marketType:symbol` string, validated either way. */
export function toPairKey(pair: PairKey | string): PairKey {
  if (typeof pair !== 'string') return pairKey(pair.exchange, pair.marketType, pair.symbol);
  const parts = pair.split(':');
  if (parts.length !== 3) throw new InvalidPairError(`pair must be exchange:marketType:symbol; got ${JSON.stringify(pair)}`, 'pair');
  return pairKey(parts[0], parts[1], parts[2]);
}

/** `exchange:marketType:symbol`, the pair's name in maps, logs and metrics. */
export function pairId(pair: PairKey): string {
  return `${pair.exchange}:${pair.marketType}:${pair.symbol}`;
}
