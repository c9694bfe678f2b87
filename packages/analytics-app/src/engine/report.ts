import type { DuckDBConnection } from '@duckdb/node-api';
import { executeRead } from '@market-data/storage-core';
import {
  DEFAULT_LOOKBACK_MINUTES,
  getActiveDemandZonesQuery,
  getActiveSupplyZonesQuery,
  getMarketProfilesQuery,
  getOrderFlowQuery,
  getRecentTicksQuery,
  getUnfilledFvgsQuery,
  type StoredFvg,
  type StoredMarketProfile,
  type StoredOrderFlow,
  type StoredZone,
} from '@market-data/queries';
import { AnalyticsError } from '../errors';
import { reportWindow, type ReportWindow } from './report-window';

export interface PairReportOptions {
  /** Trailing window of the live CVD/imbalance, in minutes; default 15. */
  readonly lookbackMinutes?: number;
  /** At most this many gaps and this many zones of each type; default 20. */
  readonly limit?: number;
}

/** A row as JSON carries it: times as ISO strings. */
type Json<T> = { readonly [K in keyof T]: T[K] extends Date ? string : T[K] };

/** A pair's analytics at a glance: plain data, times as ISO strings, ready for JSON. */
export interface PairReport {
  /** The label given to buildPairReport, e.g. `binance:um:BTCUSDT`. */
  readonly pair: string;
  /** Newest stored tick (the data clock), or null without ticks. */
  readonly clock: string | null;
  /** CVD and imbalance over (clock - lookback, clock]: see reportWindow. */
  readonly window: ReportWindow;
  /** The newest closed minute's order flow (cvd = running total). */
  readonly orderFlow: Json<StoredOrderFlow> | null;
  readonly profile: Json<StoredMarketProfile> | null;
  /** Open and partially filled gaps, oldest first. */
  readonly openFvgs: readonly Json<Omit<StoredFvg, 'updatedAt'>>[];
  /** Active and tested zones, supply then demand, strongest first. */
  readonly zones: readonly Json<Omit<StoredZone, 'timeframe' | 'updatedAt'>>[];
}

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
  const [newest] = await executeRead(conn, getRecentTicksQuery({ limit: 1 }));
  const window = await reportWindow(conn, newest === undefined ? null : newest.timestamp.getTime(), lookbackMinutes);
  // Newest rows only; both tables are keyed (and stored) by time.
  const [flow] = await executeRead(conn, getOrderFlowQuery({ limit: 1 }));
  const [profile] = await executeRead(conn, getMarketProfilesQuery({ limit: 1 }));
  const fvgs = await executeRead(conn, getUnfilledFvgsQuery({ limit }));
  const zones = [
    ...(await executeRead(conn, getActiveSupplyZonesQuery({ limit }))),
    ...(await executeRead(conn, getActiveDemandZonesQuery({ limit }))),
  ];
  return {
    pair,
    clock: newest === undefined ? null : newest.timestamp.toISOString(),
    window,
    orderFlow: flow === undefined ? null : { ...flow, timestamp: flow.timestamp.toISOString() },
    profile: profile === undefined ? null : { ...profile, timestamp: profile.timestamp.toISOString() },
    openFvgs: fvgs.map(({ updatedAt: _updated, ...g }) => ({ ...g, createdAt: g.createdAt.toISOString() })),
    zones: zones.map(({ timeframe: _tf, updatedAt: _updated, ...z }) => ({ ...z, createdAt: z.createdAt.toISOString() })),
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
