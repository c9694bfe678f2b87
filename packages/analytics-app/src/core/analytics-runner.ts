import type { DuckDBConnection } from '@duckdb/node-api';
import {
  appendTicks,
  executeQuery,
  flushCandles,
  pairId,
  toPairKey,
  type PairKey,
} from '@market-data/storage-core';
import type { Clock, Logger } from '@market-data/runtime';
import type { Trade } from '@market-data/client';
import { observeStoredTicks, runAnalyticsPass, STORE_OPTIONS, type AnalyticsOptions } from '../engine';
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
    await this.deps.withConnection(pair, async (conn) => {
      const started = performance.now();
      const result = await appendTicks(conn, ticks, STORE_OPTIONS);
      this.deps.metrics.storeSeconds.observe((performance.now() - started) / 1000);
      // The pass then builds the new minute's profile rows from these instead of reading them back.
      observeStoredTicks(conn, ticks, result);
      this.deps.metrics.ticksApplied.inc({ pair: id }, result.inserted);
      if (result.duplicates > 0) this.deps.metrics.ticksDuplicate.inc({ pair: id }, result.duplicates);
      if (result.inserted === 0 || result.minTimestamp === null || result.maxTimestamp === null) return;
      state.newest = Math.max(state.newest, result.maxTimestamp);
    });
    if (Math.floor(state.newest / MINUTE_MS) > state.passedMinute) {
      await this.pass(pair, state);
      if (committedAt !== undefined) {
        const now = this.deps.clock?.now() ?? Date.now();
        this.deps.metrics.lag.observe(Math.max(0, now - committedAt) / 1000);
        this.deps.metrics.lagSamples.add(now, Math.max(0, now - committedAt) / 1000);
      }
    }
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
      const interval = this.options.retentionIntervalMs ?? 0;
      // Staggered by pair: see retentionPhase.
      state.cleanedAt ??= started - interval * retentionPhase(id);
      const cleanup = interval > 0 && started - state.cleanedAt >= interval;
      const result = await this.deps.withConnection(pair, (conn) =>
        runAnalyticsPass(conn, { ...this.options.engine, ...this.options.perPair?.[id], ...newestTick, ...clock, cleanup }),
      );
      if (result.cleanup) {
        state.cleanedAt = started;
        for (const [table, n] of Object.entries(result.cleanup.deleted)) if (n > 0) this.deps.metrics.retentionDeleted.inc({ table }, n);
      }
      state.passedMinute = Math.floor(state.newest / MINUTE_MS);
      state.failing = undefined;
      this.deps.metrics.passes.inc({ pair: id });
      this.deps.metrics.passSeconds.observe((performance.now() - started) / 1000);
    } catch (err) {
      state.failing = err instanceof Error ? err.message : String(err);
      this.deps.metrics.passFailures.inc({ pair: id });
      this.deps.logger.error('analytics pass failed', { pair: id, err });
    }
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
