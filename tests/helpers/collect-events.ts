// Runs a store source into an in-memory list of events, for reader tests.
import type { StoreEvent, StoreSource } from '../../ingest-watch/events.ts'

export interface Collected {
  events: StoreEvent[]
  logs: string[]
  /** [timestamp, value, step] of every point received for (run, key), in arrival order. */
  points: (runId: string, key: string) => [number, number, number][]
}

export async function collect(source: StoreSource, logs: string[]): Promise<Collected> {
  const events: StoreEvent[] = []
  await source.start((batch) => {
    events.push(...batch)
  })
  const points = (runId: string, key: string) => {
    const out: [number, number, number][] = []
    for (const e of events) {
      if (e.type !== 'metrics' || e.batch.runId !== runId || e.batch.key !== key) continue
      for (let i = 0; i < e.batch.value.length; i++) out.push([e.batch.timestamp[i]!, e.batch.value[i]!, e.batch.step[i]!])
    }
    return out
  }
  return { events, logs, points }
}

/** The logical content of a store's events, independent of ids and write times: what both readers must agree on. */
export function logicalContent(events: StoreEvent[]): unknown {
  const experiments = new Map<string, string>()
  const experimentTags = new Map<string, Record<string, string>>()
  const runs = new Map<string, { experiment: string; name: string; status: string; stage: string; user: string }>()
  const params = new Map<string, Record<string, string>>()
  const tags = new Map<string, Record<string, string>>()
  const metrics = new Map<string, [number, number][]>()
  for (const e of events) {
    if (e.type === 'experiment') experiments.set(e.experiment.experimentId, e.experiment.name)
    if (e.type === 'experiment-tags') experimentTags.set(e.experimentId, e.values)
    if (e.type === 'run') runs.set(e.run.runId, { experiment: e.run.experimentId, name: e.run.name, status: e.run.status, stage: e.run.lifecycleStage, user: e.run.userId })
    if (e.type === 'params') params.set(e.runId, { ...params.get(e.runId), ...e.values })
    if (e.type === 'tags') {
      const values = { ...tags.get(e.runId), ...e.values }
      for (const k of e.removed ?? []) delete values[k]
      tags.set(e.runId, values)
    }
    if (e.type === 'metrics') {
      const id = `${e.batch.runId}\u0000${e.batch.key}`
      const list = metrics.get(id) ?? []
      for (let i = 0; i < e.batch.value.length; i++) list.push([e.batch.step[i]!, e.batch.value[i]!])
      metrics.set(id, list)
    }
  }
  const out: Record<string, unknown> = {}
  for (const [runId, r] of runs) {
    const keys: Record<string, [number, number][]> = {}
    for (const [id, list] of metrics) {
      const [run, key] = id.split('\u0000') as [string, string]
      if (run === runId) keys[key] = [...list].sort((a, b) => a[0] - b[0])
    }
    out[`${experiments.get(r.experiment)}/${r.name}`] = {
      status: r.status, stage: r.stage, user: r.user,
      params: params.get(runId) ?? {},
      tags: Object.fromEntries(Object.entries(tags.get(runId) ?? {}).sort()),
      metrics: keys,
    }
  }
  const expOut = Object.fromEntries([...experiments].map(([id, name]) => [name, Object.fromEntries(Object.entries(experimentTags.get(id) ?? {}).sort())]))
  return { experiments: expOut, runs: out }
}
