/**
 * Volumes are summed as DECIMAL(38,12), not as doubles: a double sum depends on the order rows
 * are read in (which batching, replays and retention change), so two runs over the same trades
 * could differ in the last bit. Exchange quantities have at most 12 decimals, so the decimal sum
 * is exact, order-independent, and equals the exchange's own kline volume once cast back.
 */
export const EXACT_VOLUME = 'volume::DECIMAL(38,12)';

/** An exact sum of a volume expression, as DOUBLE. */
export function exactSum(expr: string = EXACT_VOLUME, filter?: string): string {
  return `COALESCE(sum(${expr})${filter ? ` FILTER (WHERE ${filter})` : ''}, 0)::DOUBLE`;
}
