// A coarser copy of every series, kept as points arrive: per block of `size`
// steps, the first, last, minimum and maximum point. A chart of a long range
// reads these blocks instead of every point, so the cost of an overview grows
// with the number of blocks, not of points. Sizes grow 4× at a time: a chart
// reads the coarsest size no wider than its buckets (see series/query.ts), so
// it reads at most a few blocks per bucket, whatever its zoom.

export const BLOCK_SIZES = [16, 64, 256, 1024, 4096] as const
export const FINEST_BLOCK = BLOCK_SIZES[0]

/**
 * The initial scan keeps a coarser size for a series only where that size
 * still has this many blocks: below it, a short series' coarse blocks would
 * only repeat its fine ones (10,000 runs of 100 steps would double the table).
 */
const MIN_BLOCKS = 16

export interface Block {
  seriesId: number
  size: number
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

/** Folds points (x = step) of one series into blocks of `size`; `into` collects per `${seriesId}:${size}:${block}`. */
export function foldBlocks(into: Map<string, Block>, seriesId: number, size: number, steps: ArrayLike<number>, values: ArrayLike<number>): void {
  let b: Block | undefined
  for (let i = 0; i < steps.length; i++) {
    const x = steps[i]!
    const v = values[i]!
    const block = Math.floor(x / size)
    // Points mostly arrive in step order: look the block up only when it changes.
    if (b?.block !== block) {
      const id = `${seriesId}:${size}:${block}`
      b = into.get(id)
      if (!b) {
        b = { seriesId, size, block, firstX: x, firstV: v, lastX: x, lastV: v, minX: NaN, minV: NaN, maxX: NaN, maxV: NaN, n: 0 }
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
ON CONFLICT (series_id, size, block) DO UPDATE SET
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

/**
 * All blocks at once, after the initial scan: the finest from the points, in
 * one pass, then each coarser size from the one below (4 blocks make one),
 * for the series long enough to keep it.
 */
export const BUILD_BLOCKS_SQL = [
  `INSERT INTO point_blocks
   SELECT series_id, ${FINEST_BLOCK}, floor(step / ${FINEST_BLOCK})::INTEGER AS block,
     min(step), arg_min(value, step), max(step), arg_max(value, step),
     arg_min(step, value) FILTER (WHERE NOT isnan(value)), min(value) FILTER (WHERE NOT isnan(value)),
     arg_max(step, value) FILTER (WHERE NOT isnan(value)), max(value) FILTER (WHERE NOT isnan(value)),
     count(*)::INTEGER
   FROM points GROUP BY ALL`,
  ...BLOCK_SIZES.slice(1).map((size) => {
    const finer = size / 4
    return `INSERT INTO point_blocks
     SELECT series_id, ${size}, floor(block / 4)::INTEGER AS coarse,
       min(first_x), arg_min(first_v, first_x), max(last_x), arg_max(last_v, last_x),
       arg_min(min_x, min_v), min(min_v), arg_max(max_x, max_v), max(max_v), sum(n)::INTEGER
     FROM point_blocks
     WHERE size = ${finer} AND series_id IN (SELECT series_id FROM point_blocks WHERE size = ${finer} GROUP BY ALL HAVING count(*) >= ${4 * MIN_BLOCKS})
     GROUP BY series_id, coarse`
  }),
].join(';\n')

/** The coarsest size each series has, where coarser than the finest. */
export const COARSEST_BLOCKS_SQL = `SELECT series_id, max(size) FROM point_blocks WHERE size > ${FINEST_BLOCK} GROUP BY ALL`
