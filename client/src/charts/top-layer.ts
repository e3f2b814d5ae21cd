// What the chart's drawing primitives share: the chart they are attached to,
// and one view on the top layer, so repainting them (a crosshair move, a new
// mark) leaves the curves' layer alone.
import type { IChartApiBase, IPrimitivePaneRenderer, IPrimitivePaneView } from 'lightweight-charts'

export type DrawTarget = Parameters<IPrimitivePaneRenderer['draw']>[0]

export abstract class TopLayerPrimitive {
  protected chart: IChartApiBase<number> | undefined
  /** Asks the chart to repaint the primitive. */
  protected requestUpdate: (() => void) | undefined
  private readonly renderer: IPrimitivePaneRenderer = { draw: (target) => this.draw(target) }
  private readonly views: readonly IPrimitivePaneView[] = [{ zOrder: () => 'top', renderer: () => this.renderer }]

  /** Series and pane primitives are both attached with the chart and the repaint request. */
  attached(param: { chart: IChartApiBase<number>; requestUpdate: () => void }): void {
    this.chart = param.chart
    this.requestUpdate = param.requestUpdate
  }

  detached(): void {
    this.chart = undefined
    this.requestUpdate = undefined
  }

  paneViews(): readonly IPrimitivePaneView[] {
    return this.views
  }

  protected abstract draw(target: DrawTarget): void
}
