import type { IngestConfig } from './config/ingest-config';
import type { Feed } from './feeds/feed';
import { BinanceFeed, BybitFeed } from './feeds';
import { ReplayFeed, SyntheticFeed } from './sources';

/** Builds the feeds a config asks for: one per exchange market for live, one replay, one synthetic. */
export function createFeeds(config: IngestConfig): Feed[] {
  switch (config.source) {
    case 'synthetic':
      return [
        new SyntheticFeed({
          pairs: config.pairs,
          seed: config.synthetic.seed,
          tradesPerSecond: config.synthetic.tradesPerSecond * config.pairs.length,
          realtime: config.synthetic.realtime,
        }),
      ];
    case 'replay':
      return [
        new ReplayFeed({
          files: config.replay.files.map((f) => ({ path: f.path, exchange: f.pair.exchange, marketType: f.pair.marketType, symbol: f.pair.symbol, format: f.format })),
          speed: config.replay.speed,
          progress: true,
        }),
      ];
    case 'live': {
      const feeds: Feed[] = [];
      const symbols = (exchange: string, marketType: string): string[] =>
        config.pairs.filter((p) => p.exchange === exchange && p.marketType === marketType).map((p) => p.symbol);
      const e = config.endpoints;
      for (const market of ['spot', 'usdm'] as const) {
        const list = symbols('binance', market);
        if (list.length === 0) continue;
        feeds.push(
          new BinanceFeed({
            market,
            symbols: list,
            stream: config.binanceStream,
            wsUrl: market === 'spot' ? e.binanceSpotWs : e.binanceUsdmWs,
            restUrl: market === 'spot' ? e.binanceSpotRest : e.binanceUsdmRest,
            staleTimeoutMs: config.staleTimeoutMs,
            staleDataMs: config.staleDataMs,
          }),
        );
      }
      for (const category of ['spot', 'linear'] as const) {
        const list = symbols('bybit', category);
        if (list.length === 0) continue;
        feeds.push(
          new BybitFeed({ category, symbols: list, wsUrl: category === 'spot' ? e.bybitSpotWs : e.bybitLinearWs, staleTimeoutMs: config.staleTimeoutMs, staleDataMs: config.staleDataMs }),
        );
      }
      return feeds;
    }
  }
}
