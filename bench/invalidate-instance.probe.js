#!/usr/bin/env node
// How reliably does testing's invalidateInstance drive a DuckDB instance into the fatal state the
// instance-replacement tests need? Each run takes a fresh shared instance (storage-core's settings
// and allocator), one pair file on it, and calls invalidateInstance with one try and with the
// default five; a miss is a run whose ROLLBACK succeeded every time. Run it with the box busy
// (e.g. `node -e 'for(;;){}' &` once per core): that is when a single try misses.
//   node bench/invalidate-instance.probe.js [--runs 20]   (after `npx nx run-many -t build`)
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { openPairDatabase, pairKey, shareInstance } = require('@market-data/storage-core');
const { invalidateInstance } = require('@market-data/testing');
const { numberArg } = require('./cli-args');

async function missed(attempts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invalidate-probe-'));
  const hold = shareInstance({ memoryLimit: '128MB', tempDirectory: path.join(dir, 'spill') });
  try {
    const db = await openPairDatabase(dir, pairKey('binance', 'spot', 'BIG'), { instance: hold });
    try {
      await invalidateInstance(db.connection, attempts);
      return false;
    } catch (err) {
      if (/ROLLBACK succeeded/.test(String(err))) return true;
      throw err;
    } finally {
      db.close();
    }
  } finally {
    hold.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const runs = numberArg('runs', 20);
  const result = {};
  for (const attempts of [1, 5]) {
    let misses = 0;
    for (let i = 0; i < runs; i++) if (await missed(attempts)) misses++;
    result[`attempts${attempts}`] = { runs, misses };
  }
  console.log(JSON.stringify({ probe: 'invalidate-instance', load: os.loadavg()[0], ...result }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
