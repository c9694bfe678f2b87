import { createHash } from 'node:crypto';

/** Rendezvous (highest random weight) score of a node for a pair: stable, uniform, no coordination. */
export function rendezvousScore(pair: string, node: string): number {
  // 48 bits of SHA-256: uniform enough, and exact in a double.
  return createHash('sha256').update(pair).update('\u0000').update(node).digest().readUIntBE(0, 6);
}

/**
 * Which node should hold each pair: rendezvous hashing with bounded loads. Each pair goes to its
 * highest-scoring node that holds fewer than ceil(P/N) pairs, pairs taken in id order. Every node
 * computes the same answer from the same pair list and member list, so no one coordinates; a
 * node joining or leaving moves few pairs (about P/N, plus a few the load bound reshuffles).
 */
export function assignPairs(pairs: readonly string[], nodes: readonly string[]): Map<string, string> {
  const members = [...new Set(nodes)].sort();
  const out = new Map<string, string>();
  if (members.length === 0) return out;
  const sorted = [...new Set(pairs)].sort();
  const cap = Math.ceil(sorted.length / members.length);
  const load = new Map(members.map((n) => [n, 0]));
  for (const pair of sorted) {
    const ranked = members
      .map((node) => ({ node, score: rendezvousScore(pair, node) }))
      .sort((a, b) => b.score - a.score || (a.node < b.node ? -1 : 1));
    // Some node is always below the cap: the caps add up to at least the number of pairs.
    const pick = ranked.find((r) => (load.get(r.node) ?? 0) < cap) ?? ranked[0];
    if (!pick) break;
    load.set(pick.node, (load.get(pick.node) ?? 0) + 1);
    out.set(pair, pick.node);
  }
  return out;
}
