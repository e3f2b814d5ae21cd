// Best-so-far dots and stopping-rule arrows for every curve of a panel, drawn
// by one pane primitive. lightweight-charts' own markers plugin (one per
// series) copies its series' whole data (series.data()) on every data change:
// with 100 curves, or 20 curves growing 50 times a second, that copying cost
// more than drawing the curves.
import type { IPanePrimitive, ISeriesApi, SeriesType } from 'lightweight-charts'
import { TopLayerPrimitive, type DrawTarget } from './top-layer.ts'

export interface PointMark {
  x: number
  y: number
  color: string
  /**
   * A dot on the point (best so far), or an arrow above it where a rule
   * would stop the run: filled for a run to stop now, hollow where it would
   * have stopped a run it does not tell to stop now (a finished run judged
   * in hindsight, a running one that has since done better).
   */
  shape: 'dot' | 'stop' | 'would-stop'
}

const DOT_RADIUS = 3.5
const ARROW = { gap: 6, height: 8, halfWidth: 5 }

export class PointMarks extends TopLayerPrimitive implements IPanePrimitive<number> {
  /** Per curve, so one curve's marks are replaced without touching the others. */
  private readonly marks = new Map<string, PointMark[]>()

  /** `scale`: any series on the price scale the marks' values belong to. */
  constructor(private readonly scale: () => Pick<ISeriesApi<SeriesType, number>, 'priceToCoordinate'> | undefined) {
    super()
  }

  set(curve: string, marks: PointMark[]): void {
    if (marks.length === 0) this.marks.delete(curve)
    else this.marks.set(curve, marks)
    this.requestUpdate?.()
  }

  clear(): void {
    this.marks.clear()
    this.requestUpdate?.()
  }

  protected draw(target: DrawTarget): void {
    const series = this.scale()
    const timeScale = this.chart?.timeScale()
    if (!series || !timeScale || this.marks.size === 0) return
    target.useMediaCoordinateSpace(({ context: c }) => {
      for (const marks of this.marks.values()) {
        for (const m of marks) {
          const x = timeScale.timeToCoordinate(m.x)
          const y = series.priceToCoordinate(m.y)
          if (x === null || y === null) continue
          c.fillStyle = m.color
          c.strokeStyle = m.color
          c.lineWidth = 1.5
          c.beginPath()
          if (m.shape === 'dot') c.arc(x, y, DOT_RADIUS, 0, 2 * Math.PI)
          else {
            const tip = y - ARROW.gap
            c.moveTo(x, tip)
            c.lineTo(x - ARROW.halfWidth, tip - ARROW.height)
            c.lineTo(x + ARROW.halfWidth, tip - ARROW.height)
            c.closePath()
          }
          if (m.shape === 'would-stop') c.stroke()
          else c.fill()
        }
      }
    })
  }
}
