// Health that changes with time alone: a RUNNING run turns stalled without
// any event from the store, so nothing else would publish it. Every few
// seconds this check refreshes the logging intervals, judges the RUNNING runs
// and publishes the ones whose health changed while their points did not (a
// change that came with new points or a new status went out with them). The
// first judgement, the baseline, comes before any interval is known; the
// checks after it correct what that got wrong (a slow logger is not stalled).
import type { RunHealth } from '../../protocol/index.ts'
import type { RunIndex } from '../index/run-index.ts'
import type { LiveHub } from '../live/hub.ts'
import { ParamNamer } from '../query/filter-sql.ts'
import type { SerialQueue } from '../serial-queue.ts'
import { refreshCadence } from './cadence.ts'
import { runHealthSql } from './health.ts'

export const HEALTH_CHECK_MS = 5_000

interface Seen {
  health: RunHealth
  points: number
}

export class HealthWatch {
  private seen = new Map<string, Seen>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly index: RunIndex,
    private readonly hub: LiveHub,
    private readonly queue: SerialQueue,
  ) {}

  /**
   * Judges every RUNNING run once (the baseline, queued at once: ahead of the
   * first subscriptions), then checks right away and every `everyMs`.
   */
  async start(everyMs = HEALTH_CHECK_MS): Promise<void> {
    await this.queue.run(() => this.judge())
    let checking = false
    const check = async () => {
      // A check on a large store can outlast the period: never two at once.
      if (checking) return
      checking = true
      try {
        await this.check()
      } catch (err) {
        this.hub.log(`health check failed: ${(err as Error).message}`)
      } finally {
        checking = false
      }
    }
    this.timer = setInterval(() => void check(), everyMs)
    this.timer.unref()
    await check()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** One check, its steps on the serial queue; returns the runs it published. */
  async check(): Promise<string[]> {
    await refreshCadence(this.index, (job) => this.queue.run(job))
    return this.queue.run(() => this.judge())
  }

  private async judge(): Promise<string[]> {
    const p = new ParamNamer('h')
    const [ids = [], healths = [], points = []] = (await this.index.columns(
      `SELECT h.run_id, h.health, coalesce(m.points, 0)
       FROM (${runHealthSql(this.index.health, (v) => p.add(v), "hr.status = 'RUNNING'")}) h
       LEFT JOIN (SELECT run_id, sum(count)::DOUBLE AS points FROM latest_metrics GROUP BY run_id) m USING (run_id)`,
      p.params,
      3,
    )) as [string[], RunHealth[], number[]]
    const previous = this.seen
    this.seen = new Map()
    const changed: string[] = []
    for (let i = 0; i < ids.length; i++) {
      const now: Seen = { health: healths[i]!, points: points[i]! }
      const before = previous.get(ids[i]!)
      if (before && before.health !== now.health && before.points === now.points) changed.push(ids[i]!)
      this.seen.set(ids[i]!, now)
    }
    // Signal selections filtered on health move with it.
    if (changed.length > 0) this.hub.signals.noteChanges(true, [])
    if (changed.length > 0 && this.hub.clientCount > 0) {
      await this.hub.publish({ upsert: await this.index.runSummaries({ runIds: changed, includeDeleted: true }), remove: [], batches: [] })
    }
    return changed
  }
}
