// Early-stopping signals followed live: 1,000 runs × ~1,000 steps in an index
// built in this process (bulk loaded, as at startup), then batches of new
// points — one step for every running run — each followed by the signal
// session's update, timed. Also the first build and the recompute after a run
// finishes (every verdict and the reference move).
import type { MetricBatch, StoreEvent } from '../ingest-watch/events.ts'
import { RunIndex } from '../server/index/run-index.ts'
import { SignalSession } from '../server/signals/session.ts'
import { parseSignalSpec } from '../server/signals/spec.ts'

export interface SignalsFigures {
  rule: string
  points: number
  buildMs: number
  update: { p50: number; p99: number }
  afterFinishMs: number
}

const RULES = [
  { rule: 'median' },
  { rule: 'vizier' },
  { rule: 'asha', maxT: 1000 },
]

function loss(run: number, step: number): number {
  // Curves that cross: some runs start well and plateau, some start badly and catch up.
  const rate = 200 + (run % 13) * 40
  return (1 + (run % 7) / 4) * Math.exp(-step / rate) + 0.05 * (run % 5) + 0.01 * Math.sin(run + step)
}

function batch(runId: string, run: number, steps: number[]): MetricBatch {
  return {
    runId, key: 'loss',
    step: Float64Array.from(steps),
    timestamp: Float64Array.from(steps, (s) => 1_000 * s + run),
    value: Float64Array.from(steps, (s) => loss(run, s)),
  }
}

export async function benchSignals(runs = 1000, steps = 1000, batches = 100): Promise<SignalsFigures[]> {
  const out: SignalsFigures[] = []
  for (const request of RULES) {
    const index = await RunIndex.open()
    try {
      // A third finished at `steps`; the others running, between 85 % and 95 % of the way.
      const length = (r: number) => (r % 3 === 0 ? steps : Math.floor(steps * (0.85 + (r % 10) / 100)))
      index.beginBulkLoad()
      const events: StoreEvent[] = []
      for (let r = 0; r < runs; r++) {
        const runId = `run-${r}`
        events.push({ type: 'run', run: { runId, experimentId: '1', name: runId, status: r % 3 === 0 ? 'FINISHED' : 'RUNNING', startTime: 0, endTime: null, lifecycleStage: 'active', userId: 'bench', artifactUri: '' } })
        events.push({ type: 'metrics', batch: batch(runId, r, Array.from({ length: length(r) }, (_, s) => s)) })
      }
      await index.apply(events)
      await index.endBulkLoad()

      let started = performance.now()
      const session = await SignalSession.open(index, { experimentIds: ['1'] }, parseSignalSpec({ key: 'loss', direction: 'minimize', ...request }))
      const buildMs = performance.now() - started
      const times: number[] = []
      for (let b = 0; b < batches; b++) {
        const next: StoreEvent[] = []
        for (let r = 0; r < runs; r++) if (r % 3 !== 0) next.push({ type: 'metrics', batch: batch(`run-${r}`, r, [length(r) + b]) })
        const changes = await index.apply(next)
        started = performance.now()
        await session.update({ runs: false, batches: changes.batches })
        times.push(performance.now() - started)
      }
      const finish = await index.apply([{ type: 'run', run: { runId: 'run-1', experimentId: '1', name: 'run-1', status: 'FINISHED', startTime: 0, endTime: 1, lifecycleStage: 'active', userId: 'bench', artifactUri: '' } }])
      started = performance.now()
      await session.update({ runs: true, batches: finish.batches })
      const afterFinishMs = performance.now() - started
      await session.close()
      times.sort((a, b) => a - b)
      out.push({
        rule: request.rule,
        points: index.points,
        buildMs,
        update: { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]! },
        afterFinishMs,
      })
    } finally {
      index.close()
    }
  }
  return out
}
