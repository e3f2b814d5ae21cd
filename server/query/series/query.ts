// The series query behind the charts: for runs R and metric K, per-run values
// on one shared x grid, at most `budget` grid points. Small ranges come back
// exact; larger ones as M4 buckets, from the overview blocks on steps, else
// computed in DuckDB from the points. Smoothing runs on the full-resolution
// series first (in JS: an EMA is sequential), then the same bucketing applies.
import { listValue } from '@duckdb/node-api'
import { lastPerStep } from '../../../protocol/index.ts'
import type { RunIndex } from '../../index/run-index.ts'
import { BLOCK_SIZES } from '../../index/point-blocks.ts'
import { GridRow } from './grid-row.ts'
import { bucketOf, bucketSlots, m4, M4Cells, m4Grid, type M4Bucket } from './m4.ts'
import { emaDebiased, movingAverage } from './smoothing.ts'

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
  runs: { runId: string; y: GridRow; raw?: GridRow }[]
}

// The requested series, named by the index (no join on run ids and key).
// Rows name their run by its position: an integer to group by and to read,
// instead of a 32-character string per row.
const SELECTED = `WITH sel AS (
  SELECT unnest($series)::INTEGER AS series_id, unnest($positions)::INTEGER AS run_pos, unnest($coarsest)::INTEGER AS coarsest)`

const X_EXPR: Record<XMode, string> = {
  step: 'p.step',
  wall: 'p.timestamp',
  // Time since the series' first point, as TensorBoard's "relative".
  relative: 'p.timestamp - min(p.timestamp) OVER (PARTITION BY p.series_id)',
}

/**
 * At most this many values in one answer (runs × grid points): 100 runs ×
 * 100,000 exact steps would gather 10 million rows and answer 80 MB, holding
 * gigabytes while others wait. A budget above its share is lowered to it.
 */
export const MAX_ANSWER_VALUES = 2_000_000

/** The grid points a query may return for this many runs. */
export function effectiveBudget(requested: number | undefined, runs: number): number {
  return Math.max(4, Math.min(Math.floor(requested ?? 1000), Math.floor(MAX_ANSWER_VALUES / Math.max(1, runs))))
}

export async function querySeries(index: RunIndex, req: SeriesRequest): Promise<SeriesResponse> {
  const mode = req.x ?? 'step'
  const budget = effectiveBudget(req.budget, new Set(req.runIds).size)
  const runIds = [...new Set(req.runIds)]
  const { series, positions, coarsest } = index.seriesOf(runIds, req.key)
  const params = { series: listValue(series), positions: listValue(positions), coarsest: listValue(coarsest) }
  const base = `${SELECTED}, pts AS (SELECT sel.run_pos, ${X_EXPR[mode]} AS x, p.timestamp, p.value FROM points p JOIN sel USING (series_id))`
  const empty: SeriesResponse = { key: req.key, x: mode, exact: true, grid: [], runs: req.runIds.map((runId) => ({ runId, y: new GridRow(0) })) }
  // No series at all (and DuckDB cannot type an empty list parameter).
  if (series.length === 0) return req.smoothing ? { ...empty, runs: req.runIds.map((runId) => ({ runId, y: new GridRow(0), raw: new GridRow(0) })) } : empty

  if (req.smoothing) return smoothed(index, req, runIds, mode, budget, base, params)

  const rangeParams = req.range ? { x0: req.range[0], x1: req.range[1] } : {}
  const inRange = req.range ? 'WHERE x BETWEEN $x0 AND $x1' : ''
  // The extent and the count: of whole series on steps, from the index's memory; of a range on
  // steps, from the finest blocks (whole blocks count, so the finest come closest); else from the points.
  // No point in range: min and max are NULL, read as NaN.
  const blocks = mode === 'step' && index.hasBlocks
  const { lo, hi, count } =
    mode === 'step' && !req.range
      ? index.stepExtent(series)
      : await statsQuery(
          index,
          blocks
            ? `${SELECTED} SELECT min(greatest(b.first_x, $x0)), max(least(b.last_x, $x1)), sum(b.n)::DOUBLE
               FROM point_blocks b JOIN sel ON b.series_id = sel.series_id AND b.size = $finest
               WHERE b.last_x >= $x0 AND b.first_x <= $x1`
            : `${base} SELECT min(x), max(x), count(*)::DOUBLE FROM pts ${inRange}`,
          { ...params, ...rangeParams, ...(blocks ? { finest: BLOCK_SIZES[0] } : {}) },
        )
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return empty
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
    for (let i = 0; i < at.length; i++) out.get(runIds[at[i]!]!)!.set(slot.get(xs[i]!)!, ys[i]!)
    return { key: req.key, x: mode, exact: true, grid, runs: req.runIds.map((runId) => ({ runId, y: out.get(runId)! })) }
  }

  const buckets = Math.floor(budget / 4)
  const width = (x1 - x0) / buckets
  const grid = m4Grid(x0, x1, buckets)
  const out = emptyRows(req.runIds, grid.length)
  const place = (at: number, bucket: number, m: M4Bucket) => placeBucket(out.get(runIds[at]!)!, bucket, m)
  const size = blocks ? BLOCK_SIZES.findLast((s) => s <= width) : undefined
  if (size !== undefined) await blockBuckets(index, params, { x0, x1, size, cut: req.range !== undefined }, runIds.map((id) => out.get(id)!), buckets)
  else await pointBuckets(index, base, { ...params, x0, x1, w: width === 0 ? 1 : width, nb: buckets }, place)
  return { key: req.key, x: mode, exact: false, grid, runs: req.runIds.map((runId) => ({ runId, y: out.get(runId)! })) }
}

type Place = (runPosition: number, bucket: number, m: M4Bucket) => void

async function statsQuery(index: RunIndex, sql: string, params: Record<string, unknown>): Promise<{ lo: number; hi: number; count: number }> {
  const [[lo = NaN], [hi = NaN], [count = 0]] = (await index.numberColumns(sql, params, 3)) as [Float64Array, Float64Array, Float64Array]
  return { lo, hi, count }
}

/**
 * M4 buckets from the overview blocks no wider than a bucket: each block's
 * first, last, minimum and maximum point, each in the bucket of its own x.
 * So every drawn value is a point of its bucket, a block's extremes are never
 * moved to a neighbouring bucket, and every bucket with points gets some (a
 * block narrower than a bucket cannot span one). A block cut by a bucket edge
 * shows its other points only through its extremes, drawn at most one bucket
 * away. Reading the coarsest such blocks keeps it to one to four blocks per
 * bucket: 100 runs × 100,000 steps into 1,000 buckets read 156,000 blocks of
 * 64 steps instead of 625,000 of 16. Blocks cut by the edges of a requested
 * range give their points in range instead, so nothing outside it is drawn.
 */
async function blockBuckets(
  index: RunIndex, sel: Record<string, unknown>, bounds: { x0: number; x1: number; size: number; cut: boolean }, rows: GridRow[], buckets: number,
): Promise<void> {
  const { x0, x1, size } = bounds
  const runs = rows.length
  const cells = new M4Cells(runs * buckets)
  const add = (at: number, x: number, y: number) => {
    if (x >= x0 && x <= x1) cells.add(at * buckets + bucketOf(x, x0, x1, buckets), x, y)
  }
  // Folded chunk by chunk as DuckDB hands them over. NULL extremes (blocks
  // without a finite value) read as NaN: no validity mask to decode.
  await index.numberChunks(
    `${SELECTED} SELECT sel.run_pos::DOUBLE, b.first_x, b.first_v, b.last_x, b.last_v,
       ifnull(b.min_x, 'NaN'), ifnull(b.min_v, 'NaN'), ifnull(b.max_x, 'NaN'), ifnull(b.max_v, 'NaN')
     FROM point_blocks b JOIN sel ON b.series_id = sel.series_id AND b.size = least($size, sel.coarsest)
     WHERE b.first_x >= $x0 AND b.last_x <= $x1`,
    { ...sel, x0, x1, size },
    9,
    ([at, x1s, y1s, x2s, y2s, x3s, y3s, x4s, y4s], rows) => {
      // A block's four points one after another: they mostly land in one cell, while it is in cache.
      for (let i = 0; i < rows; i++) {
        const run = at![i]!
        add(run, x1s![i]!, y1s![i]!)
        add(run, x2s![i]!, y2s![i]!)
        add(run, x3s![i]!, y3s![i]!)
        add(run, x4s![i]!, y4s![i]!)
      }
    },
  )
  if (bounds.cut) {
    // The points from each edge to the first whole block of `size` (a finer block lies within it).
    // A point also in a block above counts twice, which changes no bucket.
    const edges = { lo: Math.ceil(x0 / size) * size, hi: Math.floor(x1 / size) * size }
    await index.numberChunks(
      `${SELECTED} SELECT sel.run_pos::DOUBLE, p.step, p.value FROM points p JOIN sel USING (series_id)
       WHERE p.step BETWEEN $x0 AND $x1 AND (p.step < $lo OR p.step >= $hi)`,
      { ...sel, x0, x1, ...edges },
      3,
      ([at, xs, ys], rows) => {
        for (let i = 0; i < rows; i++) add(at![i]!, xs![i]!, ys![i]!)
      },
    )
  }
  for (let r = 0; r < runs; r++) for (let b = 0; b < buckets; b++) cells.writeSlots(r * buckets + b, rows[r]!, b * 4)
}

/** M4 buckets computed in DuckDB from every point in range. */
async function pointBuckets(index: RunIndex, base: string, params: Record<string, unknown>, place: Place): Promise<void> {
  const cols = (await index.numberColumns(
    `${base}, b AS (
       SELECT run_pos, least(greatest(floor((x - $x0) / $w), 0), $nb - 1)::INTEGER AS bucket, x, value
       FROM pts WHERE x BETWEEN $x0 AND $x1)
     SELECT run_pos, bucket,
       min(x), arg_min(value, x), max(x), arg_max(value, x),
       arg_min(x, value) FILTER (WHERE NOT isnan(value)), min(value) FILTER (WHERE NOT isnan(value)),
       arg_max(x, value) FILTER (WHERE NOT isnan(value)), max(value) FILTER (WHERE NOT isnan(value))
     FROM b GROUP BY run_pos, bucket`,
    params,
    10,
  ))
  const [at, bucket, firstX, firstY, lastX, lastY, minX, minY, maxX, maxY] = cols as [Float64Array, ...Float64Array[]]
  for (let i = 0; i < at.length; i++) {
    // A bucket without a finite value has NULL, read as NaN, for its minimum and maximum.
    place(at[i]!, bucket![i]!, {
      firstX: firstX![i]!, firstY: firstY![i]!, lastX: lastX![i]!, lastY: lastY![i]!,
      minX: minX![i]!, minY: minY![i]!, maxX: maxX![i]!, maxY: maxY![i]!,
    })
  }
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
  if (lo > hi) return { key: req.key, x: mode, exact: true, grid: [], runs: req.runIds.map((runId) => ({ runId, y: new GridRow(0), raw: new GridRow(0) })) }
  const [x0, x1] = req.range ?? [lo, hi]
  // Exact on the union of x values when it fits the budget, else M4 buckets; smoothed and raw alike.
  const exact = all.size <= budget
  const buckets = Math.floor(budget / 4)
  const grid = exact ? [...all].sort((a, b) => a - b) : m4Grid(x0, x1, buckets)
  const slot = exact ? new Map(grid.map((x, i) => [x, i])) : undefined
  const place = (x: number[], values: ArrayLike<number>) => {
    const row = new GridRow(grid.length)
    if (slot) {
      for (let i = 0; i < x.length; i++) {
        const k = slot.get(x[i]!)
        if (k !== undefined) row.set(k, values[i]!)
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

function emptyRows(runIds: string[], length: number): Map<string, GridRow> {
  return new Map(runIds.map((id) => [id, new GridRow(length)]))
}

function placeBucket(row: GridRow, bucket: number, m: M4Bucket): void {
  const slots = bucketSlots(m)
  for (let k = 0; k < 4; k++) row.set(bucket * 4 + k, slots[k]!)
}

