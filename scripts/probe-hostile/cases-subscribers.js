'use strict';
// Hostile subscribers (issue 12 items 1, 2 and 6's cursor), against one built ingester on the
// synthetic market: protocol errors before a subscribe, unknown pairs, bad cursors, subscribers
// that never read, and one slow subscriber with a large stored backlog.
const fs = require('node:fs');
const WebSocket = require('ws');
const { MarketDataClient } = require('@market-data/client');
const { HOSTILE_FRAMES: HOSTILE, metricSum: metric, rawUpgrade } = require('@market-data/testing');
const { MiB, sleep, tempDir, startIngester, until, healthz, subscribeOnce } = require('./support');

const PAIR = 'synthetic:spot:BTCUSDT';

/** One pair, fast enough that its held live batches pass the 64 MiB bound in ~30 s. */
const STALL_RATE = 50_000;
const STALL_LIMIT_MS = 90_000;

const short = (text, n = 70) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** Every trade stored so far, over all pairs. */
const storedTotal = (url) => metric(url, 'ingest_trades_stored_total');

/**
 * A subscriber that reads until its first replay page arrives and then never reads again: the
 * replay of its first pair stalls (pages are sent only as they are read) while that pair's live
 * batches pile up for it, which is what the per-subscriber bound is for.
 */
async function stallAfterFirstPage(url, message) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/subscribe`);
  ws.on('error', () => undefined);
  const seen = { pages: 0, rows: 0, bytes: 0, errors: [] };
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.type === 'ticks' && msg.replay) {
      seen.pages++;
      seen.rows += msg.rows.length;
      seen.bytes += data.length;
      ws.pause(); // and reads nothing more
    }
    if (msg.type === 'error') seen.errors.push(msg);
  });
  let close;
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve((close = { code, reason: reason.toString() }))));
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify(message));
  return {
    seen,
    /** Reads what the socket still holds; resolves how it was closed (1006 = without a close frame) or 'still open'. */
    async drain() {
      ws.resume();
      ws._socket?.resume(); // ws resumes its socket only once its receiver has drained
      const how = await Promise.race([closed, sleep(5000).then(() => undefined)]);
      ws.terminate();
      return how ?? close ?? 'still open';
    },
  };
}

function drops(app) {
  return app.logs.filter((l) => l.msg === 'subscriber dropped');
}

async function run(check) {
  if (!check.wants('1', '7', '3', '2a', '2b')) return;
  const dataDir = tempDir('subscribers');
  const args = ['--source', 'synthetic', '--rate', '2000', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--retention-interval-ms', '0'];
  let app;
  let url;
  // One ingester for these cases; one that a case killed is replaced so the next still runs.
  const ensure = async () => {
    if (app?.alive) return;
    app = startIngester(args);
    url = await app.url();
  };

  await ensure();
  await check('1 malformed frames before subscribe', `each of ${HOSTILE.length} bad frames/oversized messages: connection closed, ingester alive, /healthz 200`, async () => {
    const failed = [];
    for (const [what, frames] of HOSTILE) {
      try {
        const socket = await rawUpgrade(url);
        const closed = new Promise((resolve) => socket.once('close', () => resolve('closed')));
        for (const f of frames()) socket.write(f);
        const how = await Promise.race([closed, sleep(10_000).then(() => 'open')]);
        socket.destroy();
        const h = await healthz(url, 3000);
        if (how !== 'closed' || h.status !== 200 || !app.alive) failed.push(`${what}: ${how}, healthz ${h.status}`);
      } catch (err) {
        failed.push(`${what}: ${err.message}${app.alive ? '' : ' (ingester died)'}`);
        await ensure();
      }
    }
    return {
      pass: failed.length === 0,
      result: failed.length === 0 ? `${HOSTILE.length}/${HOSTILE.length} closed by the ingester; alive; /healthz 200 after each` : `failed: ${failed.join('; ')}`,
    };
  });

  await ensure();
  await check('7 bad cursor', 'cursor "abc" or -1: refused (close 4001, SUBSCRIPTION_REJECTED) naming cursor.<pair>', async () => {
    const out = [];
    let pass = true;
    for (const [label, cursor] of [['"abc"', 'abc'], ['-1', -1]]) {
      const a = await subscribeOnce(url, { type: 'subscribe', pairs: [PAIR], cursor: { [PAIR]: cursor } });
      const m = a.messages[0] ?? {};
      const ok = a.close?.code === 4001 && a.messages.length === 1 && m.type === 'error' && m.code === 'SUBSCRIPTION_REJECTED' && String(m.message).includes(`cursor.${PAIR}`);
      pass &&= ok;
      out.push(`${label}: ${a.close?.code ?? 'not closed'} "${short(String(m.message ?? ''), 60)}"`);
    }
    return { pass, result: out.join('; ') };
  });

  await ensure();
  await check('3 unknown pairs', '10,000 pairs: refused with the 1000-pair limit; 1,000 unknown well-formed pairs: no file or folder created', async () => {
    const unknown = (n) => Array.from({ length: n }, (_, i) => `probe:spot:UNKNOWN${i}`);
    const pairFiles = () => fs.readdirSync(dataDir, { recursive: true }).map(String);
    const many = await subscribeOnce(url, { type: 'subscribe', pairs: unknown(10_000) });
    const refused = many.close?.code === 4001 && many.close.reason.includes('at most 1000 pairs') && many.messages[0]?.code === 'SUBSCRIPTION_REJECTED';
    const filesBefore = pairFiles().filter((f) => f.endsWith('.duckdb')).length;
    const pending = await subscribeOnce(url, { type: 'subscribe', pairs: unknown(1000) }, 3000);
    const created = pairFiles().filter((f) => f.startsWith('probe'));
    const filesAfter = pairFiles().filter((f) => f.endsWith('.duckdb')).length;
    const h = await healthz(url);
    const pass = refused && created.length === 0 && filesAfter === filesBefore && h.status === 200;
    return {
      pass,
      result:
        `10,000: ${many.close?.code ?? 'not closed'} "${short(many.close?.reason ?? '', 50)}"; ` +
        `1,000: ${pending.close ? `closed ${pending.close.code}` : `accepted, ${pending.messages[0]?.pending?.length ?? 0} pending`}, ${created.length} entries created, pair files ${filesBefore} -> ${filesAfter}`,
    };
  });

  await ensure();
  await check('2a 200 idle subscribers', 'RSS bounded (< start + 400 MiB), every /healthz 200, idle ones dropped 4002/4003, a reader still served', async () => {
    await until(async () => (await storedTotal(url)) > 20_000, 60_000, 'trades stored');
    const before = await metric(url, 'process_resident_memory_bytes');
    const reader = new MarketDataClient({ url, pairs: [PAIR], reconnect: false, cursor: { [PAIR]: Date.now() } });
    let readerTrades = 0;
    let readerLive = false;
    const reading = reader.forEach((event) => {
      if (event.type === 'trades') readerTrades += event.trades.length;
      if (event.type === 'replayed') readerLive = true;
    });
    const idle = [];
    try {
      await until(() => readerLive, 30_000, 'the reader live');
      for (let i = 0; i < 200; i++) {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/subscribe`);
        ws.on('error', () => undefined);
        ws.on('open', () => {
          ws.send(JSON.stringify({ type: 'subscribe', pairs: '*' }));
          ws.pause(); // and never reads another byte
        });
        idle.push(ws);
      }
      let peak = before;
      let answered = 0;
      let asked = 0;
      const latencies = [];
      const end = Date.now() + 15_000;
      while (Date.now() < end && app.alive) {
        asked++;
        try {
          const h = await healthz(url, 10_000);
          if (h.status === 200) answered++;
          latencies.push(h.ms);
          peak = Math.max(peak, await metric(url, 'process_resident_memory_bytes'));
        } catch {
          // counted as unanswered
        }
        await sleep(250);
      }
      const dropped = drops(app);
      const kinds = [...new Set(dropped.map((d) => `${d.code} ${d.reason}`))];
      const seen = readerTrades;
      const readerOk = await until(() => readerTrades > seen + 100, 10_000, 'reader').then(() => reader.state === 'open', () => false);
      latencies.sort((a, b) => a - b);
      const bounded = peak < before + 400 * MiB;
      const pass = app.alive && bounded && answered === asked && dropped.length > 0 && kinds.every((k) => /^(4002 TOO_SLOW|4003 OVERLOADED)$/.test(k)) && readerOk;
      return {
        pass,
        result:
          `RSS ${Math.round(before / MiB)} -> peak ${Math.round(peak / MiB)} MiB; /healthz ${answered}/${asked} answered (median ${Math.round(latencies[latencies.length >> 1] ?? NaN)} ms, max ${Math.round(latencies[latencies.length - 1] ?? NaN)} ms); ` +
          `${dropped.length} dropped (${kinds.join(', ') || 'none'}); reader ${readerOk ? 'still served' : 'NOT served'}`,
      };
    } finally {
      idle.forEach((ws) => ws.terminate());
      await reader.close();
      await reading.catch(() => undefined);
    }
  });

  await check('2b stalled subscriber, big backlog', 'a subscriber that stops reading after its first replay page while 1 pair trades fast: no more pages sent, dropped 4002 TOO_SLOW with a reason past 64 MiB held, RSS bounded, /healthz answers, trades still stored', async () => {
    const dir = tempDir('backlog');
    const pair = 'synthetic:spot:BTCUSDT';
    const big = startIngester(['--source', 'synthetic', '--pairs', pair, '--rate', String(STALL_RATE), '--data-dir', dir, '--listen', '127.0.0.1:0', '--retention-interval-ms', '0']);
    const bigUrl = await big.url();
    await until(async () => (await storedTotal(bigUrl)) > 150_000, 60_000, '150k trades stored');
    const backlog = await storedTotal(bigUrl);
    const before = await metric(bigUrl, 'process_resident_memory_bytes');
    const stalled = await stallAfterFirstPage(bigUrl, { type: 'subscribe', pairs: '*' }); // no cursor: the whole backlog
    let peak = before;
    let unanswered = 0;
    let asked = 0;
    const started = Date.now();
    while (Date.now() - started < STALL_LIMIT_MS && drops(big).length === 0 && big.alive) {
      asked++;
      const h = await healthz(bigUrl, 10_000).catch(() => ({ status: 0 }));
      if (h.status !== 200) unanswered++;
      peak = Math.max(peak, await metric(bigUrl, 'process_resident_memory_bytes').catch(() => 0));
      await sleep(500);
    }
    const secs = (Date.now() - started) / 1000;
    const storedDuring = (await storedTotal(bigUrl)) - backlog;
    const drop = drops(big)[0];
    // Still storing after the drop, and RSS after it.
    const afterDrop = await storedTotal(bigUrl);
    const storing = await until(async () => (await storedTotal(bigUrl)) > afterDrop + 1000, 15_000, 'trades stored after the drop').then(() => true, () => false);
    const rssAfter = await metric(bigUrl, 'process_resident_memory_bytes');
    const pagesWhileStalled = stalled.seen.pages;
    const close = await stalled.drain();
    const told = stalled.seen.errors.find((e) => e.code === 'TOO_SLOW');
    const bytesPerRow = stalled.seen.rows ? stalled.seen.bytes / stalled.seen.rows : 0;
    const liveRate = storedDuring / secs;
    const bounded = peak < before + 256 * MiB;
    const pass =
      drop?.code === 4002 && drop.reason === 'TOO_SLOW' && drop.queuedBytes > 64 * MiB && pagesWhileStalled <= 2 && bounded && unanswered === 0 && storing && big.alive;
    return {
      pass,
      result:
        `backlog ${Math.round(backlog / 1000)}k trades, live ${Math.round(liveRate)} trades/s (~${((liveRate * bytesPerRow) / MiB).toFixed(1)} MiB/s of frames); it read ${pagesWhileStalled} replay page(s) and stopped; ` +
        `${drop ? `dropped after ${secs.toFixed(0)} s: ${drop.code} ${drop.reason}, ${Math.round(drop.queuedBytes / MiB)} MiB held` : `NOT dropped in ${secs.toFixed(0)} s`}; ` +
        `client: close ${close.code ?? close}${close.reason ? ` "${short(close.reason, 60)}"` : ''}${told ? ', got the TOO_SLOW error message' : ''}; ` +
        `RSS ${Math.round(before / MiB)} -> peak ${Math.round(peak / MiB)} -> ${Math.round(rssAfter / MiB)} MiB after; /healthz ${asked - unanswered}/${asked} answered; storing after: ${storing}`,
    };
  });
}

module.exports = { run };
