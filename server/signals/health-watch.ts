// Health that changes with time alone: a RUNNING run turns stalled without
// any event from the store, so nothing else would publish it. Every few
// seconds this check refreshes the logging intervals, judges the RUNNING runs
// and publishes the ones whose health changed while their points did not (a
// change that came with new points or a new status went out with them).
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

  /** Judges every RUNNING run once (the baseline), then every `everyMs`. */
  async start(everyMs = HEALTH_CHECK_MS): Promise<void> {
    const first = this.queue.run(() => this.check())
    this.timer = setInterval(() => {
      void this.queue.run(() => this.check()).catch((err: unknown) => this.hub.log(`health check failed: ${(err as Error).message}`))
    }, everyMs)
    this.timer.unref()
    await first
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** One check; returns the runs it published. Call it on the serial queue. */
  async check(): Promise<string[]> {
    await refreshCadence(this.index)
    const p = new ParamNamer('h')
    const [ids = [], healths = [], points = []] = (await this.index.columns(
      `SELECT h.run_id, h.health, coalesce(c.points, 0)
       FROM (${runHealthSql(this.index.health, (v) => p.add(v), "hr.status = 'RUNNING'")}) h
       LEFT JOIN run_cadence c USING (run_id)`,
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
