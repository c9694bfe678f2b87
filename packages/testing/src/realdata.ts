import * as path from 'node:path';

/**
 * The shared real market data (read-only, never copied into the repo). CI checks the repo out
 * with `shared/` beside it; a clone elsewhere points MARKET_DATA_REALDATA at the folder.
 */
export const REALDATA = process.env.MARKET_DATA_REALDATA ?? path.resolve(__dirname, '../../../../shared/realdata');
