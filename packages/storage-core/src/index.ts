export const PACKAGE = '@market-data/storage-core';
