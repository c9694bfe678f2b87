import { ClientError } from '../errors';

/**
 * Subjects on the bus (DESIGN.md section 7). Pair parts are validated as storage-core does
 * (`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`), which also makes each one a single subject token:
 * no `.`, `*`, `>` or whitespace can reach a subject.
 */
export const DEFAULT_SUBJECT_PREFIX = 'md';

/** A pair as its three parts; `id` is the protocol's `exchange:marketType:symbol`. */
export interface BusPair {
  readonly exchange: string;
  readonly marketType: string;
  readonly symbol: string;
  readonly id: string;
}

const PART = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** Candle timeframes that may appear in a subject (a closed set, like the tables). */
export const BUS_TIMEFRAMES = ['1m', '5m', '15m'] as const;
export type BusTimeframe = (typeof BUS_TIMEFRAMES)[number];

/** Parses and validates `exchange:marketType:symbol`; a ClientError INVALID_OPTION otherwise. */
export function parseBusPair(id: string): BusPair {
  const parts = typeof id === 'string' ? id.split(':') : [];
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) {
    throw new ClientError('INVALID_OPTION', `invalid pair "${String(id)}": expected exchange:marketType:symbol, each ${PART.source}`);
  }
  const [exchange, marketType, symbol] = parts as [string, string, string];
  return { exchange, marketType, symbol, id };
}

export function checkSubjectPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) throw new ClientError('INVALID_OPTION', `invalid subject prefix "${prefix}": dot-separated tokens of [A-Za-z0-9_-]`);
  return prefix;
}

/** `md.trades.<exchange>.<marketType>.<symbol>` */
export function tradesSubject(pair: BusPair, prefix = DEFAULT_SUBJECT_PREFIX): string {
  return `${prefix}.trades.${pair.exchange}.${pair.marketType}.${pair.symbol}`;
}

/** `md.candles.<tf>.<exchange>.<marketType>.<symbol>` */
export function candlesSubject(timeframe: BusTimeframe, pair: BusPair, prefix = DEFAULT_SUBJECT_PREFIX): string {
  if (!(BUS_TIMEFRAMES as readonly string[]).includes(timeframe)) {
    throw new ClientError('INVALID_OPTION', `invalid timeframe "${timeframe}": one of ${BUS_TIMEFRAMES.join(', ')}`);
  }
  return `${prefix}.candles.${timeframe}.${pair.exchange}.${pair.marketType}.${pair.symbol}`;
}

/** The pair of a trades subject, or undefined if the subject is not one. */
export function pairOfTradesSubject(subject: string, prefix = DEFAULT_SUBJECT_PREFIX): BusPair | undefined {
  const head = `${prefix}.trades.`;
  if (!subject.startsWith(head)) return undefined;
  const parts = subject.slice(head.length).split('.');
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) return undefined;
  return parseBusPair(parts.join(':'));
}
