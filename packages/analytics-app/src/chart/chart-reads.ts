import type { DuckDBConnection } from '@duckdb/node-api';
import { executeQuery, unwrittenCandles, type Row, type UnwrittenCandle } from '@market-data/storage-core';
import {
  doubleToExactVolume,
  exactVolumeToDouble,
  getCandlesQuery,
  parseExactVolume,
  TIMEFRAME_SECONDS,
  type Timeframe,
} from '@market-data/queries';
import type { ChartCandle, ChartData, ChartGap, ChartProfile, ChartZone } from './page/chart-data';
import { readProfileRows } from './profile-rows';

/** Newest candles a response carries (retention keeps far fewer: 15 min of 1m, 1 h of 5m/15m). */
export const MAX_CHART_CANDLES = 1500;
const MAX_GAPS = 500;
const MINUTE_MS = 60_000;

const num = (value: unknown): number => Number(value);

/** Taker buy minus sell per bucket of the ticks from `from` on, exact, as text. */
const DELTA_SINCE_SQL = `SELECT epoch_ms(time_bucket(to_microseconds($2::BIGINT), timestamp)) AS bucket,
  (COALESCE(sum(volume::DECIMAL(38,12)) FILTER (WHERE side = 'BUY'), 0) - COALESCE(sum(volume::DECIMAL(38,12)) FILTER (WHERE side = 'SELL'), 0))::VARCHAR AS delta
FROM ticks WHERE timestamp >= make_timestamp($1::BIGINT) GROUP BY bucket ORDER BY bucket`;

function signedUnits(text: unknown): bigint {
  const s = String(text);
  return s.startsWith('-') ? -parseExactVolume(s.slice(1)) : parseExactVolume(s);
}

/** Volumes in units of 1e-12, so the delta is exact. */
function candleFromRow(row: Row | UnwrittenCandle, timeMs: number, volumes: { volume: bigint; buy: bigint; sell: bigint }, trades: unknown, closed: boolean): ChartCandle {
  return {
    time: timeMs,
    open: num(row.open),
    high: num(row.high),
    low: num(row.low),
    close: num(row.close),
    volume: exactVolumeToDouble(volumes.volume),
    buyVolume: exactVolumeToDouble(volumes.buy),
    sellVolume: exactVolumeToDouble(volumes.sell),
    delta: exactVolumeToDouble(volumes.buy - volumes.sell),
    trades: num(trades),
    cvd: null,
    closed,
  };
}

/**
 * The stored candles and the forming one: the app's files hold closed candles (and open ones a
 * flush wrote), and the connection's candle book holds the open candle of each timeframe (and a
 * stored one that trails it), exact, over the rows. A live file keeps only a tail of ticks, so the
 * forming 5m/15m candle cannot be read from ticks.
 */
async function readCandles(conn: DuckDBConnection, timeframe: Timeframe, clock: number | null): Promise<ChartCandle[]> {
  const tfMs = TIMEFRAME_SECONDS[timeframe] * 1000;
  const closed = (time: number): boolean => clock !== null && clock >= time + tfMs;
  const stored = await executeQuery(conn, getCandlesQuery(timeframe, { limit: MAX_CHART_CANDLES }));
  const candles: ChartCandle[] = stored.map((row) => {
    const time = (row.timestamp as Date).getTime();
    // Stored candle volumes are exact sums cast to DOUBLE: cast back, they are the exact units.
    const volumes = { volume: doubleToExactVolume(num(row.volume)), buy: doubleToExactVolume(num(row.buy_volume)), sell: doubleToExactVolume(num(row.sell_volume)) };
    return candleFromRow(row, time, volumes, row.trade_count, closed(time));
  });
  const open = unwrittenCandles(conn).find((c) => c.timeframe === timeframe);
  if (open !== undefined) {
    const volumes = { volume: open.volumeUnits, buy: open.buyUnits, sell: open.sellUnits };
    const candle = candleFromRow(open, open.time, volumes, open.trades, closed(open.time));
    const last = candles.length > 0 ? candles[candles.length - 1].time : -Infinity;
    if (open.time === last) candles[candles.length - 1] = candle;
    else if (open.time > last) {
      candles.push(candle);
      if (candles.length > MAX_CHART_CANDLES) candles.shift();
    }
  }
  return candles;
}

/**
 * CVD at each candle's end: the engine's running order_flow.cvd of the candle's last processed
 * minute; past the newest processed minute (the forming candle, a pass not landed yet), that CVD
 * plus the exact delta of the ticks stored since.
 */
async function addCvd(conn: DuckDBConnection, timeframe: Timeframe, candles: ChartCandle[]): Promise<ChartCandle[]> {
  if (candles.length === 0) return candles;
  const tfMs = TIMEFRAME_SECONDS[timeframe] * 1000;
  const flow = await executeQuery(conn, {
    sql: 'SELECT epoch_ms(timestamp) AS t, cvd FROM order_flow WHERE timestamp >= make_timestamp($1::BIGINT) ORDER BY timestamp',
    params: [candles[0].time * 1000],
  });
  // The newest order_flow row: the last of those, unless no minute since the first candle has one.
  const [newest] = flow.length > 0 ? flow.slice(-1) : await executeQuery(conn, 'SELECT epoch_ms(timestamp) AS t, cvd FROM order_flow ORDER BY timestamp DESC LIMIT 1');
  const processedUntil = newest === undefined ? -Infinity : num(newest.t) + MINUTE_MS;
  const base = newest === undefined ? 0 : num(newest.cvd);
  const since = newest === undefined ? candles[0].time : processedUntil;
  const extra = new Map<number, bigint>();
  for (const row of await executeQuery(conn, { sql: DELTA_SINCE_SQL, params: [since * 1000, tfMs * 1000] })) extra.set(num(row.bucket), signedUnits(row.delta));
  let f = 0;
  let lastCvd: number | null = null;
  let pending = 0n;
  return candles.map((candle) => {
    const end = candle.time + tfMs;
    while (f < flow.length && num(flow[f].t) < end) lastCvd = num(flow[f++].cvd);
    if (end <= processedUntil) return { ...candle, cvd: lastCvd };
    pending += extra.get(candle.time) ?? 0n;
    return { ...candle, cvd: base + exactVolumeToDouble(pending) };
  });
}

async function readProfile(conn: DuckDBConnection): Promise<ChartProfile | null> {
  const [row] = await executeQuery(
    conn,
    `SELECT epoch_ms(timestamp) AS t, window_minutes, row_size, poc, value_area_high, value_area_low, total_volume
     FROM market_profile ORDER BY timestamp DESC, window_minutes LIMIT 1`,
  );
  if (row === undefined) return null;
  const time = num(row.t);
  const until = time + MINUTE_MS;
  const from = until - num(row.window_minutes) * MINUTE_MS;
  const rowSize = num(row.row_size);
  const nullable = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
  return {
    time,
    from,
    until,
    windowMinutes: num(row.window_minutes),
    rowSize,
    poc: nullable(row.poc),
    valueAreaHigh: nullable(row.value_area_high),
    valueAreaLow: nullable(row.value_area_low),
    totalVolume: num(row.total_volume),
    rows: await readProfileRows(conn, { rowSize, fromMs: from, untilMs: until }),
  };
}

async function readGaps(conn: DuckDBConnection, timeframe: Timeframe): Promise<ChartGap[]> {
  const rows = await executeQuery(conn, {
    sql: `SELECT id, gap_type, price_low, price_high, filled_pct, status, epoch_ms(created_at) AS created, epoch_ms(updated_at) AS updated
      FROM fair_value_gaps WHERE timeframe = $1 ORDER BY created_at DESC, id DESC LIMIT $2::BIGINT`,
    params: [timeframe, MAX_GAPS],
  });
  return rows.reverse().map((g) => ({
    id: String(g.id),
    type: g.gap_type as ChartGap['type'],
    low: num(g.price_low),
    high: num(g.price_high),
    filledPct: num(g.filled_pct),
    status: g.status as ChartGap['status'],
    time: num(g.created),
    updated: num(g.updated),
  }));
}

/** The base's first candle, from the documented id `1m:<base start ms>:<displacement open ms>`. */
function zoneStart(id: string, created: number): number {
  const start = Number(id.split(':')[1]);
  return Number.isSafeInteger(start) && start <= created ? start : created;
}

async function readZones(conn: DuckDBConnection): Promise<ChartZone[]> {
  const rows = await executeQuery(
    conn,
    `SELECT id, zone_type, price_low, price_high, strength, status, test_count, epoch_ms(created_at) AS created, epoch_ms(updated_at) AS updated
     FROM supply_demand_zones ORDER BY created_at, id`,
  );
  return rows.map((z) => ({
    id: String(z.id),
    type: z.zone_type as ChartZone['type'],
    low: num(z.price_low),
    high: num(z.price_high),
    strength: num(z.strength),
    status: z.status as ChartZone['status'],
    tests: num(z.test_count),
    start: zoneStart(String(z.id), num(z.created)),
    time: num(z.created),
    updated: num(z.updated),
  }));
}

/** Everything the page draws for one pair and timeframe, from the pair's analytics file. */
export async function readChartData(conn: DuckDBConnection, pair: string, timeframe: Timeframe): Promise<ChartData> {
  const [clockRow] = await executeQuery(conn, 'SELECT epoch_us(max(timestamp)) AS us FROM ticks');
  const clock = clockRow?.us === null || clockRow?.us === undefined ? null : num(clockRow.us) / 1000;
  const candles = await addCvd(conn, timeframe, await readCandles(conn, timeframe, clock));
  return {
    pair,
    timeframe,
    clock,
    candles,
    profile: await readProfile(conn),
    gaps: await readGaps(conn, timeframe),
    zones: await readZones(conn),
  };
}
