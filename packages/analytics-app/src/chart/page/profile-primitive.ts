import type {
  IPrimitivePaneRenderer,
  IPrimitivePaneView,
  ISeriesApi,
  ISeriesPrimitive,
  PrimitivePaneViewZOrder,
  SeriesAttachedParameter,
  SeriesType,
  Time,
} from 'lightweight-charts';
import type { ChartProfile } from './chart-data.js';
import { volume as formatVolume } from './format.js';

/** The canvas target lightweight-charts hands a renderer (fancy-canvas's CanvasRenderingTarget2D). */
export type RenderTarget = Parameters<IPrimitivePaneRenderer['draw']>[0];

/** Share of the pane's width the longest row takes, at the right edge (as TradingView's VPVR). */
const WIDTH_SHARE = 0.22;
const COLORS = {
  valueArea: 'rgba(94, 129, 203, 0.55)',
  outside: 'rgba(94, 129, 203, 0.22)',
  poc: 'rgba(255, 183, 77, 0.9)',
  text: 'rgba(209, 212, 220, 0.75)',
};

interface RowRect {
  readonly top: number;
  readonly height: number;
  readonly width: number;
  readonly color: string;
}

/** What the last draw put on screen (read by tests through window.__chart). */
export interface DrawnProfile {
  readonly rows: number;
  readonly left: number;
  readonly right: number;
  readonly poc: number | null;
  readonly valueAreaHigh: number | null;
  readonly valueAreaLow: number | null;
  readonly rowSize: number;
}

class ProfileRenderer implements IPrimitivePaneRenderer {
  constructor(
    private readonly rects: readonly RowRect[],
    private readonly label: string,
    private readonly onDrawn: (left: number, right: number) => void,
  ) {}

  draw(target: RenderTarget): void {
    target.useMediaCoordinateSpace(({ context: ctx, mediaSize }) => {
      const right = mediaSize.width;
      const maxWidth = mediaSize.width * WIDTH_SHARE;
      let top = Infinity;
      for (const r of this.rects) {
        ctx.fillStyle = r.color;
        // A row at least a pixel high, with a hairline between rows when they are tall enough.
        const gap = r.height > 3 ? 1 : 0;
        ctx.fillRect(right - r.width * maxWidth, r.top, r.width * maxWidth, Math.max(1, r.height - gap));
        top = Math.min(top, r.top);
      }
      if (this.rects.length > 0 && Number.isFinite(top)) {
        ctx.font = '10px -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif';
        ctx.fillStyle = COLORS.text;
        ctx.textAlign = 'right';
        ctx.fillText(this.label, right - 4, Math.max(10, top - 4));
      }
      this.onDrawn(right - maxWidth, right);
    });
  }
}

class ProfilePaneView implements IPrimitivePaneView {
  private rects: RowRect[] = [];

  constructor(private readonly source: ProfilePrimitive) {}

  update(): void {
    const { series, profile } = this.source;
    this.rects = [];
    if (!series || !profile || profile.rows.length === 0) return;
    let max = 0;
    for (const row of profile.rows) max = Math.max(max, row.volume);
    for (const row of profile.rows) {
      // A row holds the prices in (price - rowSize, price].
      const y1 = series.priceToCoordinate(row.price);
      const y2 = series.priceToCoordinate(row.price - profile.rowSize);
      if (y1 === null || y2 === null) continue;
      const inValueArea = profile.valueAreaLow !== null && profile.valueAreaHigh !== null && row.price >= profile.valueAreaLow && row.price <= profile.valueAreaHigh;
      this.rects.push({
        top: Math.min(y1, y2),
        height: Math.abs(y2 - y1),
        width: max > 0 ? row.volume / max : 0,
        color: row.price === profile.poc ? COLORS.poc : inValueArea ? COLORS.valueArea : COLORS.outside,
      });
    }
  }

  zOrder(): PrimitivePaneViewZOrder {
    return 'bottom';
  }

  renderer(): IPrimitivePaneRenderer {
    const p = this.source.profile;
    const label = p ? `Profile ${p.windowMinutes}m · ${p.rows.length} rows of ${p.rowSize} · ${formatVolume(p.totalVolume)}` : '';
    return new ProfileRenderer(this.rects, label, (left, right) => this.source.drawnAt(left, right, this.rects.length));
  }
}

/**
 * The market profile of the current window as horizontal bars at the pane's right edge, one per
 * existing row, length by volume; value-area rows brighter, the POC row amber. lightweight-charts
 * has no profile of its own: this is a series primitive, as in the library's plugin examples.
 */
export class ProfilePrimitive implements ISeriesPrimitive<Time> {
  series: ISeriesApi<SeriesType> | undefined;
  profile: ChartProfile | null = null;
  private requestUpdate: (() => void) | undefined;
  private readonly views = [new ProfilePaneView(this)];
  private drawn: DrawnProfile | null = null;

  attached(param: SeriesAttachedParameter<Time>): void {
    this.series = param.series;
    this.requestUpdate = param.requestUpdate;
  }

  detached(): void {
    this.series = undefined;
    this.requestUpdate = undefined;
  }

  setProfile(profile: ChartProfile | null): void {
    this.profile = profile;
    this.drawn = null;
    this.requestUpdate?.();
  }

  updateAllViews(): void {
    for (const view of this.views) view.update();
  }

  paneViews(): readonly IPrimitivePaneView[] {
    return this.views;
  }

  drawnAt(left: number, right: number, rows: number): void {
    const p = this.profile;
    this.drawn = p && { rows, left, right, poc: p.poc, valueAreaHigh: p.valueAreaHigh, valueAreaLow: p.valueAreaLow, rowSize: p.rowSize };
  }

  /** The profile as last drawn, or null before a draw. */
  lastDrawn(): DrawnProfile | null {
    return this.drawn;
  }
}
