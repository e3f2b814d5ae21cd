// One run's curve in a chart panel: loaded from the series query (exact or
// min/max buckets, smoothed on the server at full resolution), then continued
// point by point from the live socket. Pure: the panel draws what it returns.
//
// A bucketed curve is continued in its buckets: live points are folded into
// the first, lowest, highest and last value of each bucket, on the slots the
// server places them on, so that the axis keeps one density (curve-grid.ts)
// and a long live run adds four items per bucket, not one per step.
import type { SeriesFrameRun } from '../../../protocol/index.ts'
import { addToBucket, bucketSlots, m4SlotX, newBucket, type M4Bucket } from '../../../server/query/series/m4.ts'

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

/** The M4 slots of a bucketed answer (4 per bucket, see m4Grid), continued past its last bucket. */
export interface BucketLayout {
  grid: Float64Array
  x0: number
  width: number
}

/** The layout of a bucketed answer's grid, or none (an exact answer, or too few slots to tell the width). */
export function bucketLayout(grid: Float64Array): BucketLayout | undefined {
  const buckets = grid.length / 4
  if (buckets < 1 || grid.length % 4 !== 0) return undefined
  const width = buckets >= 2 ? (grid[grid.length - 4]! - grid[0]!) / (buckets - 1) : 4 * (grid[1]! - grid[0]!)
  return width > 0 && Number.isFinite(width) ? { grid, x0: grid[0]!, width } : undefined
}

/** Slot k of bucket b: the answer's own x values inside it, so that live slots land on its items exactly. */
export function slotX(layout: BucketLayout, bucket: number, k: number): number {
  const { grid } = layout
  return bucket >= 0 && bucket * 4 < grid.length ? grid[bucket * 4 + k]! : m4SlotX(layout.x0, layout.width, bucket, k)
}

export const bucketAt = (layout: BucketLayout, x: number): number => Math.floor((x - layout.x0) / layout.width)

/** What a live point changed: the points to draw (in increasing x) and the x values the curve no longer has a point at. */
export interface LiveEffect {
  kind: 'append' | 'replace' | 'drop'
  points: CurvePoint[]
  cleared: number[]
}

interface Fold {
  bucket: number
  drawn: M4Bucket
  raw: M4Bucket
}

export class LiveCurve {
  readonly points: CurvePoint[] = []
  private ema: EmaState = { biased: 0, n: 0 }
  /** The EMA before the last point, to redo it when a repeated step replaces that point. */
  private emaBeforeLast: EmaState = { biased: 0, n: 0 }
  /** The last step a live point came at (a bucketed answer gives only a lower bound: its last bucket's start). */
  private lastStep = -Infinity
  private fold: Fold | undefined

  /** `layout`: live points are folded into these buckets; none: each is a point of its own. */
  constructor(
    readonly weight: number,
    private layout?: BucketLayout,
  ) {}

  /** The curve as the series query answered it; `loggedPoints` is the run's point count behind it; `bucketed`: the answer is not exact. */
  static fromAnswer(grid: Float64Array, run: SeriesFrameRun, weight: number, loggedPoints: number, bucketed = false): LiveCurve {
    const curve = new LiveCurve(weight, bucketed ? bucketLayout(grid) : undefined)
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
    if (curve.layout && curve.points.length > 0) curve.lastStep = slotX(curve.layout, bucketAt(curve.layout, curve.lastX), 0)
    else curve.lastStep = curve.lastX
    return curve
  }

  /** Live points from now on fold into these buckets (the curve's points were read again on them). */
  refold(layout: BucketLayout | undefined): void {
    this.layout = layout
    this.fold = undefined
  }

  get lastX(): number {
    return this.points.at(-1)?.x ?? -Infinity
  }

  /**
   * A live point. A larger x is appended, an equal x replaces the last point,
   * an older x cannot be drawn live and is dropped.
   */
  append(x: number, value: number): LiveEffect {
    const last = this.layout ? this.lastStep : this.lastX
    if (x < last) return { kind: 'drop', points: [], cleared: [] }
    const replacing = x === last
    if (replacing) this.ema = this.emaBeforeLast
    this.emaBeforeLast = this.ema
    this.lastStep = x
    const point = { x, raw: value, y: this.smooth(value) }
    const kind = replacing ? 'replace' : 'append'
    if (this.layout) return { kind, ...this.foldIn(this.layout, point) }
    if (replacing) this.points[this.points.length - 1] = point
    else this.points.push(point)
    return { kind, points: [point], cleared: [] }
  }

  /** The point folded into its bucket: the bucket's points (from the answer, or live) become its four slots. */
  private foldIn(layout: BucketLayout, p: CurvePoint): { points: CurvePoint[]; cleared: number[] } {
    const bucket = bucketAt(layout, p.x)
    const start = slotX(layout, bucket, 0)
    let i = this.points.length
    while (i > 0 && this.points[i - 1]!.x >= start) i--
    const before = this.points.splice(i)
    let fold = this.fold?.bucket === bucket ? this.fold : undefined
    const add = (q: CurvePoint) => {
      if (!fold) fold = { bucket, drawn: newBucket(q.x, q.y), raw: newBucket(q.x, q.raw) }
      else {
        addToBucket(fold.drawn, q.x, q.y)
        addToBucket(fold.raw, q.x, q.raw)
      }
    }
    // A bucket the answer ended in (a run behind the others), or one read on another layout: its points seed it.
    if (!fold) before.forEach(add)
    add(p)
    // Set by add (TypeScript does not follow the closure).
    const folded = (this.fold = fold as unknown as Fold)
    const drawn = bucketSlots(folded.drawn)
    const raw = bucketSlots(folded.raw)
    const points = drawn.map((y, k) => ({ x: slotX(layout, bucket, k), y, raw: raw[k]! }))
    this.points.push(...points)
    const kept = new Set(points.map((q) => q.x))
    return { points, cleared: before.map((q) => q.x).filter((x) => !kept.has(x)) }
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
