// Run health, computed in DuckDB from the index (formulas in docs/stopping-rules.md).
// MLflow has no heartbeat, so a dead job shows only by its silence: RUNNING and
// quiet for more than k × its median logging interval (never less than a
// minute). A run has diverged when the latest value of any metric is NaN/±Inf,
// or a loss-like metric's latest value is above m × its minimum so far.
import type { RunHealth } from '../../protocol/index.ts'

export interface HealthSettings {
  /** Silence, in median logging intervals, before a RUNNING run counts as stalled. */
  k: number
  /** Never stalled before this much silence; also the limit for runs with no interval yet. */
  minSilenceMs: number
  /** A loss-like latest value above m × its minimum (when the minimum is > 0) counts as diverged. */
  m: number
  /** A metric is loss-like when its key contains one of these (case-insensitive). */
  lossLike: string[]
}

export const DEFAULT_HEALTH: HealthSettings = { k: 10, minSilenceMs: 60_000, m: 3, lossLike: ['loss'] }

/** The settings plus the clock: tests move time by hand. */
export interface HealthPolicy extends HealthSettings {
  now(): number
}

export function healthPolicy(settings: Partial<HealthSettings> = {}, now: () => number = Date.now): HealthPolicy {
  return { ...DEFAULT_HEALTH, ...settings, now }
}

export const HEALTH_VALUES: readonly RunHealth[] = ['ok', 'stalled', 'diverged']

/**
 * `SELECT run_id, health, stall_after` for the runs (aliased `hr`) that satisfy
 * `where` (`stall_after`: the time after which a RUNNING run that logs nothing
 * more counts as stalled);
 * `metricRuns`, a query of those runs' ids when the caller has a shorter one
 * than reading `runs` again (a list of ids: one semi-join instead of two).
 * `param` turns a value into a placeholder: the clock and settings travel as
 * parameters, never as SQL text. Reads `run_cadence` for the median interval,
 * which server/signals/cadence.ts keeps fresh.
 */
export function runHealthSql(policy: HealthPolicy, param: (value: unknown) => string, where = 'true', metricRuns = `SELECT hr.run_id FROM runs hr WHERE ${where}`): string {
  // One contains() per pattern: a lambda over a list parameter, per metric row, cost more than the rest of the query.
  const lossLike = policy.lossLike.map((s) => `contains(lower(key), ${param(s.toLowerCase())})`).join(' OR ') || 'false'
  const m = param(policy.m)
  const silentSince = 'coalesce(hm.last_ts, hr.start_time::DOUBLE)'
  const silenceLimit = `greatest(${param(policy.minSilenceMs)}, coalesce(${param(policy.k)} * hc.median_gap, 0))`
  // NaN compares above everything in DuckDB, so non-finite values are tested first and apart.
  return `SELECT hr.run_id,
      CASE
        WHEN coalesce(hm.diverged, false) THEN 'diverged'
        WHEN hr.status = 'RUNNING' AND ${param(policy.now())} - ${silentSince} > ${silenceLimit} THEN 'stalled'
        ELSE 'ok'
      END AS health,
      ${silentSince} + ${silenceLimit} AS stall_after
    FROM runs hr
    LEFT JOIN (
      SELECT run_id, max(last_timestamp) AS last_ts,
        bool_or(NOT isfinite(value) OR (
          (${lossLike})
          AND min_value > 0 AND value > ${m} * min_value)) AS diverged
      FROM latest_metrics WHERE run_id IN (${metricRuns})
      GROUP BY run_id) hm ON hm.run_id = hr.run_id
    LEFT JOIN run_cadence hc ON hc.run_id = hr.run_id
    WHERE ${where}`
}
