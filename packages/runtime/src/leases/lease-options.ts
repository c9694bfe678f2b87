import { RuntimeError } from '../errors';

export interface PairLeaseOptions {
  /** This node's id: unique among running nodes of the bucket, stable across restarts. */
  readonly nodeId: string;
  /** Every pair of the role (`exchange:marketType:symbol`); every node of the bucket gets the same list. */
  readonly pairs: readonly string[];
  /** KV bucket, one per role: e.g. md_ingest_leases, md_analytics_leases. */
  readonly bucket: string;
  /** Lease lifetime = the bucket's max age (default 10 s): a dead node's pairs move within it plus a tick. */
  readonly ttlMs?: number;
  /** Heartbeat, renewals and the bucket read (default ttl / 4). */
  readonly renewEveryMs?: number;
  /** This node stops this long before its lease can lapse on the server (default ttl / 5). */
  readonly safetyMarginMs?: number;
  /** After joining, wait this long before claiming, so nodes started together see each other (default renewEveryMs). */
  readonly joinDelayMs?: number;
  /** A free pair assigned to another node is claimed by any node after this many ticks (default 2). */
  readonly orphanTicks?: number;
  /** Bucket replicas (3 on a three-server cluster). */
  readonly replicas?: number;
  /** Per KV request (default min(2000, ttl / 4)). */
  readonly requestTimeoutMs?: number;
}

export type ResolvedLeaseOptions = Required<PairLeaseOptions>;

const PAIR = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}:[A-Za-z0-9][A-Za-z0-9_-]{0,63}:[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function checkLeaseOptions(o: PairLeaseOptions): ResolvedLeaseOptions {
  const bad = (what: string): never => {
    throw new RuntimeError('INVALID_CONFIG', `leases: ${what}`);
  };
  if (typeof o.nodeId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(o.nodeId)) bad(`nodeId must be 1-64 characters of [A-Za-z0-9_-], got ${JSON.stringify(o.nodeId)}`);
  const badPair = o.pairs.find((p) => !PAIR.test(p));
  if (badPair !== undefined) bad(`invalid pair ${JSON.stringify(badPair)} (exchange:marketType:symbol)`);
  const ttlMs = o.ttlMs ?? 10_000;
  if (!Number.isInteger(ttlMs) || ttlMs < 1000) bad(`ttlMs must be an integer >= 1000, got ${ttlMs}`);
  const renewEveryMs = o.renewEveryMs ?? Math.floor(ttlMs / 4);
  const safetyMarginMs = o.safetyMarginMs ?? Math.floor(ttlMs / 5);
  if (!(safetyMarginMs >= 100 && safetyMarginMs < ttlMs / 2)) bad(`safetyMarginMs must be >= 100 and < ttl / 2, got ${safetyMarginMs}`);
  // A lease must survive one late or lost renewal.
  if (!(renewEveryMs >= 50 && renewEveryMs * 2 <= ttlMs - safetyMarginMs)) bad(`renewEveryMs must be >= 50 and at most (ttl - safetyMargin) / 2, got ${renewEveryMs}`);
  const joinDelayMs = o.joinDelayMs ?? renewEveryMs;
  const orphanTicks = o.orphanTicks ?? 2;
  if (!Number.isInteger(orphanTicks) || orphanTicks < 1) bad(`orphanTicks must be an integer >= 1`);
  if (!(joinDelayMs >= 0)) bad('joinDelayMs must be >= 0');
  return {
    nodeId: o.nodeId,
    pairs: [...new Set(o.pairs)].sort(),
    bucket: o.bucket,
    ttlMs,
    renewEveryMs,
    safetyMarginMs,
    joinDelayMs,
    orphanTicks,
    replicas: o.replicas ?? 1,
    requestTimeoutMs: o.requestTimeoutMs ?? Math.min(2000, Math.floor(ttlMs / 4)),
  };
}
