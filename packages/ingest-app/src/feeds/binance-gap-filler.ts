import type { BinanceBackfill, BackfillResult } from './binance-backfill';
import type { BinanceMarket } from './binance-streams';
import type { FeedPair, FeedSink, PendingGap, Trade, TradeGap } from './feed';
import { IdRanges, type IdRange } from './id-ranges';
import type { DetectedGap, TradeSequence } from './trade-sequence';

export interface GapFillerConfig {
  readonly market: BinanceMarket;
  /** Undefined when backfill is disabled: every gap is then reported unfilled. */
  readonly backfill: BinanceBackfill | undefined;
  /** Wait before fetching, so that stragglers of an overlapping connection can still arrive. */
  readonly delayMs: number;
  /** Larger gaps are fetched up to this many ids; the rest is reported unfilled. */
  readonly maxTrades: number;
  readonly deliver: (trades: Trade[]) => void;
  readonly report: (gap: TradeGap) => void;
}

/** One gap waiting for (or in) its backfill. */
interface Entry {
  readonly symbol: string;
  readonly sequence: TradeSequence;
  readonly gap: DetectedGap;
  timer?: NodeJS.Timeout;
}

interface Run {
  readonly from: number;
  readonly to: number;
  readonly backfilled: boolean;
  readonly reason: string;
}

/** Splits `ranges` by the labelled ranges that cover them; ids no label covers get `fallback`. */
function label(ranges: readonly IdRange[], labelled: readonly { from: number; to: number; reason: string }[], fallback: string): Run[] {
  const out: Run[] = [];
  for (const r of ranges) {
    let cursor = r.from;
    for (const l of [...labelled].sort((a, b) => a.from - b.from)) {
      if (l.to < cursor || l.from > r.to) continue;
      if (l.from > cursor) out.push({ from: cursor, to: l.from - 1, backfilled: false, reason: fallback });
      const to = Math.min(l.to, r.to);
      out.push({ from: Math.max(l.from, cursor), to, backfilled: false, reason: l.reason });
      cursor = to + 1;
      if (cursor > r.to) break;
    }
    if (cursor <= r.to) out.push({ from: cursor, to: r.to, backfilled: false, reason: fallback });
  }
  return out;
}

/** Sorted, with neighbouring runs of the same outcome joined. */
function merge(runs: Run[]): Run[] {
  const out: Run[] = [];
  for (const run of runs.sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && last.to + 1 === run.from && last.backfilled === run.backfilled && last.reason === run.reason) out[out.length - 1] = { ...last, to: run.to };
    else out.push(run);
  }
  return out;
}

/**
 * Backfills the gaps of one Binance feed's symbols over REST and reports every gap as runs of
 * ids with what became of them. Each gap waits its own delay and then competes only for the
 * market's shared weight budget (see RestWeightBudget), so gaps of different symbols are fetched
 * side by side, not one after another. A gap still waiting when the feed stops stays pending
 * (see `pending`), for the feed to persist.
 *
 * What a report says about an id is what happened to it:
 * - backfilled: true, "backfilled from <path>": the REST listing returned it and it was delivered
 *   (only those: an id the listing did not return is never reported backfilled);
 * - backfilled: false, with why: not returned (the listing skipped it or the call failed),
 *   aggregated (USD-M per-trade quantities not available), beyond backfillMaxTrades, disabled.
 * Ids whose late copies came on the live stream before the report were never lost and are left out.
 */
export class BinanceGapFiller {
  private readonly entries = new Set<Entry>();
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(private readonly config: GapFillerConfig) {}

  schedule(symbol: string, sequence: TradeSequence, gap: DetectedGap): void {
    if (this.stopped) return;
    const entry: Entry = { symbol, sequence, gap };
    this.entries.add(entry);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      const run = this.fill(entry).catch(() => undefined);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }, this.config.delayMs);
  }

  /** Gaps of `symbol` not reported yet: the ids of each still missing. */
  pending(symbol: string): PendingGap[] {
    const out: PendingGap[] = [];
    for (const e of this.entries) {
      if (e.symbol !== symbol) continue;
      for (const r of e.sequence.missing.within(e.gap.from, e.gap.to)) out.push({ fromId: r.from, toId: r.to, afterTime: e.gap.afterTime, beforeTime: e.gap.beforeTime });
    }
    return out;
  }

  /**
   * Continues a symbol where the last run stopped, before any live trade: its newest stored trade
   * seeds the id sequence (so the first live trade opens the gap of the downtime, backfilled like
   * any other), and the gaps the last run left pending are scheduled now.
   */
  async restore(sink: FeedSink, pair: FeedPair, sequence: TradeSequence): Promise<void> {
    const [last, pending] = await Promise.all([sink.lastStored?.(pair), sink.pendingGaps?.(pair)]);
    const id = last === undefined ? Number.NaN : Number(last.tradeId);
    // Only an id of this stream's kind can seed it (a canonical integer; aggregate ids for aggTrade).
    if (last !== undefined && Number.isSafeInteger(id) && id >= 0 && String(id) === last.tradeId) sequence.seed(id, last.timestamp);
    for (const gap of pending ?? []) {
      sequence.missing.add(gap.fromId, gap.toId);
      this.schedule(pair.symbol, sequence, { from: gap.fromId, to: gap.toId, afterTime: gap.afterTime, beforeTime: gap.beforeTime });
    }
  }

  /** After stop: saves the symbol's unreported gaps for the next start, or reports them unfilled when that fails. */
  async persist(sink: FeedSink, pair: FeedPair): Promise<void> {
    const pending = this.pending(pair.symbol);
    let failure: string;
    try {
      if (!sink.savePendingGaps) throw new Error('the sink cannot persist them');
      await sink.savePendingGaps(pair, pending);
      return;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    for (const gap of pending) {
      sink.gap({
        type: 'gap',
        exchange: pair.exchange,
        marketType: pair.marketType,
        symbol: pair.symbol,
        fromId: String(gap.fromId),
        toId: String(gap.toId),
        fromTime: gap.afterTime,
        toTime: gap.beforeTime,
        backfilled: false,
        reason: `feed stopped before the backfill; not persisted (${failure})`,
      });
    }
  }

  /** Stops fetching; resolves once no fill runs. Unreported gaps stay pending. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const e of this.entries) if (e.timer) clearTimeout(e.timer);
    await Promise.all([...this.running]);
  }

  private async fill(entry: Entry): Promise<void> {
    const { symbol, sequence, gap } = entry;
    const regions = sequence.missing.within(gap.from, gap.to);
    if (regions.length === 0) {
      // Every id arrived late on the live stream: nothing was missing.
      this.entries.delete(entry);
      return;
    }
    const from = regions[0].from;
    const to = regions[regions.length - 1].to;
    const fillTo = Math.min(to, from + this.config.maxTrades - 1);
    const unfilled: { from: number; to: number; reason: string }[] = [];
    let delivered = new IdRanges();
    let notMarket: IdRange[] = [];
    let path = 'REST';
    const backfill = this.config.backfill;
    if (backfill === undefined) {
      unfilled.push({ from, to, reason: 'backfill disabled' });
    } else {
      path = backfill.path;
      const result: BackfillResult = await backfill.fill({ symbol, from, to: fillTo, afterTime: gap.afterTime, beforeTime: gap.beforeTime }, this.abort.signal);
      if (this.stopped) return;
      const trades: Trade[] = [];
      for (const trade of result.trades) {
        const id = Number(trade.tradeId);
        if (!sequence.missing.has(id)) continue;
        sequence.missing.delete(id);
        trades.push(trade);
      }
      delivered = IdRanges.ofSortedIds(trades.map((t) => Number(t.tradeId)));
      if (trades.length > 0) this.config.deliver(trades);
      notMarket = result.notMarket;
      unfilled.push(...result.unfilled);
      if (fillTo < to) unfilled.push({ from: fillTo + 1, to, reason: `gap larger than backfillMaxTrades (${this.config.maxTrades})` });
    }
    this.report(entry, regions, delivered, notMarket, unfilled, path);
  }

  private report(entry: Entry, regions: readonly IdRange[], delivered: IdRanges, notMarket: readonly IdRange[], unfilled: readonly { from: number; to: number; reason: string }[], path: string): void {
    const { symbol, sequence, gap } = entry;
    // Still missing now: neither delivered nor come live meanwhile. Ids that came live while the
    // fetch ran were never lost and are not part of the report (as those that came during the delay).
    const missing = IdRanges.of(regions.flatMap((r) => sequence.missing.within(r.from, r.to)));
    const uncovered = IdRanges.of(missing.list());
    uncovered.deleteAll(notMarket);
    const notMarketMissing = IdRanges.of(missing.list());
    notMarketMissing.deleteAll(uncovered.list());
    const runs: Run[] = merge([
      ...delivered.list().map((r) => ({ ...r, backfilled: true, reason: `backfilled from ${path}` })),
      ...notMarketMissing.list().map((r) => ({
        ...r,
        backfilled: false,
        reason: `not returned by ${path}: no aggregate covers these ids (insurance-fund/ADL trades are not aggregated and are not market trades)`,
      })),
      ...label(uncovered.list(), unfilled, `not returned by ${path}`),
    ]);
    // Given up now: a very late live copy of these ids is dropped as a duplicate; the report stands.
    for (const r of regions) sequence.missing.delete(r.from, r.to);
    this.entries.delete(entry);
    if (this.stopped) return;
    for (const run of runs) {
      this.config.report({
        type: 'gap',
        exchange: 'binance',
        marketType: this.config.market,
        symbol,
        fromId: String(run.from),
        toId: String(run.to),
        backfilled: run.backfilled,
        reason: run.reason,
        fromTime: gap.afterTime,
        toTime: gap.beforeTime,
      });
    }
  }
}
