import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { decodeTradeBatch } from './trade-batch-codec';

type GetQuery = { readonly last_by_subj: string } | { readonly seq: number; readonly next_by_subj: string };

/**
 * Where to start reading one pair's subject to get its trades from `fromMs` (trade time) on: the
 * stream sequence of the first message holding such a trade, or the sequence after the subject's
 * last message when none does; undefined when the subject has no messages at all.
 *
 * Stream time (when a batch was stored) says nothing about trade time once history is replayed
 * through the bus, but a pair's rows are in trade order along its subject (the publisher sends
 * them in order and drops what the stream already has), so "holds a trade >= fromMs" turns from
 * false to true once along it: a binary search over sequences with direct reads, about
 * log2(stream messages) reads. A message that does not decode counts as true (start earlier, lose
 * nothing). `firstSeq` is the stream's first sequence, when the caller knows it.
 */
export async function seekTradeTime(jsm: JetStreamManager, stream: string, subject: string, fromMs: number, firstSeq = 1): Promise<number | undefined> {
  // STREAM.MSG.GET answers next_by_subj on nats-server 2.9 too; nats.js types only seq/last_by_subj.
  const get = (query: GetQuery): Promise<StoredMsg | null> => jsm.streams.getMessage(stream, query as { last_by_subj: string });
  const reaches = (m: StoredMsg): boolean => {
    try {
      const rows = decodeTradeBatch(m.data).rows;
      const last = rows[rows.length - 1];
      return last !== undefined && last[0] >= fromMs;
    } catch {
      return true;
    }
  };
  const last = await get({ last_by_subj: subject });
  if (!last) return undefined;
  if (!reaches(last)) return last.seq + 1;
  // Invariant: the answer is the next message of the subject at or after some s in [lo, hi], and
  // `found` is the next message at or after hi (it reaches fromMs).
  let lo = Math.min(firstSeq, last.seq);
  let hi = last.seq;
  let found = last;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const m = await get({ seq: mid, next_by_subj: subject });
    // Gone meanwhile (aged out): start from what was found.
    if (!m) break;
    if (reaches(m)) {
      hi = mid;
      found = m;
    } else {
      // Every s in [mid, m.seq] has m as its next message.
      lo = m.seq + 1;
    }
  }
  return found.seq;
}
