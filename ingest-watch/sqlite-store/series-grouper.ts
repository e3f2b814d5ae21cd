// Metric points read in store (rowid) order, grouped into one columnar batch
// per (run, key) in one pass: numbers go into columns in row order with each
// row's series, then each series' into its own batch. Both ways of reading the
// metrics table (rows, and the text of a whole range) fill one of these.
import type { MetricBatch } from '../events.ts'
import { doubled } from '../grow-array.ts'

export class SeriesGrouper {
  private timestamp: Float64Array
  private value: Float64Array
  private step: Float64Array
  private seriesOf: Int32Array
  private readonly series: { runId: string; key: string; count: number }[] = []
  private readonly byId = new Map<string, number>()
  private current = -1
  private n = 0

  /** `capacity`: the points expected (columns grow past it). */
  constructor(capacity: number) {
    this.timestamp = new Float64Array(Math.max(1, capacity))
    this.value = new Float64Array(this.timestamp.length)
    this.step = new Float64Array(this.timestamp.length)
    this.seriesOf = new Int32Array(this.timestamp.length)
  }

  /**
   * Makes the series known by `id` (any string naming one (run, key) pair)
   * the one later points belong to; false when it has not been seen, and
   * then `start` names it.
   */
  resume(id: string): boolean {
    const known = this.byId.get(id)
    if (known === undefined) return false
    this.current = known
    return true
  }

  start(id: string, runId: string, key: string): void {
    this.current = this.series.push({ runId, key, count: 0 }) - 1
    this.byId.set(id, this.current)
  }

  point(timestamp: number, value: number, step: number): void {
    const n = this.n
    if (n === this.timestamp.length) {
      this.timestamp = doubled(this.timestamp)
      this.value = doubled(this.value)
      this.step = doubled(this.step)
      this.seriesOf = doubled(this.seriesOf)
    }
    this.series[this.current]!.count++
    this.seriesOf[n] = this.current
    this.timestamp[n] = timestamp
    this.value[n] = value
    this.step[n] = step
    this.n = n + 1
  }

  get points(): number {
    return this.n
  }

  /** One batch per series, in order of first appearance, its points in the order given. */
  batches(): MetricBatch[] {
    const out: MetricBatch[] = this.series.map((g) => ({
      runId: g.runId, key: g.key, timestamp: new Float64Array(g.count), value: new Float64Array(g.count), step: new Float64Array(g.count),
    }))
    const filled = new Int32Array(out.length)
    for (let i = 0; i < this.n; i++) {
      const g = this.seriesOf[i]!
      const b = out[g]!
      const j = filled[g]!++
      b.timestamp[j] = this.timestamp[i]!
      b.value[j] = this.value[i]!
      b.step[j] = this.step[i]!
    }
    return out
  }
}
