import type { MarketDataClient, MarketDataClientOptions } from '@market-data/client';

/** DI tokens of the analytics app; values are registered only in composition-root.ts. */
export const ANALYTICS_CONFIG = Symbol.for('market-data.analytics.Config');
export const ANALYTICS_METRICS = Symbol.for('market-data.analytics.Metrics');
/** The AnalyticsRunner: stores followed trades per pair and runs the engine's passes. */
export const ANALYTICS_RUNNER = Symbol.for('market-data.analytics.Runner');
/** The chart page's HTTP handler and event stream (ChartServer). */
export const CHART_SERVER = Symbol.for('market-data.analytics.ChartServer');
/** The app's KnownPairs. */
export const KNOWN_PAIRS = Symbol.for('market-data.analytics.KnownPairs');

/** Makes the client the app follows the ingester through (a test can give it another transport). */
export type TradeClientFactory = (options: MarketDataClientOptions) => MarketDataClient;
export const TRADE_CLIENT_FACTORY = Symbol.for('market-data.analytics.TradeClientFactory');
