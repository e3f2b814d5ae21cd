// What the chart's drawing primitives share: one view on the top layer, so
// repainting them (a crosshair move, a new mark) leaves the curves' layer alone.
import type { IPrimitivePaneRenderer, IPrimitivePaneView } from 'lightweight-charts'

export type DrawTarget = Parameters<IPrimitivePaneRenderer['draw']>[0]

export abstract class TopLayerPrimitive {
  private readonly renderer: IPrimitivePaneRenderer = { draw: (target) => this.draw(target) }
  private readonly views: readonly IPrimitivePaneView[] = [{ zOrder: () => 'top', renderer: () => this.renderer }]

  paneViews(): readonly IPrimitivePaneView[] {
    return this.views
  }

  protected abstract draw(target: DrawTarget): void
}
