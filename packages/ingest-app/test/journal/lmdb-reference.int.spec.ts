import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { createLogger } from '@market-data/runtime';
import { mulberry32, useTempDir } from '@market-data/testing';
import type { JournalEntry } from '../../src/journal/journal';
import type { JournalTrade } from '../../src/journal/journal-record';
import { scanSegments } from '../../src/journal/journal-segments';
import { SegmentJournal } from '../../src/journal/segment-journal';

/**
 * The home-made segment journal against a well-kept library doing the same job: LMDB (the `lmdb`
 * package), one durable transaction per group, records keyed by LSN. `npm run bench:journal`
 * is why the segment file is the one the ingester uses; this is the fence around it: the same
 * records in, the same records out after reopening, and after a torn or corrupt tail exactly the
 * reference's records that were whole before the damage.
 */
const dir = useTempDir();

interface RefRecord {
  readonly lsn: number;
  readonly pairId: string;
  readonly trades: JournalTrade[];
}

function workload(seed: number): JournalTrade[][][] {
  const rnd = mulberry32(seed);
  let id = 1_000_000;
  const groups: JournalTrade[][][] = [];
  for (let g = 0; g < 60; g++) {
    const records: JournalTrade[][] = [];
    for (let r = 0; r < 1 + Math.floor(rnd() * 8); r++) {
      const trades: JournalTrade[] = [];
      for (let t = 0; t < 1 + Math.floor(rnd() * 40); t++) {
        id += 1 + Math.floor(rnd() * 3);
        trades.push({
          // Fractional ms (µs), tiny and huge values, both sides, numeric and text ids.
          timestamp: Date.UTC(2024, 0, 1) + rnd() * 86_400_000,
          price: rnd() < 0.1 ? 1e-8 * (1 + rnd()) : rnd() < 0.1 ? 9e12 * rnd() : 60_000 + rnd() * 1000,
          volume: rnd() < 0.05 ? 0 : rnd() * 10,
          side: rnd() < 0.5 ? 'BUY' : 'SELL',
          tradeId: rnd() < 0.2 ? `uuid-${Math.floor(rnd() * 1e12).toString(36)}:x_y.z` : String(id),
        });
      }
      records.push(trades);
    }
    groups.push(records);
  }
  return groups;
}

const pairOf = (g: number, r: number) => `bybit:linear:SYM${(g * 7 + r) % 13}USDT`;

async function writeSegments(folder: string, groups: JournalTrade[][][]): Promise<void> {
  const durable: JournalEntry[] = [];
  const { journal } = SegmentJournal.open({ dir: folder, segmentBytes: 16 * 1024, groupCommitMs: 0, maxUnwrittenTrades: 1e9, diskCheckMs: 0 }, { durable: (e) => durable.push(...e) }, createLogger({ write: () => undefined }));
  let expected = 0;
  for (const [g, records] of groups.entries()) {
    records.forEach((trades, r) => journal.append(pairOf(g, r), trades));
    expected += records.length;
    // One group at a time, durable before the next: the same unit as one LMDB transaction.
    while (durable.length < expected) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await journal.close();
  expect(durable).toHaveLength(expected);
}

async function writeLmdb(folder: string, groups: JournalTrade[][][]): Promise<void> {
  const db = openLmdb<RefRecord, number>({ path: folder, overlappingSync: false });
  try {
    let lsn = 0;
    for (const [g, records] of groups.entries()) {
      // One transaction per group, resolved once durable: the same unit as a segment group.
      await db.transaction(() => {
        records.forEach((trades, r) => {
          lsn++;
          void db.put(lsn, { lsn, pairId: pairOf(g, r), trades });
        });
      });
    }
  } finally {
    await db.close();
  }
}

function readLmdb(folder: string): RefRecord[] {
  const db = openLmdb<RefRecord, number>({ path: folder, readOnly: true });
  try {
    return [...db.getRange({})].map((e) => e.value);
  } finally {
    void db.close();
  }
}

function readSegments(folder: string): RefRecord[] {
  return scanSegments(folder).records.flatMap((r) => (r.kind === 'trades' ? [{ lsn: r.lsn, pairId: r.pairId, trades: r.trades }] : []));
}

describe('SegmentJournal against LMDB (differential)', () => {
  it('gives back the same records as LMDB after reopening, over segment rolls', async () => {
    for (const seed of [1, 2, 3]) {
      const groups = workload(seed);
      const seg = join(dir.path, `seg-${seed}`);
      const ref = join(dir.path, `lmdb-${seed}`);
      mkdirSync(ref);
      await writeSegments(seg, groups);
      await writeLmdb(ref, groups);
      const reference = readLmdb(ref);
      expect(reference.length).toBeGreaterThan(150);
      expect(readdirSync(seg).length).toBeGreaterThan(3);
      expect(readSegments(seg)).toEqual(reference);
    }
  });

  it('after a torn or corrupt tail gives back exactly the reference records that were whole before the damage', async () => {
    const groups = workload(9);
    const seg = join(dir.path, 'seg');
    const ref = join(dir.path, 'lmdb');
    mkdirSync(ref);
    await writeSegments(seg, groups);
    await writeLmdb(ref, groups);
    const reference = readLmdb(ref);
    const last = readdirSync(seg).sort().at(-1)!;
    const size = statSync(join(seg, last)).size;
    const rnd = mulberry32(4);
    for (let k = 0; k < 25; k++) {
      const copy = join(dir.path, `damaged-${k}`);
      cpSync(seg, copy, { recursive: true });
      const file = join(copy, last);
      const at = 8 + Math.floor(rnd() * (size - 8));
      if (k % 2 === 0) truncateSync(file, at);
      else {
        const bytes = readFileSync(file);
        bytes[at] ^= 1 + Math.floor(rnd() * 255);
        writeFileSync(file, bytes);
      }
      const got = readSegments(copy);
      // Records wholly before the damaged byte: what the reference holds up to that LSN.
      expect(got).toEqual(reference.slice(0, got.length));
      const firstInLast = scanSegments(seg).segments.at(-1)!.firstLsn!;
      expect(got.length).toBeGreaterThanOrEqual(firstInLast - 1);
      // Nothing after the damage is read: the next record in the reference is not there.
      expect(got.length).toBeLessThan(reference.length);
    }
  });
});
