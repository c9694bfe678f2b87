import type {
  CandlestickData,
  HistogramData,
  IChartApi,
  IPriceLine,
  ISeriesApi,
  LineData,
  Logical,
  MouseEventParams,
  Time,
  UTCTimestamp,
  WhitespaceData,
} from 'lightweight-charts';
import { BoxesPrimitive, type DrawnBox } from './boxes-primitive.js';
import type { ChartCandle, ChartData, ChartTimeframe } from './chart-data.js';
import { percent, price, priceDecimals, utcMinute, utcTick, volume } from './format.js';
import { ProfilePrimitive, type DrawnProfile } from './profile-primitive.js';
import { PaneLabel } from './pane-label.js';
import { TimeAxis } from './time-axis.js';

declare global {
  interface Window {
    /** lightweight-charts' standalone build, loaded by index.html before this module. */
    readonly LightweightCharts: typeof import('lightweight-charts');
  }
}

export const TIMEFRAME_MS: Readonly<Record<ChartTimeframe, number>> = { '1m': 60_000, '5m': 300_000, '15m': 900_000 };

const THEME = {
  background: '#131722',
  text: '#d1d4dc',
  grid: 'rgba(42, 46, 57, 0.55)',
  border: '#2a2e39',
  up: '#26a69a',
  down: '#ef5350',
  upAlpha: 'rgba(38, 166, 154, 0.75)',
  downAlpha: 'rgba(239, 83, 80, 0.75)',
  cvd: '#2962ff',
  poc: '#ffb74d',
  valueArea: '#8fa6d9',
};

export interface Layers {
  readonly profile: boolean;
  readonly gaps: boolean;
  readonly zones: boolean;
}

/** What the chart shows now, as drawn (window.__chart.drawn()). */
export interface DrawnState {
  readonly pair: string | null;
  readonly timeframe: ChartTimeframe | null;
  readonly candles: number;
  readonly firstTime: number | null;
  readonly lastTime: number | null;
  readonly lastClose: number | null;
  readonly deltaBars: number;
  readonly cvdPoints: number;
  readonly lastCvd: number | null;
  readonly lines: readonly { title: string; price: number }[];
  readonly profile: DrawnProfile | null;
  readonly boxes: readonly DrawnBox[];
  /** Width of the price pane's plotting area, media pixels. */
  readonly paneWidth: number;
  /**
   * True once the chart painted since the last setData/setLayers. The series (candles, lines)
   * take new data at once, the overlays (profile, boxes) only on the next animation frame: until
   * then they are the previous data's, and a reader must not take them for the new data's.
   */
  readonly painted: boolean;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const time = (ms: number): UTCTimestamp => (ms / 1000) as UTCTimestamp;
const ms = (t: Time): number => (t as number) * 1000;

function sameHistory(before: readonly ChartCandle[], after: readonly ChartCandle[]): boolean {
  if (before.length === 0 || after.length < before.length) return false;
  // Bars before the last one are final; a changed one (a late trade) needs a full setData.
  for (let i = 0; i < before.length - 1; i++) {
    const a = before[i];
    const b = after[i];
    if (a.time !== b.time || a.close !== b.close || a.high !== b.high || a.low !== b.low || a.volume !== b.volume || a.cvd !== b.cvd) return false;
  }
  return before[before.length - 1].time === after[before.length - 1].time;
}

/**
 * One chart: candles over the per-candle delta over CVD (three panes on one time scale), the
 * profile at the right edge with POC/VAH/VAL lines, gap and zone boxes, a TradingView-style legend.
 */
export class ChartView {
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly delta: ISeriesApi<'Histogram'>;
  private readonly cvd: ISeriesApi<'Line'>;
  private readonly profile = new ProfilePrimitive();
  private readonly boxes: BoxesPrimitive;
  private lines: IPriceLine[] = [];
  private data: ChartData | null = null;
  private byTime = new Map<number, ChartCandle>();
  private decimals = 2;
  private layers: Layers = { profile: true, gaps: true, zones: true };
  /** Refit as bars arrive until the reader scrolls or zooms (a chart opened on two bars should not stay zoomed on them). */
  private autoFit = true;
  /** Bumped by every setData/setLayers; `paintedVersion` is the one the last paint drew. */
  private version = 0;
  private paintedVersion = -1;

  constructor(
    container: HTMLElement,
    private readonly legend: HTMLElement,
    onDraw: () => void,
  ) {
    const LWC = window.LightweightCharts;
    this.chart = LWC.createChart(container, {
      autoSize: true,
      layout: {
        background: { type: LWC.ColorType.Solid, color: THEME.background },
        textColor: THEME.text,
        fontSize: 11,
        fontFamily: '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Ubuntu, sans-serif',
        panes: { separatorColor: THEME.border, separatorHoverColor: 'rgba(255, 255, 255, 0.06)', enableResize: true },
      },
      grid: { vertLines: { color: THEME.grid }, horzLines: { color: THEME.grid } },
      crosshair: { mode: LWC.CrosshairMode.Normal },
      rightPriceScale: { borderColor: THEME.border },
      timeScale: {
        borderColor: THEME.border,
        timeVisible: true,
        secondsVisible: false,
        rightOffset: 6,
        minBarSpacing: 2,
        tickMarkFormatter: (t: Time, kind: number) => {
          const T = LWC.TickMarkType;
          return utcTick(ms(t), kind === T.Year ? 'year' : kind === T.Month ? 'month' : kind === T.DayOfMonth ? 'day' : 'time');
        },
      },
      localization: { timeFormatter: (t: Time) => `${utcMinute(ms(t))} UTC`, locale: 'en-US' },
    });
    this.candles = this.chart.addSeries(LWC.CandlestickSeries, {
      upColor: THEME.up,
      downColor: THEME.down,
      borderVisible: false,
      wickUpColor: THEME.up,
      wickDownColor: THEME.down,
    });
    // Room above the candles for the legend, as TradingView leaves it.
    this.candles.priceScale().applyOptions({ scaleMargins: { top: 0.16, bottom: 0.06 } });
    const compact = { type: 'custom' as const, formatter: (v: number) => volume(v, true), minMove: 1e-8 };
    this.delta = this.chart.addSeries(LWC.HistogramSeries, { priceFormat: compact, priceLineVisible: false, title: 'Δ' }, 1);
    this.cvd = this.chart.addSeries(LWC.LineSeries, { color: THEME.cvd, lineWidth: 2, priceFormat: compact, priceLineVisible: false, title: 'CVD' }, 2);
    const panes = this.chart.panes();
    panes[0].setStretchFactor(4);
    panes[1].setStretchFactor(1.2);
    panes[2].setStretchFactor(1.2);
    panes[1].attachPrimitive(new PaneLabel('Delta (taker buy − sell volume)'));
    panes[2].attachPrimitive(new PaneLabel('CVD (cumulative delta)'));
    // A paint draws whatever was set before it: it runs in its own frame, never inside setData.
    this.boxes = new BoxesPrimitive(() => {
      this.paintedVersion = this.version;
      onDraw();
    });
    this.candles.attachPrimitive(this.boxes);
    this.candles.attachPrimitive(this.profile);
    this.chart.subscribeCrosshairMove((param) => this.showLegend(param));
    for (const event of ['wheel', 'mousedown', 'touchstart', 'keydown'] as const) {
      container.addEventListener(event, () => (this.autoFit = false), { passive: true });
    }
  }

  /** New data for the shown pair; `reset` (another pair or timeframe) also refits the view. */
  setData(data: ChartData, reset: boolean): void {
    const before = this.data;
    this.data = data;
    this.version++;
    this.byTime = new Map(data.candles.map((c) => [c.time, c]));
    const decimals = priceDecimals(data.candles.flatMap((c) => [c.open, c.high, c.low, c.close]));
    if (reset || decimals !== this.decimals) {
      this.decimals = decimals;
      this.candles.applyOptions({ priceFormat: { type: 'price', precision: decimals, minMove: 10 ** -decimals } });
    }
    const bar = (c: ChartCandle): CandlestickData<Time> => ({ time: time(c.time), open: c.open, high: c.high, low: c.low, close: c.close });
    const deltaBar = (c: ChartCandle): HistogramData<Time> => ({ time: time(c.time), value: c.delta, color: c.delta >= 0 ? THEME.upAlpha : THEME.downAlpha });
    const cvdPoint = (c: ChartCandle): LineData<Time> | WhitespaceData<Time> => (c.cvd === null ? { time: time(c.time) } : { time: time(c.time), value: c.cvd });
    const previous = before?.candles ?? [];
    if (!reset && before !== null && sameHistory(previous, data.candles)) {
      for (let i = previous.length - 1; i < data.candles.length; i++) {
        const c = data.candles[i];
        this.candles.update(bar(c));
        this.delta.update(deltaBar(c));
        this.cvd.update(cvdPoint(c));
      }
    } else {
      this.candles.setData(data.candles.map(bar));
      this.delta.setData(data.candles.map(deltaBar));
      this.cvd.setData(data.candles.map(cvdPoint));
    }
    this.drawOverlays();
    if (reset) this.autoFit = true;
    if (this.autoFit) this.fit();
    this.showLegend(null);
  }

  setLayers(layers: Layers): void {
    this.layers = layers;
    this.version++;
    this.drawOverlays();
    this.showLegend(null);
  }

  drawn(): DrawnState {
    const bars = this.candles.data();
    const points = this.cvd.data().filter((p): p is LineData<Time> => 'value' in p);
    const last = bars.at(-1) as CandlestickData<Time> | undefined;
    return {
      pair: this.data?.pair ?? null,
      timeframe: this.data?.timeframe ?? null,
      candles: bars.length,
      firstTime: bars.length > 0 ? ms(bars[0].time) : null,
      lastTime: last ? ms(last.time) : null,
      lastClose: last ? last.close : null,
      deltaBars: this.delta.data().length,
      cvdPoints: points.length,
      lastCvd: points.at(-1)?.value ?? null,
      lines: this.lines.map((l) => ({ title: l.options().title, price: l.options().price })),
      profile: this.layers.profile ? this.profile.lastDrawn() : null,
      boxes: this.boxes.lastDrawn(),
      paneWidth: this.chart.timeScale().width(),
      painted: this.paintedVersion === this.version,
    };
  }

  private drawOverlays(): void {
    const data = this.data;
    if (!data) return;
    const axis = new TimeAxis(data.candles.map((c) => c.time), TIMEFRAME_MS[data.timeframe]);
    this.boxes.setData(axis, this.layers.gaps ? data.gaps : [], this.layers.zones ? data.zones : []);
    const profile = this.layers.profile ? data.profile : null;
    this.profile.setProfile(profile);
    for (const line of this.lines) this.candles.removePriceLine(line);
    this.lines = [];
    if (!profile) return;
    const LWC = window.LightweightCharts;
    const add = (title: string, value: number | null, color: string, style: number): void => {
      if (value === null) return;
      this.lines.push(this.candles.createPriceLine({ price: value, color, lineWidth: 1, lineStyle: style, axisLabelVisible: true, title }));
    };
    add('POC', profile.poc, THEME.poc, LWC.LineStyle.Solid);
    add('VAH', profile.valueAreaHigh, THEME.valueArea, LWC.LineStyle.Dashed);
    add('VAL', profile.valueAreaLow, THEME.valueArea, LWC.LineStyle.Dashed);
  }

  /** The newest bars, with room on the right for the profile. */
  private fit(): void {
    const n = this.data?.candles.length ?? 0;
    if (n === 0) return;
    const shown = Math.min(n, 150);
    const room = Math.max(4, Math.ceil(shown * 0.35));
    this.chart.timeScale().setVisibleLogicalRange({ from: (n - shown - 0.5) as Logical, to: (n - 1 + room) as Logical });
  }

  private showLegend(param: MouseEventParams<Time> | null): void {
    const data = this.data;
    if (!data) return;
    const hovered = param?.time === undefined ? undefined : this.byTime.get(ms(param.time));
    const c = hovered ?? data.candles.at(-1);
    const p = (v: number): string => price(v, this.decimals);
    const cls = (up: boolean): string => (up ? 'up' : 'down');
    const rows: string[] = [];
    rows.push(`<span class="pair">${escapeHtml(data.pair)}</span> <span class="muted">· ${data.timeframe} · UTC</span>`);
    if (c) {
      const up = c.close >= c.open;
      rows[0] +=
        ` <span class="muted">${utcMinute(c.time)}${c.closed ? '' : ' (open)'}</span>` +
        ` O <b class="${cls(up)}">${p(c.open)}</b> H <b class="${cls(up)}">${p(c.high)}</b> L <b class="${cls(up)}">${p(c.low)}</b> C <b class="${cls(up)}">${p(c.close)}</b> <b class="${cls(up)}">${percent(c.open, c.close)}</b>`;
      rows.push(
        `Vol <b>${volume(c.volume)}</b> Buy <b class="up">${volume(c.buyVolume)}</b> Sell <b class="down">${volume(c.sellVolume)}</b>` +
          ` Δ <b class="${cls(c.delta >= 0)}">${volume(c.delta, true)}</b> CVD <b class="cvd">${c.cvd === null ? '–' : volume(c.cvd, true)}</b> <span class="muted">${c.trades} trades</span>`,
      );
    } else {
      rows.push('<span class="muted">no trades stored yet</span>');
    }
    const pr = data.profile;
    if (pr && this.layers.profile) {
      const v = (x: number | null): string => (x === null ? '–' : p(x));
      rows.push(
        `Profile <span class="muted">${utcMinute(pr.from).slice(11)}–${utcMinute(pr.until).slice(11)}</span> POC <b class="poc">${v(pr.poc)}</b> VAH <b class="va">${v(pr.valueAreaHigh)}</b> VAL <b class="va">${v(pr.valueAreaLow)}</b> <span class="muted">row ${pr.rowSize}</span>`,
      );
    }
    const count = <T extends { status: string }>(list: readonly T[], status: string): number => list.filter((x) => x.status === status).length;
    const parts: string[] = [];
    if (this.layers.gaps) {
      parts.push(`FVG <b class="gap">${count(data.gaps, 'open') + count(data.gaps, 'partial')} open</b><span class="muted">· ${count(data.gaps, 'filled')} filled</span>`);
    }
    if (this.layers.zones) {
      parts.push(
        `Zones <b class="zone">${count(data.zones, 'active')} active</b><span class="muted">·</span> <b class="zone">${count(data.zones, 'tested')} tested</b><span class="muted">· ${count(data.zones, 'broken')} broken</span>`,
      );
    }
    if (parts.length > 0) rows.push(parts.join(' &nbsp; '));
    this.legend.innerHTML = rows.map((r) => `<div>${r}</div>`).join('');
  }
}
