export const PACKAGE = '@market-data/queries';
