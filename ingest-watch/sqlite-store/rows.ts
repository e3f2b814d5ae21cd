// Turning MLflow SQL-store rows into store events. Pure functions.
import type { LifecycleStage, RunStatus } from '../../protocol/index.ts'
import type { ExperimentRecord, MetricBatch, RunRecord } from '../events.ts'
import { doubled } from '../grow-array.ts'

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

/**
 * The columns a worker reads: no rowid (its range is known), and is_nan folded
 * into the value as NULL by SQLite (a NULL value reads as 0, as in
 * toMetricBatches) — each column of each row is a value made
 * on the JS heap, most of the cost of a read (5 columns: about 15 % less CPU than 7).
 */
export const WORKER_METRIC_COLUMNS = 'run_uuid, key, timestamp, CASE WHEN is_nan THEN NULL ELSE coalesce(value, 0) END, step'
/** run_uuid, key, timestamp, value (NULL for NaN), step */
export type WorkerMetricRow = [runId: string, key: string, timestamp: number, value: number | null, step: number]

/**
 * Groups a worker's rows (in rowid order) the way toMetricBatches does, as
 * they are read: `rows` is a statement's iterator, so each row is garbage as
 * soon as its numbers are copied out (all() on a 25,000-row range kept every
 * row array and string alive until the grouping: about 40 % more CPU per row,
 * most of it garbage collection). `capacity`: the rows expected (the range's size).
 */
export function workerRowsToBatches(rows: Iterable<WorkerMetricRow>, capacity: number): MetricBatch[] {
  return groupRows(rows, capacity, 0, (r) => (r[3] === null ? NaN : metricValue(r[3], 0)), 4)
}

/** Groups metric rows (in rowid order) into one columnar batch per (run, key). */
export function toMetricBatches(rows: MetricRow[]): MetricBatch[] {
  return groupRows(rows, rows.length, 1, (r) => metricValue(r[4], r[6]), 5)
}

/**
 * Rows whose run id and key are at `at` and `at + 1`, timestamp at `at + 2`
 * and step at `stepAt`, in one pass: numbers go into columns in row order
 * with each row's group, then each group's into its own batch.
 */
function groupRows<R extends (string | number | null)[]>(
  rows: Iterable<R>, capacity: number, at: number, valueOf: (r: R) => number, stepAt: number,
): MetricBatch[] {
  let timestamp = new Float64Array(Math.max(1, capacity))
  let value = new Float64Array(timestamp.length)
  let step = new Float64Array(timestamp.length)
  let groupOf = new Int32Array(timestamp.length)
  const groups: { runId: string; key: string; count: number }[] = []
  const ids = new Map<string, number>()
  let lastRunId: string | undefined
  let lastKey: string | undefined
  let last = -1
  let n = 0
  for (const r of rows) {
    if (n === timestamp.length) [timestamp, value, step, groupOf] = [doubled(timestamp), doubled(value), doubled(step), doubled(groupOf)]
    const runId = r[at] as string
    const key = r[at + 1] as string
    // Rows of one series mostly follow each other: the map is asked only when the series changes.
    if (runId !== lastRunId || key !== lastKey) {
      lastRunId = runId
      lastKey = key
      const id = `${runId}\u0000${key}`
      last = ids.get(id) ?? -1
      if (last < 0) {
        last = groups.push({ runId, key, count: 0 }) - 1
        ids.set(id, last)
      }
    }
    groups[last]!.count++
    groupOf[n] = last
    timestamp[n] = r[at + 2] as number
    value[n] = valueOf(r)
    step[n] = r[stepAt] as number
    n++
  }
  const out: MetricBatch[] = groups.map((g) => ({
    runId: g.runId, key: g.key, timestamp: new Float64Array(g.count), value: new Float64Array(g.count), step: new Float64Array(g.count),
  }))
  const filled = new Int32Array(groups.length)
  for (let i = 0; i < n; i++) {
    const g = groupOf[i]!
    const b = out[g]!
    const j = filled[g]!++
    b.timestamp[j] = timestamp[i]!
    b.value[j] = value[i]!
    b.step[j] = step[i]!
  }
  return out
}
