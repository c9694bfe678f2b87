import { REPLAY_OVERLAP_MS } from '../protocol/messages';
import type { Trade } from '../trade';
import { TIMEFRAME_MS, type CandleEvent, type CandleTimeframe } from './candle';
import { CandleAccumulator, type CandleTrade } from './candle-accumulator';
import { volumeUnits } from './exact-sum';

interface Frame {
  readonly tf: CandleTimeframe;
  readonly sizeMicros: number;
  current: CandleAccumulator | undefined;
  /** Bucket (µs) of the newest candle closed; a trade at or before it comes too late. */
  closedThrough: number;
  /** Candles of earlier buckets are not emitted (partial, or emitted by an earlier run). */
  emitFrom: number | undefined;
}

interface PairCandles {
  readonly frames: Frame[];
  /** Trades older than this (epoch ms) were read for the candles only (see resumeFrom). */
  hideBefore: number | undefined;
  /** Some trade was folded: the candles' history is in memory from here on. */
  started: boolean;
}

/**
 * Closed candles of every pair, built from the trades the client delivers (deduplicated, so each
 * trade counts once), for the requested timeframes. A candle closes when a trade of a later bucket
 * of its pair arrives, or by clock through closeUntil. Which candles are emitted:
 * - resuming from a cursor C: the client subscribes from C floored to the largest timeframe, so the
 *   candle holding C is built from its first trade; candles are emitted from the bucket holding C
 *   on (earlier ones closed in the run that wrote C), trades from C - REPLAY_OVERLAP_MS on (what the
 *   subscription would have delivered without candles);
 * - from the start of what the ingester holds (no cursor for the pair): the first candle of each
 *   timeframe is not emitted, since the history may begin inside it (retention, a start mid-bucket).
 * A trade for a bucket already closed (a late trade) cannot change what was emitted: it is counted
 * (`lateTrades`) and left out of the candles.
 */
export class CandleMaker {
  private readonly pairs = new Map<string, PairCandles>();
  private readonly largest: number;
  lateTrades = 0;

  constructor(private readonly timeframes: readonly CandleTimeframe[]) {
    this.largest = Math.max(...timeframes.map((tf) => TIMEFRAME_MS[tf]));
  }

  /**
   * The cursor to subscribe with: for pairs whose candles have not started, the cursor floored to
   * the largest timeframe (the replay must hold the whole candle the cursor falls in).
   */
  resumeFrom(cursor: Readonly<Record<string, number>>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [pair, ms] of Object.entries(cursor)) {
      const state = this.state(pair);
      if (state.started) {
        out[pair] = ms;
        continue;
      }
      state.hideBefore = ms - REPLAY_OVERLAP_MS;
      const micros = Math.round(ms * 1000);
      for (const f of state.frames) f.emitFrom = Math.floor(micros / f.sizeMicros) * f.sizeMicros;
      out[pair] = Math.floor(ms / this.largest) * this.largest;
    }
    return out;
  }

  /** Trades of `pair` older than this were read only to complete the first candle. */
  hiddenBefore(pair: string): number | undefined {
    return this.pairs.get(pair)?.hideBefore;
  }

  /** Folds a pair's new trades (as delivered); returns the candles they closed, in order. */
  fold(pair: string, trades: readonly Trade[]): CandleEvent[] {
    const state = this.state(pair);
    const out: CandleEvent[] = [];
    for (const trade of trades) {
      state.started = true;
      const t: CandleTrade = { micros: Math.round(trade.timestamp * 1000), price: trade.price, units: volumeUnits(trade.volume), buy: trade.side === 'BUY', id: trade.tradeId };
      let late = false;
      for (const f of state.frames) {
        const bucket = Math.floor(t.micros / f.sizeMicros) * f.sizeMicros;
        const cur = f.current;
        if (cur && bucket === cur.bucketMicros) cur.fold(t);
        else if (bucket <= f.closedThrough || (cur && bucket < cur.bucketMicros)) late = true;
        else {
          if (cur) this.close(pair, f, out);
          f.emitFrom ??= bucket + f.sizeMicros;
          f.current = new CandleAccumulator(bucket, t);
        }
      }
      if (late) this.lateTrades++;
    }
    return out;
  }

  /** Closes every open candle whose period ended at or before `nowMs`; returns them. */
  closeUntil(nowMs: number): CandleEvent[] {
    const out: CandleEvent[] = [];
    const micros = nowMs * 1000;
    for (const [pair, state] of this.pairs) {
      for (const f of state.frames) if (f.current && f.current.bucketMicros + f.sizeMicros <= micros) this.close(pair, f, out);
    }
    return out;
  }

  private close(pair: string, f: Frame, out: CandleEvent[]): void {
    const cur = f.current as CandleAccumulator;
    f.current = undefined;
    f.closedThrough = cur.bucketMicros;
    if (f.emitFrom !== undefined && cur.bucketMicros >= f.emitFrom) out.push({ type: 'candle', pair, timeframe: f.tf, candle: cur.toCandle() });
  }

  private state(pair: string): PairCandles {
    let state = this.pairs.get(pair);
    if (!state) {
      state = {
        frames: this.timeframes.map((tf) => ({ tf, sizeMicros: TIMEFRAME_MS[tf] * 1000, current: undefined, closedThrough: -Infinity, emitFrom: undefined })),
        hideBefore: undefined,
        started: false,
      };
      this.pairs.set(pair, state);
    }
    return state;
  }
}
