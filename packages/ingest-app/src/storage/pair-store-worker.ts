import { parentPort, workerData } from 'node:worker_threads';
import { ConnectionPoolManager } from '@market-data/pool';
import { PoolPairStore } from './pool-pair-store';
import { toWireError, type StoreReply, type StoreRequest, type StoreWorkerData } from './store-protocol';
import { currentThreadId, setThreadsNice } from './thread-priority';
import { decodeTrades } from './trade-columns';

/**
 * The ingester's storage thread (entry of WorkerPairStore): owns the pool and every pair file,
 * and answers the main thread's requests. The pool runs one pair's requests one at a time, in
 * arrival order; different pairs proceed concurrently.
 */
const port = parentPort;
if (!port) throw new Error('pair-store-worker must run as a worker thread');
const data = workerData as StoreWorkerData;
// Before the pool exists: DuckDB threads it may start inherit this thread's priority.
const tid = currentThreadId();
if (data.nice > 0 && tid !== undefined) setThreadsNice([tid], data.nice);
const reply = (msg: StoreReply): void => port.postMessage(msg);
// The main thread logs it: a warning on this thread's stderr would bypass the app's log.
const pool = new ConnectionPoolManager({ ...data.pool, onInstanceFailure: (err) => reply({ type: 'instanceFailure', error: toWireError(err), stats: store.stats() }) });
const store = new PoolPairStore(pool);

function run(req: StoreRequest): Promise<unknown> {
  switch (req.type) {
    case 'append':
      return store.append(req.pair, decodeTrades(req.batch));
    case 'flushCandles':
      return store.flushCandles(req.pair);
    case 'cleanup':
      return store.cleanup(req.pair, req.retention);
    case 'query':
      return store.query(req.pair, req.query);
    case 'memory':
      return store.memoryUsage();
    case 'close':
      return store.close();
  }
}

port.on('message', (req: StoreRequest) => {
  run(req).then(
    (result) => {
      reply({ type: 'done', id: req.id, result, stats: store.stats() });
      if (req.type === 'close') port.close();
    },
    (err: unknown) => {
      reply({ type: 'failed', id: req.id, error: toWireError(err), stats: store.stats() });
      if (req.type === 'close') port.close();
    },
  );
});
reply({ type: 'ready', stats: store.stats() });
