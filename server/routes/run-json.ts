// MLflow's run JSON (runs/search, runs/get) kept as text per run. Building it
// from rows for every request — each run's params, tags and inputs, ~60,000
// rows for 1,000 runs, then objects, then JSON.stringify — was most of a
// search. A run's record, params, tags and inputs change rarely: its text is
// built once (by runJson, so the bytes are the same) and dropped when the
// index reports the run changed. Latest metrics change with every point:
// they are written from the index's memory and spliced in, and their text is
// reused while the run's point count (its stamp) stays the same.
import type { RunIndex } from '../index/run-index.ts'
import { toWire, type RunSummary } from '../../protocol/index.ts'
import { metricJson, runJson } from './mlflow-shapes.ts'
import type { Bytes } from './json-text.ts'
import { RunKeyedCache } from '../index/run-keyed-cache.ts'

interface RunText {
  /** runJson of the run without metrics. */
  text: string
  /** Where the members of `data` begin: metrics go first. */
  data: number
  /** The whole run's JSON as UTF-8, for the metrics as of `stamp`. */
  withMetrics?: { stamp: number; bytes: Bytes }
}

const DATA = '"data":{'
const WARM_BATCH = 1000

export class RunJsonCache {
  private readonly cache: RunKeyedCache<RunText>
  private readonly texts: Map<string, RunText>

  constructor(private readonly index: RunIndex) {
    this.cache = new RunKeyedCache(index)
    this.texts = this.cache.values
    index.afterInitialScan(() => this.warm())
  }

  /**
   * Builds every run's text once the initial scan is in (about a second for
   * 10,000 runs, 2 KB each): otherwise the first search after a start pays
   * for its runs (70 ms for 100).
   */
  private async warm(): Promise<void> {
    const runIds = this.index.runIds()
    for (let i = 0; i < runIds.length; i += WARM_BATCH) await this.build(runIds.slice(i, i + WARM_BATCH).filter((id) => !this.texts.has(id)))
  }

  /** The runs' JSON as UTF-8, in the order asked; unknown runs are left out. */
  async runs(runIds: string[]): Promise<Bytes[]> {
    const found = new Map<string, RunText>()
    const missing: string[] = []
    for (const id of runIds) {
      const t = this.texts.get(id)
      if (t) found.set(id, t)
      else missing.push(id)
    }
    if (missing.length > 0) for (const [id, t] of await this.build(missing)) found.set(id, t)
    const out: Bytes[] = []
    for (const id of runIds) {
      const t = found.get(id)
      if (t) out.push(this.withMetrics(id, t))
    }
    return out
  }

  private async build(runIds: string[]): Promise<Map<string, RunText>> {
    // The runs that change meanwhile: their text is not kept.
    const changed = this.cache.beginRead()
    try {
      const out = new Map<string, RunText>()
      for (const run of await this.index.runSummaries({ runIds, includeDeleted: true })) {
        const text = JSON.stringify(runJson({ ...run, metrics: {} }))
        const t = { text, data: text.indexOf(DATA) + DATA.length }
        out.set(run.runId, t)
        if (!changed.has(run.runId)) this.texts.set(run.runId, t)
      }
      return out
    } finally {
      this.cache.endRead(changed)
    }
  }

  private withMetrics(runId: string, t: RunText): Bytes {
    const stamp = this.index.pointsOf(runId)
    if (t.withMetrics?.stamp === stamp) return t.withMetrics.bytes
    // As runJson lists a run's metrics record (whose order puts integer-like keys first).
    const latest: RunSummary['metrics'] = {}
    for (const [key, m] of this.index.latestMetrics(runId).sort(([a], [b]) => compareKeys(a, b))) {
      latest[key] = { value: toWire(m.value), step: m.step, timestamp: m.timestamp }
    }
    let text = t.text
    const metrics = Object.entries(latest).map(([key, m]) => metricJson(key, m))
    if (metrics.length > 0) {
      // `data` holds params and tags after the metrics, or nothing.
      const rest = t.text[t.data] === '}' ? '' : ','
      text = `${t.text.slice(0, t.data)}"metrics":${JSON.stringify(metrics)}${rest}${t.text.slice(t.data)}`
    }
    t.withMetrics = { stamp, bytes: Buffer.from(text) }
    return t.withMetrics.bytes
  }
}

// Metrics in key order, as runSummaries orders params and tags. MLflow
// promises no order, but a text kept for a run must not change when it is
// built again.
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
