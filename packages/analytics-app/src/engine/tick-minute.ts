import type { PriceMinuteRow } from '@market-data/storage-core';
import { profileRowIndex, profileRowPrice } from '@market-data/queries';
import type { MinuteRow } from './profile-memory';
import { PriceSums } from './price-sums';

/**
 * Distinct prices a minute sums per price before it may switch to keeping its trades: below it
 * the map is small whatever the market (1,024 prices are about 60 KiB of heap).
 */
export const PER_PRICE_MIN = 1024;
/** Trades the per-trade arrays start with; they double as the minute fills. */
const INITIAL_CAPACITY = 1024;

/**
 * One minute's stored ticks as the profile and price_minutes need them (StoredTickMinutes).
 *
 * Summed per price as they arrive while the minute's prices repeat (a market on a tick grid: a
 * few hundred prices for thousands of trades, and the pass then buckets each price once). A
 * minute whose distinct prices pass both PER_PRICE_MIN and half its trades keeps its later trades
 * one by one instead, price and exact units in typed arrays: 16 bytes a trade off the JS heap,
 * where a map entry per price cost about 60 bytes of heap and a market with a price per trade
 * holds ~12,000 of them per pair and minute (117 MiB of RSS per minute of 100 such pairs). Those
 * trades are summed only at pass time, exactly, as PriceSums sums.
 */
export class TickMinute {
  trades = 0;
  private readonly byPrice = new PriceSums();
  /** Trades after the switch: price and units (doubleToExactUnits) of each, `kept` of them. */
  private prices: Float64Array | undefined;
  private units: Float64Array | undefined;
  private kept = 0;

  /** Adds one stored trade: its price and its volume as doubleToExactUnits gives it. */
  add(price: number, units: number): void {
    this.trades++;
    if (this.prices === undefined) {
      this.byPrice.add(price, units);
      if (this.byPrice.size > PER_PRICE_MIN && this.byPrice.size * 2 > this.trades) {
        this.prices = new Float64Array(INITIAL_CAPACITY);
        this.units = new Float64Array(INITIAL_CAPACITY);
      }
      return;
    }
    if (this.kept === this.prices.length) this.grow();
    this.prices[this.kept] = price;
    (this.units as Float64Array)[this.kept] = units;
    this.kept++;
  }

  /** Whether the minute keeps trades one by one (it switched); for tests. */
  get perTrade(): boolean {
    return this.prices !== undefined;
  }

  /**
   * The profile rows at `rowSize`, bucketed as marketProfileHistogramQuery does; undefined when a
   * price has no usable row index at that size (left to the SQL read, which reports it).
   */
  rows(rowSize: number): Map<number, MinuteRow> | undefined {
    const rows = new Map<number, MinuteRow>();
    const addTo = (rowIdx: number, volume: bigint): void => {
      const row = rows.get(rowIdx);
      rows.set(rowIdx, { rowPrice: row?.rowPrice ?? profileRowPrice(rowIdx, rowSize), volume: (row?.volume ?? 0n) + volume });
    };
    for (const [price, volume] of this.byPrice.entries()) {
      const rowIdx = profileRowIndex(price, rowSize);
      if (!Number.isSafeInteger(rowIdx)) return undefined;
      addTo(rowIdx, volume);
    }
    if (this.prices === undefined) return rows;
    const units = this.units as Float64Array;
    const byRow = new PriceSums();
    for (let i = 0; i < this.kept; i++) {
      const rowIdx = profileRowIndex(this.prices[i], rowSize);
      if (!Number.isSafeInteger(rowIdx)) return undefined;
      byRow.add(rowIdx, units[i]);
    }
    for (const [rowIdx, volume] of byRow.entries()) addTo(rowIdx, volume);
    return rows;
  }

  /**
   * The minute's price_minutes rows in price order, or none when it has more than
   * `maxRowsPerTick` distinct prices per trade (the SQL fold leaves such minutes out).
   */
  priceRows(minuteMs: number, maxRowsPerTick: number): PriceMinuteRow[] {
    if (this.prices === undefined) {
      if (this.byPrice.size > this.trades * maxRowsPerTick) return [];
      // A typed array sorts numbers without a comparator call per pair.
      const prices = Float64Array.from(this.byPrice.prices()).sort();
      return Array.from(prices, (price) => {
        const sum = this.byPrice.get(price) as { units: bigint; trades: number };
        return { minuteMs, price, volumeUnits: sum.units, trades: sum.trades };
      });
    }
    const prices = new Float64Array(this.byPrice.size + this.kept);
    prices.set(Float64Array.from(this.byPrice.prices()));
    prices.set(this.prices.subarray(0, this.kept), this.byPrice.size);
    prices.sort();
    let distinct = 0;
    for (let i = 0; i < prices.length; i++) if (distinct === 0 || prices[i] !== prices[distinct - 1]) prices[distinct++] = prices[i];
    if (distinct > this.trades * maxRowsPerTick) return [];
    const later = new PriceSums();
    const units = this.units as Float64Array;
    for (let i = 0; i < this.kept; i++) later.add(this.prices[i], units[i]);
    const rows: PriceMinuteRow[] = [];
    for (let i = 0; i < distinct; i++) {
      const price = prices[i];
      const early = this.byPrice.get(price);
      const late = later.get(price);
      rows.push({ minuteMs, price, volumeUnits: (early?.units ?? 0n) + (late?.units ?? 0n), trades: (early?.trades ?? 0) + (late?.trades ?? 0) });
    }
    return rows;
  }

  private grow(): void {
    const prices = new Float64Array(this.kept * 2);
    prices.set(this.prices as Float64Array);
    this.prices = prices;
    const units = new Float64Array(this.kept * 2);
    units.set(this.units as Float64Array);
    this.units = units;
  }
}
