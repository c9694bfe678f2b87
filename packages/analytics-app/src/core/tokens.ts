/** DI tokens of the analytics app; values are registered only in composition-root.ts. */
export const ANALYTICS_CONFIG = Symbol.for('market-data.analytics.Config');
export const ANALYTICS_METRICS = Symbol.for('market-data.analytics.Metrics');
