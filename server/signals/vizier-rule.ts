// Google Vizier's median stopping rule (Golovin et al., KDD 2017), the rule
// Ray Tune's MedianStoppingRule implements. Minimizing (values are signed,
// see walk.ts). At step s >= gracePeriod, over the completed (FINISHED) runs
// that reached s (their last step >= s): each one's running average up to s —
// the mean of its values at steps <= s, NaN left out. When at least minSamples
// of them have one, a run stops if its best value up to s is strictly above
// their median, or if all its values up to s are NaN.
import type { VizierParams } from './spec.ts'
import { readBand, storeVerdicts, type RefreshCause, type Rule, type SignalDb } from './rule.ts'

/** The completed runs' last steps and running averages: they change only with a full refresh. */
const COMPLETED_SQL = [
  'CREATE OR REPLACE TEMP TABLE vz_need (step DOUBLE, run_id VARCHAR)',
  `CREATE OR REPLACE TEMP TABLE vz_reach AS
   SELECT w.run_id, max(w.step) AS last_step FROM walk w JOIN sel USING (run_id) WHERE sel.status = 'FINISHED' GROUP BY w.run_id`,
  `CREATE OR REPLACE TEMP TABLE vz_average AS
   SELECT w.run_id, w.step, w.csum / w.cn AS average FROM walk w JOIN sel USING (run_id) WHERE sel.status = 'FINISHED' AND w.cn > 0`,
]

/** The steps of `source` that have no reference yet, paired with the completed runs that reached them. */
function needSql(source: 'walk' | 'step_rows'): string {
  return `SELECT n.step, c.run_id FROM (SELECT DISTINCT step FROM ${source} WHERE step NOT IN (SELECT step FROM ref)) n
    LEFT JOIN vz_reach c ON c.last_step >= n.step`
}

/** Their reference: the median of those runs' averages up to the step (an ASOF join finds the average). */
const REFERENCE_SQL = `
INSERT INTO ref
WITH pairs AS (SELECT * FROM vz_need WHERE run_id IS NOT NULL),
found AS (SELECT p.step, a.average FROM pairs p ASOF JOIN vz_average a ON a.run_id = p.run_id AND a.step <= p.step)
SELECT n.step, count(f.average) FILTER (WHERE NOT isnan(f.average)), median(f.average) FILTER (WHERE NOT isnan(f.average))
FROM (SELECT DISTINCT step FROM vz_need) n LEFT JOIN found f USING (step) GROUP BY n.step`

function decisions(rows: 'walk' | 'step_rows'): string {
  return `SELECT w.run_id, w.step, w.step AS turn, (w.best IS NULL OR w.best > r.med) AS stop
    FROM ${rows} w JOIN ref r USING (step)
    WHERE w.step >= $gracePeriod AND r.n >= $minSamples`
}

export function vizierRule(_params: VizierParams): Rule {
  return {
    // Verdicts depend on the completed runs and on each run's own rows only.
    async refresh(db: SignalDb, { completed: full }: RefreshCause) {
      if (full) await db.run(['DELETE FROM ref', ...COMPLETED_SQL])
      // New steps of running runs need their reference; the existing steps' did not move. Most batches bring none.
      const need = needSql(full ? 'walk' : 'step_rows')
      const [{ steps, pairs }] = (await db.rows(`SELECT count(*)::DOUBLE AS steps, count(run_id)::DOUBLE AS pairs FROM (${need})`)) as [{ steps: number; pairs: number }]
      if (steps > 0) await db.run(['DELETE FROM vz_need', `INSERT INTO vz_need ${need}`])
      // Steps no completed run reached have no reference; the ASOF join (a sort of every average) is for the others.
      if (pairs > 0) await db.run(REFERENCE_SQL)
      else if (steps > 0) await db.run('INSERT INTO ref SELECT DISTINCT step, 0, NULL FROM vz_need')
      await storeVerdicts(db, decisions(full ? 'walk' : 'step_rows'), full)
      return { band: full || pairs > 0, everyRun: full }
    },
    band: (db) => readBand(db, 'SELECT step, $sign * med, n FROM ref WHERE n >= $minSamples ORDER BY step'),
  }
}
