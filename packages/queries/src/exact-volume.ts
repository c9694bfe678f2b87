import { QueryError } from './errors';
import { roundHalfAway } from './round-half-away';

/**
 * Volumes are summed as DECIMAL(38,12), not as doubles: a double sum depends on the order rows
 * are read in (which batching, replays and retention change), so two runs over the same trades
 * could differ in the last bit. Exchange quantities have at most 12 decimals, so the decimal sum
 * is exact, order-independent, and equals the exchange's own kline volume once cast back.
 */
export const EXACT_VOLUME = 'volume::DECIMAL(38,12)';

/** Decimal places of EXACT_VOLUME: exact volumes in JS are bigints counting units of 1e-12. */
export const EXACT_VOLUME_SCALE = 12;

/** An exact sum of the volume, kept as DECIMAL (0 when nothing matches), for exact arithmetic before one cast. */
export function exactDecimalSum(filter?: string): string {
  return `COALESCE(sum(${EXACT_VOLUME})${filter ? ` FILTER (WHERE ${filter})` : ''}, 0)`;
}

/** An exact sum of a volume expression, as DOUBLE. */
export function exactSum(expr: string = EXACT_VOLUME, filter?: string): string {
  return `COALESCE(sum(${expr})${filter ? ` FILTER (WHERE ${filter})` : ''}, 0)::DOUBLE`;
}

/**
 * An exact volume sum shipped as text (`sum(...)::VARCHAR`, e.g. '12.500000000000'): text is the
 * one form every DuckDB client hands over without rounding it through a double.
 */
export function exactSumText(expr: string = EXACT_VOLUME): string {
  return `sum(${expr})::VARCHAR`;
}

const DECIMAL_TEXT = /^(\d{1,26})(?:\.(\d{1,12}))?$/;
const SCALE = 10n ** BigInt(EXACT_VOLUME_SCALE);
const MAX_EXACT_INTEGER = 2n ** 53n;
/** DECIMAL(38,12) holds fewer than 10^38 units: DuckDB refuses to cast a volume that rounds to more. */
const DECIMAL_LIMIT_UNITS = 1e38;
const LOW_64 = 2n ** 64n - 1n;

/** Parses DECIMAL(38,12) text (as exactSumText yields it) into units of 1e-12. */
export function parseExactVolume(text: unknown): bigint {
  const match = typeof text === 'string' ? DECIMAL_TEXT.exec(text) : null;
  if (match === null) {
    throw new QueryError('INVALID_ROW', `an exact volume must be non-negative DECIMAL(38,12) text; got ${JSON.stringify(String(text).slice(0, 80))}`);
  }
  return BigInt(match[1]) * SCALE + BigInt((match[2] ?? '').padEnd(EXACT_VOLUME_SCALE, '0'));
}

// DuckDB's hugeint -> double: both 64-bit halves rounded on their own, 2^64 - 1 read as 2^64.
function hugeintToDouble(value: bigint): number {
  return Number(value & LOW_64) + Number(value >> 64n) * 18_446_744_073_709_551_616;
}

/**
 * DECIMAL(38,12) -> DOUBLE exactly as DuckDB 1.5 casts it (checked against DuckDB on random
 * values of 1 to 38 digits): below 2^53 units it divides the integer by 1e12; above, it adds the
 * whole part and the fraction / 1e12, each converted as a hugeint. Not always the correctly
 * rounded double, so a JS port of an SQL computation must cast the same way to decide ties and
 * thresholds the same way.
 */
export function exactVolumeToDouble(units: bigint): number {
  if (units >= -MAX_EXACT_INTEGER && units <= MAX_EXACT_INTEGER) return Number(units) / 1e12;
  return hugeintToDouble(units / SCALE) + hugeintToDouble(units % SCALE) / 1e12;
}

/**
 * A stored DOUBLE volume as EXACT_VOLUME (`volume::DECIMAL(38,12)`) makes it, in units of 1e-12,
 * exactly as DuckDB 1.5 casts: volume x 1e12 as a double, rounded half away from zero (not half
 * to even, not the decimal nearest the double). Checked against DuckDB on random, tie and
 * boundary values (analytics-app test/engine/stored-tick-histogram.int.spec.ts), so sums folded
 * in JS equal the SQL sums to the unit.
 */
export function doubleToExactVolume(volume: number): bigint {
  return BigInt(doubleToExactUnits(volume));
}

/**
 * doubleToExactVolume's units as an integer-valued double, without a BigInt: exact as a number
 * below 2^53 (9,007 coins), and BigInt() of it is exact at any size.
 */
export function doubleToExactUnits(volume: number): number {
  const scaled = roundHalfAway(volume * 1e12);
  if (!Number.isFinite(scaled) || Math.abs(scaled) >= DECIMAL_LIMIT_UNITS) {
    throw new QueryError('INVALID_ROW', `volume ${String(volume)} does not fit DECIMAL(38,12)`);
  }
  return scaled;
}

/**
 * Signed exact volumes (deltas, CVD) as a double: the magnitude cast as exactVolumeToDouble
 * does, so a delta of exact volumes is the double nearest its decimal, not a difference of two
 * rounded doubles (203.897, not 203.89700000000005).
 */
export function signedExactVolumeToDouble(units: bigint): number {
  return units < 0n ? -exactVolumeToDouble(-units) : exactVolumeToDouble(units);
}

/** Units of 1e-12 as plain decimal text ('-4.25', '0'), exact at any size: for JSON that must not round. */
export function exactVolumeToText(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const fraction = (abs % SCALE).toString().padStart(EXACT_VOLUME_SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${abs / SCALE}${fraction ? `.${fraction}` : ''}`;
}

const SIGNED_DECIMAL_TEXT = /^(-?)(\d{1,26})(?:\.(\d{1,12}))?$/;

/** Parses exactVolumeToText's output (signed decimal text, at most 12 decimals) into units of 1e-12. */
export function parseSignedExactVolume(text: unknown): bigint {
  const match = typeof text === 'string' ? SIGNED_DECIMAL_TEXT.exec(text) : null;
  if (match === null) {
    throw new QueryError('INVALID_ROW', `an exact signed volume must be decimal text with at most 12 decimals; got ${JSON.stringify(String(text).slice(0, 80))}`);
  }
  const units = BigInt(match[2]) * SCALE + BigInt((match[3] ?? '').padEnd(EXACT_VOLUME_SCALE, '0'));
  return match[1] === '-' ? -units : units;
}
