import type {
  IChartApi,
  IPrimitivePaneRenderer,
  IPrimitivePaneView,
  ISeriesApi,
  ISeriesPrimitive,
  PrimitivePaneViewZOrder,
  SeriesAttachedParameter,
  SeriesType,
  Time,
} from 'lightweight-charts';
import type { ChartGap, ChartZone } from './chart-data.js';
import type { RenderTarget } from './profile-primitive.js';
import type { TimeAxis } from './time-axis.js';

type Rgb = readonly [number, number, number];
const GAP_COLORS: Readonly<Record<ChartGap['type'], Rgb>> = { bullish: [38, 166, 154], bearish: [239, 83, 80] };
const ZONE_COLORS: Readonly<Record<ChartZone['type'], Rgb>> = { demand: [41, 98, 255], supply: [255, 152, 0] };
const BROKEN: Rgb = [120, 123, 134];
/** Label text: light tints of the box colours, legible over candles of either colour. */
const LABEL_COLORS: Readonly<Record<string, string>> = {
  bullish: '#9fe3d9',
  bearish: '#ffb3b0',
  demand: '#a9c1ff',
  supply: '#ffd08a',
  broken: '#b2b5be',
};
const rgba = ([r, g, b]: Rgb, a: number): string => `rgba(${r}, ${g}, ${b}, ${a})`;
const FONT = '10px -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif';

/** One box as the last draw put it on screen, in the pane's media pixels (tests read these). */
export interface DrawnBox {
  readonly kind: 'gap' | 'zone';
  readonly id: string;
  readonly type: string;
  readonly status: string;
  readonly low: number;
  readonly high: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  /** Open gaps and live zones run to the pane's right edge; filled and broken ones end at their candle. */
  readonly toEdge: boolean;
  readonly label: string;
}

interface Box {
  readonly kind: 'gap' | 'zone';
  readonly id: string;
  readonly type: string;
  readonly status: string;
  readonly low: number;
  readonly high: number;
  readonly left: number;
  /** null: to the right edge. */
  readonly right: number | null;
  readonly top: number;
  readonly bottom: number;
  /** Gaps: the y where the filled part ends (the rest is still open). */
  readonly fillY: number | null;
  readonly color: Rgb;
  readonly label: string;
}

function dashed(ctx: CanvasRenderingContext2D, pattern: number[], x: number, y: number, w: number, h: number): void {
  ctx.setLineDash(pattern);
  ctx.strokeRect(Math.round(x) + 0.5, Math.round(y) + 0.5, Math.max(0, Math.round(w) - 1), Math.max(0, Math.round(h) - 1));
  ctx.setLineDash([]);
}

class BoxesRenderer implements IPrimitivePaneRenderer {
  constructor(
    private readonly boxes: readonly Box[],
    private readonly onDrawn: (drawn: DrawnBox[]) => void,
  ) {}

  draw(target: RenderTarget): void {
    target.useMediaCoordinateSpace(({ context: ctx, mediaSize }) => {
      const drawn: DrawnBox[] = [];
      ctx.font = FONT;
      ctx.textBaseline = 'top';
      for (const b of this.boxes) {
        const right = b.right ?? mediaSize.width;
        const width = right - b.left;
        const height = Math.max(1, b.bottom - b.top);
        if (b.kind === 'zone') this.zone(ctx, b, width, height);
        else this.gap(ctx, b, width, height);
        drawn.push({ kind: b.kind, id: b.id, type: b.type, status: b.status, low: b.low, high: b.high, left: b.left, right, top: b.top, bottom: b.top + height, toEdge: b.right === null, label: b.label });
      }
      this.onDrawn(drawn);
    });
  }

  // Live zones stand out, tested ones fade and go dashed, broken ones turn grey and dotted.
  private zone(ctx: CanvasRenderingContext2D, b: Box, width: number, height: number): void {
    const color = b.status === 'broken' ? BROKEN : b.color;
    ctx.fillStyle = rgba(color, b.status === 'active' ? 0.2 : b.status === 'tested' ? 0.11 : 0.07);
    ctx.fillRect(b.left, b.top, width, height);
    ctx.strokeStyle = rgba(color, b.status === 'broken' ? 0.5 : 0.85);
    ctx.lineWidth = 1;
    dashed(ctx, b.status === 'active' ? [] : b.status === 'tested' ? [5, 3] : [1, 3], b.left, b.top, width, height);
  }

  // The still-open part is shaded, the traded-into part faint: the shade shows the fill at a glance.
  private gap(ctx: CanvasRenderingContext2D, b: Box, width: number, height: number): void {
    const fillY = b.fillY ?? b.top;
    const bullish = b.type === 'bullish';
    const [openTop, openBottom] = bullish ? [fillY, b.top + height] : [b.top, fillY];
    ctx.fillStyle = rgba(b.color, 0.05);
    ctx.fillRect(b.left, b.top, width, height);
    if (b.status !== 'filled' && openBottom > openTop) {
      ctx.fillStyle = rgba(b.color, 0.2);
      ctx.fillRect(b.left, openTop, width, openBottom - openTop);
    }
    ctx.strokeStyle = rgba(b.color, b.status === 'filled' ? 0.3 : 0.6);
    ctx.lineWidth = 1;
    dashed(ctx, [3, 3], b.left, b.top, width, height);
  }
}

/** The boxes' labels, above the candles (the boxes themselves are below them). */
class LabelsRenderer implements IPrimitivePaneRenderer {
  constructor(private readonly boxes: readonly Box[]) {}

  draw(target: RenderTarget): void {
    target.useMediaCoordinateSpace(({ context: ctx, mediaSize }) => {
      ctx.font = FONT;
      ctx.textBaseline = 'top';
      for (const b of this.boxes) {
        const left = Math.max(0, b.left);
        const width = (b.right ?? mediaSize.width) - left;
        const textWidth = ctx.measureText(b.label).width;
        if (b.bottom - b.top < 10 || width < textWidth + 8) continue;
        ctx.fillStyle = 'rgba(19, 23, 34, 0.72)';
        ctx.fillRect(left + 2, b.top + 1, textWidth + 6, 13);
        ctx.fillStyle = LABEL_COLORS[b.status === 'broken' ? 'broken' : b.type];
        ctx.fillText(b.label, left + 5, b.top + 3);
      }
    });
  }
}

class BoxesPaneView implements IPrimitivePaneView {
  private boxes: Box[] = [];

  constructor(private readonly source: BoxesPrimitive) {}

  update(): void {
    const { series, chart, axis } = this.source;
    this.boxes = [];
    if (!series || !chart || !axis || axis.times.length === 0) return;
    const y = (p: number): number | null => series.priceToCoordinate(p);
    const place = (start: number, end: number | null): { left: number; right: number | null } | null => {
      const left = axis.edge(chart, axis.indexOf(start), -0.5);
      if (left === null) return null;
      if (end === null) return { left, right: null };
      const right = axis.edge(chart, Math.min(axis.indexOf(end - 1), axis.times.length - 1), 0.5);
      return right === null ? null : { left, right: Math.max(right, left + 1) };
    };
    for (const z of this.source.zones) {
      const x = place(z.start, z.status === 'broken' ? z.updated : null);
      const top = y(z.high);
      const bottom = y(z.low);
      if (!x || top === null || bottom === null) continue;
      const what = z.type === 'demand' ? 'Demand' : 'Supply';
      const state = z.status === 'tested' ? `tested ${z.tests}×` : z.status;
      this.boxes.push({ kind: 'zone', id: z.id, type: z.type, status: z.status, low: z.low, high: z.high, ...x, top: Math.min(top, bottom), bottom: Math.max(top, bottom), fillY: null, color: ZONE_COLORS[z.type], label: `${what} · ${state} · ${z.strength.toFixed(1)}×` });
    }
    for (const g of this.source.gaps) {
      const x = place(g.time, g.status === 'filled' ? g.updated : null);
      const top = y(g.high);
      const bottom = y(g.low);
      if (!x || top === null || bottom === null) continue;
      const f = Math.min(100, Math.max(0, g.filledPct)) / 100;
      const fillPrice = g.type === 'bullish' ? g.high - f * (g.high - g.low) : g.low + f * (g.high - g.low);
      this.boxes.push({ kind: 'gap', id: g.id, type: g.type, status: g.status, low: g.low, high: g.high, ...x, top: Math.min(top, bottom), bottom: Math.max(top, bottom), fillY: y(fillPrice), color: GAP_COLORS[g.type], label: `FVG ${Math.round(g.filledPct)}%` });
    }
  }

  zOrder(): PrimitivePaneViewZOrder {
    return 'bottom';
  }

  renderer(): IPrimitivePaneRenderer {
    return new BoxesRenderer(this.boxes, (drawn) => this.source.drawnBoxes(drawn));
  }

  labels(): IPrimitivePaneView {
    return { zOrder: () => 'top', renderer: () => new LabelsRenderer(this.boxes) };
  }
}

/**
 * Fair value gaps and supply/demand zones as boxes on the price pane, from the candle they start at
 * to the right edge while live, or to the candle that filled (gap) or broke (zone) them. A series
 * primitive, as the rectangle example among lightweight-charts' plugins.
 */
export class BoxesPrimitive implements ISeriesPrimitive<Time> {
  chart: IChartApi | undefined;
  series: ISeriesApi<SeriesType> | undefined;
  axis: TimeAxis | undefined;
  gaps: readonly ChartGap[] = [];
  zones: readonly ChartZone[] = [];
  private requestUpdate: (() => void) | undefined;
  private readonly boxView = new BoxesPaneView(this);
  private readonly views: readonly IPrimitivePaneView[] = [this.boxView, this.boxView.labels()];
  private drawn: DrawnBox[] = [];
  private readonly onDraw: () => void;

  /** `onDraw` runs after every draw of the pane (the page's first-paint clock). */
  constructor(onDraw: () => void) {
    this.onDraw = onDraw;
  }

  attached(param: SeriesAttachedParameter<Time>): void {
    this.chart = param.chart as IChartApi;
    this.series = param.series;
    this.requestUpdate = param.requestUpdate;
  }

  detached(): void {
    this.chart = undefined;
    this.series = undefined;
    this.requestUpdate = undefined;
  }

  setData(axis: TimeAxis, gaps: readonly ChartGap[], zones: readonly ChartZone[]): void {
    this.axis = axis;
    this.gaps = gaps;
    this.zones = zones;
    this.requestUpdate?.();
  }

  updateAllViews(): void {
    this.boxView.update();
  }

  paneViews(): readonly IPrimitivePaneView[] {
    return this.views;
  }

  drawnBoxes(drawn: DrawnBox[]): void {
    this.drawn = drawn;
    this.onDraw();
  }

  lastDrawn(): readonly DrawnBox[] {
    return this.drawn;
  }
}
