import { journalHealth } from './journal-health';
import type { JournalStats } from './journal';

const stats = (over: Partial<JournalStats> = {}): JournalStats => ({ bytes: 1000, segments: 1, unwrittenTrades: 0, durableLsn: 5, groupCommits: 5, diskFreeBytes: 10_000, ...over });

describe('journalHealth', () => {
  it('is ok with room on the disk, under its size limit and writing', () => {
    expect(journalHealth(stats(), [], 2000, 5000)).toMatchObject({ ok: true, bytes: 1000, diskFreeBytes: 10_000, oldestUncommittedAgeMs: null });
  });

  it('says why it is not ok: writes failing, over its size limit, or its disk nearly full', () => {
    const failing = journalHealth(stats({ failing: { code: 'ENOSPC', message: 'no space left on device', since: Date.UTC(2026, 11, 3), attempts: 3 } }), [], 2000, 5000);
    expect(failing).toMatchObject({ ok: false, problem: expect.stringMatching(/ENOSPC.*not acknowledged/) });
    expect(journalHealth(stats({ bytes: 3000 }), [], 2000, 5000)).toMatchObject({ ok: false, problem: expect.stringMatching(/3000 bytes, over its limit of 2000/) });
    expect(journalHealth(stats({ diskFreeBytes: 4000 }), [], 2000, 5000)).toMatchObject({ ok: false, problem: expect.stringMatching(/4000 bytes free, under 5000/) });
  });

  it('reports the age of the oldest acknowledged trade not yet in its pair file', () => {
    const h = journalHealth(stats(), [{ oldestPendingSince: performance.now() - 1500 }, { oldestPendingSince: undefined }], 2000);
    expect(h.oldestUncommittedAgeMs).toBeGreaterThanOrEqual(1500);
  });
});
