import 'reflect-metadata';
import { container } from 'tsyringe';
import { connectBus, registerNatsBus, type BusOptions, type BusTradeRow } from '@market-data/client';
import { TEST_STREAM_BYTES } from '@market-data/testing';

/**
 * Puts trades on MD_TRADES as an ingest node would (batches of `batchRows` per pair, committed
 * now), for analytics nodes to follow; the stream is made with the test servers' size.
 */
export async function publishTrades(bus: BusOptions, trades: Iterable<readonly [pair: string, rows: readonly BusTradeRow[]]>, batchRows = 100): Promise<void> {
  const connection = await connectBus(bus);
  try {
    const { publisher } = await registerNatsBus(container.createChildContainer(), { connection, streams: { trades: { maxBytes: TEST_STREAM_BYTES } }, publisher: { writerId: 'test-ingest' } });
    if (!publisher) throw new Error('registerNatsBus made no publisher although a writerId was given');
    for (const [pair, rows] of trades) for (let i = 0; i < rows.length; i += batchRows) await publisher.publish(pair, rows.slice(i, i + batchRows));
  } finally {
    await connection.close();
  }
}
