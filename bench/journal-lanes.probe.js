#!/usr/bin/env node
// Would a second group in flight lower the journal's ack tail? (issue 14: receipt -> ack p99 at
// most 10 ms; on this box's disk one O_DSYNC write's p99 is ~5 ms, and a trade that arrives while
// a group is being synced waits for that sync and then its own.) One record arrives every 1 ms;
// a group (everything waiting) starts as soon as a lane is free, each lane a thread doing
// synchronous O_DSYNC positional writes to one file through the journal's own I/O thread
// (WorkerJournalIo, one per lane); groups are acknowledged in order. Lanes 1 (today's journal), 2 and 3 alternate, each run its own process.
//   node bench/journal-lanes.probe.js [--seconds 20] [--rounds 3] [--dir /work]   (after `npx nx run ingest-app:build`)
// Prints arrival -> acknowledged p50 / p99 / p99.9 / max per run.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { numberArg, stringArg } = require('./cli-args');

const { WorkerJournalIo } = require(path.resolve(__dirname, '../packages/ingest-app/dist/journal/journal-io.js'));

const RECORD_BYTES = 600;

async function run(lanes, seconds, dir) {
  const file = path.join(dir, `journal-lanes-${process.pid}.bin`);
  const ios = Array.from({ length: lanes }, () => new WorkerJournalIo());
  const fd = await ios[0].open(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_DSYNC);
  const busy = new Array(lanes).fill(false);
  const inFlight = [];
  const latencies = [];
  let waiting = [];
  let position = 0;
  const startGroup = () => {
    const lane = busy.indexOf(false);
    if (waiting.length === 0 || lane < 0) return;
    const group = { arrivals: waiting, durable: false };
    waiting = [];
    const len = group.arrivals.length * RECORD_BYTES;
    busy[lane] = true;
    inFlight.push(group);
    void ios[lane].pwrite(fd, Buffer.from(new SharedArrayBuffer(len)), len, position).then(() => {
      busy[lane] = false;
      group.durable = true;
      const now = performance.now();
      while (inFlight[0]?.durable) for (const at of inFlight.shift().arrivals) latencies.push(now - at);
      startGroup();
    });
    position += len;
  };
  return new Promise((resolve) => {
    const t0 = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      waiting.push(now);
      setImmediate(startGroup);
      if (now - t0 < seconds * 1000) return;
      clearInterval(tick);
      setTimeout(async () => {
        await ios[0].close(fd);
        for (const io of ios) await io.shutdown();
        fs.rmSync(file, { force: true });
        latencies.sort((a, b) => a - b);
        const q = (p) => Math.round(latencies[Math.floor(p * (latencies.length - 1))] * 100) / 100;
        resolve({ lanes, records: latencies.length, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: q(1) });
      }, 300);
    }, 1);
  });
}

async function main() {
  const seconds = numberArg('seconds', 20);
  const dir = stringArg('dir', path.resolve(__dirname, '..'));
  const only = numberArg('lanes', undefined);
  if (only !== undefined) {
    process.stdout.write(`${JSON.stringify(await run(only, seconds, dir))}\n`);
    return;
  }
  console.log(`one ${RECORD_BYTES}-byte record per ms for ${seconds} s, O_DSYNC writes in ${dir}; arrival -> acknowledged, ms\n`);
  console.log('lanes  records     p50     p99   p99.9     max');
  for (let round = 0; round < numberArg('rounds', 3); round++) {
    for (const lanes of [1, 2, 3]) {
      const out = execFileSync(process.execPath, [__filename, '--lanes', String(lanes), '--seconds', String(seconds), '--dir', dir], { encoding: 'utf8' });
      const r = JSON.parse(out.trim());
      console.log(`${String(r.lanes).padStart(5)}  ${String(r.records).padStart(7)}  ${[r.p50, r.p99, r.p999, r.max].map((v) => v.toFixed(2).padStart(6)).join('  ')}`);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
