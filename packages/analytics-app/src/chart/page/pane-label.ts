import type { IPanePrimitive, IPanePrimitivePaneView, IPrimitivePaneRenderer, PrimitivePaneViewZOrder, Time } from 'lightweight-charts';
import type { RenderTarget } from './profile-primitive.js';

/** A pane's name at its top-left corner (a pane primitive: it follows the pane as it is resized). */
export class PaneLabel implements IPanePrimitive<Time> {
  private readonly views: readonly IPanePrimitivePaneView[];

  constructor(text: string) {
    const renderer: IPrimitivePaneRenderer = {
      draw: (target: RenderTarget) =>
        target.useMediaCoordinateSpace(({ context: ctx }) => {
          ctx.font = '11px -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif';
          ctx.fillStyle = 'rgba(120, 123, 134, 0.95)';
          ctx.textBaseline = 'top';
          ctx.fillText(text, 10, 6);
        }),
    };
    this.views = [{ zOrder: (): PrimitivePaneViewZOrder => 'top', renderer: () => renderer }];
  }

  paneViews(): readonly IPanePrimitivePaneView[] {
    return this.views;
  }
}
