// The items of a panel's curves series (curves-series.ts): the union of the
// curves' x values, each holding every curve's value there. Built whole from
// the curves after a read; continued point by point by live points. Pure.
import type { CurvePoint } from './live-curve.ts'
import type { CurvesItem } from './curves-series.ts'

/** What a live point did to the items: changed one in place, added one at the end, or added one between others. */
export type GridChange = 'update' | 'append' | 'insert'

export class CurveGrid {
  readonly items: CurvesItem[] = []
  private readonly byX = new Map<number, CurvesItem>()

  /** `curves`: each curve's points in increasing x; `withRaw`: the raw values are kept too (smoothing is on). */
  constructor(
    private readonly curves: number,
    private readonly withRaw: boolean,
  ) {}

  static from(curves: readonly (readonly CurvePoint[])[], withRaw: boolean): CurveGrid {
    const grid = new CurveGrid(curves.length, withRaw)
    // The curves of one read share its x grid: collecting the x values first keeps the items' sort to one pass.
    const xs = new Set<number>()
    for (const points of curves) for (const p of points) xs.add(p.x)
    for (const x of Float64Array.from(xs).sort()) grid.push(grid.blank(x))
    curves.forEach((points, c) => {
      for (const p of points) grid.put(grid.byX.get(p.x)!, c, p)
    })
    return grid
  }

  get lastX(): number {
    return this.items.at(-1)?.time ?? -Infinity
  }

  /** Sets curve `c`'s point: in the item at its x, or in a new one. */
  set(c: number, p: CurvePoint): { item: CurvesItem; change: GridChange } {
    const found = this.byX.get(p.x)
    if (found) {
      this.put(found, c, p)
      return { item: found, change: 'update' }
    }
    const item = this.blank(p.x)
    this.put(item, c, p)
    if (p.x > this.lastX) {
      this.push(item)
      return { item, change: 'append' }
    }
    this.items.splice(this.indexFrom(p.x, true), 0, item)
    this.byX.set(p.x, item)
    return { item, change: 'insert' }
  }

  private blank(x: number): CurvesItem {
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

  /** The first item at or past x, for the crosshair synced from another panel. */
  at(x: number): CurvesItem | undefined {
    return this.items[this.indexFrom(x, false)]
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
