import type { DuckDBConnection } from '@duckdb/node-api';
import { executeQuery, type Row } from '@market-data/storage-core';
import {
  calculateOrderFlowImbalanceQuery,
  DEFAULT_LOOKBACK_MINUTES,
  getActiveDemandZonesQuery,
  getActiveSupplyZonesQuery,
  getUnfilledFvgsQuery,
} from '@market-data/queries';
import { AnalyticsError } from '../errors';

export interface PairReportOptions {
  /** Trailing window of the live CVD/imbalance, in minutes; default 15. */
  readonly lookbackMinutes?: number;
  /** At most this many gaps and this many zones of each type; default 20. */
  readonly limit?: number;
}

/** A pair's analytics at a glance: plain data, times as ISO strings, ready for JSON. */
export interface PairReport {
  /** The label given to buildPairReport, e.g. `binance:um:BTCUSDT`. */
  readonly pair: string;
  /** Newest stored tick (the data clock), or null without ticks. */
  readonly clock: string | null;
  /** CVD and imbalance over the ticks in (clock - lookback, clock]. */
  readonly window: {
    readonly lookbackMinutes: number;
    readonly buyVolume: number;
    readonly sellVolume: number;
    readonly cvd: number;
    readonly imbalanceRatio: number | null;
  };
  /** The newest closed minute's order flow (cvd = running total). */
  readonly orderFlow: {
    readonly timestamp: string;
    readonly buyVolume: number;
    readonly sellVolume: number;
    readonly delta: number;
    readonly cvd: number;
    readonly imbalanceRatio: number | null;
  } | null;
  readonly profile: {
    readonly timestamp: string;
    readonly windowMinutes: number;
    readonly rowSize: number;
    readonly poc: number | null;
    readonly valueAreaHigh: number | null;
    readonly valueAreaLow: number | null;
    readonly totalVolume: number;
  } | null;
  /** Open and partially filled gaps, oldest first. */
  readonly openFvgs: readonly {
    readonly id: string;
    readonly timeframe: string;
    readonly gapType: string;
    readonly priceLow: number;
    readonly priceHigh: number;
    readonly filledPct: number;
    readonly status: string;
    readonly createdAt: string;
  }[];
  /** Active and tested zones, supply then demand, strongest first. */
  readonly zones: readonly {
    readonly id: string;
    readonly zoneType: string;
    readonly priceLow: number;
    readonly priceHigh: number;
    readonly strength: number;
    readonly status: string;
    readonly testCount: number;
    readonly createdAt: string;
  }[];
}

const iso = (value: unknown): string => (value as Date).toISOString();
const num = (value: unknown): number => Number(value);
const nullableNum = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * Reads the report of one pair's analytics file, labelled `pair` (a few small reads; nothing is
 * written, so a read-only connection serves).
 */
export async function buildPairReport(conn: DuckDBConnection, pair = '-', options: PairReportOptions = {}): Promise<PairReport> {
  const lookbackMinutes = options.lookbackMinutes ?? DEFAULT_LOOKBACK_MINUTES;
  const limit = options.limit ?? 20;
  if (typeof lookbackMinutes !== 'number' || !Number.isFinite(lookbackMinutes) || lookbackMinutes <= 0) {
    throw new AnalyticsError('INVALID_CONFIG', `lookbackMinutes must be a positive number; got ${String(lookbackMinutes)}`, 'lookbackMinutes');
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new AnalyticsError('INVALID_CONFIG', `limit must be an integer 1..1000; got ${String(limit)}`, 'limit');
  }
  const [clockRow] = await executeQuery(conn, 'SELECT max(timestamp) AS newest FROM ticks');
  const clock = clockRow?.newest instanceof Date ? clockRow.newest.toISOString() : null;
  const [win] = await executeQuery(conn, calculateOrderFlowImbalanceQuery({ lookbackMinutes }));
  // Newest rows only; both tables are keyed (and stored) by time.
  const [flow] = await executeQuery(
    conn,
    'SELECT timestamp, buy_volume, sell_volume, delta, cvd, imbalance_ratio FROM order_flow ORDER BY timestamp DESC LIMIT 1',
  );
  const [profile] = await executeQuery(
    conn,
    `SELECT timestamp, window_minutes, row_size, poc, value_area_high, value_area_low, total_volume
     FROM market_profile ORDER BY timestamp DESC, window_minutes LIMIT 1`,
  );
  const fvgs = await executeQuery(conn, getUnfilledFvgsQuery({ limit }));
  const zones: Row[] = [
    ...(await executeQuery(conn, getActiveSupplyZonesQuery({ limit }))),
    ...(await executeQuery(conn, getActiveDemandZonesQuery({ limit }))),
  ];
  const buyVolume = num(win?.buy_volume ?? 0);
  const sellVolume = num(win?.sell_volume ?? 0);
  return {
    pair,
    clock,
    window: { lookbackMinutes, buyVolume, sellVolume, cvd: num(win?.cvd ?? 0), imbalanceRatio: nullableNum(win?.imbalance_ratio) },
    orderFlow:
      flow === undefined
        ? null
        : {
            timestamp: iso(flow.timestamp),
            buyVolume: num(flow.buy_volume),
            sellVolume: num(flow.sell_volume),
            delta: num(flow.delta),
            cvd: num(flow.cvd),
            imbalanceRatio: nullableNum(flow.imbalance_ratio),
          },
    profile:
      profile === undefined
        ? null
        : {
            timestamp: iso(profile.timestamp),
            windowMinutes: num(profile.window_minutes),
            rowSize: num(profile.row_size),
            poc: nullableNum(profile.poc),
            valueAreaHigh: nullableNum(profile.value_area_high),
            valueAreaLow: nullableNum(profile.value_area_low),
            totalVolume: num(profile.total_volume),
          },
    openFvgs: fvgs.map((g) => ({
      id: String(g.id),
      timeframe: String(g.timeframe),
      gapType: String(g.gap_type),
      priceLow: num(g.price_low),
      priceHigh: num(g.price_high),
      filledPct: num(g.filled_pct),
      status: String(g.status),
      createdAt: iso(g.created_at),
    })),
    zones: zones.map((z) => ({
      id: String(z.id),
      zoneType: String(z.zone_type),
      priceLow: num(z.price_low),
      priceHigh: num(z.price_high),
      strength: num(z.strength),
      status: String(z.status),
      testCount: num(z.test_count),
      createdAt: iso(z.created_at),
    })),
  };
}

/** Up to 10 significant digits, no exponent for ordinary prices, '-' for null. */
function fmt(value: number | null, digits = 10): string {
  if (value === null) return '-';
  return String(Number(value.toPrecision(digits)));
}

function time(isoText: string | null): string {
  return isoText === null ? '-' : isoText.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** Columns before `leftColumns` are left-aligned text, the rest right-aligned numbers. */
function table(header: readonly string[], rows: readonly (readonly string[])[], leftColumns: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/**
 * Renders reports as text: one summary line per pair (clock, windowed CVD and imbalance, latest
 * POC/VAL/VAH, counts of open gaps and live supply/demand zones), then each pair's gaps and zones.
 */
export function formatReport(reports: readonly PairReport[]): string {
  const summary = table(
    ['PAIR', 'CLOCK (UTC)', 'CVD', 'IMBALANCE', 'POC', 'VAL', 'VAH', 'FVGS', 'SUPPLY', 'DEMAND'],
    reports.map((r) => [
      r.pair,
      time(r.clock),
      fmt(r.window.cvd, 8),
      fmt(r.window.imbalanceRatio, 4),
      fmt(r.profile?.poc ?? null),
      fmt(r.profile?.valueAreaLow ?? null),
      fmt(r.profile?.valueAreaHigh ?? null),
      String(r.openFvgs.length),
      String(r.zones.filter((z) => z.zoneType === 'supply').length),
      String(r.zones.filter((z) => z.zoneType === 'demand').length),
    ]),
    2,
  );
  const lines = [...summary];
  for (const r of reports) {
    if (r.openFvgs.length === 0 && r.zones.length === 0) continue;
    lines.push('', `${r.pair}`);
    for (const g of r.openFvgs) {
      lines.push(`  FVG  ${g.timeframe.padEnd(3)} ${g.gapType.padEnd(7)} ${fmt(g.priceLow)}..${fmt(g.priceHigh)}  ${fmt(g.filledPct, 4)}% filled  since ${time(g.createdAt)}`);
    }
    for (const z of r.zones) {
      lines.push(`  ZONE ${z.zoneType.padEnd(7)} ${fmt(z.priceLow)}..${fmt(z.priceHigh)}  strength ${fmt(z.strength, 4)}  ${z.status} x${z.testCount}  since ${time(z.createdAt)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
