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

/** A minute's trades after its switch: price and units (doubleToExactUnits) of each, `count` of them. */
interface KeptTrades {
  prices: Float64Array;
  units: Float64Array;
  count: number;
}

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
  private kept: KeptTrades | undefined;

  /** Adds one stored trade: its price and its volume as doubleToExactUnits gives it. */
  add(price: number, units: number): void {
    this.trades++;
    const kept = this.kept;
    if (kept === undefined) {
      this.byPrice.add(price, units);
      if (this.byPrice.size > PER_PRICE_MIN && this.byPrice.size * 2 > this.trades) {
        this.kept = { prices: new Float64Array(INITIAL_CAPACITY), units: new Float64Array(INITIAL_CAPACITY), count: 0 };
      }
      return;
    }
    if (kept.count === kept.prices.length) grow(kept);
    kept.prices[kept.count] = price;
    kept.units[kept.count] = units;
    kept.count++;
  }

  /** Whether the minute keeps trades one by one (it switched); for tests. */
  get perTrade(): boolean {
    return this.kept !== undefined;
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
    const kept = this.kept;
    if (kept === undefined) return rows;
    const byRow = new PriceSums();
    for (let i = 0; i < kept.count; i++) {
      const rowIdx = profileRowIndex(kept.prices[i], rowSize);
      if (!Number.isSafeInteger(rowIdx)) return undefined;
      byRow.add(rowIdx, kept.units[i]);
    }
    for (const [rowIdx, volume] of byRow.entries()) addTo(rowIdx, volume);
    return rows;
  }

  /**
   * The minute's price_minutes rows in price order, or none when it has more than
   * `maxRowsPerTick` distinct prices per trade (the SQL fold leaves such minutes out).
   */
  priceRows(minuteMs: number, maxRowsPerTick: number): PriceMinuteRow[] {
    const kept = this.kept;
    const n = kept?.count ?? 0;
    // Both parts' prices, sorted and made distinct in place (a typed array sorts numbers without a
    // comparator call per pair).
    const prices = new Float64Array(this.byPrice.size + n);
    let at = 0;
    for (const price of this.byPrice.prices()) prices[at++] = price;
    if (kept !== undefined) prices.set(kept.prices.subarray(0, n), at);
    prices.sort();
    let distinct = 0;
    for (let i = 0; i < prices.length; i++) if (distinct === 0 || prices[i] !== prices[distinct - 1]) prices[distinct++] = prices[i];
    if (distinct > this.trades * maxRowsPerTick) return [];
    const later = new PriceSums();
    if (kept !== undefined) for (let i = 0; i < n; i++) later.add(kept.prices[i], kept.units[i]);
    const rows: PriceMinuteRow[] = [];
    for (let i = 0; i < distinct; i++) {
      const price = prices[i];
      const early = this.byPrice.get(price);
      const late = later.get(price);
      rows.push({ minuteMs, price, volumeUnits: (early?.units ?? 0n) + (late?.units ?? 0n), trades: (early?.trades ?? 0) + (late?.trades ?? 0) });
    }
    return rows;
  }
}

function grow(kept: KeptTrades): void {
  const prices = new Float64Array(kept.count * 2);
  prices.set(kept.prices);
  kept.prices = prices;
  const units = new Float64Array(kept.count * 2);
  units.set(kept.units);
  kept.units = units;
}
