// The items of a panel's curves series (curves-series.ts): the union of the
// curves' x values, each holding every curve's value there. Built whole from
// the curves after a read; continued point by point by live points. Pure.
//
// lightweight-charts spaces items by their index, not their x: so that the
// axis is proportional to x, the items are laid on a grid of one x unit per
// index, and blank items (every curve undefined, drawn across by the
// renderer) fill the slots where no curve has a point.
import type { CurvePoint } from './live-curve.ts'
import type { CurvesItem } from './curves-series.ts'

/**
 * What a live point did to the items: changed one in place, added one at the
 * end (after blanks for the gap, if any), or needs the items built again (a
 * point between two items, a gap too wide for blanks, points denser than the
 * grid's unit).
 */
export type GridChange = 'update' | 'append' | 'insert'

/** The values of a blank item: no curve has a point there. Shared and frozen: nothing may write into it. */
const NONE: (number | undefined)[] = Object.freeze([]) as unknown as (number | undefined)[]
/** At least this many slots may be laid out, whatever the number of items. */
const MIN_SLOTS = 4096
/** And at most this many slots per real item: a few stray points far away cannot create millions of blanks. */
const SLOTS_PER_ITEM = 4
/** A live gap needing more blanks than this is laid out whole again (with the cap on slots) rather than by updates. */
const MAX_LIVE_BLANKS = 256

export const isBlank = (item: CurvesItem): boolean => item.y === NONE

/**
 * The grid unit for these sorted x values: their smallest gap, but no
 * smaller than the range over the most slots allowed for this many items.
 */
export function gridUnit(xs: ArrayLike<number>): number {
  const n = xs.length
  if (n < 2) return 0
  let smallest = Infinity
  for (let i = 1; i < n; i++) {
    const gap = xs[i]! - xs[i - 1]!
    if (gap > 0 && gap < smallest) smallest = gap
  }
  const range = xs[n - 1]! - xs[0]!
  return Math.max(smallest, range / Math.max(MIN_SLOTS, SLOTS_PER_ITEM * n))
}

export class CurveGrid {
  readonly items: CurvesItem[] = []
  private readonly byX = new Map<number, CurvesItem>()
  /** The x distance one index stands for; 0 while there are fewer than two items. */
  unit = 0

  /** `curves`: each curve's points in increasing x; `withRaw`: the raw values are kept too (smoothing is on). */
  constructor(
    private readonly curves: number,
    private readonly withRaw: boolean,
  ) {}

  static from(curves: readonly (readonly CurvePoint[])[], withRaw: boolean): CurveGrid {
    const grid = new CurveGrid(curves.length, withRaw)
    // The curves of one read share its x grid: collecting the x values first keeps the items' sort to one pass.
    const set = new Set<number>()
    for (const points of curves) for (const p of points) set.add(p.x)
    const xs = Float64Array.from(set).sort()
    const unit = (grid.unit = gridUnit(xs))
    let index = 0
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!
      if (i > 0) {
        // Its slot on the grid, but at least the next index: where items are denser than the unit (the cap) they are pushed on.
        const slot = Math.max(index + 1, Math.round((x - xs[0]!) / unit))
        grid.pushBlanks(xs[i - 1]!, x, slot - index - 1)
        index = slot
      }
      grid.push(grid.empty(x))
    }
    curves.forEach((points, c) => {
      for (const p of points) grid.put(grid.byX.get(p.x)!, c, p)
    })
    return grid
  }

  get lastX(): number {
    return this.items.at(-1)?.time ?? -Infinity
  }

  /**
   * Sets curve `c`'s point: in the item at its x, or in a new one. `blanks`
   * are the blank items appended before the new one for the gap.
   */
  set(c: number, p: CurvePoint): { item: CurvesItem; change: GridChange; blanks: CurvesItem[] } {
    const found = this.byX.get(p.x)
    if (found && !isBlank(found)) {
      this.put(found, c, p)
      return { item: found, change: 'update', blanks: [] }
    }
    const item = this.empty(p.x)
    this.put(item, c, p)
    if (found) {
      // A blank slot gets a real item at the same x: the series replaces it in place.
      this.items[this.indexFrom(p.x, false)] = item
      this.byX.set(p.x, item)
      return { item, change: 'update', blanks: [] }
    }
    const last = this.lastX
    if (p.x > last) {
      const gap = p.x - last
      const blanks = this.unit > 0 ? Math.round(gap / this.unit) - 1 : 0
      const start = this.items.length
      if (this.unit > 0 && blanks <= MAX_LIVE_BLANKS) this.pushBlanks(last, p.x, blanks)
      else if (this.unit === 0 && this.items.length === 1) this.unit = gap
      this.push(item)
      // Points denser than the unit, or a gap too wide to fill by updates: the layout is made again.
      const change = this.unit > 0 && (gap < this.unit / 2 || blanks > MAX_LIVE_BLANKS) ? 'insert' : 'append'
      return { item, change, blanks: this.items.slice(start, -1) }
    }
    this.items.splice(this.indexFrom(p.x, true), 0, item)
    this.byX.set(p.x, item)
    return { item, change: 'insert', blanks: [] }
  }

  /** Curve `c` no longer has a point at x (a live bucket's slot moved): the item changed, if any. */
  unset(c: number, x: number): CurvesItem | undefined {
    const item = this.byX.get(x)
    if (!item || isBlank(item)) return undefined
    item.y[c] = undefined
    if (item.raw) item.raw[c] = undefined
    return item
  }

  /** The item is still the one at its x (a blank may have been replaced since). */
  holds(item: CurvesItem): boolean {
    return this.byX.get(item.time) === item
  }

  /** The item nearest x, for the crosshair synced from another panel. */
  at(x: number): CurvesItem | undefined {
    const i = this.indexFrom(x, false)
    const after = this.items[i]
    const before = this.items[i - 1]
    if (!before) return after
    if (!after) return before
    return x - before.time <= after.time - x ? before : after
  }

  /** The real item nearest index i (itself if it is one): what a crosshair on a blank slot reads. */
  nearestReal(i: number): CurvesItem | undefined {
    const items = this.items
    for (let d = 0; d < items.length; d++) {
      const before = items[i - d]
      if (before && !isBlank(before)) return before
      const after = items[i + d]
      if (after && !isBlank(after)) return after
      if (i - d < 0 && i + d >= items.length) break
    }
    return undefined
  }

  /**
   * Each curve's value nearest index i, from items no further than `reach`
   * in x: curves logged at other x values (another interval, another clock)
   * still read a value, a curve that has no point near reads none.
   */
  valuesNear(i: number, reach: number): (number | undefined)[] {
    const items = this.items
    const at = items[i]
    const out = new Array<number | undefined>(this.curves).fill(undefined)
    if (!at) return out
    let missing = this.curves
    for (let d = 0; missing > 0 && d < items.length; d++) {
      const before = items[i - d]
      const after = items[i + d]
      const near = (item: CurvesItem | undefined) => item !== undefined && Math.abs(item.time - at.time) <= reach
      if (!near(before) && !near(after)) break
      for (const item of [before, after]) {
        if (!item || isBlank(item) || !near(item)) continue
        for (let c = 0; c < this.curves; c++) {
          if (out[c] === undefined && item.y[c] !== undefined) {
            out[c] = item.y[c]
            missing--
          }
        }
      }
    }
    return out
  }

  /** Index of the item at x, or of the first one past it when none is at x. */
  indexOf(x: number): number {
    return this.indexFrom(x, false)
  }

  /** `count` blank items evenly between x values `from` and `to` (both excluded). */
  private pushBlanks(from: number, to: number, count: number): void {
    const blank = this.withRaw ? (x: number) => ({ time: x, y: NONE, raw: NONE }) : (x: number) => ({ time: x, y: NONE })
    for (let j = 1; j <= count; j++) {
      const x = from + (j * (to - from)) / (count + 1)
      if (x > this.lastX && x < to) this.push(blank(x))
    }
  }

  private empty(x: number): CurvesItem {
    const y = new Array<number | undefined>(this.curves).fill(undefined)
    return this.withRaw ? { time: x, y, raw: [...y] } : { time: x, y }
  }

  private push(item: CurvesItem): void {
    this.items.push(item)
    this.byX.set(item.time, item)
  }

  private put(item: CurvesItem, c: number, p: CurvePoint): void {
    item.y[c] = p.y
    if (item.raw) item.raw[c] = p.raw
  }

  /** Index of the first item at x or past it (`past`: only past it). */
  private indexFrom(x: number, past: boolean): number {
    let lo = 0
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const t = this.items[mid]!.time
      if (t < x || (past && t === x)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
