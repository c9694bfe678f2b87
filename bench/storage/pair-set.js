'use strict';
// A set of open pair databases in a fresh temp dir, opened the production way (storage-core's
// openPairDatabase: one instance per file, bounded threads and memory_limit).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { openPairDatabase, pairKey } = require('@market-data/storage-core');

async function openPairSet(count, options = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-data-bench-'));
  const dbs = [];
  try {
    for (let i = 0; i < count; i++) {
      dbs.push(await openPairDatabase(dir, pairKey('bench', 'spot', `PAIR${i}`), options));
    }
  } catch (error) {
    for (const db of dbs) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    dbs,
    async countTicks() {
      let total = 0;
      for (const db of dbs) {
        const reader = await db.connection.runAndReadAll('SELECT count(*) AS n FROM ticks');
        total += Number(reader.getRowObjects()[0].n);
      }
      return total;
    },
    close() {
      for (const db of dbs) db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { openPairSet };
