import 'reflect-metadata';
import { container } from 'tsyringe';
import { connectBus, consumeTrades, registerNatsBus, type BusOptions, type BusTradeRow, type NatsBus } from '@market-data/client';
import { ChildApp, INGEST_MAIN, TEST_STREAM_BYTES, type FakeBinanceMarket } from '@market-data/testing';

export function ingestNodeArgs(o: { dataDir: string; market: FakeBinanceMarket; bus: string; nodeId: string; pairs: readonly string[]; ttlMs?: number }): string[] {
  return [
    '--source', 'live', '--pairs', o.pairs.join(','), '--data-dir', o.dataDir, '--listen', '127.0.0.1:0',
    '--binance-spot-ws', o.market.wsUrl, '--binance-spot-rest', o.market.restUrl,
    '--max-delay-ms', '20', '--retention-interval-ms', '0', '--storage-threads', '0', '--stale-timeout-ms', '60000',
    '--bus', o.bus, '--node-id', o.nodeId, '--lease-ttl-ms', String(o.ttlMs ?? 3000), '--log-level', 'info',
    // The test server's store is small; every node and the reader agree on the stream's size.
    '--bus-trades-max-bytes', String(TEST_STREAM_BYTES),
  ];
}

export interface NodeHealth {
  readonly ok: boolean;
  readonly node?: {
    readonly pairs: readonly string[];
    readonly members: readonly string[];
    readonly leases?: readonly { pair: string; revision: number }[];
    readonly takeovers: readonly { pair: string; from?: string }[];
    readonly bus: { state: string };
  };
}

/** An ingest node process and its /healthz. */
export class IngestNodeProcess {
  readonly app: ChildApp;
  private base: string | undefined;
  constructor(
    readonly nodeId: string,
    args: readonly string[],
  ) {
    this.app = new ChildApp(INGEST_MAIN, args);
  }
  async url(): Promise<string> {
    this.base ??= await this.app.url('ingester listening', 60_000);
    return this.base;
  }
  async health(): Promise<NodeHealth | undefined> {
    try {
      const res = await fetch(`${await this.url()}/healthz`, { signal: AbortSignal.timeout(5000) });
      return (await res.json()) as NodeHealth;
    } catch {
      return undefined;
    }
  }
  async pairs(): Promise<readonly string[]> {
    return (await this.health())?.node?.pairs ?? [];
  }
}

/** Who holds which pair, from the nodes' own /healthz. */
export async function holders(nodes: readonly IngestNodeProcess[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const n of nodes) for (const p of await n.pairs()) out.set(p, [...(out.get(p) ?? []), n.nodeId]);
  return out;
}

/** A test's own view of the bus: every row a pair has on MD_TRADES, in stream order. */
export class BusReader {
  private constructor(private readonly bus: NatsBus) {}
  static async open(bus: string | BusOptions): Promise<BusReader> {
    const connection = await connectBus({ ...(typeof bus === 'string' ? { servers: bus } : bus), name: 'cluster-test-reader' });
    return new BusReader(await registerNatsBus(container.createChildContainer(), { connection, streams: { trades: { maxBytes: TEST_STREAM_BYTES } } }));
  }
  async rows(pair: string): Promise<BusTradeRow[]> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 3000);
    const rows: BusTradeRow[] = [];
    try {
      for await (const batch of consumeTrades(this.bus.js, { pair, start: 'all', signal: controller.signal, expiresMs: 1000 })) {
        rows.push(...batch.rows);
        if (batch.pending === 0) break;
      }
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return rows;
  }
  async close(): Promise<void> {
    await this.bus.connection.close();
  }
}

/** Compares a pair's stream with what the exchange made: the ids, in order, once each. */
export function sameTrades(rows: readonly BusTradeRow[], made: readonly { id: number }[]): boolean {
  if (rows.length !== made.length) return false;
  return rows.every((r, i) => r[4] === String(made[i]?.id));
}
