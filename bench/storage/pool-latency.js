'use strict';
// ConnectionPoolManager.acquire latency. Hits: acquiring a pair that is open. Misses: a pool
// smaller than the pair set, visited round-robin, so every acquire evicts the least recently used
// idle file (a DETACH, which checkpoints it) and attaches another existing one.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ConnectionPoolManager } = require('@market-data/pool');
const { random } = require('./synthetic-ticks');

async function timedAcquire(pool, id, samples) {
  const start = process.hrtime.bigint();
  const conn = await pool.acquire(id);
  samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  pool.release(conn);
}

async function measurePoolLatency({ pairs = 100, maxConnections = 50, hits = 2000, misses = 200 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-data-bench-pool-'));
  const pool = new ConnectionPoolManager({ baseDir: dir, maxConnections });
  const ids = Array.from({ length: pairs }, (_, i) => `bench:spot:PAIR${i}`);
  try {
    // Create every file first, so a miss measures reopening an existing pair, as in steady state.
    for (const id of ids) await pool.withConnection(id, () => undefined);
    const before = pool.getPoolStats();
    const missUs = [];
    for (let i = 0; i < misses; i++) await timedAcquire(pool, ids[i % pairs], missUs);
    const afterMisses = pool.getPoolStats();
    // After the round-robin, the last `maxConnections` visited pairs are the open ones.
    const open = pool.openPairs();
    const next = random(3);
    const hitUs = [];
    for (let i = 0; i < hits; i++) await timedAcquire(pool, open[Math.floor(next() * open.length)], hitUs);
    const after = pool.getPoolStats();
    if (afterMisses.misses - before.misses !== misses || afterMisses.hits !== before.hits) {
      throw new Error(`expected ${misses} misses, got ${afterMisses.misses - before.misses} (and ${afterMisses.hits - before.hits} hits)`);
    }
    if (after.hits - afterMisses.hits !== hits || after.misses !== afterMisses.misses) {
      throw new Error(`expected ${hits} hits, got ${after.hits - afterMisses.hits}`);
    }
    return { pairs, maxConnections, hitUs, missUs, evictions: after.evictions - before.evictions };
  } finally {
    await pool.closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { measurePoolLatency };
