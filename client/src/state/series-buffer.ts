// Chart-ready series for one metric: per run, strictly increasing steps (the
// chart requires it) with the last logged value kept for a repeated step.
// Plain data plus listeners, so the chart appends without any re-render.

import { lastPerStep, mergeIncreasing, type SeriesData } from '../../../protocol/index.ts'

export { lastPerStep, mergeIncreasing, type SeriesData }

export type SeriesChange =
  | { type: 'reset' }
  | { type: 'replace'; runId: string }
  | { type: 'append'; runId: string; from: number; replacedLast: boolean }

export class SeriesBuffer {
  private readonly runs = new Map<string, SeriesData>()
  private readonly listeners = new Set<(change: SeriesChange) => void>()

  get(runId: string): SeriesData | undefined {
    return this.runs.get(runId)
  }

  entries(): IterableIterator<[string, SeriesData]> {
    return this.runs.entries()
  }

  get pointCount(): number {
    let n = 0
    for (const s of this.runs.values()) n += s.step.length
    return n
  }

  listen(fn: (change: SeriesChange) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  reset(): void {
    this.runs.clear()
    this.emit({ type: 'reset' })
  }

  remove(runId: string): void {
    if (this.runs.delete(runId)) this.emit({ type: 'replace', runId })
  }

  /** Appends live points; a run seen for the first time gets a whole series. */
  append(runId: string, steps: ArrayLike<number>, values: ArrayLike<number>): void {
    const existing = this.runs.get(runId)
    if (!existing) {
      this.runs.set(runId, lastPerStep(steps, values))
      this.emit({ type: 'replace', runId })
      return
    }
    const { from, replacedLast } = mergeIncreasing(existing, steps, values)
    if (existing.step.length > from || replacedLast) this.emit({ type: 'append', runId, from, replacedLast })
  }

  private emit(change: SeriesChange): void {
    for (const fn of this.listeners) fn(change)
  }
}
