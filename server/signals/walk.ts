// The state every stopping rule reads, kept in temporary tables of one DuckDB
// connection and advanced incrementally: per run and step of the chosen
// metric, the value (the last logged at that step) and what the rules need
// from the steps before (the best so far, the running sum and count, the
// previous step). New points only append rows after a run's last step; a
// point at or before it (a re-logged or late step) rebuilds that run.
//
// Values are stored signed (`sv` = value for minimize, −value for maximize),
// so every rule is written once, for minimizing.

export const WALK_TABLES_SQL = `
CREATE TEMP TABLE sel (run_id VARCHAR, status VARCHAR, series_id INTEGER);
CREATE TEMP TABLE cur AS SELECT * FROM sel LIMIT 0;
CREATE TEMP TABLE fresh (run_id VARCHAR, step DOUBLE, timestamp DOUBLE, value DOUBLE, seq INTEGER);
CREATE TEMP TABLE step_rows (run_id VARCHAR, step DOUBLE, ts DOUBLE, sv DOUBLE, best DOUBLE, csum DOUBLE, cn DOUBLE, prev_step DOUBLE);
CREATE TEMP TABLE walk AS SELECT * FROM step_rows LIMIT 0;
CREATE TEMP TABLE tail (run_id VARCHAR PRIMARY KEY, last_step DOUBLE, best DOUBLE, csum DOUBLE, cn DOUBLE, seen INTEGER);
CREATE TEMP TABLE verdicts (run_id VARCHAR PRIMARY KEY, would_stop_at DOUBLE, stop_now BOOLEAN, decided_step DOUBLE);
CREATE TEMP TABLE ref (step DOUBLE PRIMARY KEY, n INTEGER, med DOUBLE);
CREATE TEMP TABLE rec (run_id VARCHAR, rung DOUBLE, step DOUBLE, ts DOUBLE, sv DOUBLE);
CREATE TEMP VIEW fresh_new AS
  SELECT f.* FROM fresh f JOIN sel ON sel.run_id = f.run_id AND sel.series_id IS NOT NULL
  LEFT JOIN tail t ON t.run_id = f.run_id WHERE f.seq >= coalesce(t.seen, 0)`

/** Per-run tables, cleared for runs that leave the selection or are rebuilt (`tail.seen` then starts over). */
export const PER_RUN_TABLES = ['walk', 'tail', 'verdicts', 'rec'] as const

/** `cur` gets the selection as it is now: `where` is the runs filter over `runs r`. */
export function membershipSql(where: string): string {
  return `INSERT INTO cur
    SELECT r.run_id, r.status, s.series_id FROM runs r LEFT JOIN series s ON s.run_id = r.run_id AND s.key = $key
    WHERE r.lifecycle_stage = 'active' AND ${where}`
}

/**
 * What changed between `sel` and `cur`: runs gone, runs to build from scratch
 * (new, or their series changed), runs whose status changed, and whether the
 * set of completed (FINISHED) runs changed.
 */
export const MEMBERSHIP_DIFF_SQL = `
SELECT
  (SELECT list(s.run_id) FROM sel s ANTI JOIN cur c USING (run_id)) AS removed,
  (SELECT list(c.run_id) FROM cur c LEFT JOIN sel s USING (run_id)
    WHERE s.run_id IS NULL OR s.series_id IS DISTINCT FROM c.series_id) AS rebuilt,
  (SELECT list(c.run_id) FROM cur c JOIN sel s USING (run_id) WHERE s.status != c.status) AS restatused,
  (SELECT list(run_id ORDER BY run_id) FROM sel WHERE status = 'FINISHED')
    IS DISTINCT FROM (SELECT list(run_id ORDER BY run_id) FROM cur WHERE status = 'FINISHED') AS completed_changed`

export const ADVANCE_SELECTION_SQL = ['DELETE FROM sel', 'INSERT INTO sel SELECT * FROM cur', 'DELETE FROM cur']

/** A selected run's first point of the metric creates its series. */
export const NEW_SERIES_SQL = `
UPDATE sel SET series_id = s.series_id FROM series s
WHERE sel.series_id IS NULL AND s.run_id = sel.run_id AND s.key = $key`

/**
 * Points the walk has not seen yet, by their position in the series, read
 * from the index (a scan of all points). Live updates append the index's
 * batches to `fresh` instead; either way `fresh_new` keeps only the selected
 * runs' points from where the walk stopped reading.
 */
export const FRESH_POINTS_SQL = `
INSERT INTO fresh SELECT sel.run_id, p.step, p.timestamp, p.value, p.seq
FROM points p JOIN sel ON p.series_id = sel.series_id LEFT JOIN tail t ON t.run_id = sel.run_id
WHERE p.seq >= coalesce(t.seen, 0)`

/**
 * Runs to rebuild from the index: new points that do not all come after the
 * run's last step, or (with fed points) that do not continue where the walk
 * stopped reading; and whether a completed run has new points.
 */
export const FRESH_SUMMARY_SQL = `
SELECT
  (SELECT list(DISTINCT run_id) FROM (
    SELECT f.run_id FROM fresh_new f JOIN tail t USING (run_id) WHERE f.step <= t.last_step
    UNION ALL
    SELECT f.run_id FROM fresh_new f LEFT JOIN tail t USING (run_id) GROUP BY f.run_id, t.seen HAVING min(f.seq) > coalesce(t.seen, 0))) AS redo,
  (SELECT count(*) FROM (SELECT DISTINCT run_id FROM fresh_new) JOIN sel USING (run_id) WHERE sel.status = 'FINISHED') > 0 AS completed_touched`

/** For runs being rebuilt (their per-run rows cleared): their whole series. */
export const REFETCH_SQL = [
  'DELETE FROM fresh WHERE list_contains($runs, run_id)',
  `INSERT INTO fresh SELECT sel.run_id, p.step, p.timestamp, p.value, p.seq
   FROM points p JOIN sel ON p.series_id = sel.series_id WHERE list_contains($runs, sel.run_id)`,
]

/**
 * `fresh` → `step_rows`: one row per run and step (the last logged value, as
 * the charts draw it), then running best / sum / count continued from the
 * run's `tail`. NaN counts in no aggregate: it is kept as the step's value
 * but is never a best nor part of an average.
 */
export const STEP_ROWS_SQL = `
INSERT INTO step_rows
WITH pv AS (
  SELECT run_id, step, max(timestamp) AS ts, arg_max(value, [timestamp, seq]) AS value
  FROM fresh_new GROUP BY run_id, step),
sg AS (
  SELECT run_id, step, ts, $sign * value AS sv, CASE WHEN isnan(value) THEN NULL ELSE $sign * value END AS fv FROM pv),
win AS (
  SELECT *, min(fv) OVER w AS m, sum(fv) OVER w AS s, count(fv) OVER w AS c,
    lag(step) OVER (PARTITION BY run_id ORDER BY step) AS lp
  FROM sg WINDOW w AS (PARTITION BY run_id ORDER BY step ROWS UNBOUNDED PRECEDING))
SELECT win.run_id, win.step, win.ts, win.sv,
  least(win.m, t.best),
  coalesce(t.csum, 0) + coalesce(win.s, 0),
  coalesce(t.cn, 0) + win.c,
  coalesce(win.lp, t.last_step, '-infinity'::DOUBLE)
FROM win LEFT JOIN tail t USING (run_id)`

/** After `step_rows`: into the walk, and the runs' tails (with how far each series has been read). */
export const COMMIT_STEP_ROWS_SQL = [
  'INSERT INTO walk SELECT * FROM step_rows',
  // Read from `fresh` whole: after this statement the view would hide what it just read.
  `INSERT OR REPLACE INTO tail
   SELECT w.run_id, w.last_step, w.best, w.csum, w.cn, f.seen
   FROM (SELECT run_id, max(step) AS last_step, arg_max(best, step) AS best, arg_max(csum, step) AS csum, arg_max(cn, step) AS cn
         FROM step_rows GROUP BY run_id) w
   JOIN (SELECT run_id, max(seq) + 1 AS seen FROM fresh GROUP BY run_id) f USING (run_id)`,
  'DELETE FROM fresh',
]
/** The stop signal of the selection's runs: all, or those with new rows (and those in `$runs`). */
export function stopsSql(which: 'all' | 'new' | 'new and listed'): string {
  const where = { all: '', new: 'WHERE s.run_id IN (SELECT run_id FROM step_rows)', 'new and listed': 'WHERE s.run_id IN (SELECT run_id FROM step_rows) OR list_contains($runs, s.run_id)' }
  return `SELECT s.run_id, v.would_stop_at, coalesce(v.stop_now AND s.status = 'RUNNING', false) AS candidate
    FROM sel s LEFT JOIN verdicts v USING (run_id) ${where[which]}`
}
