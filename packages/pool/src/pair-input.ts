import { pairKey, toPairKey, type PairKey } from '@market-data/storage-core';
import type { PairInput } from './tokens';

/**
 * Normalizes the accepted call shapes (`PairKey`, `'exchange:marketType:symbol'`, or the three
 * parts) into a validated PairKey; storage-core throws InvalidPairError (INVALID_PAIR) otherwise.
 * Validation happens before the name reaches a map key, a path or a file.
 */
export function toPair(args: readonly [PairInput] | readonly [string, string, string] | readonly unknown[]): PairKey {
  if (args.length === 3) return pairKey(args[0] as string, args[1] as string, args[2] as string);
  const pair = args[0];
  // Lets pairKey name the bad value instead of a TypeError on `undefined.exchange`.
  if (pair === null || (typeof pair !== 'string' && typeof pair !== 'object')) return pairKey(pair as never, '', '');
  return toPairKey(pair as PairInput);
}
