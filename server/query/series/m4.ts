// Downsampling that loses no spike: per bucket of the x range keep the first,
// the minimum, the maximum and the last point (the M4 idea). Every run is put
// on one shared x grid — four slots per bucket — because lightweight-charts
// spaces points by their index in the union of all series' x values.

export interface M4Bucket {
  firstX: number
  firstY: number
  lastX: number
  lastY: number
  /** NaN when the bucket has no finite value. */
  minX: number
  minY: number
  maxX: number
  maxY: number
}

/** The grid: bucket b has slots at x0 + (b + k/4) * width, k = 0..3. */
export function m4Grid(x0: number, x1: number, buckets: number): number[] {
  const width = (x1 - x0) / buckets
  const grid: number[] = []
  for (let b = 0; b < buckets; b++) for (let k = 0; k < 4; k++) grid.push(m4SlotX(x0, width, b, k))
  return grid
}

/** Slot k of bucket b; the chart folds live points onto the same slots (live-curve.ts), so the x values must match exactly. */
export function m4SlotX(x0: number, width: number, bucket: number, k: number): number {
  return x0 + (bucket + k / 4) * width
}

export function bucketOf(x: number, x0: number, x1: number, buckets: number): number {
  if (x1 === x0) return 0
  return Math.min(buckets - 1, Math.max(0, Math.floor(((x - x0) / (x1 - x0)) * buckets)))
}

/** Buckets one series (x ascending) of the range [x0, x1]. */
export function m4(xs: ArrayLike<number>, ys: ArrayLike<number>, x0: number, x1: number, buckets: number): Map<number, M4Bucket> {
  const out = new Map<number, M4Bucket>()
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!
    if (x < x0 || x > x1) continue
    const y = ys[i]!
    const b = bucketOf(x, x0, x1, buckets)
    const m = out.get(b)
    if (m) addToBucket(m, x, y)
    else out.set(b, newBucket(x, y))
  }
  return out
}

export function newBucket(x: number, y: number): M4Bucket {
  const m = { firstX: x, firstY: y, lastX: x, lastY: y, minX: NaN, minY: NaN, maxX: NaN, maxY: NaN }
  addToBucket(m, x, y)
  return m
}

/** The next point of a bucket, in increasing x. */
export function addToBucket(m: M4Bucket, x: number, y: number): void {
  m.lastX = x
  m.lastY = y
  if (Number.isNaN(y)) return
  if (!(m.minY <= y)) { m.minY = y; m.minX = x }
  if (!(m.maxY >= y)) { m.maxY = y; m.maxX = x }
}

/**
 * The four values of a bucket in x order on its slots: first, then min and
 * max in the order they occurred, then last.
 */
export function bucketSlots(m: M4Bucket): [number, number, number, number] {
  if (Number.isNaN(m.minY)) return [m.firstY, m.firstY, m.lastY, m.lastY]
  const [a, b] = m.minX <= m.maxX ? [m.minY, m.maxY] : [m.maxY, m.minY]
  return [m.firstY, a, b, m.lastY]
}

/**
 * M4 buckets of points that come in any order (the extreme points of
 * overview blocks): the first and last by x, the minimum and maximum by
 * value. Eight numbers per bucket in one array, NaN until set.
 */
export class M4Cells {
  private readonly data: Float64Array

  constructor(count: number) {
    this.data = new Float64Array(count * 8).fill(NaN)
  }

  add(cell: number, x: number, y: number): void {
    const d = this.data
    const c = cell * 8
    if (!(d[c]! <= x)) { d[c] = x; d[c + 1] = y }
    if (!(d[c + 2]! > x)) { d[c + 2] = x; d[c + 3] = y }
    if (Number.isNaN(y)) return
    if (!(d[c + 5]! <= y)) { d[c + 4] = x; d[c + 5] = y }
    if (!(d[c + 7]! >= y)) { d[c + 6] = x; d[c + 7] = y }
  }

  /**
   * Writes a cell's bucket on four slots of a row from `slot` on, as
   * bucketSlots orders them, without a bucket object; nothing when no point
   * fell in it.
   */
  writeSlots(cell: number, row: { set(slot: number, value: number): void }, slot: number): void {
    const d = this.data
    const c = cell * 8
    if (Number.isNaN(d[c]!)) return
    const minX = d[c + 4]!
    const maxX = d[c + 6]!
    const noFinite = Number.isNaN(d[c + 5]!)
    row.set(slot, d[c + 1]!)
    row.set(slot + 1, noFinite ? d[c + 1]! : minX <= maxX ? d[c + 5]! : d[c + 7]!)
    row.set(slot + 2, noFinite ? d[c + 3]! : minX <= maxX ? d[c + 7]! : d[c + 5]!)
    row.set(slot + 3, d[c + 3]!)
  }
}
