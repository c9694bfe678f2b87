#!/usr/bin/env node
// What a running app allocates that dies in old space (promoted, then collected by a mark-compact):
// the allocations that make a process' old space climb between mark-compacts far above its live
// heap. V8's sampling heap profiler (HeapProfiler.startSampling with includeObjectsCollectedByMajorGC)
// keeps the samples of objects that were live at the end or collected by a major GC, and drops
// those a scavenge collected; printed by allocation site (4 frames), largest first.
//   node bench/analytics.bench.js --live-only --seconds 90 --app-node-args '--inspect=127.0.0.1:0'
//     (each app prints "Debugger listening on ws://127.0.0.1:PORT/..."; once the live phase runs:)
//   node bench/heap-promotion.probe.js --url ws://127.0.0.1:PORT/... [--seconds 30] [--top 25]
'use strict';
const WebSocket = require('ws');
const { numberArg, stringArg } = require('./cli-args');

const URL = stringArg('url');
const SECONDS = numberArg('seconds', 30);
const TOP = numberArg('top', 25);
if (!URL) {
  console.error('usage: node bench/heap-promotion.probe.js --url ws://127.0.0.1:PORT/ID [--seconds 30] [--top 25]');
  process.exit(2);
}

const ws = new WebSocket(URL, { maxPayload: 1 << 30 });
let nextId = 0;
const waiting = new Map();
const send = (method, params = {}) =>
  new Promise((resolve, reject) => {
    const id = ++nextId;
    waiting.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params }));
  });
ws.on('message', (data) => {
  const msg = JSON.parse(String(data));
  const w = waiting.get(msg.id);
  if (!w) return;
  waiting.delete(msg.id);
  if (msg.error) w.reject(new Error(`${msg.error.message}`));
  else w.resolve(msg.result);
});
ws.on('error', (err) => {
  console.error(err.message);
  process.exit(1);
});

function bySite(profile) {
  const sites = new Map();
  const walk = (node, stack) => {
    const f = node.callFrame;
    const here = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const frames = [here, ...stack].slice(0, 4);
    if (node.selfSize > 0) {
      const key = frames.join(' < ');
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, frames);
  };
  walk(profile.head, []);
  return [...sites].sort((a, b) => b[1] - a[1]);
}

ws.on('open', async () => {
  await send('HeapProfiler.enable');
  await send('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const { profile } = await send('HeapProfiler.stopSampling');
  const sites = bySite(profile);
  const total = sites.reduce((sum, [, bytes]) => sum + bytes, 0);
  const mib = (bytes) => (bytes / 1048576).toFixed(2).padStart(7);
  console.log(`promoted (collected by a mark-compact) or live at the end, over ${SECONDS} s: ${mib(total).trim()} MiB`);
  for (const [site, bytes] of sites.slice(0, TOP)) console.log(`${mib(bytes)} MiB  ${site}`);
  ws.close();
});
