// One run's curve in a chart panel: loaded from the series query (exact or
// min/max buckets, smoothed on the server at full resolution), then continued
// point by point from the live socket. Pure: the panel draws what it returns.
import type { SeriesFrameRun } from '../../../protocol/index.ts'

export interface CurvePoint {
  x: number
  /** Drawn value (smoothed when smoothing is on); NaN is a gap. */
  y: number
  raw: number
}

/**
 * TensorBoard's debiased EMA carried on from where the server stopped: the
 * server's last smoothed value s after n finite points means a biased
 * accumulator of s·(1 − wⁿ).
 */
interface EmaState {
  biased: number
  n: number
}

export class LiveCurve {
  readonly points: CurvePoint[] = []
  private ema: EmaState = { biased: 0, n: 0 }
  /** The EMA before the last point, to redo it when a repeated step replaces that point. */
  private emaBeforeLast: EmaState = { biased: 0, n: 0 }

  constructor(readonly weight: number) {}

  /** The curve as the series query answered it; `loggedPoints` is the run's point count behind it. */
  static fromAnswer(grid: Float64Array, run: SeriesFrameRun, weight: number, loggedPoints: number): LiveCurve {
    const curve = new LiveCurve(weight)
    const nan = new Set(run.nanAt)
    const rawNan = new Set(run.rawNanAt)
    let lastSmoothed: number | undefined
    for (let slot = 0; slot < grid.length; slot++) {
      const y = run.y[slot]!
      if (y !== y && !nan.has(slot)) continue
      // Without smoothing there is no raw column: the raw value is the drawn one.
      const r = run.raw?.[slot]
      curve.points.push({ x: grid[slot]!, y, raw: r === undefined || (r !== r && !rawNan.has(slot)) ? y : r })
      if (Number.isFinite(y)) lastSmoothed = y
    }
    if (weight > 0 && lastSmoothed !== undefined) {
      const n = Math.max(1, loggedPoints)
      curve.ema = { biased: lastSmoothed * (1 - Math.pow(weight, n)), n }
      curve.emaBeforeLast = curve.ema
    }
    return curve
  }

  get lastX(): number {
    return this.points.at(-1)?.x ?? -Infinity
  }

  /**
   * A live point. A larger x is appended, an equal x replaces the last point,
   * an older x cannot be drawn live and is dropped.
   */
  append(x: number, value: number): 'append' | 'replace' | 'drop' {
    const last = this.lastX
    if (x < last) return 'drop'
    const replacing = x === last
    if (replacing) this.ema = this.emaBeforeLast
    this.emaBeforeLast = this.ema
    const point = { x, raw: value, y: this.smooth(value) }
    if (replacing) this.points[this.points.length - 1] = point
    else this.points.push(point)
    return replacing ? 'replace' : 'append'
  }

  private smooth(value: number): number {
    if (this.weight <= 0 || !Number.isFinite(value)) return value
    const w = this.weight
    const biased = w * this.ema.biased + (1 - w) * value
    const n = this.ema.n + 1
    this.ema = { biased, n }
    return w === 1 ? biased : biased / (1 - Math.pow(w, n))
  }

  /** Index of the best value so far (lowest or highest finite raw value). */
  best(lowerIsBetter: boolean): CurvePoint | undefined {
    let best: CurvePoint | undefined
    for (const p of this.points) {
      if (!Number.isFinite(p.raw)) continue
      if (!best || (lowerIsBetter ? p.raw < best.raw : p.raw > best.raw)) best = p
    }
    return best
  }
}
