// Summaries of runs whose points alone changed, a few times a second while
// runs train: their record, params, tags and inputs are kept from the last
// read (dropped when the index reports a change to them), latest values come
// from the index's memory, and health is the only query.
import type { LatestMetric, RunSummary } from '../../protocol/index.ts'
import { toWire } from '../../protocol/index.ts'
import type { RunIndex } from './run-index.ts'

type RunBase = Omit<RunSummary, 'metrics' | 'health'>

export class RunSummaryCache {
  private readonly base = new Map<string, RunBase>()

  constructor(private readonly index: RunIndex) {
    index.onRunsChanged((runIds) => {
      for (const id of runIds) this.base.delete(id)
    })
  }

  /** As index.runSummaries({ runIds, includeDeleted: true }), in no particular order. */
  async summaries(runIds: string[]): Promise<RunSummary[]> {
    const missing = runIds.filter((id) => !this.base.has(id))
    if (missing.length > 0) {
      for (const { metrics: _metrics, health: _health, ...base } of await this.index.runSummaries({ runIds: missing, includeDeleted: true })) {
        this.base.set(base.runId, base)
      }
    }
    const health = await this.index.healthOf(runIds)
    return runIds.flatMap((id) => {
      const base = this.base.get(id)
      if (!base) return []
      const metrics: Record<string, LatestMetric> = {}
      for (const [key, m] of this.index.latestMetrics(id)) metrics[key] = { value: toWire(m.value), step: m.step, timestamp: m.timestamp }
      const h = health.get(id)
      return [{ ...base, metrics, ...(h ? { health: h } : {}) }]
    })
  }
}
