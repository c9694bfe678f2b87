/** DI tokens of the ingest app; values are registered only in composition-root.ts. */
export const INGEST_CONFIG = Symbol.for('market-data.ingest.Config');
export const FEED_FACTORY = Symbol.for('market-data.ingest.FeedFactory');
export const INGEST_METRICS = Symbol.for('market-data.ingest.Metrics');
/** `{ factory }`: IngestService's JournalFactory, absent when the journal is off (tsyringe cannot hold a bare null). */
export const JOURNAL_FACTORY = Symbol.for('market-data.ingest.JournalFactory');
