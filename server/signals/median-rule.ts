// Optuna's MedianPruner (PercentilePruner at 50), decided at every step of
// every run as if that step were the run's latest report. Minimizing (values
// are signed, see walk.ts). At step s a run is judged only when:
//   - at least max(1, nStartupTrials) runs are completed (FINISHED),
//   - s >= nWarmupSteps,
//   - s is the first reported step of its interval: the run's previous step
//     is below floor((s - nWarmupSteps) / intervalSteps) * intervalSteps + nWarmupSteps
//     (Optuna's _is_first_in_interval_step; with every step reported, s on that grid).
// Then it stops when its best value so far (NaN ignored) is all NaN, or when
// at least nMinTrials completed runs have a value at exactly s and the best
// is strictly above their median (numpy's nanpercentile 50: NaN ignored, the
// mean of the two middle values). A median of only NaN never stops a run.
import type { MedianParams } from './spec.ts'
import { readBand, storeVerdicts, type RefreshCause, type Rule, type SignalDb } from './rule.ts'

const REFERENCE_SQL = `
INSERT INTO ref
SELECT w.step, count(*), quantile_cont(w.sv, 0.5) FILTER (WHERE NOT isnan(w.sv))
FROM walk w JOIN sel USING (run_id) WHERE sel.status = 'FINISHED' GROUP BY w.step`

function decisions(rows: 'walk' | 'step_rows'): string {
  return `SELECT w.run_id, w.step, w.step AS turn, (w.best IS NULL OR coalesce(r.n >= $nMinTrials AND w.best > r.med, false)) AS stop
    FROM ${rows} w LEFT JOIN ref r USING (step)
    WHERE (SELECT count(*) FROM sel WHERE status = 'FINISHED') >= greatest($nStartupTrials, 1)
      AND w.step >= $nWarmupSteps
      AND w.prev_step < floor((w.step - $nWarmupSteps) / $intervalSteps) * $intervalSteps + $nWarmupSteps`
}

export function medianRule(_params: MedianParams): Rule {
  return {
    // Verdicts depend on the completed runs and on each run's own rows only.
    async refresh(db: SignalDb, { completed: full }: RefreshCause) {
      if (full) await db.run(['DELETE FROM ref', REFERENCE_SQL])
      await storeVerdicts(db, decisions(full ? 'walk' : 'step_rows'), full)
      return { band: full, everyRun: full }
    },
    band: (db) => readBand(db, 'SELECT step, $sign * med, n FROM ref WHERE n >= $nMinTrials AND med IS NOT NULL ORDER BY step'),
  }
}
