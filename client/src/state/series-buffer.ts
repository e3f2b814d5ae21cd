// Chart-ready series for one metric: per run, strictly increasing steps (the
// chart requires it) with the last logged value kept for a repeated step.
// Plain data plus listeners, so the chart appends without any re-render.

export interface SeriesData {
  step: number[]
  value: number[]
}

export type SeriesChange =
  | { type: 'reset' }
  | { type: 'replace'; runId: string }
  | { type: 'append'; runId: string; from: number; replacedLast: boolean }

/**
 * Merges points (in arrival order) into a strictly increasing series:
 * a larger step is appended, an equal step replaces the last value, an older
 * step cannot be drawn live and is dropped. Returns what happened.
 */
export function mergeIncreasing(target: SeriesData, steps: ArrayLike<number>, values: ArrayLike<number>): { from: number; replacedLast: boolean } {
  const from = target.step.length
  let replacedLast = false
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!
    const last = target.step.length - 1
    const lastStep = last >= 0 ? target.step[last]! : -Infinity
    if (step > lastStep) {
      target.step.push(step)
      target.value.push(values[i]!)
    } else if (step === lastStep) {
      target.value[last] = values[i]!
      if (last < from) replacedLast = true
    }
  }
  return { from, replacedLast }
}

/** A full series (sorted by step, then time) reduced to one value per step: the last logged. */
export function lastPerStep(steps: ArrayLike<number>, values: ArrayLike<number>): SeriesData {
  const out: SeriesData = { step: [], value: [] }
  mergeIncreasing(out, steps, values)
  return out
}

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
