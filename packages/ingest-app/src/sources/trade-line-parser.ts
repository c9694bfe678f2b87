import type { RejectReason, Trade } from '../feeds/feed';

/**
 * What one line of a trade file turned into. Strings instead of wrapper objects because a replay
 * parses tens of millions of lines and a trade is by far the common case.
 * - `skip`: a header or blank line, nothing to count;
 * - a RejectReason: reported to the sink. `non_market_trade` (e.g. Binance INSURANCE_FUND) is a
 *   well-formed row the exchange's own klines leave out: reported like the live feeds do, but
 *   counted as dropped rather than as bad input.
 */
export type LineOutcome = Trade | RejectReason | 'skip';

/** Stateful (header, detected layout) parser of one file's lines, in order. */
export interface TradeLineParser {
  parse(line: string, receivedAt: number, now: number): LineOutcome;
}

/** Lines longer than this are refused before any parsing: no trade row comes close. */
export const MAX_LINE_LENGTH = 4096;

/** A refused line as shown in the log: short enough to sample, long enough to recognise. */
export function sampleLine(where: string, line: string): string {
  const shown = line.length > 200 ? `${line.slice(0, 200)}...` : line;
  return `${where}: ${shown}`;
}
