import { pairId, toPairKey, type PairKey } from '@market-data/storage-core';

/**
 * The pairs this analytics app knows: those it follows or has computed, and those that only
 * have an analytics file from an earlier run (the chart shows them while the ingester is away).
 * One per app, shared by the app, its chart and its health.
 */
export class KnownPairs {
  private readonly followed = new Set<string>();
  private stored: readonly string[] = [];

  /** Adds pair ids; true if any was new. */
  add(ids: Iterable<string>): boolean {
    const before = this.followed.size;
    for (const id of ids) this.followed.add(id);
    return this.followed.size > before;
  }

  addKeys(pairs: Iterable<PairKey>): boolean {
    return this.add([...pairs].map(pairId));
  }

  /** Pairs with an analytics file when the app started. */
  setStored(pairs: readonly PairKey[]): void {
    this.stored = pairs.map(pairId);
  }

  /** Followed or computed pairs, sorted. */
  list(): PairKey[] {
    return [...this.followed].sort().map(toPairKey);
  }

  /** What the chart offers: followed pairs and stored ones, sorted ids. */
  forChart(): string[] {
    return [...new Set([...this.followed, ...this.stored])].sort();
  }
}
