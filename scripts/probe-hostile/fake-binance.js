'use strict';
// A local Binance spot stand-in for the hostile probe: the combined-stream WebSocket
// (/stream?streams=btcusdt@trade/...) and GET /api/v3/historicalTrades for backfill, both on
// 127.0.0.1. Two ways to feed it: `send()` exact frames to the newest connection (cases that need
// hostile frames), or `pump()` real recorded trades at a fixed rate per symbol that goes on whether
// anyone is connected or not, as an exchange does; a new connection gets trades from that moment
// on, and REST serves every trade already published, so a downtime gap can be filled.
const http = require('node:http');
const { WebSocketServer } = require('ws');
const { combined, tradeEvent } = require('@market-data/testing');

/** The `<symbol>@trade` frame Binance spot sends for one recorded trade, with `patch` over its fields. */
const spotTradeFrame = (symbol, t, patch = {}) => combined(`${symbol.toLowerCase()}@trade`, { ...tradeEvent('spot', symbol, t), ...patch });

class FakeBinance {
  constructor(wss, rest) {
    this.wss = wss;
    this.rest = rest;
    this.connections = [];
    this.restRequests = 0;
    /** symbol -> recorded trades REST serves in manual mode (the pump serves what it published). */
    this.trades = new Map();
    this.pumped = undefined;
    wss.on('connection', (socket, req) => {
      socket.on('error', () => undefined);
      this.connections.push({ socket, url: req.url });
    });
    rest.on('request', (req, res) => this.serveRest(req, res));
  }

  static async start() {
    // autoPong (ws default): the socket answers the ingester's pings even when it sends nothing.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    const rest = http.createServer();
    await new Promise((resolve) => rest.listen(0, '127.0.0.1', resolve));
    return new FakeBinance(wss, rest);
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.wss.address().port}`;
  }

  get restUrl() {
    return `http://127.0.0.1:${this.rest.address().port}`;
  }

  latest() {
    const open = this.connections.filter((c) => c.socket.readyState === c.socket.OPEN);
    if (open.length === 0) throw new Error('no open exchange connection');
    return open[open.length - 1];
  }

  send(...frames) {
    const { socket } = this.latest();
    for (const f of frames) socket.send(f);
  }

  /**
   * Publishes `rows` (recorded trades, cycled with ids and times moved on so they stay contiguous)
   * for every symbol at `ratePerSymbol` trades/s, from now until stopPump().
   */
  pump(symbols, rows, ratePerSymbol) {
    const span = rows[rows.length - 1].time - rows[0].time + 1;
    const firstId = rows[0].id;
    const trade = (k) => {
      const r = rows[k % rows.length];
      const cycle = Math.floor(k / rows.length);
      return { ...r, id: firstId + k, time: r.time + cycle * span };
    };
    const started = performance.now();
    // published: trades generated (REST serves them all); written: frames the kernel took.
    const state = { symbols, trade, published: 0, written: 0, timer: undefined };
    const wrote = (err) => {
      if (!err) state.written++;
    };
    const tick = () => {
      const due = Math.floor(((performance.now() - started) * ratePerSymbol) / 1000);
      const open = this.connections.filter((c) => c.socket.readyState === c.socket.OPEN);
      for (; state.published < due; state.published++) {
        for (const s of symbols) {
          const frame = spotTradeFrame(s, trade(state.published));
          for (const c of open) c.socket.send(frame, wrote);
        }
      }
      state.timer = setTimeout(tick, 5);
    };
    this.pumped = state;
    tick();
    return state;
  }

  stopPump() {
    if (this.pumped) clearTimeout(this.pumped.timer);
  }

  /** Every trade id the pump published for one symbol. */
  publishedIds() {
    const ids = [];
    for (let k = 0; k < (this.pumped?.published ?? 0); k++) ids.push(String(this.pumped.trade(k).id));
    return ids;
  }

  serveRest(req, res) {
    this.restRequests++;
    const url = new URL(req.url, 'http://127.0.0.1');
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/api/v3/historicalTrades') return reply(404, { code: -1, msg: 'not found' });
    const symbol = url.searchParams.get('symbol');
    const fromId = Number(url.searchParams.get('fromId') ?? 0);
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 500), 1000);
    let page;
    if (this.pumped?.symbols.includes(symbol)) {
      page = [];
      const first = this.pumped.trade(0).id;
      for (let k = Math.max(0, fromId - first); k < this.pumped.published && page.length < limit; k++) page.push(this.pumped.trade(k));
    } else if (this.trades.has(symbol)) {
      page = this.trades.get(symbol).filter((r) => r.id >= fromId).slice(0, limit);
    } else {
      return reply(400, { code: -1121, msg: 'Invalid symbol.' });
    }
    reply(
      200,
      page.map((r) => ({ id: r.id, price: r.price, qty: r.qty, quoteQty: (Number(r.price) * Number(r.qty)).toFixed(8), time: r.time, isBuyerMaker: r.isBuyerMaker, isBestMatch: true })),
    );
  }

  async close() {
    this.stopPump();
    for (const client of this.wss.clients) client.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
    this.rest.closeAllConnections();
    await new Promise((resolve) => this.rest.close(resolve));
  }
}

module.exports = { FakeBinance, spotTradeFrame };
