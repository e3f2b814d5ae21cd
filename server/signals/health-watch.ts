// Health that changes with time alone: a RUNNING run turns stalled without
// any event from the store, so nothing else would publish it. Every few
// seconds this check refreshes the logging intervals, judges the RUNNING runs
// and publishes the ones whose health changed since the last check. The
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

export class HealthWatch {
  private seen = new Map<string, RunHealth>()
  private timer: NodeJS.Timeout | undefined
  /**
   * The index's change count at the last judgement, and the earliest time
   * after which a RUNNING run then judged ok turns stalled if it logs nothing
   * more. Health moves only with the index's content or with time passing
   * such a moment: until one of them does, a check has nothing to do (on a
   * 10,000-run store, two queries of 20–50 ms every few seconds that
   * searches would otherwise run beside).
   */
  private judged: { changes: number; nextStall: number } | undefined
  /** Set by stop(): a check already under way then skips its queued steps, which would run after the index closed. */
  private stopped = false

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
    await this.judgeQueued()
    if (this.stopped) return
    // The baseline comes before any logging interval is known: the first check judges again with them.
    this.judged = undefined
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
    this.stopped = true
    clearInterval(this.timer)
  }

  /** One check, its steps on the serial queue; returns the runs it published. */
  async check(): Promise<string[]> {
    if (this.stopped) return []
    if (this.judged && this.judged.changes === this.index.changes && !(this.index.health.now() > this.judged.nextStall)) return []
    await refreshCadence(this.index, (job) => this.queue.run(() => (this.stopped ? Promise.resolve() : job())))
    return this.judgeQueued()
  }

  /** A judgement on the serial queue, skipped if the watch stopped while it waited there. */
  private judgeQueued(): Promise<string[]> {
    return this.queue.run(() => (this.stopped ? Promise.resolve([]) : this.judge()))
  }

  private async judge(): Promise<string[]> {
    // On the serial queue: no events are applied meanwhile, so this count is the one judged.
    const changes = this.index.changes
    const p = new ParamNamer('h')
    const [ids = [], healths = [], stallAfter = []] = (await this.index.columns(
      `SELECT h.run_id, h.health, h.stall_after FROM (${runHealthSql(this.index.health, (v) => p.add(v), "hr.status = 'RUNNING'")}) h`,
      p.params,
      3,
    )) as [string[], RunHealth[], (number | null)[]]
    let nextStall = Infinity
    for (let i = 0; i < ids.length; i++) if (healths[i] === 'ok' && stallAfter[i] !== null) nextStall = Math.min(nextStall, stallAfter[i]!)
    this.judged = { changes, nextStall }
    const previous = this.seen
    this.seen = new Map()
    const changed: string[] = []
    for (let i = 0; i < ids.length; i++) {
      const now = healths[i]!
      const before = previous.get(ids[i]!)
      // Published whenever the verdict moved since the last check (or a run is first seen unhealthy): a run
      // that fell silent right after logging changes verdict between two checks whose point counts differ.
      // An upsert that repeats what a points-driven upsert already said is harmless; a missed one is not.
      if (before ? before !== now : now !== 'ok') changed.push(ids[i]!)
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
