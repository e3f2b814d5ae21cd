// Something kept per run until the index reports the run changed, and the
// reads that fill it: a read in progress learns which of its runs changed
// after it began, so that it keeps (or hands on) nothing stale.
import type { RunIndex } from './run-index.ts'

export class RunKeyedCache<T> {
  readonly values = new Map<string, T>()
  /** One set per read in progress: the runs that changed meanwhile. */
  private readonly reads = new Set<Set<string>>()

  constructor(index: RunIndex) {
    index.onRunsChanged((runIds) => {
      for (const id of runIds) {
        this.values.delete(id)
        for (const changed of this.reads) changed.add(id)
      }
    })
  }

  /** Call it before the read's query: a change committed after the read's snapshot lands in the set. */
  beginRead(): Set<string> {
    const changed = new Set<string>()
    this.reads.add(changed)
    return changed
  }

  endRead(changed: Set<string>): void {
    this.reads.delete(changed)
  }
}
