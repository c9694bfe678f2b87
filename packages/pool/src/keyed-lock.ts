/**
 * Runs tasks one at a time per key. The pool hands every user of a pair the same connection, and
 * a transaction belongs to the connection: an app whose writer, candle refresh, retention and
 * replays share a pair runs them through this so their statements never interleave.
 * (Otherwise a replay could read a batch before it commits.)
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
