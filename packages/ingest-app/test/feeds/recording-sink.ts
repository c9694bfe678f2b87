import type { FeedSink, FeedStatus, PairAlert, RejectReason, Trade, TradeGap } from '../../src/feeds/feed';

/** A FeedSink that keeps everything it is given, for assertions, plus a poll-until helper. */
export class RecordingSink implements FeedSink {
  readonly received: Trade[] = [];
  readonly rejected: { readonly reason: RejectReason; readonly sample: string }[] = [];
  readonly gaps: TradeGap[] = [];
  readonly statuses: FeedStatus[] = [];
  readonly alerts: PairAlert[] = [];

  trades(batch: Trade[]): void {
    this.received.push(...batch);
  }
  reject(reason: RejectReason, sample: string): void {
    this.rejected.push({ reason, sample });
  }
  gap(gap: TradeGap): void {
    this.gaps.push(gap);
  }
  status(status: FeedStatus): void {
    this.statuses.push(status);
  }
  alert(alert: PairAlert): void {
    this.alerts.push(alert);
  }

  count(reason: RejectReason): number {
    return this.rejected.filter((r) => r.reason === reason).length;
  }

  ids(): string[] {
    return this.received.map((t) => t.tradeId);
  }
}

/** Polls `condition` until it holds; fails with `what` (and the sink state, if given) otherwise. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
