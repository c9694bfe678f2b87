import type { JournalStats } from './journal';

export interface JournalHealth extends JournalStats {
  readonly ok: boolean;
  /** Age of the oldest acknowledged trade not yet in its pair file (ms), or null. */
  readonly oldestUncommittedAgeMs: number | null;
  /** Why it is not ok: writes failing (nothing new is acknowledged), over its size limit, or its disk nearly full. */
  readonly problem?: string;
}

/**
 * The journal's part of /healthz: its figures, how far the pair files trail, and what is wrong.
 * `minFreeBytes`: below this much free space on the journal's file system health turns bad before
 * the disk is full (when it is, writes fail and nothing new is acknowledged).
 */
export function journalHealth(
  stats: JournalStats,
  writers: Iterable<{ readonly oldestPendingSince: number | undefined }>,
  maxBytes: number,
  minFreeBytes = 0,
): JournalHealth {
  let oldest = Infinity;
  for (const w of writers) oldest = Math.min(oldest, w.oldestPendingSince ?? Infinity);
  const problem = stats.failing
    ? `journal writes failing since ${new Date(stats.failing.since).toISOString()} (${stats.failing.code}: ${stats.failing.message}); new trades are not acknowledged`
    : stats.bytes > maxBytes
      ? `journal holds ${stats.bytes} bytes, over its limit of ${maxBytes}: a pair file is far behind`
      : stats.diskFreeBytes !== undefined && stats.diskFreeBytes < minFreeBytes
        ? `the journal's disk has ${stats.diskFreeBytes} bytes free, under ${minFreeBytes}: when it is full, new trades are not acknowledged`
        : undefined;
  return {
    ...stats,
    ok: problem === undefined,
    oldestUncommittedAgeMs: Number.isFinite(oldest) ? Math.round(performance.now() - oldest) : null,
    ...(problem ? { problem } : {}),
  };
}
