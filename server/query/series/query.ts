// The series query behind the charts: for runs R and metric K, per-run values
// on one shared x grid, at most `budget` grid points. Small ranges come back
// exact; larger ones as M4 buckets computed in DuckDB. Smoothing runs on the
// full-resolution series first (in JS: an EMA is sequential), then the same
// bucketing applies.
import { listValue } from '@duckdb/node-api'
import { lastPerStep, toWire, type WireNumber } from '../../../protocol/index.ts'
import type { RunIndex } from '../../index/run-index.ts'
import { bucketSlots, m4, m4Grid, type M4Bucket } from './m4.ts'
import { emaDebiased, movingAverage } from './smoothing.ts'
import { BLOCK_STEPS } from '../../index/point-blocks.ts'

export type XMode = 'step' | 'relative' | 'wall'

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

// Rows name their run by its position in $runs: an integer to group by and
// to read, instead of a 32-character string per row.
const SELECTED = `WITH sel AS (
  SELECT s.series_id, w.run_pos FROM series s
  JOIN (SELECT unnest($runs) AS run_id, (generate_subscripts($runs, 1) - 1)::INTEGER AS run_pos) w USING (run_id)
  WHERE s.key = $key)`

const X_EXPR: Record<XMode, string> = {
  step: 'p.step',
  wall: 'p.timestamp',
  // Time since the series' first point, as TensorBoard's "relative".
  relative: 'p.timestamp - min(p.timestamp) OVER (PARTITION BY p.series_id)',
}

export async function querySeries(index: RunIndex, req: SeriesRequest): Promise<SeriesResponse> {
  const mode = req.x ?? 'step'
  const budget = Math.max(4, Math.floor(req.budget ?? 1000))
  const runIds = [...new Set(req.runIds)]
  const params = { runs: listValue(runIds), key: req.key }
  const base = `${SELECTED}, pts AS (SELECT sel.run_pos, ${X_EXPR[mode]} AS x, p.timestamp, p.value FROM points p JOIN sel USING (series_id))`
  const empty: SeriesResponse = { key: req.key, x: mode, exact: true, grid: [], runs: req.runIds.map((runId) => ({ runId, y: [] })) }
  if (req.runIds.length === 0) return empty

  if (req.smoothing) return smoothed(index, req, runIds, mode, budget, base, params)

  const rangeParams = req.range ? { x0: req.range[0], x1: req.range[1] } : {}
  const inRange = req.range ? 'WHERE x BETWEEN $x0 AND $x1' : ''
  // On steps, the extent and the count come from the blocks (a few per thousand points).
  const blocks = mode === 'step' && index.hasBlocks
  const stats =
    blocks
      ? `${SELECTED} SELECT min(${req.range ? 'greatest(b.first_x, $x0)' : 'b.first_x'}), max(${req.range ? 'least(b.last_x, $x1)' : 'b.last_x'}), sum(b.n)::DOUBLE
         FROM point_blocks b JOIN sel USING (series_id) ${req.range ? 'WHERE b.last_x >= $x0 AND b.first_x <= $x1' : ''}`
      : `${base} SELECT min(x), max(x), count(*)::DOUBLE FROM pts ${inRange}`
  // No point in range: min and max are NULL, read as NaN.
  const [[lo = NaN], [hi = NaN], [count = 0]] = (await index.numberColumns(stats, { ...params, ...rangeParams }, 3)) as [Float64Array, Float64Array, Float64Array]
  if (Number.isNaN(lo) || Number.isNaN(hi)) return empty
  const [x0, x1] = req.range ?? [lo, hi]
  // Few points, or many runs sharing few x values: the exact union fits the budget.
  let exact = count <= budget
  if (!exact && count <= budget * req.runIds.length) {
    const [[distinct = 0]] = (await index.numberColumns(`${base} SELECT count(DISTINCT x)::DOUBLE FROM pts ${inRange}`, { ...params, ...rangeParams }, 1)) as [Float64Array]
    exact = distinct <= budget
  }

  if (exact) {
    // Exact: the grid is the union of the runs' x values; one value per run and x (the last logged).
    const [at, xs, ys] = (await index.numberColumns(
      `${base} SELECT run_pos, x, arg_max(value, timestamp) FROM pts WHERE x BETWEEN $x0 AND $x1 GROUP BY run_pos, x ORDER BY x`,
      { ...params, x0, x1 },
      3,
    )) as [Float64Array, Float64Array, Float64Array]
    const grid = [...new Set(xs)].sort((a, b) => a - b)
    const slot = new Map(grid.map((x, i) => [x, i]))
    const out = emptyRows(req.runIds, grid.length)
    for (let i = 0; i < at.length; i++) out.get(runIds[at[i]!]!)![slot.get(xs[i]!)!] = toWire(ys[i]!)
    return { key: req.key, x: mode, exact: true, grid, runs: req.runIds.map((runId) => ({ runId, y: out.get(runId)! })) }
  }

  const buckets = Math.floor(budget / 4)
  const width = (x1 - x0) / buckets
  const bucketSql =
    blocks && width >= 4 * BLOCK_STEPS
      ? // Whole blocks stand for their points. A block cut by the range edge
        // counts whole, clamped to the edge: at least four blocks per bucket
        // keep that within a quarter of a bucket.
        `${SELECTED}, u AS (
           SELECT sel.run_pos, greatest(b.first_x, $x0) AS fx, b.first_v AS fv, least(b.last_x, $x1) AS lx, b.last_v AS lv,
                  b.min_x, b.min_v, b.max_x, b.max_v
           FROM point_blocks b JOIN sel USING (series_id) WHERE b.last_x >= $x0 AND b.first_x <= $x1)
         SELECT run_pos, least(greatest(floor((fx - $x0) / $w), 0), $nb - 1)::INTEGER AS bucket,
           min(fx), arg_min(fv, fx), max(lx), arg_max(lv, lx), arg_min(min_x, min_v), min(min_v), arg_max(max_x, max_v), max(max_v)
         FROM u GROUP BY ALL`
      : undefined
  // 100 runs × 1,000 buckets are 100,000 rows: numbers read straight from the vectors.
  const cols = (await index.numberColumns(
    bucketSql ?? `${base}, b AS (
       SELECT run_pos, least(greatest(floor((x - $x0) / $w), 0), $nb - 1)::INTEGER AS bucket, x, value
       FROM pts WHERE x BETWEEN $x0 AND $x1)
     SELECT run_pos, bucket,
       min(x), arg_min(value, x), max(x), arg_max(value, x),
       arg_min(x, value) FILTER (WHERE NOT isnan(value)), min(value) FILTER (WHERE NOT isnan(value)),
       arg_max(x, value) FILTER (WHERE NOT isnan(value)), max(value) FILTER (WHERE NOT isnan(value))
     FROM b GROUP BY run_pos, bucket`,
    { ...params, x0, x1, w: width === 0 ? 1 : width, nb: buckets },
    10,
  ))
  const [at, bucket, firstX, firstY, lastX, lastY, minX, minY, maxX, maxY] = cols as [Float64Array, ...Float64Array[]]
  const grid = m4Grid(x0, x1, buckets)
  const out = emptyRows(req.runIds, grid.length)
  for (let i = 0; i < at.length; i++) {
    // A bucket without a finite value has NULL, read as NaN, for its minimum and maximum.
    const m: M4Bucket = {
      firstX: firstX![i]!, firstY: firstY![i]!, lastX: lastX![i]!, lastY: lastY![i]!,
      minX: minX![i]!, minY: minY![i]!, maxX: maxX![i]!, maxY: maxY![i]!,
    }
    placeBucket(out.get(runIds[at[i]!]!)!, bucket![i]!, m)
  }
  return { key: req.key, x: mode, exact: false, grid, runs: req.runIds.map((runId) => ({ runId, y: out.get(runId)! })) }
}

async function smoothed(
  index: RunIndex, req: SeriesRequest, runIds: string[], mode: XMode, budget: number, base: string, params: Record<string, unknown>,
): Promise<SeriesResponse> {
  const [at, xs, ys] = (await index.numberColumns(`${base} SELECT run_pos, x, value FROM pts ORDER BY run_pos, x, timestamp`, params, 3)) as [
    Float64Array, Float64Array, Float64Array,
  ]
  // Per run: one value per x (the last logged), then the smoothing over all of it.
  const perRun = new Map<string, { x: number[]; raw: number[]; y: Float64Array }>()
  let start = 0
  while (start < at.length) {
    let end = start
    while (end < at.length && at[end] === at[start]) end++
    const { step: x, value: y } = lastPerStep(xs.subarray(start, end), ys.subarray(start, end))
    const s = req.smoothing!
    perRun.set(runIds[at[start]!]!, { x, raw: y, y: s.kind === 'ema' ? emaDebiased(y, s.weight) : movingAverage(y, Math.max(1, Math.floor(s.window))) })
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
  // Exact on the union of x values when it fits the budget, else M4 buckets; smoothed and raw alike.
  const exact = all.size <= budget
  const buckets = Math.floor(budget / 4)
  const grid = exact ? [...all].sort((a, b) => a - b) : m4Grid(x0, x1, buckets)
  const slot = exact ? new Map(grid.map((x, i) => [x, i])) : undefined
  const place = (x: number[], values: ArrayLike<number>) => {
    const row: (WireNumber | null)[] = new Array(grid.length).fill(null)
    if (slot) {
      for (let i = 0; i < x.length; i++) {
        const k = slot.get(x[i]!)
        if (k !== undefined) row[k] = toWire(values[i]!)
      }
    } else for (const [b, m] of m4(x, values, x0, x1, buckets)) placeBucket(row, b, m)
    return row
  }
  return {
    key: req.key, x: mode, exact, grid,
    runs: req.runIds.map((runId) => {
      const s = perRun.get(runId) ?? { x: [], y: [], raw: [] }
      return { runId, y: place(s.x, s.y), raw: place(s.x, s.raw) }
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

