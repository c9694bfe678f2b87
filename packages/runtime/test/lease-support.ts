import type { NatsConnection } from '@nats-io/transport-node';
import { connectBus } from '@market-data/client';
import { PairLeaseManager, type LeaseEvent, type PairLeaseOptions } from '../src';

export const pairs = (n: number): string[] => Array.from({ length: n }, (_, i) => `binance:spot:P${String(i).padStart(2, '0')}USDT`);

/** Timing small enough for tests, with the production ratios (renew = ttl/4 or so, margin = ttl/5). */
export const FAST = { ttlMs: 3000, renewEveryMs: 500, safetyMarginMs: 600, joinDelayMs: 300 } as const;

export interface Change {
  readonly at: number;
  readonly node: string;
  readonly pair: string;
  readonly what: 'start' | 'stop';
  readonly why: string;
}

/**
 * Who writes each pair, from the nodes' own handlers (start on acquired, stop when release
 * returns or lost is called): the "never two writers for one pair" check.
 */
export class Writers {
  readonly changes: Change[] = [];
  readonly violations: string[] = [];
  private readonly current = new Map<string, string>();

  start(node: string, pair: string, why: string): void {
    const other = this.current.get(pair);
    if (other !== undefined && other !== node) this.violations.push(`${pair}: ${node} started (${why}) while ${other} was writing`);
    this.current.set(pair, node);
    this.changes.push({ at: Date.now(), node, pair, what: 'start', why });
  }

  stop(node: string, pair: string, why: string): void {
    if (this.current.get(pair) === node) this.current.delete(pair);
    this.changes.push({ at: Date.now(), node, pair, what: 'stop', why });
  }

  holders(): Map<string, string> {
    return new Map(this.current);
  }

  byNode(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [pair, node] of this.current) out.set(node, [...(out.get(node) ?? []), pair].sort());
    return out;
  }
}

export interface TestNode {
  readonly id: string;
  readonly nc: NatsConnection;
  readonly manager: PairLeaseManager;
  readonly events: (LeaseEvent & { at: number })[];
  /** Crash: timers stop, the connection drops, nothing is released. */
  crash(): Promise<void>;
  close(): Promise<void>;
}

export async function startNode(
  url: string,
  id: string,
  writers: Writers,
  options: Partial<PairLeaseOptions> & { pairs: readonly string[] },
  hooks: { releaseMs?: number; failAcquire?: (pair: string) => boolean } = {},
): Promise<TestNode> {
  const nc = await connectBus({ servers: url, name: id, reconnectWaitMs: 100 });
  const manager = new PairLeaseManager(
    nc,
    { nodeId: id, bucket: 'md_test_leases', ...FAST, ...options },
    {
      acquired: (pair, info) => {
        if (hooks.failAcquire?.(pair)) throw new Error(`cannot start ${pair}`);
        writers.start(id, pair, info.via);
      },
      release: async (pair, info) => {
        // "stop taking trades, flush, publish": takes a while, and the pair is still ours meanwhile.
        await new Promise((r) => setTimeout(r, hooks.releaseMs ?? 50));
        writers.stop(id, pair, info.reason);
      },
      lost: (pair, info) => writers.stop(id, pair, info.reason),
    },
  );
  const events: (LeaseEvent & { at: number })[] = [];
  manager.onEvent((e) => events.push({ ...e, at: Date.now() }));
  try {
    await manager.start();
  } catch (err) {
    manager.halt();
    await nc.close().catch(() => undefined);
    throw err;
  }
  let closed = false;
  return {
    id,
    nc,
    manager,
    events,
    async crash() {
      manager.halt();
      closed = true;
      await nc.close().catch(() => undefined);
    },
    async close() {
      if (closed) return;
      closed = true;
      manager.halt();
      await nc.close().catch(() => undefined);
    },
  };
}

export async function until(pred: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}
