'use strict';
// The three write paths compared side by side (DESIGN.md section 5). Each takes a fresh set of
// open pairs and the per-pair tick slices, does its untimed preparation, then times only the
// writes, interleaving pairs batch by batch as an ingester does.
const { DuckDBTimestampValue } = require('@duckdb/node-api');
const { appendTicks } = require('@market-data/storage-core');
const { warmUpTick } = require('./synthetic-ticks');

/** The seed's way: one parameterised INSERT statement (and one commit) per tick. */
const SEED_INSERT = 'INSERT INTO ticks VALUES (make_timestamp($1::BIGINT), $2, $3, $4, $5)';

function elapsedSeconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** (a) `sample` ticks, one INSERT each, spread round-robin over the pairs. */
async function perRowInsert(set, slices, sample) {
  const pairs = set.dbs.length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < sample; i++) {
    const p = i % pairs;
    const t = slices[p][Math.floor(i / pairs)];
    await set.dbs[p].connection.run(SEED_INSERT, [Math.round(t.timestamp * 1000), t.price, t.volume, t.side, String(t.tradeId)]);
  }
  return { rows: sample, seconds: elapsedSeconds(start), expectedCount: sample };
}

async function batched(set, slices, batch, writeBatch) {
  const pairs = set.dbs.length;
  const perPair = slices[0].length;
  let rows = 0;
  const start = process.hrtime.bigint();
  for (let from = 0; from < perPair; from += batch) {
    for (let p = 0; p < pairs; p++) {
      const ticks = slices[p].slice(from, from + batch);
      await writeBatch(p, ticks);
      rows += ticks.length;
    }
  }
  return { rows, seconds: elapsedSeconds(start) };
}

/** (b) storage-core's appendTicks: validation, in-batch and stored dedupe, one transaction per batch. */
async function appendTicksVariant(set, slices, batch) {
  // The first call on a connection creates its staging table and appender; a live ingester pays
  // that once per pair per process, so it stays outside the timing.
  for (let p = 0; p < set.dbs.length; p++) await appendTicks(set.dbs[p].connection, [warmUpTick(p)]);
  const result = await batched(set, slices, batch, async (p, ticks) => {
    const { inserted } = await appendTicks(set.dbs[p].connection, ticks);
    if (inserted !== ticks.length) throw new Error(`appendTicks stored ${inserted} of ${ticks.length}`);
  });
  return { ...result, expectedCount: result.rows + set.dbs.length };
}

/** Appends `ticks` as `ticks` rows through DuckDB's row appender, then flushes: no validation, no dedupe. */
function appendRaw(appender, ticks) {
  for (const t of ticks) {
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(t.timestamp * 1000))));
    appender.appendDouble(t.price);
    appender.appendDouble(t.volume);
    appender.appendVarchar(t.side);
    appender.appendVarchar(String(t.tradeId));
    appender.endRow();
  }
  appender.flushSync();
}

/** (c) DuckDB's row appender straight into `ticks`: no validation, no dedupe, flushSync per batch. */
async function rawAppenderVariant(set, slices, batch) {
  const appenders = [];
  for (let p = 0; p < set.dbs.length; p++) {
    const appender = await set.dbs[p].connection.createAppender('ticks');
    appendRaw(appender, [warmUpTick(p)]);
    appenders.push(appender);
  }
  try {
    const result = await batched(set, slices, batch, (p, ticks) => appendRaw(appenders[p], ticks));
    return { ...result, expectedCount: result.rows + set.dbs.length };
  } finally {
    for (const appender of appenders) appender.closeSync();
  }
}

module.exports = { perRowInsert, appendTicksVariant, rawAppenderVariant, appendRaw, SEED_INSERT };
