// Each RUNNING run's median logging interval, kept in `run_cadence` for run
// health. A median needs every timestamp of the run, so it is not folded per
// batch: it is recomputed every few seconds for the runs that need it.
//
// The interval is measured within one series: the run's most-logged metric.
// A job that logs loss and accuracy a few milliseconds apart every minute has
// a one-minute cadence, not a few milliseconds. Pooling every metric's gaps
// gave the same medians but read all of a run's points: the first pass over
// 7,500 RUNNING runs × 20 metrics kept both cores busy for five seconds after
// the ready line, slowing every query meanwhile; one metric is 1/20 of it.
//
// A run is recomputed when it has none yet or its point count grew by more
// than a tenth since (or shrank): the median of a long history hardly moves
// with a few more points, and a long live run would otherwise be re-read
// whole every few seconds. The work goes in chunks of about CHUNK_POINTS
// points (whole runs, in run id order), so the serial queue is never held for
// long — the first pass over a large store reads every RUNNING run.
import type { RunIndex } from '../index/run-index.ts'

export const CHUNK_POINTS = 200_000

/**
 * Recomputes the intervals that need it, one chunk per `runChunk` call (the
 * health check passes the serial queue: it writes to the index).
 */
export async function refreshCadence(
  index: RunIndex,
  runChunk: (job: () => Promise<void>) => Promise<void> = (job) => job(),
  budget = CHUNK_POINTS,
): Promise<void> {
  let after = ''
  for (;;) {
    let last: string | null = null
    await runChunk(async () => {
      const [[id]] = (await index.columns(LAST_OF_CHUNK_SQL, { after, budget }, 1)) as [[string | null]]
      last = id ?? null
      if (last !== null) await index.write(REFRESH_CHUNK_SQL, { after, last })
    })
    if (last === null) break
    after = last
  }
  await runChunk(() => index.write(FORGET_SQL))
}

/**
 * RUNNING runs with their point counts, whose interval is missing or out of
 * date; `cadence_series` is the metric each is measured on (its most-logged
 * one, by key on a tie) and `reads` that metric's points.
 */
const STALE = `
WITH live AS (
  SELECT m.run_id, sum(m.count)::DOUBLE AS points, max(m.count)::DOUBLE AS reads,
    first(m.series_id ORDER BY m.count DESC, m.key) AS cadence_series
  FROM latest_metrics m JOIN runs r USING (run_id)
  WHERE r.status = 'RUNNING'
  GROUP BY m.run_id),
stale AS (
  SELECT l.run_id, l.points, l.reads, l.cadence_series FROM live l LEFT JOIN run_cadence c USING (run_id)
  WHERE c.points IS NULL OR l.points > c.points * 1.1 OR l.points < c.points)`

/** The last run of the next chunk after `$after`: at least one run, then up to `$budget` points read. */
const LAST_OF_CHUNK_SQL = `${STALE}
SELECT max(run_id) FROM (
  SELECT run_id, sum(reads) OVER (ORDER BY run_id ROWS UNBOUNDED PRECEDING) - reads AS before
  FROM stale WHERE run_id > $after)
WHERE before < $budget`

const REFRESH_CHUNK_SQL = `
INSERT OR REPLACE INTO run_cadence
${STALE},
chunk AS (SELECT * FROM stale WHERE run_id > $after AND run_id <= $last),
moments AS (
  SELECT DISTINCT p.series_id, p.timestamp FROM points p
  WHERE p.series_id IN (SELECT cadence_series FROM chunk)),
gaps AS (
  SELECT c.run_id, t.timestamp - lag(t.timestamp) OVER (PARTITION BY t.series_id ORDER BY t.timestamp) AS gap
  FROM moments t JOIN chunk c ON c.cadence_series = t.series_id)
SELECT c.run_id, c.points, g.median_gap
FROM chunk c LEFT JOIN (SELECT run_id, median(gap) AS median_gap FROM gaps GROUP BY run_id) g USING (run_id)`

const FORGET_SQL = `DELETE FROM run_cadence WHERE run_id NOT IN (SELECT run_id FROM runs WHERE status = 'RUNNING')`
