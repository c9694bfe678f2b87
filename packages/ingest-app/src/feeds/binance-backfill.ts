import { performance } from 'node:perf_hooks';
import type { BinanceMarket, BinanceStream } from './binance-streams';
import type { RejectReason, Side, Trade } from './feed';
import { fetchJson, RestCallError } from './fetch-json';
import type { IdRange } from './id-ranges';
import { IdRanges } from './id-ranges';
import type { RestWeightBudget } from './rest-weight-budget';
import { sampleOf } from './reject-sample';
import { checkTrade } from './validate-trade';

/** Binance's page size ceiling for trade listings. */
const PAGE = 1000;
/** `startTime`/`endTime` on aggTrades must lie less than an hour apart. */
const MAX_TIME_WINDOW_MS = 60 * 60 * 1000 - 1;

export interface BackfillRequest {
  readonly symbol: string;
  readonly from: number;
  readonly to: number;
  /** Trade time of id `from - 1` (needed to find trade ids in /fapi/v1/aggTrades). */
  readonly afterTime?: number;
  readonly beforeTime?: number;
}

export interface UnfilledRange extends IdRange {
  readonly reason: string;
}

export interface BackfillResult {
  /** Validated trades with ids in [from, to], in id order. */
  readonly trades: Trade[];
  /** Ids that exist but are not market trades (USD-M insurance fund / ADL): nothing is missing there. */
  readonly notMarket: IdRange[];
  /** Why parts of the range could not be recovered; ids not listed and not returned fall back to a generic reason. */
  readonly unfilled: UnfilledRange[];
}

export interface BinanceBackfillConfig {
  readonly market: BinanceMarket;
  readonly stream: BinanceStream;
  readonly restUrl: string;
  readonly timeoutMs: number;
  /** Sent as X-MBX-APIKEY when set; the public endpoints used here do not need it. */
  readonly apiKey?: string;
  readonly now: () => number;
  readonly onReject: (reason: RejectReason, sample: string) => void;
  /** Request weight shared by every backfill of the market (see RestWeightBudget). */
  readonly budget: RestWeightBudget;
}

/**
 * Request weights, from Binance's API docs: spot /api/v3/historicalTrades 25, /api/v3/aggTrades
 * 4, USD-M /fapi/v1/aggTrades 20 (at any limit up to 1000).
 */
export const BINANCE_REST_WEIGHTS = { historicalTrades: 25, spotAggTrades: 4, usdmAggTrades: 20 } as const;
/** Retries of one page after a 429 (each after the server's Retry-After). */
const MAX_RATE_LIMIT_RETRIES = 3;
/** Wait after a 429 or 418 that names no Retry-After. */
const DEFAULT_RETRY_AFTER_MS = 5_000;

type Row = Record<string, unknown>;

function sideOf(isBuyerMaker: unknown): unknown {
  if (isBuyerMaker === true) return 'SELL' satisfies Side;
  if (isBuyerMaker === false) return 'BUY' satisfies Side;
  return isBuyerMaker;
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Appends, merging with the previous range when contiguous and for the same reason. */
function pushUnfilled(list: UnfilledRange[], range: UnfilledRange): void {
  const last = list[list.length - 1];
  if (last && last.reason === range.reason && last.to + 1 === range.from) list[list.length - 1] = { ...last, to: range.to };
  else list.push(range);
}

/**
 * Recovers missing Binance trades over REST. Which endpoint depends on what the ids are:
 * - spot `@trade` (trade ids): GET /api/v3/historicalTrades?fromId=, exact;
 * - `@aggTrade` on either market (aggregate ids): GET /api/v3/aggTrades or /fapi/v1/aggTrades?fromId=, exact;
 * - USD-M `@trade` (trade ids): GET /fapi/v1/aggTrades. Its `fromId` is an aggregate id, so the
 *   gap is located by time (startTime = the last trade seen before it) and then paged by aggregate
 *   id. An aggregate with f == l is exactly one trade and is recovered; one with f < l only carries
 *   the summed quantity, so its ids are reported unfilled ("aggregated") rather than invented.
 *   Ids inside the scanned span that no aggregate covers are insurance-fund/ADL trades, which
 *   Binance does not aggregate: they are not market trades, so nothing is missing there.
 */
export class BinanceBackfill {
  readonly path: string;
  private readonly mode: 'historicalTrades' | 'aggTradesById' | 'aggTradesByTime';
  private readonly weight: number;

  constructor(private readonly config: BinanceBackfillConfig) {
    if (config.stream === 'aggTrade') {
      this.mode = 'aggTradesById';
      this.path = config.market === 'spot' ? '/api/v3/aggTrades' : '/fapi/v1/aggTrades';
      this.weight = config.market === 'spot' ? BINANCE_REST_WEIGHTS.spotAggTrades : BINANCE_REST_WEIGHTS.usdmAggTrades;
    } else if (config.market === 'spot') {
      this.mode = 'historicalTrades';
      this.path = '/api/v3/historicalTrades';
      this.weight = BINANCE_REST_WEIGHTS.historicalTrades;
    } else {
      this.mode = 'aggTradesByTime';
      this.path = '/fapi/v1/aggTrades';
      this.weight = BINANCE_REST_WEIGHTS.usdmAggTrades;
    }
  }

  async fill(request: BackfillRequest, signal: AbortSignal): Promise<BackfillResult> {
    return this.mode === 'aggTradesByTime' ? this.fillByTime(request, signal) : this.fillById(request, signal);
  }

  /** Pages by id through a listing whose ids are the ids we track. */
  private async fillById(request: BackfillRequest, signal: AbortSignal): Promise<BackfillResult> {
    const { symbol, from, to } = request;
    const idKey = this.mode === 'historicalTrades' ? 'id' : 'a';
    const trades: Trade[] = [];
    const unfilled: UnfilledRange[] = [];
    let cursor = from;
    let pages = Math.ceil((to - from + 1) / PAGE) + 2;
    try {
      while (cursor <= to && pages-- > 0) {
        const rows = await this.get({ symbol, fromId: cursor, limit: Math.min(PAGE, to - cursor + 1) }, signal);
        let highest = -1;
        for (const row of rows) {
          const id = row[idKey];
          if (!isId(id)) {
            this.config.onReject('bad_trade_id', sampleOf(`rest ${this.path}: ${JSON.stringify(row)}`));
            continue;
          }
          highest = Math.max(highest, id);
          if (id < cursor || id > to) continue;
          const trade = this.toTrade(symbol, row, id, this.mode === 'historicalTrades');
          if (trade) trades.push(trade);
        }
        if (highest < cursor) {
          pushUnfilled(unfilled, { from: cursor, to, reason: `${this.path} returned no trades from id ${cursor}` });
          cursor = to + 1;
        } else {
          cursor = highest + 1;
        }
      }
      if (cursor <= to) pushUnfilled(unfilled, { from: cursor, to, reason: `${this.path}: page limit reached` });
    } catch (error) {
      pushUnfilled(unfilled, { from: cursor, to, reason: `${this.path}: ${(error as RestCallError).reason ?? String(error)}` });
    }
    return { trades: trades.sort((a, b) => Number(a.tradeId) - Number(b.tradeId)), notMarket: [], unfilled };
  }

  /** USD-M trade ids recovered from aggregates, located by time first (see class comment). */
  private async fillByTime(request: BackfillRequest, signal: AbortSignal): Promise<BackfillResult> {
    const { symbol, from, to, afterTime } = request;
    const trades: Trade[] = [];
    const unfilled: UnfilledRange[] = [];
    const covered = new IdRanges();
    if (afterTime === undefined) {
      return { trades, notMarket: [], unfilled: [{ from, to, reason: 'no trade time known before the gap' }] };
    }
    const aggregated = `aggregated: per-trade quantities are not available from ${this.path}`;
    let highestTradeId = -1;
    let nextAggId: number | undefined;
    let pages = Math.ceil((to - from + 1) / PAGE) + 3;
    let stopReason = `${this.path} returned no aggregates up to id ${to}`;
    try {
      while (highestTradeId < to && pages-- > 0) {
        const query: Readonly<Record<string, string | number>> =
          nextAggId === undefined
            ? { symbol, startTime: afterTime, endTime: afterTime + MAX_TIME_WINDOW_MS, limit: PAGE }
            : { symbol, fromId: nextAggId, limit: PAGE };
        const rows = await this.get(query, signal);
        if (rows.length === 0) break;
        for (const row of rows) {
          const { a, f, l } = row;
          if (!isId(a) || !isId(f) || !isId(l) || l < f) {
            this.config.onReject('bad_trade_id', sampleOf(`rest ${this.path}: ${JSON.stringify(row)}`));
            continue;
          }
          nextAggId = Math.max(nextAggId ?? 0, a + 1);
          highestTradeId = Math.max(highestTradeId, l);
          if (l < from || f > to) continue;
          const lo = Math.max(f, from);
          const hi = Math.min(l, to);
          covered.add(lo, hi);
          if (f === l) {
            const trade = this.toTrade(symbol, row, f, false);
            if (trade) trades.push(trade);
          } else {
            pushUnfilled(unfilled, { from: lo, to: hi, reason: aggregated });
          }
        }
        if (nextAggId === undefined) break;
      }
      if (highestTradeId < to && pages <= 0) stopReason = `${this.path}: page limit reached`;
    } catch (error) {
      stopReason = `${this.path}: ${(error as RestCallError).reason ?? String(error)}`;
    }
    const notMarket: IdRange[] = [];
    const scannedTo = Math.min(to, highestTradeId);
    if (scannedTo >= from) {
      const uncovered = new IdRanges();
      uncovered.add(from, scannedTo);
      for (const r of covered.list()) uncovered.delete(r.from, r.to);
      notMarket.push(...uncovered.list());
    }
    if (scannedTo < to) pushUnfilled(unfilled, { from: Math.max(from, scannedTo + 1), to, reason: stopReason });
    return { trades: trades.sort((x, y) => Number(x.tradeId) - Number(y.tradeId)), notMarket, unfilled };
  }

  private toTrade(symbol: string, row: Row, id: number, historical: boolean): Trade | undefined {
    const pair = { exchange: 'binance', marketType: this.config.market, symbol };
    const raw = historical
      ? { tradeId: id, price: row.price, volume: row.qty, side: sideOf(row.isBuyerMaker), timestamp: row.time }
      : { tradeId: id, price: row.p, volume: row.q, side: sideOf(row.m), timestamp: row.T };
    const check = checkTrade(pair, raw, performance.now(), this.config.now());
    if (check.ok) return check.trade;
    this.config.onReject(check.reason, sampleOf(`rest ${this.path}: ${JSON.stringify(row)}`));
    return undefined;
  }

  private async get(query: Readonly<Record<string, string | number>>, signal: AbortSignal): Promise<Row[]> {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    const url = `${this.config.restUrl.replace(/\/+$/, '')}${this.path}?${params.toString()}`;
    const headers = this.config.apiKey ? { 'X-MBX-APIKEY': this.config.apiKey } : undefined;
    const { budget } = this.config;
    const onResponse = (_status: number, responseHeaders: Headers): void => {
      const used = responseHeaders.get('x-mbx-used-weight-1m');
      if (used !== null) budget.observeUsed(Number(used));
    };
    for (let attempt = 0; ; attempt++) {
      await budget.acquire(this.weight, signal);
      let body: unknown;
      try {
        body = await fetchJson(url, { timeoutMs: this.config.timeoutMs, signal, headers, onResponse });
      } catch (error) {
        // 429: too much weight used, back off as told and try again; 418: banned, give up for now.
        if (!(error instanceof RestCallError) || (error.status !== 429 && error.status !== 418)) throw error;
        budget.holdFor(error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
        if (error.status === 418 || attempt >= MAX_RATE_LIMIT_RETRIES) throw error;
        continue;
      }
      if (!Array.isArray(body)) throw new RestCallError(`unexpected response: ${sampleOf(JSON.stringify(body))}`);
      return body.filter((row): row is Row => typeof row === 'object' && row !== null);
    }
  }
}
