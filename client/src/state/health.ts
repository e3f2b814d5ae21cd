// Run health as the wall shows it. MLflow has no heartbeat, so a dead job is
// seen only by its silence: RUNNING and quiet for more than k times its usual
// logging interval (at least a minute). A run has diverged when its metric
// went NaN/±Inf, or rose above m times its best (lowest) value so far.

export type Health = 'ok' | 'stalled' | 'diverged'

export interface HealthOptions {
  /** Silence, in median logging intervals, before a run counts as stalled. */
  k?: number
  /** Never call a run stalled before this much silence. */
  minSilenceMs?: number
  /** A value above m × the best so far counts as diverged (for metrics that should go down). */
  m?: number
}

export function medianInterval(timestamps: number[]): number {
  if (timestamps.length < 2) return Infinity
  const deltas = timestamps.slice(1).map((t, i) => t - timestamps[i]!).filter((d) => d >= 0).sort((a, b) => a - b)
  return deltas[Math.floor(deltas.length / 2)] ?? Infinity
}

export function runHealth(
  run: { status: string; lastPointAt: number; timestamps: number[]; last: number; best: number },
  now: number,
  options: HealthOptions = {},
): Health {
  const { k = 10, minSilenceMs = 60_000, m = 3 } = options
  if (!Number.isFinite(run.last) && run.timestamps.length > 0) return 'diverged'
  if (Number.isFinite(run.best) && run.best > 0 && run.last > m * run.best) return 'diverged'
  if (run.status === 'RUNNING' && run.lastPointAt > 0) {
    const interval = medianInterval(run.timestamps)
    const limit = Math.max(minSilenceMs, Number.isFinite(interval) ? k * interval : minSilenceMs)
    if (now - run.lastPointAt > limit) return 'stalled'
  }
  return 'ok'
}
