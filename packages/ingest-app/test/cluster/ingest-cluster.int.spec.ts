import { ChildApp, FakeBinanceMarket, INGEST_MAIN, NatsServer, TempDirs, freePort, until } from '@market-data/testing';
import { BusReader, holders, IngestNodeProcess, ingestNodeArgs, sameTrades } from './cluster-support';

// Three ingest node processes on a real nats-server and a live fake Binance spot market: every
// trade the exchange made is on MD_TRADES once per pair, in trade-id order, through a kill -9,
// a takeover, a node joining and a nats-server restart. Lease TTL 3 s; every wait polls.
jest.setTimeout(300_000);

const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT', 'DDDUSDT', 'EEEUSDT', 'FFFUSDT'];
const PAIRS = SYMBOLS.map((s) => `binance:spot:${s}`);

describe('ingest nodes on NATS JetStream', () => {
  const dirs = new TempDirs('ingest-cluster-');
  let server: NatsServer;
  let market: FakeBinanceMarket;
  let reader: BusReader;
  const nodes: IngestNodeProcess[] = [];

  beforeAll(async () => {
    server = await NatsServer.start();
    market = await FakeBinanceMarket.start({ symbols: SYMBOLS, rate: 20 });
    reader = await BusReader.open(server.url);
  });
  afterAll(async () => {
    for (const n of nodes) n.app.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.app.exited));
    await reader?.close();
    await market?.stop();
    await server?.stop();
    dirs.removeAll();
  });

  const startNode = (nodeId: string): IngestNodeProcess => {
    const node = new IngestNodeProcess(nodeId, ingestNodeArgs({ dataDir: dirs.make(`ingest-${nodeId}-`), market, bus: server.url, nodeId, pairs: PAIRS }));
    nodes.push(node);
    return node;
  };

  /**
   * Polls until, for every pair, the stream holds every trade the exchange made up to now, once
   * each, in id order, and nothing else (a prefix of what it made: trading goes on meanwhile, as
   * on a real exchange, where the next trade is what reveals a hole to the new owner's feed).
   */
  async function streamMatchesExchange(): Promise<void> {
    let last = '';
    const cut = SYMBOLS.map((s) => market.made(s).length);
    await until(
      async () => {
        for (const [i, pair] of PAIRS.entries()) {
          const rows = await reader.rows(pair);
          const made = market.made(SYMBOLS[i] as string).slice(0, rows.length);
          if (rows.length < (cut[i] as number) || !sameTrades(rows, made)) {
            const ids = rows.map((r) => Number(r[4]));
            const dup = ids.length - new Set(ids).size;
            last = `${pair}: stream ${rows.length} rows (${dup} repeated, first ${ids[0]}, last ${ids[ids.length - 1]}), exchange made ${market.made(SYMBOLS[i] as string).length}, ${cut[i]} before the check`;
            return false;
          }
        }
        return true;
      },
      90_000,
      'the stream to hold every trade once, in order',
    ).catch((err: Error) => {
      // What the nodes said about the pair that is off: enough to tell a stuck feed from a lost lease.
      const pair = last.split(':').slice(0, 3).join(':');
      const said = nodes.map((n) => `${n.nodeId}: ${n.app.logs.filter((l) => JSON.stringify(l).includes(pair.split(':')[2] ?? '?')).slice(-12).map((l) => JSON.stringify(l).slice(0, 300)).join('\n  ')}`);
      throw new Error(`${err.message}; ${last}\n${said.join('\n')}`);
    });
  }

  it('takes a killed node\'s pairs over, rebalances when a node joins, and survives a nats-server restart, with every trade once per pair in id order', async () => {
    const [a, b, c] = [startNode('n1'), startNode('n2'), startNode('n3')];
    // Balanced: every pair held by exactly one node, each node two.
    await until(async () => {
      const h = await holders([a, b, c]);
      return PAIRS.every((p) => h.get(p)?.length === 1) && (await Promise.all([a, b, c].map((n) => n.pairs()))).every((p) => p.length === 2);
    }, 90_000, 'three nodes to share six pairs');

    market.open();
    await until(() => SYMBOLS.every((s) => market.made(s).length >= 40), 60_000, 'trades');

    // kill -9 of the node holding AAAUSDT.
    const before = await holders([a, b, c]);
    const victimId = (before.get(PAIRS[0] as string) ?? [])[0];
    const victim = [a, b, c].find((n) => n.nodeId === victimId) as IngestNodeProcess;
    const survivors = [a, b, c].filter((n) => n !== victim);
    const victimPairs = await victim.pairs();
    const madeAtKill = market.made(SYMBOLS[0] as string).length;
    victim.app.kill('SIGKILL');
    await victim.app.exited;

    // Its pairs move to the others (lease TTL + a tick), by takeover.
    await until(async () => {
      const h = await holders(survivors);
      return PAIRS.every((p) => h.get(p)?.length === 1);
    }, 60_000, 'the survivors to hold every pair');
    const takeovers = (await Promise.all(survivors.map((n) => n.health()))).flatMap((h) => h?.node?.takeovers ?? []);
    for (const pair of victimPairs) expect(takeovers.some((t) => t.pair === pair && t.from === victimId)).toBe(true);
    await until(() => market.made(SYMBOLS[0] as string).length > madeAtKill + 60, 60_000, 'trading after the takeover');

    // A node joins: the pairs are handed over gracefully until each node holds two again.
    const d = startNode('n4');
    const members = [...survivors, d];
    await until(async () => (await Promise.all(members.map((n) => n.pairs()))).every((p) => p.length === 2), 90_000, 'the joined node to get its share');
    const h = await holders(members);
    expect(PAIRS.every((p) => h.get(p)?.length === 1)).toBe(true);

    // nats-server killed and restarted on the same port and store mid-stream.
    const madeBeforeRestart = market.made(SYMBOLS[0] as string).length;
    await server.kill();
    await new Promise((r) => setTimeout(r, 500));
    await server.restart();
    await until(() => market.made(SYMBOLS[0] as string).length > madeBeforeRestart + 60, 60_000, 'trading after the restart');

    await streamMatchesExchange();
    // /healthz: each node healthy, connected to the bus again, holding its leases.
    await until(async () => (await Promise.all(members.map((n) => n.health()))).every((x) => x?.ok === true && x.node?.bus.state === 'connected'), 60_000, 'healthy nodes');
    for (const n of members) expect((await n.health())?.node?.leases?.map((l) => l.pair).sort()).toEqual([...(await n.pairs())].sort());
    // The killed node's last acknowledged trades were not lost: the exchange's REST filled its hole.
    expect(market.restCalls).toBeGreaterThan(0);
  });

  it('reports a bus that is down at start clearly, after retrying', async () => {
    const port = await freePort();
    const app = new ChildApp(INGEST_MAIN, [
      ...ingestNodeArgs({ dataDir: dirs.make('ingest-down-'), market, bus: `nats://127.0.0.1:${port}`, nodeId: 'down', pairs: PAIRS }),
      '--bus-connect-attempts', '2',
    ]);
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(app.logs.some((l) => l.msg === 'bus not reachable; retrying')).toBe(true);
    expect(app.stderr.join('\n')).toMatch(/BUS_UNAVAILABLE|cannot connect after 2 attempt/);
  });
});
