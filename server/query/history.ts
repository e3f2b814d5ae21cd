// Metric histories as MLflow's REST API returns them.
import { listValue } from '@duckdb/node-api'
import { toWire, type WireNumber } from '../../protocol/index.ts'
import type { RunIndex } from '../index/run-index.ts'

export interface HistoryPoint {
  key: string
  value: WireNumber
  timestamp: number
  step: number
  run_id?: string
}

/** A page of a run's metric history, columnar: `count` points from the start of the columns. */
export async function metricHistoryPage(
  index: RunIndex,
  runId: string,
  key: string,
  offset: number,
  limit: number,
): Promise<{ steps: Float64Array; timestamps: Float64Array; values: Float64Array; count: number; more: boolean }> {
  const series = index.seriesOrder(runId, key)
  if (!series) return { steps: new Float64Array(0), timestamps: new Float64Array(0), values: new Float64Array(0), count: 0, more: false }
  // Points mostly arrive in step order and are then stored so: a sort of 100,000 rows saved.
  const order = series.inStepOrder ? '' : 'ORDER BY p.step, p.timestamp'
  // A whole history is 100,000 points and more: numbers read straight from the vectors.
  const [steps, times, values] = (await index.numberColumns(
    `SELECT p.step, p.timestamp, p.value FROM points p WHERE p.series_id = $id ${order}
     LIMIT $take::BIGINT OFFSET $offset::BIGINT`,
    { id: series.id, offset, take: limit + 1 },
    3,
  )) as [Float64Array, Float64Array, Float64Array]
  return { steps, timestamps: times, values, count: Math.min(steps.length, limit), more: steps.length > limit }
}

/**
 * MLflow's get-history-bulk-interval: up to `limit` evenly spaced steps from
 * the union of the runs' steps, always with each run's first and last step,
 * and every point of the runs at those steps.
 */
export async function bulkInterval(
  index: RunIndex,
  runIds: string[],
  key: string,
  limit: number,
  start?: number,
  end?: number,
): Promise<HistoryPoint[]> {
  const range = start === undefined ? '' : 'AND p.step BETWEEN $start AND $end'
  const params = { runs: listValue(runIds), key, ...(start === undefined ? {} : { start, end }) }
  const from = `FROM points p JOIN series s USING (series_id) WHERE list_contains($runs, s.run_id) AND s.key = $key ${range}`
  const [all = []] = (await index.columns(`SELECT DISTINCT p.step ${from} ORDER BY 1`, params, 1)) as [number[]]
  let steps = all
  if (all.length > limit) {
    const picked = new Set<number>()
    for (let i = 0; i < limit; i++) picked.add(all[Math.round((i * (all.length - 1)) / (limit - 1))]!)
    const [firsts = [], lasts = []] = (await index.columns(`SELECT min(p.step), max(p.step) ${from} GROUP BY s.run_id`, params, 2)) as [number[], number[]]
    for (const s of [...firsts, ...lasts]) picked.add(s)
    steps = [...picked]
  }
  if (steps.length === 0) return []
  const [runs = [], ptSteps = [], times = [], values = []] = (await index.columns(
    `SELECT s.run_id, p.step, p.timestamp, p.value ${from} AND list_contains($steps, p.step)
     ORDER BY list_position($runs, s.run_id), p.step, p.timestamp`,
    { ...params, steps: listValue(steps) },
    4,
  )) as [string[], number[], number[], number[]]
  return runs.map((run_id, i) => ({ key, value: toWire(values[i]!), timestamp: times[i]!, step: ptSteps[i]!, run_id }))
}
