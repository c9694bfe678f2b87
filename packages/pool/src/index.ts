export const PACKAGE = '@market-data/pool';
