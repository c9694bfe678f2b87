/**
 * A map that remembers recency: `touch` moves a key to the most recent end. JS Maps iterate in
 * insertion order, so delete + set is an O(1) move and iteration runs least recent first.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Inserts or replaces `key` as the most recently used. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
  }

  /** Marks `key` as the most recently used; returns false if it is absent. */
  touch(key: K): boolean {
    const value = this.map.get(key);
    if (value === undefined && !this.map.has(key)) return false;
    this.map.delete(key);
    this.map.set(key, value as V);
    return true;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The least recently used entry that satisfies `predicate`, if any. */
  findOldest(predicate: (value: V, key: K) => boolean): [K, V] | undefined {
    for (const [key, value] of this.map) {
      if (predicate(value, key)) return [key, value];
    }
    return undefined;
  }

  /** Keys, least recently used first. */
  keys(): K[] {
    return [...this.map.keys()];
  }

  /** Values, least recently used first. */
  values(): V[] {
    return [...this.map.values()];
  }
}
