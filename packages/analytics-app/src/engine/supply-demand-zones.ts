import type { DuckDBConnection } from '@duckdb/node-api';
import { executeCachedInsert } from '@market-data/storage-core';
import {
  insertSupplyDemandZoneRowsQuery,
  MAX_INSERT_ROWS,
  updateZoneStatesQuery,
  type ZoneStateRow,
  type StoredZone,
  type SupplyDemandZoneRow,
  type Timeframe,
  type ZoneStatus,
  type ZoneType,
} from '@market-data/queries';
import type { Candle } from './candle';
import { updateRows, writeRows } from './write-rows';

/** One zone as the engine tracks it; times are epoch ms. */
export interface ZoneState {
  readonly id: string;
  readonly timeframe: Timeframe;
  readonly zoneType: ZoneType;
  readonly priceLow: number;
  readonly priceHigh: number;
  readonly strength: number;
  status: ZoneStatus;
  /** The displacement candle's open. */
  readonly createdAtMs: number;
  /** Close of the candle that last changed the row (the displacement on creation). */
  updatedAtMs: number;
  testCount: number;
}

export interface ZoneSettings {
  readonly maxBaseCandles: number;
  readonly maxBodyRatio: number;
  readonly displacementFactor: number;
  readonly averageCandles: number;
  readonly lookbackMinutes: number;
  readonly maxZones: number;
}

const TIMEFRAME: Timeframe = '1m';

function range(c: Candle): number {
  return c.high - c.low;
}

function isSmallBodied(c: Candle, maxBodyRatio: number): boolean {
  return Math.abs(c.close - c.open) <= maxBodyRatio * range(c);
}

/**
 * The zone rule, evaluated when candle `d` closes, on `history` = the candles before it (time
 * order) that opened within lookbackMinutes before it. Adjacent candle rows count as consecutive,
 * as for fair value gaps.
 *
 * 1. Base: the run of small-bodied candles (|close - open| <= maxBodyRatio x (high - low)) right
 *    before `d`, as long as it goes, at most maxBaseCandles; at least one.
 * 2. Average range: the mean high - low of the averageCandles candles right before `d` (the base
 *    included); all of them must be in `history`, else there is not enough context.
 * 3. Displacement: range(d) >= displacementFactor x average, with average > 0 (a flat market has
 *    no scale to measure against).
 * 4. Demand when `d` rallies away from the base (close > open and close > the base's highest
 *    high); supply when it drops away (close < open and close < the base's lowest low). A wide
 *    candle that ends inside the base left nothing behind.
 * Zone = [lowest low, highest high] of the base; strength = range(d) / average; status active;
 * id `1m:<base start ms>:<displacement ms>` (the base alone could be shared by two displacements).
 */
export function detectZone(d: Candle, history: readonly Candle[], settings: ZoneSettings): ZoneState | null {
  let baseLength = 0;
  while (
    baseLength < settings.maxBaseCandles &&
    baseLength < history.length &&
    isSmallBodied(history[history.length - 1 - baseLength], settings.maxBodyRatio)
  ) {
    baseLength++;
  }
  if (baseLength === 0 || history.length < settings.averageCandles) return null;
  let sum = 0;
  for (let i = history.length - settings.averageCandles; i < history.length; i++) sum += range(history[i]);
  const average = sum / settings.averageCandles;
  if (!(average > 0) || range(d) < settings.displacementFactor * average) return null;
  const base = history.slice(history.length - baseLength);
  const low = Math.min(...base.map((c) => c.low));
  const high = Math.max(...base.map((c) => c.high));
  let zoneType: ZoneType;
  if (d.close > d.open && d.close > high) zoneType = 'demand';
  else if (d.close < d.open && d.close < low) zoneType = 'supply';
  else return null;
  return {
    id: `${TIMEFRAME}:${base[0].openMs}:${d.openMs}`,
    timeframe: TIMEFRAME,
    zoneType,
    priceLow: low,
    priceHigh: high,
    strength: range(d) / average,
    status: 'active',
    createdAtMs: d.openMs,
    updatedAtMs: d.closeMs,
    testCount: 0,
  };
}

function touches(zone: ZoneState, c: Candle): boolean {
  return zone.zoneType === 'demand' ? c.low <= zone.priceHigh : c.high >= zone.priceLow;
}

function closesThrough(zone: ZoneState, c: Candle): boolean {
  return zone.zoneType === 'demand' ? c.close < zone.priceLow : c.close > zone.priceHigh;
}

/**
 * Moves a zone on by one candle after its displacement; returns whether it changed.
 * - broken: the candle closes through the far edge (demand: close < price_low; supply:
 *   close > price_high). Final; a zone broken on its first retest goes active -> broken with
 *   test_count 0, since a break is not a test.
 * - test: the candle trades into the zone (demand: low <= price_high; supply: high >= price_low)
 *   without closing through it, and `previous` (the candle before, if it came after the
 *   displacement) did not: one visit of several candles is one test. Status -> tested.
 */
export function advanceZone(zone: ZoneState, candle: Candle, previous: Candle | null): boolean {
  if (zone.status === 'broken' || candle.openMs <= zone.createdAtMs) return false;
  if (closesThrough(zone, candle)) {
    zone.status = 'broken';
    zone.updatedAtMs = candle.closeMs;
    return true;
  }
  if (!touches(zone, candle)) return false;
  if (previous !== null && previous.openMs > zone.createdAtMs && touches(zone, previous)) return false;
  zone.status = 'tested';
  zone.testCount++;
  zone.updatedAtMs = candle.closeMs;
  return true;
}

/** cleanupOldData's cap order (broken first, then weakest, then oldest), with id as the last tie-break. */
function dropOrder(a: ZoneState, b: ZoneState): number {
  const broken = Number(b.status === 'broken') - Number(a.status === 'broken');
  if (broken !== 0) return broken;
  if (a.strength !== b.strength) return a.strength - b.strength;
  if (a.createdAtMs !== b.createdAtMs) return a.createdAtMs - b.createdAtMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * All zones of a pair through one pass. The cap is applied after every candle, as a pass per
 * candle would, so which zones survive does not depend on pass timing; storage-core's
 * cleanupOldData applies the same order and then finds nothing to do.
 */
export class ZoneTracker {
  private readonly zones = new Map<string, ZoneState>();
  private readonly dirty = new Set<string>();
  private readonly dropped = new Set<string>();
  private readonly stored = new Set<string>();
  private created = 0;

  private constructor(private readonly settings: ZoneSettings) {}

  /** Starts from the stored zones (rows of getZonesQuery). */
  static start(stored: readonly StoredZone[], settings: ZoneSettings): ZoneTracker {
    const tracker = new ZoneTracker(settings);
    for (const row of stored) {
      const zone = fromRow(row);
      tracker.zones.set(zone.id, zone);
      tracker.stored.add(zone.id);
    }
    return tracker;
  }

  /** One newly closed 1m candle: advance every zone, detect a new one, apply the cap. */
  onCandle(candle: Candle, previous: Candle | null, history: readonly Candle[]): void {
    for (const zone of this.zones.values()) {
      if (zone.timeframe === TIMEFRAME && advanceZone(zone, candle, previous)) this.dirty.add(zone.id);
    }
    const zone = detectZone(candle, history, this.settings);
    if (zone !== null && !this.zones.has(zone.id)) {
      this.zones.set(zone.id, zone);
      this.dirty.add(zone.id);
      this.created++;
    }
    const excess = this.zones.size - this.settings.maxZones;
    if (excess > 0) {
      for (const victim of [...this.zones.values()].sort(dropOrder).slice(0, excess)) {
        this.zones.delete(victim.id);
        this.dirty.delete(victim.id);
        if (this.stored.has(victim.id)) this.dropped.add(victim.id);
      }
    }
  }

  /** Every zone the pair has after the candles seen (what the table holds once save committed). */
  current(): Iterable<ZoneState> {
    return this.zones.values();
  }

  /**
   * Deletes the dropped zones, updates the changed stored ones and inserts the new ones, a
   * statement each when there are any (with `replace`: one upsert for all changed).
   */
  async save(conn: DuckDBConnection, replace: boolean): Promise<{ readonly created: number; readonly updated: number; readonly dropped: number }> {
    const dropped = [...this.dropped];
    for (let i = 0; i < dropped.length; i += MAX_INSERT_ROWS) {
      const ids = dropped.slice(i, i + MAX_INSERT_ROWS);
      await executeCachedInsert(conn, { sql: `DELETE FROM supply_demand_zones WHERE id IN (${ids.map((_, k) => `$${k + 1}`).join(', ')})`, params: ids });
    }
    let updated = 0;
    const states: ZoneStateRow[] = [];
    const fresh: SupplyDemandZoneRow[] = [];
    for (const id of this.dirty) {
      const z = this.zones.get(id);
      if (z === undefined) continue;
      if (this.stored.has(id)) updated++;
      if (this.stored.has(id) && !replace) {
        states.push({ id: z.id, status: z.status, testCount: z.testCount, updatedAt: z.updatedAtMs });
        continue;
      }
      fresh.push(zoneRow(z));
    }
    await updateRows(conn, states, updateZoneStatesQuery);
    await writeRows(conn, fresh, insertSupplyDemandZoneRowsQuery, replace);
    return { created: this.created, updated, dropped: this.dropped.size };
  }
}

/** The zone as its table row, times as epoch ms (fromRow's inverse, but for the times' type). */
export function zoneRow(z: ZoneState): SupplyDemandZoneRow & { readonly testCount: number } {
  return {
    id: z.id,
    timeframe: z.timeframe,
    zoneType: z.zoneType,
    priceLow: z.priceLow,
    priceHigh: z.priceHigh,
    strength: z.strength,
    status: z.status,
    createdAt: z.createdAtMs,
    updatedAt: z.updatedAtMs,
    testCount: z.testCount,
  };
}

function fromRow(row: StoredZone): ZoneState {
  return {
    id: row.id,
    timeframe: row.timeframe,
    zoneType: row.zoneType,
    priceLow: row.priceLow,
    priceHigh: row.priceHigh,
    strength: row.strength,
    status: row.status,
    createdAtMs: row.createdAt.getTime(),
    updatedAtMs: row.updatedAt.getTime(),
    testCount: row.testCount,
  };
}
