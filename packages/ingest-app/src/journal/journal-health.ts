import type { JournalStats } from './journal';

export interface JournalHealth extends JournalStats {
  readonly ok: boolean;
  /** Age of the oldest acknowledged trade not yet in its pair file (ms), or null. */
  readonly oldestUncommittedAgeMs: number | null;
  /** Why it is not ok: writes failing (nothing new is acknowledged), or over its size limit. */
  readonly problem?: string;
}

/** The journal's part of /healthz: its figures, how far the pair files trail, and what is wrong. */
export function journalHealth(stats: JournalStats, writers: Iterable<{ readonly oldestPendingSince: number | undefined }>, maxBytes: number): JournalHealth {
  let oldest = Infinity;
  for (const w of writers) oldest = Math.min(oldest, w.oldestPendingSince ?? Infinity);
  const problem = stats.failing
    ? `journal writes failing since ${new Date(stats.failing.since).toISOString()} (${stats.failing.code}: ${stats.failing.message}); new trades are not acknowledged`
    : stats.bytes > maxBytes
      ? `journal holds ${stats.bytes} bytes, over its limit of ${maxBytes}: a pair file is far behind`
      : undefined;
  return {
    ...stats,
    ok: problem === undefined,
    oldestUncommittedAgeMs: Number.isFinite(oldest) ? Math.round(performance.now() - oldest) : null,
    ...(problem ? { problem } : {}),
  };
}
