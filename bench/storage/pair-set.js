'use strict';
// A set of open pair databases in a fresh temp dir, in one of two layouts:
//   attached          storage-core's openPairDatabase: every file ATTACHed to one shared
//                     instance (threads and memory_limit for all of them), one connection each;
//   instance-per-file the layout before it: one DuckDB instance per file, each with its own
//                     threads=1 and memory_limit=64MB, as openPairDatabase used to open them.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DuckDBInstance } = require('@duckdb/node-api');
const { createAllTables, openPairDatabase, pairDatabasePath, pairKey, shareInstance } = require('@market-data/storage-core');

const LAYOUTS = ['attached', 'instance-per-file'];
const PER_FILE = { threads: '1', memory_limit: '64MB' };

/** The old layout's open: its own instance, schema created, a close like PairDatabase's. */
async function openOwnInstance(dir, pair) {
  const file = pairDatabasePath(dir, pair);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const instance = await DuckDBInstance.create(file, PER_FILE);
  const connection = await instance.connect();
  await createAllTables(connection);
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * `options`: for `attached`, the shared instance's settings (threads, memoryLimit) and the new
 * files' blockSize.
 */
async function openPairSet(count, layout = 'attached', options = {}) {
  if (!LAYOUTS.includes(layout)) throw new Error(`unknown layout ${layout}; one of ${LAYOUTS.join(', ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-data-bench-'));
  // Held for the set's life, as a pool or DatabaseManager holds it.
  const { blockSize, ...instanceOptions } = options;
  const hold = layout === 'attached' ? shareInstance(instanceOptions) : undefined;
  const dbs = [];
  const closeAll = () => {
    for (const db of dbs.splice(0)) db.close();
    hold?.release();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const pair = pairKey('bench', 'spot', `PAIR${i}`);
      dbs.push(hold ? await openPairDatabase(dir, pair, { instance: hold, blockSize }) : await openOwnInstance(dir, pair));
    }
  } catch (error) {
    closeAll();
    throw error;
  }
  return {
    dir,
    dbs,
    layout,
    async countTicks() {
      let total = 0;
      for (const db of dbs) {
        const reader = await db.connection.runAndReadAll('SELECT count(*) AS n FROM ticks');
        total += Number(reader.getRowObjects()[0].n);
      }
      return total;
    },
    close: closeAll,
  };
}

module.exports = { openPairSet, LAYOUTS, PER_FILE };
