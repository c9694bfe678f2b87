import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { NatsConnection } from '@nats-io/transport-node';
import { RuntimeError } from '../errors';
import type { LeaseEvent, LeaseEventListener, LeaseHandlers, AcquiredVia } from './lease-events';
import { checkLeaseOptions, type PairLeaseOptions, type ResolvedLeaseOptions } from './lease-options';
import { isConflict, LeaseStore, type BucketSnapshot } from './lease-store';
import { assignPairs } from './rendezvous';
import type { PairLeases } from './tokens';

interface Held {
  revision: number;
  /** Monotonic ms after which this node must consider the lease gone (see validity). */
  validUntil: number;
  readonly since: number;
  phase: 'acquiring' | 'held' | 'releasing';
  acquiring?: Promise<void>;
  releasing?: Promise<void>;
}

export interface PairLeaseStatus {
  readonly nodeId: string;
  readonly members: readonly string[];
  readonly held: readonly { readonly pair: string; readonly since: number; readonly revision: number; readonly validForMs: number; readonly phase: Held['phase'] }[];
  /** Pairs assigned to this node that another node still holds (a handover or a lapse is due). */
  readonly incoming: readonly string[];
}

const now = (): number => performance.now();

/**
 * Pair ownership through leases in a NATS KV bucket (DESIGN.md section 7; docs/cluster.md).
 *
 * Every `renewEveryMs` the node writes its heartbeat, renews its leases (compare-and-set on each
 * lease's revision) and reads the bucket. From the live members it computes who should hold each
 * pair (rendezvous hashing, bounded loads) and then: claims free pairs assigned to it
 * (create-if-absent, or CAS on a release marker); hands over held pairs assigned to another live
 * node (handlers.release, then a CAS delete); claims free pairs nobody claimed for
 * `orphanTicks` ticks. A dead node's leases disappear with the bucket's TTL.
 *
 * Safety (never two writers): a lease is valid for this node until `sent + ttl - safetyMargin`,
 * where `sent` is when its last successful renewal (or claim) was sent. The server stamps the
 * entry later than `sent` and only lets another node claim after the entry aged out (`ttl`), so
 * this node stops (handlers.lost, synchronously, from a timer) at least `safetyMargin` before
 * anyone can start. isHeld() checks the same bound for writers that check before each write.
 */
export class PairLeaseManager implements PairLeases {
  private readonly o: ResolvedLeaseOptions;
  private readonly instance = randomUUID();
  private readonly startedAt = Date.now();
  private readonly listeners = new Set<LeaseEventListener>();
  private readonly held = new Map<string, Held>();
  private readonly ops = new Map<string, Promise<unknown>>();
  private readonly lastHolder = new Map<string, string>();
  private readonly absentTicks = new Map<string, number>();
  private readonly cooldownUntil = new Map<string, number>();
  private readonly incoming = new Set<string>();
  private store: LeaseStore | undefined;
  private members: readonly string[] = [];
  private target = new Map<string, string>();
  private joinedAt = 0;
  private ticking = false;
  private running: Promise<void> = Promise.resolve();
  private again = false;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    options: PairLeaseOptions,
    private readonly handlers: LeaseHandlers,
  ) {
    this.o = checkLeaseOptions(options);
  }

  get nodeId(): string {
    return this.o.nodeId;
  }

  /** Listens to lease changes (for metrics and logs); returns the unsubscribe function. */
  onEvent(listener: LeaseEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Opens the bucket, waits until an earlier run of this node id has lapsed (a restart after
   * kill -9 must not inherit, or fight over, the old run's leases), joins and starts ticking.
   */
  async start(): Promise<void> {
    this.store = await LeaseStore.open(this.nc, { bucket: this.o.bucket, ttlMs: this.o.ttlMs, replicas: this.o.replicas, requestTimeoutMs: this.o.requestTimeoutMs });
    const waitUntil = now() + this.o.ttlMs + this.o.renewEveryMs;
    while ((await this.store.snapshot()).nodes.has(this.o.nodeId)) {
      if (now() > waitUntil) throw new RuntimeError('INVALID_CONFIG', `node id ${this.o.nodeId} is in use by another running node`);
      await new Promise((r) => setTimeout(r, this.o.renewEveryMs / 2));
    }
    await this.store.heartbeat(this.record());
    this.joinedAt = now();
    this.stopWatch = await this.store.watch((kind, id) => {
      if (kind === 'pair-released' ? this.target.get(id) === this.o.nodeId : !(kind === 'node-joined' && this.members.includes(id))) this.tickSoon();
    });
    await this.tick();
    // The join delay ends between two ticks: look again right then.
    setTimeout(() => this.tickSoon(), this.o.joinDelayMs + 10).unref();
  }

  /** Whether this node may write `pair` right now. */
  isHeld(pair: string): boolean {
    // Also while acquiring (the rebuild writes) and releasing (the last flush publishes).
    const h = this.held.get(pair);
    return h !== undefined && now() < h.validUntil;
  }

  /** The pairs this node holds (whatever their phase). */
  heldPairs(): string[] {
    return [...this.held.keys()].sort();
  }

  status(): PairLeaseStatus {
    const t = now();
    return {
      nodeId: this.o.nodeId,
      members: this.members,
      held: [...this.held.entries()].sort().map(([pair, h]) => ({ pair, since: h.since, revision: h.revision, validForMs: Math.max(0, Math.round(h.validUntil - t)), phase: h.phase })),
      incoming: [...this.incoming].sort(),
    };
  }

  /**
   * Graceful stop: leaves the member list (so nobody assigns it pairs), releases every pair
   * (handlers.release, then the lease) so other nodes take them at once.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.halt();
    // A tick still running could write the heartbeat again after the node left.
    await this.running;
    await this.store?.removeNode(this.o.nodeId).catch((error: unknown) => this.emit({ type: 'error', phase: 'heartbeat', error }));
    await Promise.all([...this.held.entries()].map(([pair, h]) => h.releasing ?? this.handOver(pair, h, 'shutdown', undefined)));
  }

  /** Stops every timer and the watch without touching the bucket: what a crash leaves (its leases lapse). */
  halt(): void {
    this.stopped = true;
    clearTimeout(this.tickTimer);
    clearTimeout(this.deadlineTimer);
    this.stopWatch?.();
  }

  private get bucket(): LeaseStore {
    if (!this.store) throw new RuntimeError('LEASES_UNAVAILABLE', 'leases: start() first');
    return this.store;
  }

  private record() {
    return { node: this.o.nodeId, startedAt: this.startedAt, held: this.held.size, instance: this.instance };
  }

  private emit(event: LeaseEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure must not stop lease keeping.
      }
    }
  }

  private tickSoon(): void {
    if (this.stopped) return;
    clearTimeout(this.tickTimer);
    this.tickTimer = setTimeout(() => void this.tick(), 0);
  }

  private tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.ticking) {
      this.again = true;
      return this.running;
    }
    this.running = this.tickLoop();
    return this.running;
  }

  private async tickLoop(): Promise<void> {
    this.ticking = true;
    try {
      do {
        this.again = false;
        if (this.stopped) break;
        await this.bucket.heartbeat(this.record()).catch((error: unknown) => this.emit({ type: 'error', phase: 'heartbeat', error }));
        await Promise.all([...this.held.keys()].map((pair) => this.serial(pair, () => this.renew(pair))));
        let snap: BucketSnapshot;
        try {
          snap = await this.bucket.snapshot();
        } catch (error) {
          this.emit({ type: 'error', phase: 'snapshot', error });
          break;
        }
        if (!this.stopped) this.apply(snap);
      } while (this.again && !this.stopped);
    } finally {
      this.ticking = false;
      if (!this.stopped) {
        clearTimeout(this.tickTimer);
        this.tickTimer = setTimeout(() => void this.tick(), this.o.renewEveryMs);
      }
    }
  }

  private async renew(pair: string): Promise<void> {
    const h = this.held.get(pair);
    if (!h) return;
    const sent = now();
    try {
      const revision = await this.bucket.renew(pair, { node: this.o.nodeId, since: h.since }, h.revision);
      if (this.held.get(pair) !== h) return;
      h.revision = revision;
      h.validUntil = sent + this.o.ttlMs - this.o.safetyMarginMs;
      this.armDeadline();
    } catch (error) {
      if (isConflict(error)) this.lose(pair, 'taken');
      else this.emit({ type: 'renew-failed', pair, error });
    }
  }

  private apply(snap: BucketSnapshot): void {
    const me = this.o.nodeId;
    const mine = snap.nodes.get(me) as { instance?: string } | undefined;
    if (mine?.instance !== undefined && mine.instance !== this.instance) {
      // Another process runs with this node id: neither may trust its leases.
      for (const pair of [...this.held.keys()]) this.lose(pair, 'duplicate-node');
      this.emit({ type: 'error', phase: 'heartbeat', error: new RuntimeError('INVALID_CONFIG', `another process runs as node ${me}`) });
      return;
    }
    const members = [...snap.nodes.keys()].sort();
    if (members.join('\n') !== this.members.join('\n')) {
      this.members = members;
      this.emit({ type: 'members', nodes: members });
    }
    this.target = assignPairs(this.o.pairs, members);
    const settled = now() - this.joinedAt >= this.o.joinDelayMs;
    for (const [pair, lease] of snap.leases) if (lease.holder !== me) this.lastHolder.set(pair, lease.holder);

    for (const pair of this.o.pairs) {
      const want = this.target.get(pair);
      const h = this.held.get(pair);
      if (h) {
        this.setIncoming(pair, false);
        if (settled && h.phase === 'held' && want !== undefined && want !== me) void this.handOver(pair, h, 'handover', want);
        continue;
      }
      const lease = snap.leases.get(pair);
      if (lease && lease.holder !== me) {
        this.absentTicks.delete(pair);
        this.setIncoming(pair, want === me);
        continue;
      }
      this.setIncoming(pair, false);
      if (!settled || (this.cooldownUntil.get(pair) ?? 0) > now()) continue;
      const absent = (this.absentTicks.get(pair) ?? 0) + 1;
      this.absentTicks.set(pair, absent);
      if (want !== me && absent < this.o.orphanTicks) continue;
      if (lease) {
        // Ours on the server but not here (dropped by its deadline while a renewal still landed):
        // take it back if it is ours to hold, else free it rather than make its owner wait the TTL.
        if (want === me) void this.claim(pair, 'takeover', me, lease.revision);
        else void this.freeStale(pair, lease.revision);
        continue;
      }
      const released = snap.released.get(pair);
      const from = this.lastHolder.get(pair);
      const via: AcquiredVia = released !== undefined ? 'handover' : from !== undefined && from !== me ? 'takeover' : 'fresh';
      void this.claim(pair, via, from, released);
    }
  }

  private setIncoming(pair: string, wanted: boolean): void {
    if (this.incoming.has(pair) === wanted) return;
    if (wanted) this.incoming.add(pair);
    else this.incoming.delete(pair);
    try {
      this.handlers.intent?.(pair, wanted);
    } catch (error) {
      this.emit({ type: 'error', phase: 'handler', pair, error });
    }
  }

  private claim(pair: string, via: AcquiredVia, from: string | undefined, revision: number | undefined): Promise<void> {
    return this.serial(pair, async () => {
      if (this.held.has(pair) || this.stopped) return;
      const sent = now();
      let rev: number | undefined;
      try {
        rev = await this.bucket.claim(pair, { node: this.o.nodeId, since: Date.now() }, revision);
      } catch (error) {
        this.emit({ type: 'error', phase: 'acquire', pair, error });
        return;
      }
      if (rev === undefined) return;
      if (this.stopped) {
        // Won while stopping: give it back now rather than leave it to the TTL.
        await this.bucket.release(pair, rev).catch(() => undefined);
        return;
      }
      this.absentTicks.delete(pair);
      const h: Held = { revision: rev, validUntil: sent + this.o.ttlMs - this.o.safetyMarginMs, since: Date.now(), phase: 'acquiring' };
      this.held.set(pair, h);
      this.armDeadline();
      this.emit({ type: 'acquired', pair, via, from: from === this.o.nodeId ? undefined : from, revision: rev });
      // Outside the pair's queue: a long rebuild must not hold up the lease's renewals.
      h.acquiring = this.runAcquired(pair, h, { via, from: from === this.o.nodeId ? undefined : from, revision: rev });
    });
  }

  private freeStale(pair: string, revision: number): Promise<void> {
    return this.serial(pair, async () => {
      if (this.held.has(pair)) return;
      await this.bucket.release(pair, revision).catch((error: unknown) => this.emit({ type: 'error', phase: 'release', pair, error }));
    });
  }

  private async runAcquired(pair: string, h: Held, info: Parameters<LeaseHandlers['acquired']>[1]): Promise<void> {
    try {
      await this.handlers.acquired(pair, info);
      if (this.held.get(pair) === h && h.phase === 'acquiring') h.phase = 'held';
    } catch (error) {
      this.emit({ type: 'error', phase: 'handler', pair, error });
      // This node cannot serve the pair now: give it up and let another node try first.
      this.cooldownUntil.set(pair, now() + this.o.ttlMs);
      if (this.held.get(pair) === h) await this.drop(pair, h, 'failed', undefined);
    }
  }

  private handOver(pair: string, h: Held, reason: 'handover' | 'shutdown', to: string | undefined): Promise<void> {
    h.phase = 'releasing';
    h.releasing = (async () => {
      try {
        // release never overlaps acquired: a pair handed over right after it arrived waits for its start.
        await h.acquiring;
        await this.handlers.release(pair, { reason, to });
      } catch (error) {
        this.emit({ type: 'error', phase: 'handler', pair, error });
        if (reason === 'handover' && this.held.get(pair) === h) {
          // Keep writing it; try again later.
          h.phase = 'held';
          h.releasing = undefined;
          return;
        }
      }
      await this.drop(pair, h, reason, to);
    })();
    return h.releasing;
  }

  /** Stops holding (isHeld turns false first), then deletes the lease if it is still ours. */
  private drop(pair: string, h: Held, reason: 'handover' | 'shutdown' | 'failed', to: string | undefined): Promise<void> {
    return this.serial(pair, async () => {
      if (this.held.get(pair) !== h) return;
      this.held.delete(pair);
      this.armDeadline();
      this.lastHolder.set(pair, this.o.nodeId);
      try {
        await this.bucket.release(pair, h.revision);
      } catch (error) {
        // It lapses with the TTL instead.
        this.emit({ type: 'error', phase: 'release', pair, error });
      }
      this.emit({ type: 'released', pair, reason, to });
    });
  }

  private lose(pair: string, reason: 'expired' | 'taken' | 'duplicate-node'): void {
    if (!this.held.delete(pair)) return;
    this.armDeadline();
    try {
      this.handlers.lost(pair, { reason });
    } catch (error) {
      this.emit({ type: 'error', phase: 'handler', pair, error });
    }
    this.emit({ type: 'lost', pair, reason });
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    let earliest = Infinity;
    for (const h of this.held.values()) earliest = Math.min(earliest, h.validUntil);
    if (earliest === Infinity) return;
    this.deadlineTimer = setTimeout(() => {
      const t = now();
      for (const [pair, h] of [...this.held.entries()]) if (h.validUntil <= t) this.lose(pair, 'expired');
      this.armDeadline();
    }, Math.max(0, earliest - now()));
  }

  /** One pair's bucket writes run one at a time (a renewal never races the release of the same lease). */
  private serial(pair: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.ops.get(pair) ?? Promise.resolve();
    const next = prev.then(fn, fn).catch(() => undefined);
    this.ops.set(pair, next);
    void next.then(() => {
      if (this.ops.get(pair) === next) this.ops.delete(pair);
    });
    return next;
  }
}
