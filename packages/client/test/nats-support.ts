import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsServer, type NatsServerOptions } from '@market-data/testing';
import { connectBus, ensureMarketDataStreams, type BusTradeRow, type MarketDataStreams, type MarketDataStreamsOptions, type TradeBatch } from '../src';

export interface Bus {
  readonly server: NatsServer;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly streams: MarketDataStreams;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;

/** A real nats-server with the market-data streams, and a connection to it. */
export async function startBus(streams: MarketDataStreamsOptions = {}, server: NatsServerOptions = {}): Promise<Bus> {
  const s = await NatsServer.start(server);
  let nc: NatsConnection | undefined;
  try {
    nc = await connectBus({ servers: s.url, reconnectWaitMs: 100 });
    const jsm = await jetstreamManager(nc);
    // The test server's store is bounded (2 GiB); the defaults' 8 GiB would not fit.
    const ensured = await ensureMarketDataStreams(jsm, { trades: { maxBytes: 256 * MIB }, candles: { maxBytes: 64 * MIB }, ...streams });
    const conn = nc;
    return {
      server: s,
      nc: conn,
      js: jetstream(conn),
      jsm,
      streams: ensured,
      async close() {
        await conn.close().catch(() => undefined);
        await s.stop();
      },
    };
  } catch (err) {
    await nc?.close().catch(() => undefined);
    await s.stop();
    throw err;
  }
}

/** `n` trades with rising ids from `firstId`, one every 10 ms from `t0`. */
export function trades(firstId: number, n: number, t0 = Date.UTC(2026, 0, 5, 12)): BusTradeRow[] {
  return Array.from({ length: n }, (_, i) => {
    const id = firstId + i;
    return [t0 + id * 10, 100 + (id % 17) * 0.5, 0.001 * (1 + (id % 5)), id % 3 === 0 ? 'SELL' : 'BUY', String(id)] as const;
  });
}

/** Reads batches until `until` says stop or `ms` pass (then throws with what was read). */
export async function collect(iter: AsyncIterable<TradeBatch>, until: (got: TradeBatch[]) => boolean, ms = 15_000): Promise<TradeBatch[]> {
  const got: TradeBatch[] = [];
  const deadline = Date.now() + ms;
  const it = iter[Symbol.asyncIterator]();
  try {
    while (!until(got)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${got.length} batches (${got.reduce((n, b) => n + b.rows.length, 0)} rows)`);
      let to: NodeJS.Timeout | undefined;
      const next = await Promise.race([it.next(), new Promise<'timeout'>((r) => (to = setTimeout(() => r('timeout'), left)))]);
      clearTimeout(to);
      if (next === 'timeout') continue;
      if (next.done) break;
      got.push(next.value);
    }
  } finally {
    void it.return?.();
  }
  return got;
}

export const ids = (batches: readonly TradeBatch[]): string[] => batches.flatMap((b) => b.rows.map((r) => r[4]));
