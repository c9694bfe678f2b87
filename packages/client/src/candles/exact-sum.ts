/**
 * Exact volume sums, as the ingester keeps them (storage-core's candle state, queries'
 * EXACT_VOLUME): a trade's volume is counted in integer units of 1e-12 (volume x 1e12 rounded half
 * away from zero, which is DuckDB's DOUBLE -> DECIMAL(38,12) cast for volumes >= 0), so a sum does
 * not depend on the order trades arrive in and equals the exchange's decimal arithmetic.
 */
export const VOLUME_SCALE = 12;
const SCALE = 10n ** BigInt(VOLUME_SCALE);
const SAFE = Number.MAX_SAFE_INTEGER;

/** A volume (>= 0) in units of 1e-12; an integer-valued double (exact as a BigInt). */
export function volumeUnits(volume: number): number {
  return Math.round(volume * 1e12);
}

/**
 * A running sum of units: `rest` takes them while it stays an exact integer and spills into the
 * BigInt only when one more would pass 2^53, so the common case costs no BigInt per trade.
 */
export class ExactSum {
  private big = 0n;
  private rest = 0;

  add(units: number): void {
    if (units <= SAFE - this.rest) this.rest += units;
    else {
      this.big += BigInt(this.rest) + BigInt(units);
      this.rest = 0;
    }
  }

  get units(): bigint {
    return this.big + BigInt(this.rest);
  }

  /** Plain decimal text ('12.5', '0.001', '0'), exact at any size. */
  toText(): string {
    return unitsToText(this.units);
  }
}

export function unitsToText(units: bigint): string {
  const fraction = (units % SCALE).toString().padStart(VOLUME_SCALE, '0').replace(/0+$/, '');
  return `${units / SCALE}${fraction ? `.${fraction}` : ''}`;
}
