import { NatsProxy, NatsServer } from '@market-data/testing';
import { assignPairs, PairLeaseManager, RuntimeError } from '../src';
import { connectBus } from '@market-data/client';
import { FAST, pairs, startNode, until, Writers, type TestNode } from './lease-support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const P = pairs(12);

describe('pair leases: 3 nodes in one process against a real nats-server', () => {
  let server: NatsServer;
  let writers: Writers;
  let nodes: TestNode[];
  let proxies: NatsProxy[];
  beforeEach(async () => {
    server = await NatsServer.start();
    writers = new Writers();
    nodes = [];
    proxies = [];
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all(proxies.map((p) => p.close()));
    await server.stop();
    expect(writers.violations).toEqual([]);
  });
  const start = async (id: string, url = server.url, hooks?: Parameters<typeof startNode>[4], timing: Partial<typeof FAST> = {}): Promise<TestNode> => {
    const n = await startNode(url, id, writers, { pairs: P, ...timing }, hooks);
    nodes.push(n);
    return n;
  };
  const node = (id: string): TestNode => nodes.find((n) => n.id === id)!;
  const sizes = (): number[] => [...writers.byNode().values()].map((ps) => ps.length).sort();

  it('started together: every pair held by exactly one node, P/N each, renewed well past the TTL', async () => {
    await Promise.all(['n1', 'n2', 'n3'].map((id) => start(id)));
    const n1 = node('n1');
    await until(() => writers.holders().size === 12 && sizes().join() === '4,4,4', 10_000, 'a balanced start');
    const before = new Map(n1.manager.status().held.map((h) => [h.pair, h.revision]));
    const holders = writers.holders();
    await sleep(2 * FAST.ttlMs);
    expect(writers.holders()).toEqual(holders);
    expect(nodes.flatMap((n) => n.events).filter((e) => e.type === 'lost')).toEqual([]);
    // Renewed: each lease's revision moved on, and it is valid for about a TTL.
    for (const h of n1.manager.status().held) {
      expect(h.revision).toBeGreaterThan(before.get(h.pair)!);
      expect(h.validForMs).toBeGreaterThan(FAST.ttlMs - FAST.safetyMarginMs - 2 * FAST.renewEveryMs);
      expect(n1.manager.isHeld(h.pair)).toBe(true);
    }
    expect(n1.manager.status().members).toEqual(['n1', 'n2', 'n3']);
  });

  it('nodes joining take their share by graceful handover (the holder releases first), with no pair ever written by two', async () => {
    // Slow ticks, so that a new owner starting well within one tick shows the bucket watch at work.
    const SLOW = { ttlMs: 6000, renewEveryMs: 1500, safetyMarginMs: 1200 };
    const start = (id: string) => startNode(server.url, id, writers, { pairs: P, ...SLOW }).then((n) => (nodes.push(n), n));
    const n1 = await start('n1');
    await until(() => writers.holders().size === 12, 10_000, 'n1 to hold every pair');
    expect(writers.byNode().get('n1')).toHaveLength(12);
    const n2 = await start('n2');
    await until(() => sizes().join() === '6,6', 10_000, 'n2 to take half');
    const n3 = await start('n3');
    await until(() => sizes().join() === '4,4,4', 10_000, 'n3 to take a third');
    expect(writers.byNode()).toEqual(groupBy(assignPairs(P, ['n1', 'n2', 'n3'])));
    const handedOver = n1.events.filter((e) => e.type === 'released' && e.reason === 'handover');
    const taken = [...n2.events, ...n3.events].filter((e) => e.type === 'acquired');
    expect(taken.length).toBeGreaterThanOrEqual(8);
    expect(taken.every((e) => e.type === 'acquired' && e.via === 'handover')).toBe(true);
    expect(handedOver.length).toBeGreaterThanOrEqual(8);
    // The new holder starts right after the old one finished (a release wakes the bucket's watchers),
    // not at its next tick.
    for (const e of taken) {
      const stop = writers.changes.filter((c) => c.pair === e.pair && c.what === 'stop' && c.at <= e.at).pop()!;
      expect(e.at - stop.at).toBeLessThan(SLOW.renewEveryMs * 0.8);
    }
  });

  it('a node that dies: its pairs are taken over within the TTL plus a few seconds, and the rest rebalance', async () => {
    await Promise.all(['n1', 'n2', 'n3'].map((id) => start(id)));
    await until(() => sizes().join() === '4,4,4', 10_000, 'a balanced start');
    const dead = writers.byNode().get('n2')!;
    const crashedAt = Date.now();
    await node('n2').crash();
    // Its handlers never ran: it is gone without a word. Clear its pairs from the ledger as a
    // dead process's writes have stopped.
    for (const pair of dead) writers.stop('n2', pair, 'crash');
    const took = await until(() => dead.every((p) => ['n1', 'n3'].includes(writers.holders().get(p) ?? '')), FAST.ttlMs + 5000, 'the takeover');
    expect(took).toBeLessThanOrEqual(FAST.ttlMs + 3 * FAST.renewEveryMs + 1000);
    const acquired = [...node('n1').events, ...node('n3').events].filter((e) => e.type === 'acquired' && e.at >= crashedAt && dead.includes(e.pair));
    expect(acquired.map((e) => e.type === 'acquired' && [e.via, e.from])).toEqual(dead.map(() => ['takeover', 'n2']));
    await until(() => sizes().join() === '6,6', 5000, 'two nodes with six pairs each');
  });

  it('a partitioned node stops writing before anyone else starts its pairs, and gets its share back once healed', async () => {
    const proxy = await NatsProxy.start({ port: server.port });
    proxies.push(proxy);
    const n1 = await start('n1', proxy.url);
    await Promise.all(['n2', 'n3'].map((id) => start(id)));
    await until(() => sizes().join() === '4,4,4', 10_000, 'a balanced start');
    const cutOff = writers.byNode().get('n1')!;
    const cutAt = Date.now();
    proxy.cut();
    await until(() => cutOff.every((p) => ['n2', 'n3'].includes(writers.holders().get(p) ?? '')), FAST.ttlMs + 5000, 'the takeover');
    const lost = n1.events.filter((e) => e.type === 'lost');
    expect(lost.map((e) => e.type === 'lost' && e.reason)).toEqual(cutOff.map(() => 'expired'));
    for (const pair of cutOff) {
      const stoppedAt = n1.events.find((e) => e.type === 'lost' && e.pair === pair)!.at;
      const startedAt = writers.changes.find((c) => c.pair === pair && c.what === 'start' && c.node !== 'n1' && c.at >= cutAt)!.at;
      // n1 gave up by its own deadline, within a TTL of the cut; the others only after the server's TTL.
      expect(stoppedAt - cutAt).toBeLessThan(FAST.ttlMs);
      expect(startedAt).toBeGreaterThan(stoppedAt);
      expect(n1.manager.isHeld(pair)).toBe(false);
    }
    proxy.heal();
    await until(() => sizes().join() === '4,4,4' && writers.byNode().get('n1')?.length === 4, 15_000, 'n1 back with its share');
  });

  it('a graceful stop hands every pair over at once, well within the TTL', async () => {
    await Promise.all(['n1', 'n2', 'n3'].map((id) => start(id)));
    await until(() => sizes().join() === '4,4,4', 10_000, 'a balanced start');
    const leaving = writers.byNode().get('n3')!;
    const t0 = Date.now();
    await node('n3').manager.stop();
    const released = node('n3').events.filter((e) => e.type === 'released' && e.at >= t0);
    expect(released.map((e) => e.type === 'released' && [e.pair, e.reason]).sort()).toEqual(leaving.map((p) => [p, 'shutdown']));
    await until(() => leaving.every((p) => ['n1', 'n2'].includes(writers.holders().get(p) ?? '')), FAST.ttlMs, 'the others to take over');
    expect(Date.now() - t0).toBeLessThan(FAST.ttlMs - FAST.safetyMarginMs);
    await until(() => sizes().join() === '6,6', 5000, 'two nodes with six pairs each');
  });

  it('a node that cannot start a pair gives it up, and another node takes it', async () => {
    const twoNodes = assignPairs(P, ['n1', 'n2']);
    const bad = P.find((p) => twoNodes.get(p) === 'n1')!;
    const n1 = await start('n1', server.url, { failAcquire: (p) => p === bad });
    await start('n2');
    await until(() => writers.holders().get(bad) === 'n2', 10_000, `n2 to take ${bad}`);
    expect(n1.events.some((e) => e.type === 'released' && e.pair === bad && e.reason === 'failed')).toBe(true);
    expect(n1.events.some((e) => e.type === 'error' && e.phase === 'handler' && e.pair === bad)).toBe(true);
  });

  it('a restarted node (same id) waits for its previous run to lapse, then takes its share again', async () => {
    await Promise.all(['n1', 'n2'].map((id) => start(id)));
    await until(() => sizes().join() === '6,6', 10_000, 'a balanced start');
    const old = writers.byNode().get('n1')!;
    await node('n1').crash();
    for (const pair of old) writers.stop('n1', pair, 'crash');
    const t0 = Date.now();
    await start('n1');
    expect(Date.now() - t0).toBeGreaterThan(FAST.ttlMs / 2);
    await until(() => sizes().join() === '6,6' && writers.byNode().get('n1')?.length === 6, 15_000, 'n1 back with its share');
  });

  it('refuses a bucket whose TTL is not its own (the TTL is every node\'s safety margin)', async () => {
    await start('n1');
    const nc = await connectBus({ servers: server.url });
    try {
      const m = new PairLeaseManager(nc, { nodeId: 'n2', pairs: P, bucket: 'md_test_leases', ttlMs: 6000 }, { acquired: () => undefined, release: () => undefined, lost: () => undefined });
      const err = await m.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeError);
      expect(err).toMatchObject({ code: 'INVALID_CONFIG' });
      expect((err as Error).message).toContain('3000');
    } finally {
      await nc.close();
    }
  });
});

function groupBy(assignment: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [pair, node] of assignment) out.set(node, [...(out.get(node) ?? []), pair].sort());
  return out;
}
