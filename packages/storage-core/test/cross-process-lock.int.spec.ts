import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openPairDatabase, pairDatabasePath, pairKey } from '../src';
import { useTempDir } from './temp-dir';

const dir = useTempDir();
const PAIR = pairKey('binance', 'spot', 'BTCUSDT');

/** Another process that holds the pair file open for writing (as a running ingester does) until killed. */
async function holdFile(file: string): Promise<ChildProcess> {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(process.argv[1], { threads: '1', memory_limit: '32MB' }).then(async (i) => {
      await (await i.connect()).run('SELECT 1');
      process.stdout.write('ready\\n');
      setInterval(() => undefined, 1000);
    });`;
  const child = spawn(process.execPath, ['-e', script, file], { cwd: __dirname, stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  expect(chunk.toString()).toBe('ready\n');
  return child;
}

describe('a pair file another process holds', () => {
  it('refuses both a read-only and a writing attach with OPEN_FAILED naming the lock, and attaches once it is free', async () => {
    const created = await openPairDatabase(dir.path, PAIR);
    await created.connection.run("INSERT INTO ticks VALUES (NOW(), 1, 1, 'BUY', 'held-1')");
    created.close();
    const holder = await holdFile(pairDatabasePath(dir.path, PAIR));
    try {
      await expect(openPairDatabase(dir.path, PAIR, { readOnly: true })).rejects.toMatchObject({ code: 'OPEN_FAILED', message: expect.stringMatching(/lock/i) });
      await expect(openPairDatabase(dir.path, PAIR)).rejects.toMatchObject({ code: 'OPEN_FAILED', message: expect.stringMatching(/lock/i) });
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
    const reader = await openPairDatabase(dir.path, PAIR, { readOnly: true });
    try {
      const r = await reader.connection.runAndReadAll('SELECT trade_id FROM ticks');
      expect(r.getRowObjectsJS()).toEqual([{ trade_id: 'held-1' }]);
    } finally {
      reader.close();
    }
  });
});
