#!/usr/bin/env node
// A local Binance USD-M combined-stream server for benchmarks, in its own process so its CPU is
// not the ingester's. Raw `<symbol>@trade` frames as Binance sends them, sequential ids per symbol.
//   node bench/fake-exchange-process.js --rate 50000   (0 = as fast as the client takes them)
//   node bench/fake-exchange-process.js --rate 20000 --continue-ids --rewind 200
//     (each new connection goes on from where the last one stopped, 200 ids back)
//   node bench/fake-exchange-process.js --rate 5000 --file trades.csv
//     (replays a Binance trades CSV, `trade_id,price,qty,time,is_buyer_maker[,type]`, for every
//      requested symbol, from the start on every connection, then goes quiet; tests use this)
// Prints {"port":N} on stdout once listening; control via stdin lines: "rate N", "sent",
// "schedule" (the latest connection's t0 as epoch ms, rate, symbols and first ids).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const { WebSocketServer } = require('ws');
const { frameSize, putTextFrame } = require('./ws-text-frame');
const { syntheticFrames, MAX_FRAME_BYTES } = require('./synthetic-trade-frames');

const { stringArg: option } = require('./cli-args');
let rate = Number(option('rate') || 0);
const CONTINUE = process.argv.includes('--continue-ids');
const REWIND = Number(option('rewind') || 0);
/** Per symbol, the next id the synthetic market would send (for --continue-ids). */
const nextIdOf = new Map();
const fileRows = option('file')
  ? fs.readFileSync(option('file'), 'utf8').trim().split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(','))
  : undefined;
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('[]');
});
const wss = new WebSocketServer({ server });
let sent = 0;
/** The latest connection's send schedule (see below). */
let schedule;

wss.on('connection', (ws, req) => {
  const streams = new URL(req.url, 'http://x').searchParams.get('streams').split('/');
  const symbols = streams.map((s) => s.split('@')[0].toUpperCase());
  let k = 0;
  const fileFrame = () => {
    const i = k % symbols.length;
    const row = fileRows[Math.floor(k++ / symbols.length)];
    if (!row) return undefined;
    const [id, p, q, time, maker, type] = row;
    return `{"stream":"${streams[i]}","data":{"e":"trade","E":${Number(time) + 3},"T":${time},"s":"${symbols[i]}","t":${id},"p":"${p}","q":"${q}","X":"${type || 'MARKET'}","m":${maker === 'true'}}}`;
  };
  // Frames are written to the socket in batches, built by hand: the bytes on the wire are the
  // unmasked text frames ws.send would produce, but one socket write per batch instead of one per
  // trade keeps the exchange's own CPU small next to the ingester's (both share the 2 cores).
  const socket = ws._socket;
  // --continue-ids: a new connection goes on from each symbol's last id (less --rewind N, a
  // reconnect overlap), as a live exchange does, instead of starting at 1 again.
  const synthetic = fileRows ? undefined : syntheticFrames(streams, symbols, CONTINUE ? symbols.map((s) => Math.max(1, (nextIdOf.get(s) ?? 1) - REWIND)) : []);
  let out = Buffer.allocUnsafe(1 << 20);
  const sendBatch = (count) => {
    let off = 0;
    let n = 0;
    if (synthetic) {
      for (; n < count; n++) {
        if (off + MAX_FRAME_BYTES > out.length) {
          socket.write(out.subarray(0, off));
          out = Buffer.allocUnsafe(1 << 20);
          off = 0;
        }
        off = synthetic.next(out, off);
      }
    }
    for (; n < count; n++) {
      const f = fileFrame();
      if (f === undefined) break;
      if (off + frameSize(f) > out.length) {
        socket.write(out.subarray(0, off));
        out = Buffer.allocUnsafe(Math.max(1 << 20, frameSize(f)));
        off = 0;
      }
      off = putTextFrame(out, off, f);
    }
    if (off > 0) {
      socket.write(out.subarray(0, off));
      out = Buffer.allocUnsafe(1 << 20);
    }
    if (synthetic && CONTINUE) synthetic.nextIds().forEach((id, i) => nextIdOf.set(symbols[i], Math.max(id, nextIdOf.get(symbols[i]) ?? 1)));
    return n;
  };
  let timer;
  let t0 = performance.now();
  let sentHere = 0;
  let rateHere = rate;
  // At a fixed rate, trade k of this connection (symbols in turn) is due at t0 + k / rate: the
  // bench's subscriber turns that into a send time per trade ("schedule" on stdin).
  schedule = { t0Wall: performance.timeOrigin + t0, rate, symbols, firstIds: synthetic ? synthetic.nextIds() : [] };
  const pump = () => {
    if (ws.readyState !== ws.OPEN) return;
    if (rate !== rateHere) {
      rateHere = rate;
      t0 = performance.now();
      sentHere = 0;
      schedule = { ...schedule, t0Wall: performance.timeOrigin + t0, rate };
    }
    if (rate > 0) {
      // Fixed offered load: send whatever is due by now, checked every few ms.
      const due = Math.floor(((performance.now() - t0) * rate) / 1000) - sentHere;
      const n = sendBatch(due);
      sentHere += due;
      sent += n;
      if (n < due) return; // file replay finished: stay connected, quiet
      timer = setTimeout(pump, 2);
    } else {
      // As fast as the client takes them: keep the socket's send buffer topped up.
      // readyState too: once the client is gone the buffer never drains and the loop must stop.
      while (ws.readyState === ws.OPEN && socket.writableLength < 4 * 1024 * 1024) {
        const n = sendBatch(2000);
        sent += n;
        if (n < 2000) return;
      }
      // Full: wait for the client to read instead of polling (a poll loop would spin a core).
      if (ws.readyState === ws.OPEN) socket.once('drain', pump);
    }
  };
  pump();
  ws.on('close', () => {
    clearTimeout(timer);
    clearImmediate(timer);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  for (const line of text.split('\n')) {
    const m = line.match(/^rate (\d+)/);
    if (m) rate = Number(m[1]);
    if (line.trim() === 'sent') process.stdout.write(JSON.stringify({ sent }) + '\n');
    if (line.trim() === 'schedule') process.stdout.write(JSON.stringify({ schedule: schedule ?? null }) + '\n');
  }
});
process.on('SIGTERM', () => process.exit(0));
