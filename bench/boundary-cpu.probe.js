#!/usr/bin/env node
// Where the CPU goes around a minute boundary, while bench:analytics runs in another shell: samples
// every 250 ms the CPU of the box (/proc/stat) and of the bench's processes (found by their command
// line: the fake exchange, the ingester, the analytics app; /proc/<pid>/stat), and prints the mean
// cores of each by whole second after the wall clock's minute, over every minute sampled. Live
// trades are stamped with the wall clock, so every pair's 1m candle closes at second 0.
//   node bench/boundary-cpu.probe.js [--seconds 200]
// Prints a table, then one JSON line { seconds, samples, bySecond: [{ second, box, exchange, ingest, analytics }] }.
'use strict';
const fs = require('node:fs');
const { numberArg } = require('./cli-args');

const SECONDS = numberArg('seconds', 200);
const TICKS = 100; // USER_HZ on Linux
const ROLES = { exchange: 'analytics-exchange-process.js', ingest: 'ingest-app/dist/main.js', analytics: 'analytics-app/dist/main.js' };

function findPids() {
  const pids = {};
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd;
    try {
      cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    for (const [role, needle] of Object.entries(ROLES)) if (cmd.includes(needle) && !cmd.includes('boundary-cpu')) pids[role] = Number(entry);
  }
  return pids;
}

function processSeconds(pid) {
  // Fields after the command name: utime and stime are the 12th and 13th.
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop().trim().split(/\s+/);
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function boxTicks() {
  const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - v[4], total };
}

async function main() {
  const pids = findPids();
  const missing = Object.keys(ROLES).filter((role) => pids[role] === undefined);
  if (missing.length > 0) throw new Error(`not running: ${missing.join(', ')} (start bench:analytics first)`);
  const cores = require('node:os').availableParallelism();
  const sums = Array.from({ length: 60 }, () => ({ n: 0, box: 0, exchange: 0, ingest: 0, analytics: 0 }));
  let last = { at: performance.now(), box: boxTicks(), cpu: Object.fromEntries(Object.entries(pids).map(([r, p]) => [r, processSeconds(p)])) };
  const end = Date.now() + SECONDS * 1000;
  let samples = 0;
  while (Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    let cpu;
    try {
      cpu = Object.fromEntries(Object.entries(pids).map(([r, p]) => [r, processSeconds(p)]));
    } catch {
      break; // a process ended: the bench is stopping
    }
    const now = { at: performance.now(), box: boxTicks(), cpu };
    const dt = (now.at - last.at) / 1000;
    const slot = sums[new Date().getUTCSeconds()];
    slot.n++;
    slot.box += ((now.box.busy - last.box.busy) / (now.box.total - last.box.total)) * cores;
    for (const role of Object.keys(ROLES)) slot[role] += (now.cpu[role] - last.cpu[role]) / dt;
    last = now;
    samples++;
  }
  const bySecond = sums.map((s, second) => ({
    second,
    ...Object.fromEntries(['box', ...Object.keys(ROLES)].map((k) => [k, s.n === 0 ? null : Math.round((s[k] / s.n) * 100) / 100])),
  }));
  console.log('second  box   exchange ingest analytics (mean cores)');
  for (const row of bySecond) console.log(`${String(row.second).padStart(6)}  ${[row.box, row.exchange, row.ingest, row.analytics].map((v) => String(v).padEnd(6)).join(' ')}`);
  console.log(JSON.stringify({ seconds: SECONDS, samples, bySecond }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
