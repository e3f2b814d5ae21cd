// ASHA (asynchronous successive halving, Li et al. 2018) as Ray Tune's
// AsyncHyperBandScheduler runs it, with rungs at gracePeriod × η^k up to maxT.
// Minimizing (values are signed, see walk.ts). A run reaches a rung at its
// first step >= the rung; its value there is recorded, at that point's time.
// It would stop there if its value is strictly worse than the 1/η quantile
// (linear, NaN left out) of the values recorded at that rung before it —
// Ray's "cutoff" — and it is in the top 1/η of the rung if its value is not
// worse than that quantile over every value recorded there. A NaN never stops
// a run and is never in the top.
import type { AshaParams } from './spec.ts'
import { ashaRungs } from './spec.ts'
import { readBand, storeVerdicts, type RefreshCause, type Rule, type SignalDb } from './rule.ts'

/** Rung records of the new rows: each rung in (previous step, step] is reached at this step. */
const RECORD_SQL = [
  'DELETE FROM rec_new',
  `INSERT INTO rec_new SELECT w.run_id, g.rung, w.step, w.ts, w.sv
   FROM step_rows w JOIN (SELECT unnest($rungs) AS rung) g ON g.rung > w.prev_step AND g.rung <= w.step`,
]

/** How many new records, and whether one reached its rung before one already there (a late point): earlier decisions move. */
const NEW_RECORDS_SQL = `
SELECT (SELECT count(*)::DOUBLE FROM rec_new) AS n,
  EXISTS (SELECT 1 FROM rec_new n JOIN rec o ON o.rung = n.rung AND (o.ts > n.ts OR (o.ts = n.ts AND o.run_id > n.run_id))) AS late`

/** Each record with its decision; ties in time are broken by run id. */
export const RUNG_DECISIONS_SQL = `
SELECT run_id, rung, step, sv,
  coalesce(fv > quantile_cont(fv, $quantile) OVER earlier, false) AS stop,
  coalesce(fv <= quantile_cont(fv, $quantile) OVER (PARTITION BY rung), false) AS in_top
FROM (SELECT *, CASE WHEN isnan(sv) THEN NULL ELSE sv END AS fv FROM rec)
WINDOW earlier AS (PARTITION BY rung ORDER BY ts, run_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)`

export function ashaRule(params: AshaParams): Rule {
  return {
    parameters: { rungs: ashaRungs(params), quantile: 1 / params.reductionFactor },
    // Every run's verdicts depend on the records before its own, whatever their runs' status.
    async refresh(db: SignalDb, { dropped }: RefreshCause) {
      await db.run(RECORD_SQL)
      const [{ n, late }] = (await db.rows(NEW_RECORDS_SQL)) as [{ n: number; late: boolean }]
      if (n === 0 && !dropped) return { band: false, everyRun: false }
      await db.run('INSERT INTO rec SELECT * FROM rec_new')
      // A record is judged against the ones before it: new records alone, unless one came in ahead of others or some left.
      const everyRun = dropped || late
      const decisions = `SELECT d.run_id, d.step, d.rung AS turn, d.stop FROM (${RUNG_DECISIONS_SQL}) d
        ${everyRun ? '' : 'SEMI JOIN rec_new n ON n.run_id = d.run_id AND n.rung = d.rung'}`
      await storeVerdicts(db, decisions, everyRun)
      return { band: true, everyRun }
    },
    band: (db) =>
      readBand(db, `SELECT rung, $sign * quantile_cont(CASE WHEN isnan(sv) THEN NULL ELSE sv END, $quantile), count(*)::DOUBLE
        FROM rec GROUP BY rung ORDER BY rung`),
  }
}
