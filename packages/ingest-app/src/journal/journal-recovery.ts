import { toPairKey } from '@market-data/storage-core';
import type { Logger } from '@market-data/runtime';
import type { Trade } from '../feeds/feed';
import type { IngestMetrics } from '../core/ingest-metrics';
import type { PairWriter } from '../storage/pair-writer';
import type { AdmitFilter } from './admit-filter';
import type { DecodedRecord } from './journal-record';
import type { SegmentDefect } from './journal-segments';

/** Counts and logs what the scan found wrong: a torn tail is expected after a crash, corruption is not. */
export function reportDefects(defects: readonly SegmentDefect[], metrics: IngestMetrics, logger: Logger): void {
  for (const d of defects) {
    metrics.journalDefects.inc({ defect: d.defect, tail: String(d.tail) });
    const fields = { file: d.file, offset: d.offset, defect: d.defect, droppedBytes: d.droppedBytes };
    if (d.tail) logger.warn('journal: torn last record dropped (a crash during a write); nothing in it was acknowledged', fields);
    else logger.error('journal: corrupt record; it and the rest of its segment are not read', fields);
  }
}

/** A group could not be made durable: counted by error code and logged (ENOSPC as a full disk). */
export function reportWriteFailure(err: NodeJS.ErrnoException, attempt: number, retryInMs: number, metrics: IngestMetrics, logger: Logger): void {
  metrics.journalWriteFailures.inc({ code: err.code ?? 'EIO' });
  const full = err.code === 'ENOSPC' || err.code === 'EDQUOT';
  logger.error(full ? 'journal disk full: new trades are not acknowledged until it can write again' : 'journal write failed: new trades are not acknowledged until it can write again', {
    code: err.code,
    err: err.message,
    attempt,
    retryInMs,
  });
}

/**
 * Hands every journaled trade past its pair's last checkpoint to the pair's writer, with its
 * record's LSN (so the segments stay until the pair file has it), and remembers every journaled
 * id in the pair's admit filter (a feed's restart overlap is then not acknowledged twice).
 * Re-applying more than needed is harmless: appendTicks is idempotent by trade id.
 */
export function reapplyJournal(
  records: readonly DecodedRecord[],
  routeFor: (pairId: string) => { readonly writer: PairWriter; readonly filter: AdmitFilter },
): { replayed: number; checkpoint: Map<string, number> } {
  const checkpoint = new Map<string, number>();
  for (const r of records) if (r.kind === 'checkpoint') for (const [id, lsn] of r.committed) checkpoint.set(id, lsn);
  let replayed = 0;
  const now = performance.now();
  for (const r of records) {
    if (r.kind !== 'trades' || r.trades.length === 0) continue;
    const route = routeFor(r.pairId);
    for (const t of r.trades) route.filter.remember(t.tradeId);
    if (r.lsn <= (checkpoint.get(r.pairId) ?? 0)) continue;
    const pair = toPairKey(r.pairId);
    const trades: Trade[] = r.trades.map((t) => ({ type: 'trade', exchange: pair.exchange, marketType: pair.marketType, symbol: pair.symbol, ...t, receivedAt: now }));
    route.writer.add(trades, r.lsn);
    replayed += trades.length;
  }
  return { replayed, checkpoint };
}
