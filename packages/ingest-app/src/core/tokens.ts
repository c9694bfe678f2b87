/** DI tokens of the ingest app; values are registered only in composition-root.ts. */
export const INGEST_CONFIG = Symbol.for('market-data.ingest.Config');
export const FEED_FACTORY = Symbol.for('market-data.ingest.FeedFactory');
export const INGEST_METRICS = Symbol.for('market-data.ingest.Metrics');
/** The IngestService: feeds -> batches -> pair files -> the tickerplant. */
export const INGEST_SERVICE = Symbol.for('market-data.ingest.Service');
