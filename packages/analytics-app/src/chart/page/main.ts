import type { ChartData, ChartHelloEvent, ChartPairs, ChartTimeframe, ChartUpdateEvent } from './chart-data.js';
import { ChartView, type DrawnState, type Layers } from './chart-view.js';
import { utcClock } from './format.js';

/** What the page exposes for tests and benchmarks (window.__chart): state as drawn, not just as fetched. */
interface ChartProbe {
  /** performance.now() of the first draw that had candles (ms since navigation start), or null. */
  firstPaintMs: number | null;
  /** Data responses applied to the chart. */
  loads: number;
  /** Event-stream (re)connections. */
  connects: number;
  status: 'connecting' | 'live' | 'reconnecting';
  pair: string | null;
  timeframe: ChartTimeframe;
  pairs: readonly string[];
  lastError: string | null;
  drawn(): DrawnState;
}

declare global {
  interface Window {
    __chart: ChartProbe;
    /** boot.ts: the first requests, made before the modules loaded. */
    __chartBoot?: { pairs: Promise<Response>; key: string | null; data: Promise<Response> | null };
  }
}

const TIMEFRAMES: readonly ChartTimeframe[] = ['1m', '5m', '15m'];

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} missing`);
  return element as T;
};

const pairSelect = $<HTMLSelectElement>('pair');
const statusBadge = $('status');
const clockText = $('clock');
const query = new URLSearchParams(location.search);
const initialTf = query.get('timeframe');
let layers: Layers = { profile: true, gaps: true, zones: true };

const probe: ChartProbe = {
  firstPaintMs: null,
  loads: 0,
  connects: 0,
  status: 'connecting',
  pair: query.get('pair'),
  timeframe: TIMEFRAMES.includes(initialTf as ChartTimeframe) ? (initialTf as ChartTimeframe) : '1m',
  pairs: [],
  lastError: null,
  drawn: () => view.drawn(),
};
window.__chart = probe;

const view = new ChartView($('chart'), $('legend'), () => {
  if (probe.firstPaintMs === null && probe.loads > 0 && view.drawn().candles > 0) {
    probe.firstPaintMs = performance.now();
    performance.mark('chart-first-paint');
  }
});

function setStatus(status: ChartProbe['status'], detail = ''): void {
  probe.status = status;
  statusBadge.className = `status ${status}`;
  statusBadge.textContent = status === 'live' ? 'Live' : status === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
  statusBadge.title = detail;
}

function showError(message: string | null): void {
  probe.lastError = message;
  const banner = $('error');
  banner.textContent = message ?? '';
  banner.hidden = message === null;
}

async function getJson<T>(url: string, early?: Promise<Response> | null): Promise<T> {
  const res = await (early ?? fetch(url, { cache: 'no-store' }));
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

function remember(): void {
  const params = new URLSearchParams();
  if (probe.pair) params.set('pair', probe.pair);
  params.set('timeframe', probe.timeframe);
  history.replaceState(null, '', `?${params}`);
  document.title = probe.pair ? `${probe.pair.split(':').pop()} · ${probe.timeframe} · market-data` : 'market-data chart';
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-tf]')) b.setAttribute('aria-pressed', String(b.dataset.tf === probe.timeframe));
}

function showPairs(pairs: readonly string[]): void {
  probe.pairs = pairs;
  if (probe.pair === null || !pairs.includes(probe.pair)) probe.pair = pairs[0] ?? null;
  const current = [...pairSelect.options].map((o) => o.value);
  if (current.join('\n') !== pairs.join('\n')) {
    pairSelect.replaceChildren(...pairs.map((p) => new Option(p, p)));
  }
  pairSelect.value = probe.pair ?? '';
  pairSelect.disabled = pairs.length === 0;
  if (pairs.length === 0) showError('No pairs yet: the app has not heard of any from the ingester.');
}

// One load at a time; a change while one runs loads again once it is done (the newest wins).
let loading: Promise<void> | null = null;
let again = false;
let shown: string | null = null;

function load(): Promise<void> {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      const { pair, timeframe } = probe;
      if (pair === null) return;
      try {
        const key = `${pair} ${timeframe}`;
        // The first load takes the request boot.js made, if it was for this pair and timeframe.
        const boot = window.__chartBoot;
        const early = boot?.key === key ? boot.data : null;
        if (boot) boot.data = null;
        const data = await getJson<ChartData>(`../api/chart/data?${new URLSearchParams({ pair, timeframe })}`, early);
        if (pair !== probe.pair || timeframe !== probe.timeframe) continue;
        view.setData(data, key !== shown);
        shown = key;
        probe.loads++;
        clockText.textContent = data.clock === null ? '' : `data ${utcClock(data.clock)} UTC`;
        showError(null);
      } catch (err) {
        showError(`Could not load ${pair} ${timeframe}: ${(err as Error).message}`);
      }
    } while (again);
  })().finally(() => {
    loading = null;
  });
  return loading;
}

function select(pair: string | null, timeframe: ChartTimeframe): void {
  probe.pair = pair;
  probe.timeframe = timeframe;
  remember();
  void load();
}

pairSelect.addEventListener('change', () => select(pairSelect.value, probe.timeframe));
for (const b of document.querySelectorAll<HTMLButtonElement>('[data-tf]')) {
  b.addEventListener('click', () => select(probe.pair, b.dataset.tf as ChartTimeframe));
}
for (const box of document.querySelectorAll<HTMLInputElement>('[data-layer]')) {
  box.addEventListener('change', () => {
    layers = { ...layers, [box.dataset.layer as keyof Layers]: box.checked };
    view.setLayers(layers);
  });
}

/**
 * Live updates: the app's event stream says which pair changed; the page refetches it. The
 * browser reconnects by itself after a dropped stream (the app restarting); should it give up
 * (an error status while the app comes back), a new stream is opened after a pause.
 */
function connect(): void {
  const events = new EventSource('../api/chart/events');
  events.addEventListener('hello', (e) => {
    probe.connects++;
    setStatus('live');
    showPairs((JSON.parse((e as MessageEvent<string>).data) as ChartHelloEvent).pairs);
    remember();
    // Whatever changed while the stream was down (the first stream follows the first load).
    if (probe.connects > 1 || probe.loads === 0) void load();
  });
  events.addEventListener('pairs', (e) => showPairs((JSON.parse((e as MessageEvent<string>).data) as ChartHelloEvent).pairs));
  events.addEventListener('update', (e) => {
    if ((JSON.parse((e as MessageEvent<string>).data) as ChartUpdateEvent).pair === probe.pair) void load();
  });
  events.addEventListener('error', () => {
    setStatus('reconnecting', 'the app is not answering; retrying');
    if (events.readyState === EventSource.CLOSED) {
      events.close();
      setTimeout(connect, 2000);
    }
  });
}

remember();
void (async () => {
  try {
    showPairs((await getJson<ChartPairs>('../api/chart/pairs', window.__chartBoot?.pairs)).pairs);
    remember();
    await load();
  } catch (err) {
    showError(`Could not reach the app: ${(err as Error).message}`);
  }
  connect();
})();
