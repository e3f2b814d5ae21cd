// A dot on every curve where the crosshair is, as lightweight-charts draws
// on its line series (it draws none on custom series). Drawn on the chart's
// top layer: moving the crosshair repaints only that layer, not the curves.
import type { ISeriesApi, ISeriesPrimitive, SeriesAttachedParameter, SeriesType } from 'lightweight-charts'
import { TopLayerPrimitive, type DrawTarget } from './top-layer.ts'
import type { CurvesItem } from './curves-series.ts'

const RADIUS = 4
const BORDER = 2

export class CrosshairDots extends TopLayerPrimitive implements ISeriesPrimitive<number> {
  private item: CurvesItem | undefined
  private series: ISeriesApi<SeriesType, number> | undefined

  /** `colors`: the curves' colours in the items' curve order; `border`: the chart's background. */
  constructor(
    private readonly colors: () => readonly string[],
    private readonly border: () => string,
  ) {
    super()
  }

  /** The item under the crosshair, or none. */
  show(item: CurvesItem | undefined): void {
    this.item = item
  }

  override attached(param: SeriesAttachedParameter<number>): void {
    super.attached(param)
    this.series = param.series
  }

  override detached(): void {
    super.detached()
    this.series = undefined
  }

  protected draw(target: DrawTarget): void {
    const item = this.item
    const x = item && this.chart?.timeScale().timeToCoordinate(item.time)
    if (!item || x === null || x === undefined || !this.series) return
    const colors = this.colors()
    target.useMediaCoordinateSpace(({ context: c }) => {
      c.lineWidth = BORDER
      c.strokeStyle = this.border()
      item.y.forEach((v, i) => {
        const y = v === undefined || !Number.isFinite(v) ? null : this.series!.priceToCoordinate(v)
        if (y === null || colors[i] === undefined) return
        c.fillStyle = colors[i]
        c.beginPath()
        c.arc(x, y, RADIUS, 0, 2 * Math.PI)
        c.fill()
        c.stroke()
      })
    })
  }
}
