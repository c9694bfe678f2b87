/** How a node came to hold a pair. */
export type AcquiredVia =
  /** Nobody held it before (as far as this node saw): a first start. */
  | 'fresh'
  /** Its holder released it for this node (graceful handover). */
  | 'handover'
  /** Its holder's lease lapsed (the holder died or lost the bus): a takeover. */
  | 'takeover';

export interface LeaseAcquired {
  readonly via: AcquiredVia;
  /** The previous holder, when known. */
  readonly from: string | undefined;
  /** The lease's revision: a fencing token that only grows for this pair. */
  readonly revision: number;
}

export interface LeaseRelease {
  /** handover: another node should hold it now; shutdown: this node stops. */
  readonly reason: 'handover' | 'shutdown';
  readonly to: string | undefined;
}

export interface LeaseLost {
  /** expired: not renewed in time (a partition, a stalled process); taken: the bucket says another node holds it. */
  readonly reason: 'expired' | 'taken' | 'duplicate-node';
}

/**
 * What the node does with its pairs. acquired: start (rebuild, fill the gap, then write);
 * release: a graceful stop (stop taking trades, flush, publish), after which the lease is given
 * up; lost: stop writing the pair NOW, synchronously (no await can be trusted to finish first).
 */
export interface LeaseHandlers {
  acquired(pair: string, info: LeaseAcquired): Promise<void> | void;
  release(pair: string, info: LeaseRelease): Promise<void> | void;
  lost(pair: string, info: LeaseLost): void;
  /** Optional: this node will soon receive `pair` (true; e.g. subscribe its feed early) or not any more (false). */
  intent?(pair: string, wanted: boolean): void;
}

/** For metrics, logs and health. */
export type LeaseEvent =
  | ({ readonly type: 'acquired'; readonly pair: string } & LeaseAcquired)
  | { readonly type: 'released'; readonly pair: string; readonly reason: 'handover' | 'shutdown' | 'failed'; readonly to: string | undefined }
  | ({ readonly type: 'lost'; readonly pair: string } & LeaseLost)
  | { readonly type: 'renew-failed'; readonly pair: string; readonly error: unknown }
  | { readonly type: 'members'; readonly nodes: readonly string[] }
  | { readonly type: 'error'; readonly phase: 'heartbeat' | 'snapshot' | 'acquire' | 'release' | 'handler'; readonly pair?: string; readonly error: unknown };

export type LeaseEventListener = (event: LeaseEvent) => void;
