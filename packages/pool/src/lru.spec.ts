import { LruMap } from './lru';

describe('LruMap', () => {
  it('iterates least recently used first and moves touched keys to the end', () => {
    const lru = new LruMap<string, number>();
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.touch('a')).toBe(true);
    expect(lru.keys()).toEqual(['b', 'c', 'a']);
    expect(lru.values()).toEqual([2, 3, 1]);
    expect(lru.touch('missing')).toBe(false);
    expect(lru.size).toBe(3);
  });

  it('re-setting a key makes it the most recent', () => {
    const lru = new LruMap<string, number>();
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('a', 10);
    expect(lru.keys()).toEqual(['b', 'a']);
    expect(lru.get('a')).toBe(10);
  });

  it('finds the oldest entry that matches a predicate', () => {
    const lru = new LruMap<string, { busy: boolean }>();
    lru.set('a', { busy: true });
    lru.set('b', { busy: false });
    lru.set('c', { busy: false });
    expect(lru.findOldest((v) => !v.busy)?.[0]).toBe('b');
    expect(lru.findOldest(() => false)).toBeUndefined();
  });

  it('keeps undefined values touchable', () => {
    const lru = new LruMap<string, undefined>();
    lru.set('a', undefined);
    lru.set('b', undefined);
    expect(lru.touch('a')).toBe(true);
    expect(lru.keys()).toEqual(['b', 'a']);
    expect(lru.delete('a')).toBe(true);
    expect(lru.has('a')).toBe(false);
  });
});
