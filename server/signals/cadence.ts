// Each RUNNING run's median logging interval, kept in `run_cadence` for run
// health. A median needs every timestamp of the run, so it is not folded per
// batch: it is recomputed every few seconds, only for the runs whose point
// count changed since (a silent run's interval does not move).
//
// The interval is measured within each series (one metric), then pooled over
// the run: a job that logs loss and accuracy a few milliseconds apart every
// minute has a one-minute cadence, not a few milliseconds.
import type { RunIndex } from '../index/run-index.ts'

/** Call on the serial queue (it writes to the index). */
export function refreshCadence(index: RunIndex): Promise<void> {
  return index.write(REFRESH_CADENCE_SQL)
}

const REFRESH_CADENCE_SQL = `
INSERT OR REPLACE INTO run_cadence
WITH live AS (
  SELECT m.run_id, sum(m.count)::DOUBLE AS points
  FROM latest_metrics m JOIN runs r USING (run_id)
  WHERE r.status = 'RUNNING'
  GROUP BY m.run_id),
stale AS (
  SELECT l.run_id, l.points FROM live l LEFT JOIN run_cadence c USING (run_id)
  WHERE c.points IS DISTINCT FROM l.points),
moments AS (
  SELECT DISTINCT p.series_id, p.timestamp FROM points p
  WHERE p.series_id IN (SELECT s.series_id FROM series s JOIN stale USING (run_id))),
gaps AS (
  SELECT s.run_id, t.timestamp - lag(t.timestamp) OVER (PARTITION BY t.series_id ORDER BY t.timestamp) AS gap
  FROM moments t JOIN series s USING (series_id))
SELECT st.run_id, st.points, g.median_gap
FROM stale st LEFT JOIN (SELECT run_id, median(gap) AS median_gap FROM gaps GROUP BY run_id) g USING (run_id);
DELETE FROM run_cadence WHERE run_id NOT IN (SELECT run_id FROM runs WHERE status = 'RUNNING')`
