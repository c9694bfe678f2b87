import { assignPairs } from './rendezvous';

const pairs = (n: number): string[] => Array.from({ length: n }, (_, i) => `binance:spot:P${i}USDT`);

function counts(a: Map<string, string>): Map<string, number> {
  const c = new Map<string, number>();
  for (const n of a.values()) c.set(n, (c.get(n) ?? 0) + 1);
  return c;
}

describe('assignPairs (rendezvous hashing with bounded loads)', () => {
  it('gives every pair to exactly one node, each node at most ceil(P/N)', () => {
    for (const [p, n] of [[10, 3], [100, 3], [7, 4], [300, 5], [2, 3]] as const) {
      const nodes = Array.from({ length: n }, (_, i) => `node-${i}`);
      const a = assignPairs(pairs(p), nodes);
      expect([...a.keys()].sort()).toEqual(pairs(p).sort());
      const c = counts(a);
      expect(Math.max(...c.values())).toBeLessThanOrEqual(Math.ceil(p / n));
      // Balanced: nobody far below its share either.
      expect(Math.min(...nodes.map((x) => c.get(x) ?? 0))).toBeGreaterThanOrEqual(Math.floor(p / n) - 1);
    }
  });

  it('does not depend on the order of the lists (every node computes the same answer)', () => {
    const a = assignPairs(pairs(50), ['a', 'b', 'c']);
    const b = assignPairs([...pairs(50)].reverse(), ['c', 'a', 'b', 'a']);
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
  });

  it('a node joining takes about its share and moves little else; leaving moves only its pairs plus the load spill', () => {
    const ps = pairs(120);
    const three = assignPairs(ps, ['a', 'b', 'c']);
    const four = assignPairs(ps, ['a', 'b', 'c', 'd']);
    const moved = ps.filter((p) => three.get(p) !== four.get(p));
    const toNew = moved.filter((p) => four.get(p) === 'd');
    expect(toNew.length).toBe(30);
    // Ideal is 30 (all to the new node); the load bound may shuffle a few among the others.
    expect(moved.length).toBeLessThanOrEqual(45);
    const back = assignPairs(ps, ['a', 'b', 'c']);
    expect([...back.entries()]).toEqual([...three.entries()]);
  });

  it('no nodes: no assignment', () => {
    expect(assignPairs(pairs(3), []).size).toBe(0);
  });
});
