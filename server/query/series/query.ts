// The series query behind the charts: for runs R and metric K, per-run values
// on one shared x grid, at most `budget` grid points. Small ranges come back
// exact; larger ones as M4 buckets computed in DuckDB. Smoothing runs on the
// full-resolution series first (in JS: an EMA is sequential), then the same
// bucketing applies.
import { listValue } from '@duckdb/node-api'
import { toWire, type WireNumber } from '../../../protocol/index.ts'
import type { RunIndex } from '../../index/run-index.ts'
import { lastPerX, type XMode } from './align.ts'
import { bucketSlots, m4, m4Grid, type M4Bucket } from './m4.ts'
import { emaDebiased, movingAverage } from './smoothing.ts'

export interface SeriesRequest {
  runIds: string[]
  key: string
  x?: XMode
  range?: [number, number]
  budget?: number
  smoothing?: { kind: 'ema'; weight: number } | { kind: 'sma'; window: number }
}

export interface SeriesResponse {
  key: string
  x: XMode
  /** True when every point in the range is returned; false for M4 buckets. */
  exact: boolean
  grid: number[]
  runs: { runId: string; y: (WireNumber | null)[]; raw?: (WireNumber | null)[] }[]
}

const X_EXPR: Record<XMode, string> = {
  step: 'p.step',
  wall: 'p.timestamp',
  // Time since the series' first point, as TensorBoard's "relative".
  relative: 'p.timestamp - min(p.timestamp) OVER (PARTITION BY p.series_id)',
}

export async function querySeries(index: RunIndex, req: SeriesRequest): Promise<SeriesResponse> {
  const mode = req.x ?? 'step'
  const budget = Math.max(4, Math.floor(req.budget ?? 1000))
  const params = { runs: listValue(req.runIds), key: req.key }
  const base = `WITH pts AS (
      SELECT s.run_id, ${X_EXPR[mode]} AS x, p.timestamp, p.value
      FROM points p JOIN series s USING (series_id)
      WHERE s.key = $key AND list_contains($runs, s.run_id))`
  const empty: SeriesResponse = { key: req.key, x: mode, exact: true, grid: [], runs: req.runIds.map((runId) => ({ runId, y: [] })) }
  if (req.runIds.length === 0) return empty

  if (req.smoothing) return smoothed(index, req, mode, budget, base, params)

  const [[lo], [hi], [distinct]] = (await index.columns(
    `${base} SELECT min(x), max(x), count(DISTINCT x)::DOUBLE FROM pts ${req.range ? 'WHERE x BETWEEN $x0 AND $x1' : ''}`,
    { ...params, ...(req.range ? { x0: req.range[0], x1: req.range[1] } : {}) },
    3,
  )) as [[number | null], [number | null], [number]]
  if (lo === null || lo === undefined || hi === null || hi === undefined) return empty
  const [x0, x1] = req.range ?? [lo, hi]

  if (distinct <= budget) {
    // Exact: the grid is the union of the runs' x values; one value per run and x (the last logged).
    const [runs = [], xs = [], ys = []] = (await index.columns(
      `${base} SELECT run_id, x, arg_max(value, timestamp) FROM pts WHERE x BETWEEN $x0 AND $x1 GROUP BY run_id, x ORDER BY x`,
      { ...params, x0, x1 },
      3,
    )) as [string[], number[], number[]]
    const grid = [...new Set(xs)].sort((a, b) => a - b)
    const slot = new Map(grid.map((x, i) => [x, i]))
    const out = emptyRows(req.runIds, grid.length)
    for (let i = 0; i < runs.length; i++) out.get(runs[i]!)![slot.get(xs[i]!)!] = toWire(ys[i]!)
    return { key: req.key, x: mode, exact: true, grid, runs: req.runIds.map((runId) => ({ runId, y: out.get(runId)! })) }
  }

  const buckets = Math.floor(budget / 4)
  const width = (x1 - x0) / buckets
  const cols = (await index.columns(
    `${base}, b AS (
       SELECT run_id, least(greatest(floor((x - $x0) / $w), 0), $nb - 1)::INTEGER AS bucket, x, timestamp, value
       FROM pts WHERE x BETWEEN $x0 AND $x1)
     SELECT run_id, bucket,
       min(x), arg_min(value, (x, timestamp)), max(x), arg_max(value, (x, timestamp)),
       arg_min(x, value) FILTER (WHERE NOT isnan(value)), min(value) FILTER (WHERE NOT isnan(value)),
       arg_max(x, value) FILTER (WHERE NOT isnan(value)), max(value) FILTER (WHERE NOT isnan(value))
     FROM b GROUP BY run_id, bucket`,
    { ...params, x0, x1, w: width === 0 ? 1 : width, nb: buckets },
    10,
  )) as [string[], number[], ...number[][]]
  const [runs, bucket, firstX, firstY, lastX, lastY, minX, minY, maxX, maxY] = cols
  const grid = m4Grid(x0, x1, buckets)
  const out = emptyRows(req.runIds, grid.length)
  for (let i = 0; i < runs.length; i++) {
    const m: M4Bucket = {
      firstX: firstX![i]!, firstY: firstY![i]!, lastX: lastX![i]!, lastY: lastY![i]!,
      minX: minX![i] ?? NaN, minY: minY![i] ?? NaN, maxX: maxX![i] ?? NaN, maxY: maxY![i] ?? NaN,
    }
    placeBucket(out.get(runs[i]!)!, bucket![i]!, m)
  }
  return { key: req.key, x: mode, exact: false, grid, runs: req.runIds.map((runId) => ({ runId, y: out.get(runId)! })) }
}

async function smoothed(
  index: RunIndex, req: SeriesRequest, mode: XMode, budget: number, base: string, params: Record<string, unknown>,
): Promise<SeriesResponse> {
  const [runs = [], xs = [], ys = []] = (await index.columns(
    `${base} SELECT run_id, x, value FROM pts ORDER BY run_id, x, timestamp`,
    params,
    3,
  )) as [string[], number[], number[]]
  // Per run: one value per x (the last logged), then the smoothing over all of it.
  const perRun = new Map<string, { x: Float64Array; raw: Float64Array; y: Float64Array }>()
  let start = 0
  while (start < runs.length) {
    let end = start
    while (end < runs.length && runs[end] === runs[start]) end++
    const { x, y } = lastPerX(xs.slice(start, end), ys.slice(start, end))
    const s = req.smoothing!
    perRun.set(runs[start]!, { x, raw: y, y: s.kind === 'ema' ? emaDebiased(y, s.weight) : movingAverage(y, Math.max(1, Math.floor(s.window))) })
    start = end
  }
  let lo = Infinity
  let hi = -Infinity
  const all = new Set<number>()
  for (const { x } of perRun.values()) {
    for (const v of x) {
      if (req.range && (v < req.range[0] || v > req.range[1])) continue
      lo = Math.min(lo, v)
      hi = Math.max(hi, v)
      if (all.size <= budget) all.add(v)
    }
  }
  if (lo > hi) return { key: req.key, x: mode, exact: true, grid: [], runs: req.runIds.map((runId) => ({ runId, y: [], raw: [] })) }
  const [x0, x1] = req.range ?? [lo, hi]
  if (all.size <= budget) {
    const grid = [...all].sort((a, b) => a - b)
    const slot = new Map(grid.map((x, i) => [x, i]))
    return {
      key: req.key, x: mode, exact: true, grid,
      runs: req.runIds.map((runId) => {
        const y: (WireNumber | null)[] = new Array(grid.length).fill(null)
        const raw: (WireNumber | null)[] = new Array(grid.length).fill(null)
        const s = perRun.get(runId)
        if (s) for (let i = 0; i < s.x.length; i++) {
          const k = slot.get(s.x[i]!)
          if (k === undefined) continue
          y[k] = toWire(s.y[i]!)
          raw[k] = toWire(s.raw[i]!)
        }
        return { runId, y, raw }
      }),
    }
  }
  const buckets = Math.floor(budget / 4)
  const grid = m4Grid(x0, x1, buckets)
  return {
    key: req.key, x: mode, exact: false, grid,
    runs: req.runIds.map((runId) => {
      const y: (WireNumber | null)[] = new Array(grid.length).fill(null)
      const raw: (WireNumber | null)[] = new Array(grid.length).fill(null)
      const s = perRun.get(runId)
      if (s) {
        for (const [b, m] of m4(s.x, s.y, x0, x1, buckets)) placeBucket(y, b, m)
        for (const [b, m] of m4(s.x, s.raw, x0, x1, buckets)) placeBucket(raw, b, m)
      }
      return { runId, y, raw }
    }),
  }
}

function emptyRows(runIds: string[], length: number): Map<string, (WireNumber | null)[]> {
  return new Map(runIds.map((id) => [id, new Array<WireNumber | null>(length).fill(null)]))
}

function placeBucket(row: (WireNumber | null)[], bucket: number, m: M4Bucket): void {
  const slots = bucketSlots(m)
  for (let k = 0; k < 4; k++) row[bucket * 4 + k] = toWire(slots[k]!)
}

