import type { DuckDBConnection } from '@duckdb/node-api';
import {
  appendTicks,
  executeQuery,
  type AppendResult,
  flushCandles,
  pairId,
  toPairKey,
  type PairKey,
} from '@market-data/storage-core';
import type { Clock, Logger } from '@market-data/runtime';
import type { Trade } from '@market-data/client';
import { observeStoredTicks, runAnalyticsPass, storeAndPass, StoreAndPassRolledBack, STORE_OPTIONS, type AnalyticsOptions, type PassResult, type StoredAndPassed } from '../engine';
import type { AnalyticsMetrics } from './analytics-metrics';
import { retentionPhase } from './retention-phase';

export interface AnalyticsRunnerDeps {
  /** Serialized access to a pair's analytics.duckdb connection. */
  withConnection<T>(pair: PairKey, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
  readonly metrics: AnalyticsMetrics;
  readonly logger: Logger;
  /** Wall clock for the commit-to-row lag (default: Date.now). */
  readonly clock?: Clock;
}

export interface AnalyticsRunnerOptions {
  /** Engine options for every pair (row size etc.), with per-pair overrides by pair id. */
  readonly engine?: AnalyticsOptions;
  readonly perPair?: Readonly<Record<string, AnalyticsOptions>>;
  /**
   * Retention (storage-core cleanupOldData on the pair's data clock: rows past the policy, filled
   * or 24 h old gaps, zones beyond the cap) every this many ms per pair, first one interval after
   * the pair's first pass; it runs right after a pass, in the same call, so nothing a pass still
   * needs is gone. 0 or absent = never (offline runs and backtests keep everything).
   */
  readonly retentionIntervalMs?: number;
  /**
   * A batch that reaches a new minute is stored and passed in one transaction (storeAndPass;
   * default true). false: two, the store's then the pass's (the layout before 2026-12-06, kept
   * for comparison: `--store-with-pass apart`).
   */
  readonly storeWithPass?: boolean;
}

/** Newest trade time of a batch (epoch ms). */
function newestOf(ticks: readonly Trade[]): number {
  let newest = -Infinity;
  for (const tick of ticks) if (tick.timestamp > newest) newest = tick.timestamp;
  return newest;
}

const MINUTE_MS = 60_000;

interface PairState {
  /** Newest stored trade time (epoch ms), the resume cursor. */
  newest: number;
  /** Minute (epoch ms / 60000) of `newest` as of the last pass. */
  passedMinute: number;
  /** performance.now() of the pair's last retention (or of its first pass, less its phase: retentionPhase). */
  cleanedAt?: number;
  failing?: string;
}

/**
 * Keeps one pair's analytics file in step with the ticks it is given: store them with their
 * candles (idempotent by trade id, one transaction; a restart continues the stored candles from
 * their closing trades, so it works on a file keeping only a tail of ticks), and run the
 * analytics pass whenever a candle has closed. Everything
 * is derived from stored ticks, so live, resumed and offline runs end with the same tables.
 */
export class AnalyticsRunner {
  private readonly state = new Map<string, PairState>();

  constructor(
    private readonly deps: AnalyticsRunnerDeps,
    private readonly options: AnalyticsRunnerOptions = {},
  ) {}

  /** The newest stored trade time per pair (for the subscriber's resume cursor). */
  async cursor(pairs: readonly PairKey[]): Promise<Record<string, number>> {
    const cursor: Record<string, number> = {};
    for (const pair of pairs) {
      const state = await this.load(pair);
      if (state.newest > 0) cursor[pairId(pair)] = state.newest;
    }
    return cursor;
  }

  /** Stores ticks for a pair and runs a pass if a candle closed. `committedAt` = ingester commit time (epoch ms). */
  async apply(id: string, ticks: readonly Trade[], committedAt?: number): Promise<void> {
    if (ticks.length === 0) return;
    const pair = toPairKey(id);
    const state = await this.load(pair);
    // A batch that reaches a new minute closes a candle: stored and passed in one transaction.
    const merged = this.options.storeWithPass !== false && Math.floor(newestOf(ticks) / MINUTE_MS) > state.passedMinute;
    let passed = merged ? await this.storeAndPass(pair, state, ticks) : undefined;
    if (passed === undefined) {
      await this.store(pair, state, ticks);
      passed = Math.floor(state.newest / MINUTE_MS) > state.passedMinute;
      if (passed) await this.pass(pair, state);
    }
    if (passed && committedAt !== undefined) {
      const now = this.deps.clock?.now() ?? Date.now();
      this.deps.metrics.lag.observe(Math.max(0, now - committedAt) / 1000);
      this.deps.metrics.lagSamples.add(now, Math.max(0, now - committedAt) / 1000);
    }
  }

  private async store(pair: PairKey, state: PairState, ticks: readonly Trade[]): Promise<void> {
    const id = pairId(pair);
    await this.deps.withConnection(pair, async (conn) => {
      const started = performance.now();
      // Committed by an awaited COMMIT: the appender's own commit would hold the JS thread, which
      // the passes need, for the disk's sync as well (bench:commit-floor's event-loop figure).
      const result = await appendTicks(conn, ticks, { ...STORE_OPTIONS, asyncCommit: true });
      this.deps.metrics.storeSeconds.observe((performance.now() - started) / 1000);
      // The pass then builds the new minute's profile rows from these instead of reading them back.
      observeStoredTicks(conn, ticks, result);
      this.countStored(id, result);
      if (result.inserted === 0 || result.minTimestamp === null || result.maxTimestamp === null) return;
      state.newest = Math.max(state.newest, result.maxTimestamp);
    });
  }

  private countStored(id: string, result: AppendResult): void {
    this.deps.metrics.ticksApplied.inc({ pair: id }, result.inserted);
    if (result.duplicates > 0) this.deps.metrics.ticksDuplicate.inc({ pair: id }, result.duplicates);
  }

  /**
   * The batch and the pass in one transaction (storeAndPass); whether a candle closed, or
   * undefined when it rolled back: then nothing is stored and apply stores and passes in two steps.
   */
  private async storeAndPass(pair: PairKey, state: PairState, ticks: readonly Trade[]): Promise<boolean | undefined> {
    const id = pairId(pair);
    const started = performance.now();
    const cleanup = this.cleanupDue(id, state, started);
    let done: StoredAndPassed;
    try {
      done = await this.deps.withConnection(pair, (conn) => storeAndPass(conn, ticks, state.newest, { ...this.options.engine, ...this.options.perPair?.[id], cleanup }));
    } catch (err) {
      if (err instanceof StoreAndPassRolledBack) return undefined;
      throw err;
    }
    // One transaction: the store's share is not separable, so the whole is the pass's time.
    this.countStored(id, done.appended);
    state.newest = done.newestMs;
    const passed = Math.floor(state.newest / MINUTE_MS) > state.passedMinute;
    if (passed || done.pass.cleanup || done.pass.cleanupError) this.passed(id, state, started, done.pass);
    return passed;
  }

  /**
   * Runs a pass for every pair with unprocessed closed candles (offline mode). `closeLastMinute`:
   * the input has ended, so the newest trade's minute is closed too (its candle is final, its
   * order flow, profile and gap checks computed) instead of waiting for a later trade.
   */
  async passAll(pairs: readonly PairKey[], options: { readonly closeLastMinute?: boolean } = {}): Promise<void> {
    for (const pair of pairs) {
      const state = await this.load(pair);
      const end = options.closeLastMinute && state.newest > 0 ? (Math.floor(state.newest / MINUTE_MS) + 1) * MINUTE_MS : undefined;
      await this.pass(pair, state, end);
    }
  }

  /** Writes the open candles that trail in the files (before closing them). */
  async flushCandles(pairs: readonly PairKey[]): Promise<void> {
    for (const pair of pairs) await this.deps.withConnection(pair, (conn) => flushCandles(conn)).catch(() => undefined);
  }

  /** Newest stored trade time per pair (epoch ms): how far each analytics file has caught up. */
  newest(): Record<string, number> {
    return Object.fromEntries([...this.state].map(([id, s]) => [id, s.newest]));
  }

  failing(): Record<string, string> {
    return Object.fromEntries([...this.state].filter(([, s]) => s.failing).map(([id, s]) => [id, s.failing as string]));
  }

  private async pass(pair: PairKey, state: PairState, externalClock?: number): Promise<void> {
    const id = pairId(pair);
    const started = performance.now();
    try {
      // The newest stored tick is known here, so the pass need not read it.
      const newestTick = state.newest > 0 ? { newestTick: state.newest } : {};
      const clock = externalClock === undefined ? {} : { externalClock };
      const cleanup = this.cleanupDue(id, state, started);
      const result = await this.deps.withConnection(pair, (conn) =>
        runAnalyticsPass(conn, { ...this.options.engine, ...this.options.perPair?.[id], ...newestTick, ...clock, cleanup }),
      );
      this.passed(id, state, started, result);
    } catch (err) {
      this.passFailed(id, state, err);
    }
  }

  /** Whether this pass also runs retention; staggered by pair (see retentionPhase). */
  private cleanupDue(id: string, state: PairState, now: number): boolean {
    const interval = this.options.retentionIntervalMs ?? 0;
    state.cleanedAt ??= now - interval * retentionPhase(id);
    return interval > 0 && now - state.cleanedAt >= interval;
  }

  private passed(id: string, state: PairState, started: number, result: PassResult): void {
    if (result.cleanup) {
      state.cleanedAt = started;
      for (const [table, n] of Object.entries(result.cleanup.deleted)) if (n > 0) this.deps.metrics.retentionDeleted.inc({ table }, n);
    }
    state.passedMinute = Math.floor(state.newest / MINUTE_MS);
    // A failed retention leaves cleanedAt, so the pair's next pass retries it; until one succeeds
    // the pair is reported failing, though its passes and their rows go on.
    state.failing = result.cleanupError?.message;
    if (result.cleanupError) {
      this.deps.metrics.retentionFailures.inc({ pair: id });
      this.deps.logger.error('analytics retention failed', { pair: id, err: result.cleanupError.cause });
    }
    this.deps.metrics.passes.inc({ pair: id });
    this.deps.metrics.passSeconds.observe((performance.now() - started) / 1000);
  }

  private passFailed(id: string, state: PairState, err: unknown): void {
    state.failing = err instanceof Error ? err.message : String(err);
    this.deps.metrics.passFailures.inc({ pair: id });
    this.deps.logger.error('analytics pass failed', { pair: id, err });
  }

  private async load(pair: PairKey): Promise<PairState> {
    const id = pairId(pair);
    let state = this.state.get(id);
    if (state) return state;
    const [row] = await this.deps.withConnection(pair, (conn) => executeQuery(conn, 'SELECT epoch_us(max(timestamp)) AS us FROM ticks'));
    const newest = row?.us === null || row?.us === undefined ? 0 : (row.us as number) / 1000;
    state = this.state.get(id) ?? { newest, passedMinute: -1 };
    this.state.set(id, state);
    return state;
  }
}
