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
CREATE TEMP TABLE walk (run_id VARCHAR, step DOUBLE, ts DOUBLE, sv DOUBLE, best DOUBLE, csum DOUBLE, cn DOUBLE, prev_step DOUBLE);
CREATE TEMP TABLE step_rows AS SELECT *, false AS late, 0 AS lo, 0 AS hi, 0 AS seen_before FROM walk LIMIT 0;
CREATE TEMP TABLE tail (run_id VARCHAR PRIMARY KEY, last_step DOUBLE, best DOUBLE, csum DOUBLE, cn DOUBLE, seen INTEGER);
CREATE TEMP TABLE verdicts (run_id VARCHAR PRIMARY KEY, would_stop_at DOUBLE, stop_now BOOLEAN, decided_step DOUBLE);
CREATE TEMP TABLE ref (step DOUBLE PRIMARY KEY, n INTEGER, med DOUBLE);
CREATE TEMP TABLE rec (run_id VARCHAR, rung DOUBLE, step DOUBLE, ts DOUBLE, sv DOUBLE);
CREATE TEMP TABLE rec_new AS SELECT * FROM rec LIMIT 0`

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
 * batches to `fresh` instead; either way STEP_ROWS_SQL keeps only the selected
 * runs' points from where the walk stopped reading.
 */
export const FRESH_POINTS_SQL = `
INSERT INTO fresh SELECT sel.run_id, p.step, p.timestamp, p.value, p.seq
FROM points p JOIN sel ON p.series_id = sel.series_id LEFT JOIN tail t ON t.run_id = sel.run_id
WHERE p.seq >= coalesce(t.seen, 0)`

/** For runs being rebuilt (their per-run rows cleared): their whole series. */
export const REFETCH_SQL = [
  'DELETE FROM fresh WHERE run_id IN (SELECT unnest($runs))',
  `INSERT INTO fresh SELECT sel.run_id, p.step, p.timestamp, p.value, p.seq
   FROM points p JOIN sel ON p.series_id = sel.series_id WHERE sel.run_id IN (SELECT unnest($runs))`,
]

/**
 * `fresh` → `step_rows`: one row per run and step (the last logged value, as
 * the charts draw it), then running best / sum / count continued from the
 * run's `tail`. NaN counts in no aggregate: it is kept as the step's value
 * but is never a best nor part of an average. `late` marks a step at or
 * before the run's last one; `lo`/`hi` are the positions read, so a run whose
 * fed points do not continue where the walk stopped can be rebuilt.
 *
 * The running aggregates over a run's new steps come from a window when runs
 * have many new steps (a first read), and from a self-join when each has a
 * few: DuckDB's window costs microseconds per partition, and a live batch
 * has a partition per run.
 */
export function stepRowsSql(prefix: 'window' | 'join'): string[] {
  const running =
    prefix === 'window'
      ? `SELECT *, min(fv) OVER w AS m, sum(fv) OVER w AS s, count(fv) OVER w AS c, lag(step) OVER w AS lp
         FROM sg WINDOW w AS (PARTITION BY run_id ORDER BY step ROWS UNBOUNDED PRECEDING)`
      : `SELECT a.*, min(b.fv) AS m, sum(b.fv) AS s, count(b.fv) AS c, max(b.step) FILTER (WHERE b.step < a.step) AS lp
         FROM sg a JOIN sg b ON b.run_id = a.run_id AND b.step <= a.step GROUP BY ALL`
  return [
    'DELETE FROM step_rows',
    `INSERT INTO step_rows
WITH pv AS (
  SELECT f.run_id, f.step, max(f.timestamp) AS ts, arg_max(f.value, [f.timestamp, f.seq]) AS value, min(f.seq) AS lo, max(f.seq) AS hi
  FROM fresh f JOIN sel ON sel.run_id = f.run_id LEFT JOIN tail t ON t.run_id = f.run_id
  WHERE sel.series_id IS NOT NULL AND f.seq >= coalesce(t.seen, 0)
  GROUP BY f.run_id, f.step),
sg AS (
  SELECT *, $sign * value AS sv, CASE WHEN isnan(value) THEN NULL ELSE $sign * value END AS fv FROM pv),
win AS (${running})
SELECT win.run_id, win.step, win.ts, win.sv,
  least(win.m, t.best),
  coalesce(t.csum, 0) + coalesce(win.s, 0),
  coalesce(t.cn, 0) + win.c,
  coalesce(win.lp, t.last_step, '-infinity'::DOUBLE),
  coalesce(win.step <= t.last_step, false), win.lo, win.hi, coalesce(t.seen, 0)
FROM win LEFT JOIN tail t USING (run_id)`,
  ]
}

/** Runs to rebuild, and whether a completed run has new rows (the completed runs' reference moves). */
export const STEP_ROWS_SUMMARY_SQL = `
SELECT list(run_id) FILTER (WHERE redo) AS redo, coalesce(bool_or(done), false) AS completed_touched
FROM (SELECT s.run_id, bool_or(s.late) OR min(s.lo) > min(s.seen_before) AS redo, bool_or(sel.status = 'FINISHED') AS done
      FROM step_rows s JOIN sel USING (run_id) GROUP BY s.run_id)`

/**
 * After a large update (the first, a scan): DELETE keeps the storage of every
 * row it marks deleted, and a million of them would slow each scan after.
 * Replacing the tables frees it (and makes the prepared statements re-plan once).
 */
export const SHRINK_SQL = [
  'CREATE OR REPLACE TEMP TABLE fresh AS SELECT * FROM fresh LIMIT 0',
  'CREATE OR REPLACE TEMP TABLE step_rows AS SELECT * FROM step_rows LIMIT 0',
]

/** After `step_rows`: into the walk, and the runs' tails (with how far each series has been read). */
export const COMMIT_STEP_ROWS_SQL = [
  'INSERT INTO walk SELECT run_id, step, ts, sv, best, csum, cn, prev_step FROM step_rows',
  `INSERT OR REPLACE INTO tail
   SELECT run_id, max(step), arg_max(best, step), arg_max(csum, step), arg_max(cn, step), max(hi) + 1 FROM step_rows GROUP BY run_id`,
  'DELETE FROM fresh',
]

/** The stop signal of the selection's runs: all, or those with new rows (and those in `$runs`). */
export function stopsSql(which: 'all' | 'new' | 'new and listed'): string {
  const where = { all: '', new: 'WHERE s.run_id IN (SELECT run_id FROM step_rows)', 'new and listed': 'WHERE s.run_id IN (SELECT run_id FROM step_rows) OR s.run_id IN (SELECT unnest($runs))' }
  return `SELECT s.run_id, v.would_stop_at, coalesce(v.stop_now AND s.status = 'RUNNING', false) AS candidate
    FROM sel s LEFT JOIN verdicts v USING (run_id) ${where[which]}`
}
