import { transaction } from '../src/transaction';
import { useDb } from './use-db';

describe('transaction', () => {
  const conn = useDb('raw', 'transaction');
  const count = async (): Promise<number> => Number((await conn().runAndReadAll('SELECT count(*) FROM cursors')).getColumnsJS()[0][0]);
  const insert = (name: string): Promise<unknown> => conn().run("INSERT INTO cursors VALUES ($1, 'v', now())", [name]);

  it('commits the work and returns its result', async () => {
    expect(await transaction(conn(), async () => (await insert('a'), 'done'))).toBe('done');
    // Were the transaction left open, this would take the row with it.
    await conn().run('ROLLBACK').catch(() => undefined);
    expect(await count()).toBe(1);
  });

  it('rolls everything back when the work throws, and throws the work\'s error', async () => {
    await expect(
      transaction(conn(), async () => {
        await insert('a');
        throw new Error('halfway');
      }),
    ).rejects.toThrow('halfway');
    expect(await count()).toBe(0);
  });

  it('joined: runs inside the caller\'s transaction, whose rollback takes the work with it', async () => {
    await conn().run('BEGIN TRANSACTION');
    await transaction(conn(), () => insert('a'), true);
    await conn().run('ROLLBACK');
    expect(await count()).toBe(0);
  });
});
