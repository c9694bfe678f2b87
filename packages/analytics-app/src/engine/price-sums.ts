/**
 * Exact volume (units of 1e-12) and trade count per key: a minute's distinct prices, as
 * price_minutes holds them, or its profile rows. Sums are doubles while they stay below 2^53
 * (exact integers; a 0.001 BTC trade is 1e9 units, so a price passes that after 9 million such
 * trades) and move into a BigInt beyond: a BigInt per key was most of the analytics app's heap in
 * a market with a price per trade (433 MiB committed at 100 pairs).
 */
export class PriceSums {
  private readonly slots = new Map<number, number>();
  private units = new Float64Array(64);
  private counts = new Int32Array(64);
  /** The part of a price's sum that passed 2^53. */
  private big: Map<number, bigint> | undefined;

  get size(): number {
    return this.slots.size;
  }

  /** Adds one trade of `units` (an integer-valued double: doubleToExactUnits) at `price`. */
  add(price: number, units: number): void {
    let slot = this.slots.get(price);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.units.length) this.grow();
      this.slots.set(price, slot);
      this.units[slot] = 0;
      this.counts[slot] = 0;
    }
    const sum = this.units[slot] + units;
    if (sum <= Number.MAX_SAFE_INTEGER) this.units[slot] = sum;
    else {
      this.big ??= new Map();
      this.big.set(price, (this.big.get(price) ?? 0n) + BigInt(this.units[slot]) + BigInt(units));
      this.units[slot] = 0;
    }
    this.counts[slot]++;
  }

  /** Each price with its exact volume and trade count, in insertion order. */
  *entries(): IterableIterator<[price: number, units: bigint, trades: number]> {
    for (const [price, slot] of this.slots) yield [price, this.unitsAt(price, slot), this.counts[slot]];
  }

  /** The prices, in insertion order. */
  prices(): IterableIterator<number> {
    return this.slots.keys();
  }

  /** The exact volume and trade count of a held price. */
  get(price: number): { readonly units: bigint; readonly trades: number } | undefined {
    const slot = this.slots.get(price);
    return slot === undefined ? undefined : { units: this.unitsAt(price, slot), trades: this.counts[slot] };
  }

  private unitsAt(price: number, slot: number): bigint {
    const part = BigInt(this.units[slot]);
    return this.big === undefined ? part : part + (this.big.get(price) ?? 0n);
  }

  private grow(): void {
    const units = new Float64Array(this.units.length * 2);
    units.set(this.units);
    this.units = units;
    const counts = new Int32Array(this.counts.length * 2);
    counts.set(this.counts);
    this.counts = counts;
  }
}
