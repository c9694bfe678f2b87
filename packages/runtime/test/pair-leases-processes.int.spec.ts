import * as path from 'node:path';
import { ChildApp, NatsServer } from '@market-data/testing';
import { FAST, pairs, until, Writers } from './lease-support';

const NODE = path.join(__dirname, 'fixtures/lease-node.js');
const P = pairs(12);

/** The ledger of who writes which pair, rebuilt from the processes' own lines in time order. */
function ledger(nodes: readonly ChildApp[]): Writers {
  const w = new Writers();
  const lines = nodes.flatMap((n) => n.logs).filter((l) => l.msg === 'start' || l.msg === 'stop');
  lines.sort((a, b) => Number(a.at) - Number(b.at) || (a.msg === 'stop' ? -1 : 1));
  for (const l of lines) {
    if (l.msg === 'start') w.start(String(l.node), String(l.pair), String(l.via));
    else w.stop(String(l.node), String(l.pair), String(l.why));
  }
  return w;
}

describe('pair leases: 3 node processes against a real nats-server', () => {
  let server: NatsServer;
  const nodes: ChildApp[] = [];
  beforeEach(async () => {
    server = await NatsServer.start();
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      n.kill('SIGKILL');
      await n.exited;
    }
    await server.stop();
  });
  const start = async (id: string): Promise<ChildApp> => {
    const n = new ChildApp(NODE, [server.url, id, P.join(','), JSON.stringify(FAST)]);
    nodes.push(n);
    await n.waitForLog('lease node started', 20_000);
    return n;
  };
  const sizes = (): string => [...ledger(nodes).byNode().values()].map((p) => p.length).sort().join();

  it('balance, kill -9 of one node (takeover), a graceful stop of another (handover): one writer per pair throughout', async () => {
    await Promise.all(['n1', 'n2', 'n3'].map(start));
    await until(() => sizes() === '4,4,4', 15_000, 'a balanced start');

    const n2 = nodes.find((n) => n.logs.some((l) => l.node === 'n2'))!;
    const n2Pairs = ledger(nodes).byNode().get('n2')!;
    n2.kill('SIGKILL');
    await n2.exited;
    // A dead process writes nothing more: close its pairs in the ledger at the moment of death.
    const diedAt = Date.now();
    for (const pair of n2Pairs) n2.logs.push({ at: diedAt, node: 'n2', msg: 'stop', pair, why: 'kill -9' });
    await until(() => sizes() === '6,6', FAST.ttlMs + 5000, 'the takeover of n2\'s pairs');
    // n2's pairs were taken over; the new balance may move a pair between the survivors too, by handover.
    const starts = nodes.flatMap((n) => n.logs).filter((l) => l.msg === 'start' && Number(l.at) >= diedAt);
    expect(starts.filter((l) => l.via === 'takeover').map((l) => [l.pair, l.from]).sort()).toEqual(n2Pairs.map((p) => [p, 'n2']));
    expect(starts.filter((l) => l.via !== 'takeover').every((l) => l.via === 'handover' && !n2Pairs.includes(String(l.pair)))).toBe(true);

    const n3 = nodes.find((n) => n.logs.some((l) => l.node === 'n3'))!;
    n3.kill('SIGTERM');
    expect((await n3.exited).code).toBe(0);
    await until(() => sizes() === '12', FAST.ttlMs, 'n1 to hold every pair after n3 stopped');
    const w = ledger(nodes);
    expect(w.violations).toEqual([]);
    expect([...w.holders().values()].every((n) => n === 'n1')).toBe(true);
  });
});
