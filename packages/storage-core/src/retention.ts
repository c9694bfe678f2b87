import type { DuckDBConnection } from '@duckdb/node-api';
import { StorageError } from './errors';
import { executeQuery } from './execute';
import { transaction } from './transaction';

/** How long each time-series table keeps rows, in minutes (DESIGN.md section 3). */
export interface RetentionPolicy {
  readonly ticks: number;
  readonly candles_1m: number;
  readonly candles_5m: number;
  readonly candles_15m: number;
  readonly order_flow: number;
  readonly market_profile: number;
  /** Per-minute price histograms: what the profile windows read, so kept as long as ticks were. */
  readonly price_minutes: number;
  /** Fair value gaps are dropped once filled or older than this. */
  readonly fair_value_gaps: number;
  /** Zones are permanent but capped: beyond this count the weakest broken ones go first. */
  readonly maxZones: number;
}

export const RETENTION_POLICY: RetentionPolicy = Object.freeze({
  ticks: 15,
  candles_1m: 15,
  candles_5m: 60,
  candles_15m: 60,
  order_flow: 15,
  market_profile: 15,
  price_minutes: 15,
  fair_value_gaps: 24 * 60,
  maxZones: 50,
});

const TIME_TABLES = ['ticks', 'candles_1m', 'candles_5m', 'candles_15m', 'order_flow', 'market_profile', 'price_minutes'] as const;

export interface CleanupOptions {
  /**
   * 'data' (default): ages are measured from the pair's newest tick, so a replay of history
   * behaves as live data does. 'wall': from `now` (default: the current time).
   */
  readonly clock?: 'data' | 'wall';
  readonly now?: Date;
}

export interface CleanupResult {
  /** The instant ages were measured from, or null when the pair has no ticks (nothing deleted). */
  readonly reference: Date | null;
  readonly deleted: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

function checkPolicy(policy: RetentionPolicy): void {
  for (const [key, value] of Object.entries(policy)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new StorageError('INVALID_OPTION', `retention ${key} must be a finite number >= 0; got ${String(value)}`, key);
    }
  }
}

/**
 * Deletes rows older than the policy allows, filled or expired fair value gaps, and zones beyond
 * the cap, in one transaction. `policy` overrides the defaults per table.
 */
export async function cleanupOldData(
  conn: DuckDBConnection,
  policy: Partial<RetentionPolicy> = {},
  options: CleanupOptions = {},
): Promise<CleanupResult> {
  const started = performance.now();
  const effective: RetentionPolicy = { ...RETENTION_POLICY, ...policy };
  checkPolicy(effective);
  let reference: Date | null;
  if (options.clock === 'wall') reference = options.now ?? new Date();
  else {
    const [row] = await executeQuery(conn, 'SELECT max(timestamp) AS newest FROM ticks');
    reference = (row?.newest as Date | null) ?? null;
  }
  const deleted: Record<string, number> = {};
  if (reference === null) return { reference, deleted, durationMs: performance.now() - started };

  const refMicros = Math.round(reference.getTime() * 1000);
  const cutoff = (minutes: number): number => refMicros - Math.round(minutes * 60_000_000);
  await transaction(conn, async () => {
    for (const table of TIME_TABLES) {
      const result = await conn.run(`DELETE FROM ${table} WHERE timestamp < make_timestamp($1::BIGINT)`, [cutoff(effective[table])]);
      deleted[table] = Number(result.rowsChanged);
    }
    const fvg = await conn.run(
      `DELETE FROM fair_value_gaps WHERE status = 'filled' OR created_at < make_timestamp($1::BIGINT)`,
      [cutoff(effective.fair_value_gaps)],
    );
    deleted.fair_value_gaps = Number(fvg.rowsChanged);
    const zones = await conn.run(
      `DELETE FROM supply_demand_zones WHERE id IN (
         SELECT id FROM supply_demand_zones
         ORDER BY (status = 'broken') DESC, strength ASC, created_at ASC
         LIMIT greatest((SELECT count(*) FROM supply_demand_zones) - $1::BIGINT, 0))`,
      [Math.floor(effective.maxZones)],
    );
    deleted.supply_demand_zones = Number(zones.rowsChanged);
  });
  return { reference, deleted, durationMs: performance.now() - started };
}
