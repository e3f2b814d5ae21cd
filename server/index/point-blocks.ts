// A coarser copy of every series, kept as points arrive: per block of
// BLOCK_STEPS steps, the first, last, minimum and maximum point. A chart of a
// long range aggregates these blocks instead of every point, so the cost of
// an overview grows with the number of blocks, not of points.

export const BLOCK_STEPS = 16

export interface Block {
  seriesId: number
  block: number
  firstX: number
  firstV: number
  lastX: number
  lastV: number
  /** NaN when the block has no finite value yet. */
  minX: number
  minV: number
  maxX: number
  maxV: number
  n: number
}

/** Folds points (x = step) of one series into blocks; `into` collects per `${seriesId}:${block}`. */
export function foldBlocks(into: Map<string, Block>, seriesId: number, steps: ArrayLike<number>, values: ArrayLike<number>): void {
  let b: Block | undefined
  for (let i = 0; i < steps.length; i++) {
    const x = steps[i]!
    const v = values[i]!
    const block = Math.floor(x / BLOCK_STEPS)
    // Points mostly arrive in step order: look the block up only when it changes.
    if (b?.block !== block) {
      const id = `${seriesId}:${block}`
      b = into.get(id)
      if (!b) {
        b = { seriesId, block, firstX: x, firstV: v, lastX: x, lastV: v, minX: NaN, minV: NaN, maxX: NaN, maxV: NaN, n: 0 }
        into.set(id, b)
      }
    }
    if (x < b.firstX) { b.firstX = x; b.firstV = v }
    if (x >= b.lastX) { b.lastX = x; b.lastV = v }
    if (!Number.isNaN(v)) {
      if (!(b.minV <= v)) { b.minV = v; b.minX = x }
      if (!(b.maxV >= v)) { b.maxV = v; b.maxX = x }
    }
    b.n++
  }
}

/** Merges a batch's blocks into the stored ones; every right-hand side reads the stored row. */
export const MERGE_BLOCKS_SQL = `
INSERT INTO point_blocks SELECT * FROM point_blocks_stage
ON CONFLICT (series_id, block) DO UPDATE SET
  first_x = least(first_x, excluded.first_x),
  first_v = CASE WHEN excluded.first_x < first_x THEN excluded.first_v ELSE first_v END,
  last_x = greatest(last_x, excluded.last_x),
  last_v = CASE WHEN excluded.last_x >= last_x THEN excluded.last_v ELSE last_v END,
  min_x = CASE WHEN min_v IS NULL OR excluded.min_v < min_v THEN excluded.min_x ELSE min_x END,
  min_v = CASE WHEN min_v IS NULL OR excluded.min_v < min_v THEN excluded.min_v ELSE min_v END,
  max_x = CASE WHEN max_v IS NULL OR excluded.max_v > max_v THEN excluded.max_x ELSE max_x END,
  max_v = CASE WHEN max_v IS NULL OR excluded.max_v > max_v THEN excluded.max_v ELSE max_v END,
  n = n + excluded.n;
DELETE FROM point_blocks_stage`

/** All blocks from the points at once: after the initial scan, one pass in DuckDB. */
export const BUILD_BLOCKS_SQL = `
INSERT INTO point_blocks
SELECT series_id, floor(step / ${BLOCK_STEPS})::INTEGER AS block,
  min(step), arg_min(value, step), max(step), arg_max(value, step),
  arg_min(step, value) FILTER (WHERE NOT isnan(value)), min(value) FILTER (WHERE NOT isnan(value)),
  arg_max(step, value) FILTER (WHERE NOT isnan(value)), max(value) FILTER (WHERE NOT isnan(value)),
  count(*)::INTEGER
FROM points GROUP BY ALL`
