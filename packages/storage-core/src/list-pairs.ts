import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { pairId, pairKey, PAIR_PART_PATTERN, type PairKey } from './pair';
import type { DatabaseRole } from './paths';

/** Every pair with a `<role>.duckdb` under baseDir, sorted by id; folders that are not valid names are skipped. */
export function listPairs(baseDir: string, role: DatabaseRole = 'trading'): PairKey[] {
  const root = path.resolve(baseDir);
  const dirs = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true })
          .filter((d) => d.isDirectory() && PAIR_PART_PATTERN.test(d.name))
          .map((d) => d.name)
      : [];
  const pairs: PairKey[] = [];
  for (const exchange of dirs(root)) {
    for (const marketType of dirs(path.join(root, exchange))) {
      for (const symbol of dirs(path.join(root, exchange, marketType))) {
        if (existsSync(path.join(root, exchange, marketType, symbol, `${role}.duckdb`))) pairs.push(pairKey(exchange, marketType, symbol));
      }
    }
  }
  return pairs.sort((a, b) => pairId(a).localeCompare(pairId(b)));
}
