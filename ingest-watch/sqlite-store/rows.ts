// Turning MLflow SQL-store rows into store events. Pure functions.
import type { LifecycleStage, RunStatus } from '../../protocol/index.ts'
import type { ExperimentRecord, MetricBatch, RunRecord } from '../events.ts'
import { SeriesGrouper } from './series-grouper.ts'

/** MLflow stores ±Inf as ±DBL_MAX and NaN as value 0 with is_nan = 1. */
const DBL_MAX = 1.7976931348623157e308

export function metricValue(value: number, isNan: number | boolean): number {
  if (isNan === 1 || isNan === true) return NaN
  if (value >= DBL_MAX) return Infinity
  if (value <= -DBL_MAX) return -Infinity
  return value
}

const STATUSES: readonly RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']

export type ExperimentRow = [id: string, name: string, artifactLocation: string | null, stage: string | null, created: number | null, updated: number | null]
export type RunRow = [
  runId: string, experimentId: string, name: string | null, status: string | null, start: number | null, end: number | null,
  stage: string | null, user: string | null, artifactUri: string | null,
]
/** rowid, run_uuid, key, timestamp, value, step, is_nan */
export type MetricRow = [rowid: number, runId: string, key: string, timestamp: number, value: number, step: number, isNan: number]

export function toExperiment(r: ExperimentRow): ExperimentRecord {
  return {
    experimentId: r[0],
    name: r[1],
    artifactLocation: r[2] ?? '',
    lifecycleStage: stage(r[3]),
    creationTime: r[4],
    lastUpdateTime: r[5],
  }
}

export function toRun(r: RunRow, runNameTag?: string): RunRecord {
  return {
    runId: r[0],
    experimentId: r[1],
    name: r[2] || runNameTag || '',
    status: STATUSES.includes(r[3] as RunStatus) ? (r[3] as RunStatus) : 'RUNNING',
    startTime: r[4],
    endTime: r[5],
    lifecycleStage: stage(r[6]),
    userId: r[7] ?? '',
    artifactUri: r[8] ?? '',
  }
}

function stage(v: string | null): LifecycleStage {
  return v === 'deleted' ? 'deleted' : 'active'
}

/** Groups metric rows (in rowid order) into one columnar batch per (run, key). */
export function toMetricBatches(rows: MetricRow[]): MetricBatch[] {
  const grouper = new SeriesGrouper(rows.length)
  let lastRunId: string | undefined
  let lastKey: string | undefined
  for (const r of rows) {
    const runId = r[1]
    const key = r[2]
    // Rows of one series mostly follow each other: the map is asked only when the series changes.
    if (runId !== lastRunId || key !== lastKey) {
      lastRunId = runId
      lastKey = key
      const id = `${runId}\u0000${key}`
      if (!grouper.resume(id)) grouper.start(id, runId, key)
    }
    grouper.point(r[3], metricValue(r[4], r[6]), r[5])
  }
  return grouper.batches()
}
