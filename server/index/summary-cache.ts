// Summaries of runs whose points alone changed, a few times a second while
// runs train: their record, params, tags and inputs are kept from the last
// read (dropped when the index reports a change to them), latest values come
// from the index's memory, and health is the only query.
import type { LatestMetric, RunHealth, RunSummary } from '../../protocol/index.ts'
import { toWire } from '../../protocol/index.ts'
import type { RunIndex } from './run-index.ts'
import { RunKeyedCache } from './run-keyed-cache.ts'

type RunBase = Omit<RunSummary, 'metrics' | 'health'>

/** Summaries read from DuckDB, to be completed from memory: see RunSummaryCache.prepare. */
export interface PreparedSummaries {
  /** The summaries, less the runs that changed since the read began; ends the watch for changes. Once: later calls answer the same. */
  finish(): RunSummary[]
}

export class RunSummaryCache {
  private readonly cache: RunKeyedCache<RunBase>
  private readonly base: Map<string, RunBase>

  constructor(private readonly index: RunIndex) {
    this.cache = new RunKeyedCache(index)
    this.base = this.cache.values
  }

  /** As index.runSummaries({ runIds, includeDeleted: true }), in no particular order. */
  async summaries(runIds: string[]): Promise<RunSummary[]> {
    return (await this.prepare(runIds)).finish()
  }

  /**
   * The DuckDB half of summaries(): bases not kept yet, and health. It needs
   * no serial queue: finish(), called on the queue, leaves out the runs that
   * changed meanwhile (the change itself published them, fresher) and takes
   * latest values from memory as they are then.
   */
  async prepare(runIds: string[]): Promise<PreparedSummaries> {
    const changed = this.cache.beginRead()
    let health: Map<string, RunHealth>
    try {
      const missing = runIds.filter((id) => !this.base.has(id))
      if (missing.length > 0) {
        for (const { metrics: _metrics, health: _health, ...base } of await this.index.runSummaries({ runIds: missing, includeDeleted: true })) {
          if (!changed.has(base.runId)) this.base.set(base.runId, base)
        }
      }
      health = await this.index.healthOf(runIds)
    } catch (err) {
      this.cache.endRead(changed)
      throw err
    }
    let finished: RunSummary[] | undefined
    return {
      finish: () => {
        if (finished) return finished
        this.cache.endRead(changed)
        return (finished = runIds.flatMap((id) => {
          const base = this.base.get(id)
          if (!base || changed.has(id)) return []
          const metrics: Record<string, LatestMetric> = {}
          for (const [key, m] of this.index.latestMetrics(id)) metrics[key] = { value: toWire(m.value), step: m.step, timestamp: m.timestamp }
          const h = health.get(id)
          return [{ ...base, metrics, ...(h ? { health: h } : {}) }]
        }))
      },
    }
  }
}
