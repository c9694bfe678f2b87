import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { removeAbandonedSpillDirs } from '../src/spill-dir';
import { useTempDir } from '@market-data/testing';

const dir = useTempDir();

/** A process that opens a pair with the built storage-core (its own spill folder under `tmp`) and prints that folder. */
async function pairHolder(tmp: string): Promise<{ child: ChildProcess; spill: string }> {
  const script = `
    const s = require(process.argv[1]);
    s.openPairDatabase(process.argv[2], s.pairKey('x', 'y', 'HELD')).then(async (db) => {
      const [row] = await s.executeQuery(db.connection, "SELECT current_setting('temp_directory') AS t");
      process.stdout.write(row.t + '\\n');
      setInterval(() => undefined, 1000);
    });`;
  const child = spawn(process.execPath, ['-e', script, resolve(__dirname, '../dist'), join(tmp, 'data-' + Math.random())], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, spill: chunk.toString().trim() };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

describe('spill folders of killed processes', () => {
  it('are removed by the next instance created, while a live process keeps its own', async () => {
    const tmp = join(dir.path, 'tmp');
    mkdirSync(tmp);
    const killed = await pairHolder(tmp);
    const alive = await pairHolder(tmp);
    let next: ChildProcess | undefined;
    try {
      expect(killed.spill.startsWith(join(tmp, `market-data-duckdb-${killed.child.pid}-`))).toBe(true);
      // What DuckDB spilled before the kill: it must not outlive its process.
      writeFileSync(join(killed.spill, 'duckdb_temp_storage-0.tmp'), Buffer.alloc(1 << 20));
      await kill(killed.child);
      expect(existsSync(killed.spill)).toBe(true);

      const started = await pairHolder(tmp);
      next = started.child;
      expect(existsSync(killed.spill)).toBe(false);
      expect(existsSync(alive.spill)).toBe(true);
      expect(readdirSync(tmp).filter((n) => n.startsWith('market-data-duckdb-')).sort()).toEqual(
        [alive.spill, started.spill].map((p) => p.slice(tmp.length + 1)).sort(),
      );
    } finally {
      await kill(killed.child);
      await kill(alive.child);
      if (next) await kill(next);
    }
  });

  it('leaves folders it cannot attribute: no pid in the name, or not ours', async () => {
    const tmp = join(dir.path, 'tmp');
    for (const name of ['market-data-duckdb-AbC123', 'other-99999999-x', `market-data-duckdb-${process.pid}-mine`]) mkdirSync(join(tmp, name), { recursive: true });
    expect(removeAbandonedSpillDirs(tmp)).toEqual([]);
    expect(readdirSync(tmp).sort()).toEqual(['market-data-duckdb-AbC123', `market-data-duckdb-${process.pid}-mine`, 'other-99999999-x'].sort());
    expect(removeAbandonedSpillDirs(join(tmp, 'missing'))).toEqual([]);
  });
});
