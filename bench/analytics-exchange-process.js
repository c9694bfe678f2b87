#!/usr/bin/env node
// A local Binance USD-M combined-stream server for bench:analytics, in its own process so its CPU
// is not the apps'. A copy of fake-exchange-process.js with two differences that this bench needs:
//   --clock wall      trades are stamped with the wall clock (T = Date.now()), so 1m candles close
//                     every minute exactly as they do live and "commit -> analytics row" lag is the
//                     lag an operator would see. (--clock synthetic, the default, keeps the original
//                     T = start + id/10 ms per symbol, under which a minute of trade time takes
//                     50 minutes at 200 trades/s per pair: no candle would ever close in a bench.)
//   --time-scale N    with --clock wall: trade time runs N times faster than the wall clock from
//                     the start (N = 20: a minute closes every 3 s; more passes than live has).
//   --rate R          trades/s in TOTAL over every connection and symbol (the original's rate is
//                     per connection); round-robin over the symbols, so R / symbols per pair.
// Trade ids are sequential per symbol across reconnects (a reconnect shows up as an id gap, as on
// Binance), prices a seeded random walk per symbol. REST answers `[]` (no backfill).
// Prints {"port":N,"startTime":ms,...} on stdout once listening; stdin lines: "rate N", "sent".
'use strict';
const http = require('node:http');
const { WebSocketServer } = require('ws');
const { frameSize, putTextFrame } = require('./ws-text-frame');

const { stringArg: option } = require('./cli-args');
let rate = Number(option('rate', 0));
const clock = option('clock', 'synthetic');
const timeScale = Number(option('time-scale', 1));
if (!['synthetic', 'wall'].includes(clock) || !(timeScale > 0)) {
  process.stderr.write('usage: analytics-exchange-process.js [--rate R] [--clock synthetic|wall] [--time-scale N]\n');
  process.exit(2);
}
const startTime = clock === 'wall' ? Date.now() : Date.UTC(2024, 7, 8, 0, 0);

/** Per symbol: next trade id and a price random walk (mulberry32, seeded by the symbol). */
const symbolState = new Map();
function stateOf(symbol) {
  let s = symbolState.get(symbol);
  if (!s) {
    let seed = 0;
    for (const ch of symbol) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
    s = { id: 1, price: 100 + (seed % 60000), seed };
    symbolState.set(symbol, s);
  }
  return s;
}
function random(s) {
  s.seed = (s.seed + 0x6d2b79f5) >>> 0;
  let t = s.seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const tradeTime = (id) => (clock === 'wall' ? startTime + Math.floor((Date.now() - startTime) * timeScale) : startTime + Math.floor(id / 10));

function frame(stream, symbol) {
  const s = stateOf(symbol);
  const id = s.id++;
  // About 2 bp per trade: candles get ranges, gaps and displacements for the analytics to find.
  s.price = Math.max(0.01, s.price * (1 + (random(s) - 0.5) * 0.0004));
  const t = tradeTime(id);
  const qty = (0.001 * (1 + Math.floor(random(s) * 50))).toFixed(3);
  return `{"stream":"${stream}","data":{"e":"trade","E":${t},"T":${t},"s":"${symbol}","t":${id},"p":"${s.price.toFixed(2)}","q":"${qty}","X":"MARKET","m":${random(s) < 0.5}}}`;
}

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('[]');
});
const wss = new WebSocketServer({ server });
/** Every (socket, stream) being served, in connection order. */
let entries = [];
let sent = 0;

wss.on('connection', (ws, req) => {
  const streams = new URL(req.url, 'http://x').searchParams.get('streams').split('/');
  for (const stream of streams) entries.push({ ws, stream, symbol: stream.split('@')[0].toUpperCase() });
  ws.on('close', () => (entries = entries.filter((e) => e.ws !== ws)));
});

/**
 * Writes text frames to a socket in one write, built by hand: the bytes on the wire are the
 * unmasked frames ws.send would produce (ws-text-frame.js), but one socket write per
 * pump tick instead of one per trade keeps this process's CPU small next to the apps' (0.2 cores
 * at 20,000 trades/s with one ws.send per trade, on the same 2 cores as both apps).
 */
function writeFrames(ws, frames) {
  let size = 0;
  for (const f of frames) size += frameSize(f);
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const f of frames) off = putTextFrame(out, off, f);
  ws._socket.write(out.subarray(0, off));
}

// One pump for all connections, so --rate is the total offered load however the client splits
// its streams over connections.
let t0 = performance.now();
let sentHere = 0;
let rateHere = rate;
let k = 0;
function pump() {
  const live = entries.filter((e) => e.ws.readyState === e.ws.OPEN);
  if (live.length === 0 || rate !== rateHere) {
    // Nobody to send to (or a new rate): start counting afresh, no burst on (re)connect.
    rateHere = rate;
    t0 = performance.now();
    sentHere = 0;
  } else if (rate > 0) {
    const due = Math.floor(((performance.now() - t0) * rate) / 1000) - sentHere;
    const batches = new Map();
    for (let n = 0; n < due; n++) {
      const e = live[k++ % live.length];
      let frames = batches.get(e.ws);
      if (!frames) batches.set(e.ws, (frames = []));
      frames.push(frame(e.stream, e.symbol));
    }
    for (const [ws, frames] of batches) writeFrames(ws, frames);
    sentHere += due;
    sent += due;
  } else {
    // As fast as the client takes them: keep each socket's send buffer topped up.
    for (let n = 0; n < 10_000; n++) {
      const e = live[k++ % live.length];
      if (e.ws.bufferedAmount > 4 * 1024 * 1024) continue;
      e.ws.send(frame(e.stream, e.symbol));
      sent++;
    }
    setImmediate(pump);
    return;
  }
  setTimeout(pump, 2);
}
pump();

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port, startTime, clock, timeScale }) + '\n');
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  for (const line of text.split('\n')) {
    const m = line.match(/^rate (\d+)/);
    if (m) rate = Number(m[1]);
    if (line.trim() === 'sent') process.stdout.write(JSON.stringify({ sent }) + '\n');
  }
});
process.on('SIGTERM', () => process.exit(0));
