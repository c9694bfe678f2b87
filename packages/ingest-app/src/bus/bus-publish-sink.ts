import { ClientError, type BusTradeRow, type PairBusState, type TradeBusPublisher } from '@market-data/client';
import type { Logger } from '@market-data/runtime';
import type { Trade, TradeGap } from '../feeds/feed';
import type { IngestBusMetrics } from './ingest-bus-metrics';

export interface BusPublishSinkOptions {
  /** Whether this node may write `pair` now (the lease): checked before every publish. */
  readonly isHeld: (pair: string) => boolean;
  /**
   * Pairs whose trade ids are consecutive integers (Binance spot): a batch after a hole in the ids
   * waits for the hole's backfill, so the stream stays in trade-id order with nothing skipped.
   */
  readonly sequential: (pair: string) => boolean;
  /** How long rows wait for a hole to be filled before they are published anyway (the hole is counted). */
  readonly holdMs?: number;
  /** Wait before publishing again after a failure. */
  readonly retryMs?: number;
  /** Rows held per pair before the oldest hole is given up (memory bound while the bus is down). */
  readonly maxHeldRows?: number;
}

interface Lane {
  readonly pair: string;
  /** Read from the stream (the publisher's resume) before the first publish. */
  known: boolean;
  /** Newest trade id on the stream (sequential pairs). */
  lastId: number | undefined;
  /** Acknowledged rows not published yet, in trade order. */
  held: BusTradeRow[];
  incoming: BusTradeRow[];
  /** Id ranges the feed reported lost for good: publishing may move past them. */
  lost: { from: number; to: number }[];
  committedAt: number;
  force: boolean;
  timer: NodeJS.Timeout | undefined;
  chain: Promise<void>;
  generation: number;
}

const canonicalId = (id: string): number | undefined => {
  const n = Number(id);
  return Number.isSafeInteger(n) && n >= 0 && String(n) === id ? n : undefined;
};

export const toBusRow = (t: Trade): BusTradeRow => [t.timestamp, t.price, t.volume, t.side, t.tradeId];

/**
 * The bus side of the "batch acknowledged" boundary: every acknowledged batch of a pair this node
 * holds goes to MD_TRADES through the TradePublisher (Nats-Msg-Id, high-water mark, fence).
 * Never blocks the writer: each pair has its own queue. A failed publish keeps its rows and is
 * tried again; a fenced one (another node wrote the pair) drops them: that node owns the pair now.
 */
export class BusPublishSink {
  private readonly lanes = new Map<string, Lane>();
  private readonly holdMs: number;
  private readonly retryMs: number;
  private readonly maxHeld: number;

  constructor(
    private readonly publisher: TradeBusPublisher,
    private readonly metrics: IngestBusMetrics,
    private readonly logger: Logger,
    private readonly options: BusPublishSinkOptions,
  ) {
    this.holdMs = options.holdMs ?? 10_000;
    this.retryMs = options.retryMs ?? 1000;
    this.maxHeld = options.maxHeldRows ?? 2_000_000;
  }

  /** An acknowledged batch (from the tickerplant path). */
  committed(pair: string, batch: readonly Trade[]): void {
    if (batch.length === 0 || !this.options.isHeld(pair)) return;
    const lane = this.lane(pair);
    for (const t of batch) lane.incoming.push(toBusRow(t));
    lane.committedAt = Date.now();
    this.schedule(lane);
  }

  /** A gap the feed reported: ids it could not recover need not be waited for. */
  gap(gap: TradeGap): void {
    if (gap.backfilled) return;
    const pair = `${gap.exchange}:${gap.marketType}:${gap.symbol}`;
    const from = canonicalId(gap.fromId);
    const to = canonicalId(gap.toId);
    const lane = this.lanes.get(pair);
    if (!lane || from === undefined || to === undefined) return;
    lane.lost.push({ from, to });
    this.schedule(lane);
  }

  /** Starts the pair from what the stream holds (a new owner); returns that state. */
  async begin(pair: string): Promise<PairBusState> {
    this.reset(pair);
    const lane = this.lane(pair);
    const state = await this.publisher.resume(pair);
    lane.lastId = state.last ? canonicalId(state.last.tradeId) : undefined;
    lane.known = true;
    return state;
  }

  /**
   * Publishes what continues the stream without a hole and waits for it: the last step of a
   * handover. Rows after a hole are left out (and dropped by reset): the next owner continues from
   * the stream's newest trade and fetches everything after it from the exchange.
   */
  async drain(pair: string): Promise<void> {
    const lane = this.lanes.get(pair);
    if (!lane) return;
    this.schedule(lane);
    let chain: Promise<void>;
    do {
      chain = lane.chain;
      await chain;
    } while (chain !== lane.chain);
  }

  /** Forgets the pair (its lease is gone): nothing held is published any more. */
  reset(pair: string): void {
    const lane = this.lanes.get(pair);
    if (!lane) return;
    clearTimeout(lane.timer);
    lane.generation++;
    this.lanes.delete(pair);
    this.publisher.forget(pair);
  }

  heldRows(pair: string): number {
    const lane = this.lanes.get(pair);
    return lane ? lane.held.length + lane.incoming.length : 0;
  }

  close(): void {
    for (const pair of [...this.lanes.keys()]) this.reset(pair);
  }

  private lane(pair: string): Lane {
    let lane = this.lanes.get(pair);
    if (!lane) {
      lane = { pair, known: false, lastId: undefined, held: [], incoming: [], lost: [], committedAt: 0, force: false, timer: undefined, chain: Promise.resolve(), generation: 0 };
      this.lanes.set(pair, lane);
    }
    return lane;
  }

  private schedule(lane: Lane): void {
    const generation = lane.generation;
    lane.chain = lane.chain.then(() => (this.lanes.get(lane.pair) === lane && lane.generation === generation ? this.pump(lane) : undefined));
  }

  private async pump(lane: Lane): Promise<void> {
    const pair = lane.pair;
    if (!this.options.isHeld(pair)) return this.reset(pair);
    if (!lane.known) {
      try {
        const state = await this.publisher.resume(pair);
        lane.lastId = state.last ? canonicalId(state.last.tradeId) : undefined;
        lane.known = true;
      } catch (err) {
        return this.failed(lane, err, []);
      }
    }
    if (lane.incoming.length > 0) {
      lane.held = mergeRows(lane.held, lane.incoming);
      lane.incoming = [];
    }
    const ready = this.options.sequential(pair) ? this.takeReady(lane) : lane.held.splice(0);
    if (ready.length > 0) {
      const started = performance.now();
      try {
        const result = await this.publisher.publish(pair, ready, lane.committedAt);
        this.metrics.publish.observe((performance.now() - started) / 1000);
        if (result.published > 0) this.metrics.published.inc({ pair }, result.published);
      } catch (err) {
        return this.failed(lane, err, ready);
      }
    }
    if (lane.held.length === 0) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
    } else if (lane.timer === undefined) {
      // Waiting for a hole: publish anyway holdMs after the wait began (later batches do not extend it).
      lane.timer = setTimeout(() => {
        lane.timer = undefined;
        lane.force = true;
        this.schedule(lane);
      }, this.holdMs);
      lane.timer.unref();
    }
  }

  /** The rows that continue the stream's ids without a hole (or all of them when forced). */
  private takeReady(lane: Lane): BusTradeRow[] {
    const out: BusTradeRow[] = [];
    const force = lane.force || lane.held.length > this.maxHeld;
    lane.force = false;
    while (lane.held.length > 0) {
      const row = lane.held[0] as BusTradeRow;
      const id = canonicalId(row[4]);
      if (id === undefined) {
        out.push(row);
        lane.held.shift();
        continue;
      }
      const last = lane.lastId;
      if (last !== undefined && id <= last) {
        lane.held.shift();
        continue;
      }
      if (last !== undefined && id > last + 1) {
        const lost = lane.lost.find((r) => r.from <= last + 1 && r.to >= last + 1);
        if (lost) {
          lane.lastId = Math.min(lost.to, id - 1);
          continue;
        }
        if (!force) break;
        this.metrics.gaps.inc({ pair: lane.pair, reason: 'not_filled_in_time' });
        this.logger.warn('publishing past a hole in trade ids', { pair: lane.pair, fromId: String(last + 1), toId: String(id - 1) });
      }
      out.push(row);
      lane.held.shift();
      lane.lastId = id;
    }
    const last = lane.lastId;
    if (last !== undefined) lane.lost = lane.lost.filter((r) => r.to > last);
    return out;
  }

  private failed(lane: Lane, err: unknown, rows: BusTradeRow[]): void {
    // A publish from before the pair was lost (and maybe won back since): not this lane's business any more.
    if (this.lanes.get(lane.pair) !== lane) return;
    const code = err instanceof ClientError ? err.code : 'UNKNOWN';
    this.metrics.publishFailures.inc({ pair: lane.pair, code });
    if (code === 'BUS_FENCED' || code === 'CLOSED') {
      // Another node writes the pair now (or we are shutting down): what we held is not ours to add.
      this.logger.error('bus publish refused; pair no longer written by this node', { pair: lane.pair, code, err });
      this.reset(lane.pair);
      return;
    }
    this.logger.warn('bus publish failed; retrying', { pair: lane.pair, code, rows: rows.length, err });
    lane.held = mergeRows(rows, lane.held);
    if (rows.length > 0) lane.known = false;
    clearTimeout(lane.timer);
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      this.schedule(lane);
    }, this.retryMs);
    lane.timer.unref();
  }
}

/** Two runs in trade order (time, then id) merged; the inputs are sorted first if they are not. */
function mergeRows(a: readonly BusTradeRow[], b: readonly BusTradeRow[]): BusTradeRow[] {
  const all = [...a, ...b];
  all.sort(compareRows);
  return all;
}

function compareRows(x: BusTradeRow, y: BusTradeRow): number {
  if (x[0] !== y[0]) return x[0] - y[0];
  const a = canonicalId(x[4]);
  const b = canonicalId(y[4]);
  if (a !== undefined && b !== undefined) return a - b;
  return x[4] < y[4] ? -1 : x[4] > y[4] ? 1 : 0;
}
