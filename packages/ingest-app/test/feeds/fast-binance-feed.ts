import type { FakeBinance } from '@market-data/testing';
import { BinanceFeed, type BinanceFeedOptions } from '../../src/feeds/binance-feed';

/**
 * A BinanceFeed on `fake` with a test's timings: reconnects after 20-100 ms (no jitter), no stale
 * timer or pings unless asked, a gap backfilled at once, REST calls given up after 2 s.
 */
export function fastBinanceFeed(fake: FakeBinance, options: Pick<BinanceFeedOptions, 'market' | 'symbols'> & Partial<BinanceFeedOptions>): BinanceFeed {
  return new BinanceFeed({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    backoffBaseMs: 20,
    backoffMaxMs: 100,
    random: () => 0.5,
    staleTimeoutMs: 0,
    pingIntervalMs: 0,
    backfillDelayMs: 0,
    restTimeoutMs: 2000,
    ...options,
  });
}
