import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@market-data/runtime';
import type { JournalEntry } from '../../src/journal/journal';
import type { JournalTrade } from '../../src/journal/journal-record';
import { scanSegments, segmentName } from '../../src/journal/journal-segments';
import { SegmentJournal, type SegmentJournalOptions } from '../../src/journal/segment-journal';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();

function trades(n: number, firstId = 1, start = Date.UTC(2024, 7, 8, 12)): JournalTrade[] {
  return Array.from({ length: n }, (_, i) => ({
    timestamp: start + (firstId + i) * 10 + 0.123,
    price: 60_000.5 + ((firstId + i) % 17),
    volume: 0.001 * (1 + ((firstId + i) % 9)),
    side: (firstId + i) % 3 === 0 ? 'BUY' : 'SELL',
    tradeId: String(firstId + i),
  }));
}

function open(options: Partial<SegmentJournalOptions> = {}, failures: { code?: string; attempt: number }[] = []) {
  const durable: JournalEntry[] = [];
  const logs: string[] = [];
  const { journal, scan } = SegmentJournal.open(
    { dir: join(dir.path, '_journal'), segmentBytes: 1 << 20, groupCommitMs: 0, maxUnwrittenTrades: 1_000_000, retryMs: 20, retryMaxMs: 50, diskCheckMs: 0, ...options },
    {
      durable: (entries) => durable.push(...entries),
      writeFailed: (err, attempt) => failures.push({ code: err.code, attempt }),
    },
    createLogger({ write: (l) => logs.push(l), level: 'debug' }),
  );
  return { journal, scan, durable, logs };
}

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const tradeRecords = (records: readonly { kind: string }[]) => records.filter((r): r is { kind: 'trades' } & JournalEntry => r.kind === 'trades');

describe('SegmentJournal', () => {
  it('hands back every record once durable, in LSN order, as one group per event-loop turn, and reads them back after reopening', async () => {
    const first = open();
    const a = trades(300, 1);
    const b = trades(5, 1000);
    expect(first.journal.append('binance:usdm:AAA', a)).toBe(1);
    expect(first.journal.append('binance:usdm:BBB', b)).toBe(2);
    first.journal.checkpoint(new Map([['binance:usdm:AAA', 0]]));
    expect(first.durable).toEqual([]); // nothing is durable before its fdatasync
    await until(() => first.durable.length === 2);
    expect(first.journal.stats()).toMatchObject({ groupCommits: 1, durableLsn: 3, unwrittenTrades: 0, segments: 1 });
    expect(first.journal.append('binance:usdm:AAA', trades(2, 301))).toBe(4);
    await until(() => first.durable.length === 3);
    expect(first.durable.map((e) => [e.lsn, e.pairId, e.trades.length])).toEqual([
      [1, 'binance:usdm:AAA', 300],
      [2, 'binance:usdm:BBB', 5],
      [4, 'binance:usdm:AAA', 2],
    ]);
    await first.journal.close();

    const again = open();
    expect(again.scan.defects).toEqual([]);
    expect(again.scan.lastLsn).toBe(4);
    const read = again.scan.records;
    expect(read.map((r) => r.kind)).toEqual(['trades', 'trades', 'checkpoint', 'trades']);
    expect(tradeRecords(read)[0].trades).toEqual(a); // every field, bit for bit (doubles, sides, ids)
    expect(tradeRecords(read)[1].trades).toEqual(b);
    expect(read[2]).toEqual({ kind: 'checkpoint', lsn: 3, committed: new Map([['binance:usdm:AAA', 0]]) });
    // New records continue the LSNs, in a new segment.
    expect(again.journal.append('binance:usdm:BBB', trades(1, 2000))).toBe(5);
    await until(() => again.durable.length === 1);
    expect(again.journal.stats().segments).toBe(2);
    await again.journal.close();
  });

  it('starts a new segment at the size limit and deletes closed segments once every record in them is below the low-water LSN', async () => {
    const { journal, durable } = open({ segmentBytes: 4096 });
    for (let i = 0; i < 20; i++) {
      journal.append('binance:spot:X', trades(20, i * 20 + 1));
      await until(() => durable.length === i + 1);
    }
    const files = () => readdirSync(join(dir.path, '_journal')).sort();
    const before = files();
    expect(before.length).toBeGreaterThan(3);
    expect(journal.stats().segments).toBe(before.length);
    journal.release(11); // records 1..10 are in their pair file
    await until(() => files().length < before.length);
    // What a restart would read (a scan, not a second writer on the same files).
    const kept = scanSegments(join(dir.path, '_journal'));
    expect(kept.records[0].lsn).toBeLessThanOrEqual(11);
    expect(kept.lastLsn).toBe(20);
    journal.release(Infinity); // everything committed: only the active segment stays
    await until(() => files().length === 1);
    expect(files()).toEqual([before.at(-1)]);
    await journal.close();
  });

  it('drops a torn last record (cut short, or a flipped byte) and keeps every record before it; the cut is made durable', async () => {
    for (const damage of ['truncate', 'flip'] as const) {
      const first = open();
      for (let i = 0; i < 5; i++) {
        first.journal.append('binance:spot:T', trades(10, i * 10 + 1));
        await until(() => first.durable.length === i + 1);
      }
      await first.journal.close();
      const file = join(dir.path, '_journal', readdirSync(join(dir.path, '_journal')).sort().at(-1)!);
      const size = statSync(file).size;
      if (damage === 'truncate') truncateSync(file, size - 7);
      else {
        const bytes = readFileSync(file);
        bytes[size - 30] ^= 0x40; // inside the last record's trades: the CRC no longer matches
        writeFileSync(file, bytes);
      }
      const reopened = open();
      expect(reopened.scan.defects).toEqual([expect.objectContaining({ tail: true, defect: damage === 'truncate' ? 'truncated' : 'bad_checksum' })]);
      expect(tradeRecords(reopened.scan.records).map((r) => r.trades.map((t) => t.tradeId))).toEqual([0, 1, 2, 3].map((i) => trades(10, i * 10 + 1).map((t) => t.tradeId)));
      expect(reopened.scan.lastLsn).toBe(4);
      // The next record takes the torn one's LSN; a second reopen sees no defect at all.
      expect(reopened.journal.append('binance:spot:T', trades(1, 99))).toBe(5);
      await until(() => reopened.durable.length === 1);
      await reopened.journal.close();
      const third = open();
      expect(third.scan.defects).toEqual([]);
      expect(tradeRecords(third.scan.records).map((r) => r.lsn)).toEqual([1, 2, 3, 4, 5]);
      await third.journal.close();
      rmSync(join(dir.path, '_journal'), { recursive: true });
    }
  });

  it('reports a corrupt record inside an older segment, reads nothing of it as data, and still reads the newer segments', async () => {
    const first = open({ segmentBytes: 600 });
    for (let i = 0; i < 6; i++) {
      first.journal.append('binance:spot:C', trades(10, i * 10 + 1));
      await until(() => first.durable.length === i + 1);
    }
    await first.journal.close();
    const names = readdirSync(join(dir.path, '_journal')).sort();
    expect(names.length).toBeGreaterThan(2);
    const middle = join(dir.path, '_journal', names[1]);
    const bytes = readFileSync(middle);
    bytes[40] ^= 0xff;
    writeFileSync(middle, bytes);
    const again = open({ segmentBytes: 600 });
    expect(again.scan.defects).toEqual([
      expect.objectContaining({ file: middle, defect: 'bad_checksum', tail: false }),
      expect.objectContaining({ defect: 'lsn_gap', droppedBytes: 0 }),
    ]);
    const lsns = tradeRecords(again.scan.records).map((r) => r.lsn);
    expect(lsns[0]).toBe(1);
    expect(lsns.at(-1)).toBe(6);
    expect(lsns.length).toBeLessThan(6);
    await again.journal.close();
  });

  it('on a full disk (ENOSPC) acknowledges nothing, refuses appends beyond its bound, retries into a new segment, then hands back everything in order', async () => {
    // The first three segment files the journal will create are links to /dev/full: every write
    // to them fails with the kernel's ENOSPC, as on a full file system.
    const jdir = join(dir.path, '_journal');
    const failures: { code?: string; attempt: number }[] = [];
    const { journal, durable } = open({ maxUnwrittenTrades: 25, retryMs: 30, retryMaxMs: 30 }, failures);
    for (const seq of [1, 2, 3]) symlinkSync('/dev/full', join(jdir, segmentName(seq)));
    expect(journal.append('binance:spot:F', trades(10, 1))).toBe(1);
    await until(() => failures.length >= 1);
    expect(failures[0]).toEqual({ code: 'ENOSPC', attempt: 1 });
    expect(journal.stats().failing).toMatchObject({ code: 'ENOSPC' });
    expect(journal.append('binance:spot:F', trades(10, 11))).toBe(2);
    expect(journal.append('binance:spot:F', trades(10, 21))).toBe(-1); // 30 > 25 unwritten: refused, never acknowledged
    expect(durable).toEqual([]);
    await until(() => durable.length === 2);
    expect(failures.map((f) => f.code)).toEqual(['ENOSPC', 'ENOSPC', 'ENOSPC']);
    expect(durable.map((e) => e.lsn)).toEqual([1, 2]);
    expect(journal.stats().failing).toBeUndefined();
    // The failed segment files were given up (the links removed); the records live in segment 4.
    expect(readdirSync(jdir)).toEqual([segmentName(4)]);
    await journal.close();
    const again = open();
    expect(again.scan.defects).toEqual([]);
    expect(tradeRecords(again.scan.records).flatMap((r) => r.trades.map((t) => t.tradeId))).toEqual(trades(20, 1).map((t) => t.tradeId));
    await again.journal.close();
    expect(existsSync('/dev/full')).toBe(true);
  });
});
