// Coalescing: the points of one series that arrive in the same batch of
// events (several reads of a file, several SQLite polls, while the server was
// busy with the previous batch) become one metric batch — one append to the
// index and one `points` frame per series — in store order.
import type { MetricBatch, StoreEvent } from './events.ts'

const seriesOf = (b: MetricBatch) => `${b.runId}\u0000${b.key}`

export function mergeMetricEvents(events: StoreEvent[]): StoreEvent[] {
  const out: StoreEvent[] = []
  /** Per series, the batches to join, kept at the position of the first one. */
  const open = new Map<string, { at: number; parts: MetricBatch[] }>()
  /** Open series by run: an event about a run closes just its own (a scan batch holds thousands of runs). */
  const openOfRun = new Map<string, string[]>()
  for (const event of events) {
    if (event.type === 'metrics') {
      const key = seriesOf(event.batch)
      const group = open.get(key)
      if (group) group.parts.push(event.batch)
      else {
        open.set(key, { at: out.length, parts: [event.batch] })
        const ofRun = openOfRun.get(event.batch.runId)
        if (ofRun) ofRun.push(key)
        else openOfRun.set(event.batch.runId, [key])
        out.push(event)
      }
      continue
    }
    // Any other event about a run closes its series: points never move across a change to their run.
    const runId = 'runId' in event ? event.runId : event.type === 'run' ? event.run.runId : undefined
    if (runId === undefined) {
      for (const group of open.values()) close(out, group)
      open.clear()
      openOfRun.clear()
    } else {
      for (const key of openOfRun.get(runId) ?? []) {
        close(out, open.get(key)!)
        open.delete(key)
      }
      openOfRun.delete(runId)
    }
    out.push(event)
  }
  for (const group of open.values()) close(out, group)
  return out
}

function close(out: StoreEvent[], group: { at: number; parts: MetricBatch[] }): void {
  if (group.parts.length === 1) return
  out[group.at] = { type: 'metrics', batch: concat(group.parts) }
}

function concat(parts: MetricBatch[]): MetricBatch {
  const n = parts.reduce((sum, p) => sum + p.value.length, 0)
  const merged: MetricBatch = { runId: parts[0]!.runId, key: parts[0]!.key, timestamp: new Float64Array(n), value: new Float64Array(n), step: new Float64Array(n) }
  let at = 0
  for (const p of parts) {
    merged.timestamp.set(p.timestamp, at)
    merged.value.set(p.value, at)
    merged.step.set(p.step, at)
    at += p.value.length
  }
  return merged
}
