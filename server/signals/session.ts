// Early-stopping signals for one request over one selection of runs, kept in
// temporary tables of a DuckDB connection of its own. The first update reads
// the selection's whole series; later ones read only the points since, so a
// batch of new points costs in proportion to the batch (a completed run that
// changes is the exception: its reference is recomputed whole).
import { DOUBLE, INTEGER, VARCHAR } from '@duckdb/node-api'
import type { MetricBatch } from '../../ingest-watch/events.ts'
import type { RunStatus, SignalBand, SignalsResponse, StopSignal } from '../../protocol/index.ts'
import { toWire } from '../../protocol/index.ts'
import type { RunIndex } from '../index/run-index.ts'
import { mentions, type FilterAst } from '../query/filter-grammar.ts'
import { filterToSql, ParamNamer } from '../query/filter-sql.ts'
import { ashaRule, RUNG_DECISIONS_SQL } from './asha.ts'
import { medianRule } from './median-rule.ts'
import { SignalDb, type Rule } from './rule.ts'
import type { SignalSpec } from './spec.ts'
import { vizierRule } from './vizier-rule.ts'
import {
  ADVANCE_SELECTION_SQL, COMMIT_STEP_ROWS_SQL, FRESH_POINTS_SQL, MEMBERSHIP_DIFF_SQL, membershipSql, NEW_SERIES_SQL,
  PER_RUN_TABLES, REFETCH_SQL, SHRINK_SQL, STEP_ROWS_SUMMARY_SQL, stepRowsSql, stopsSql, WALK_TABLES_SQL,
} from './walk.ts'

export interface Selection {
  /** All experiments when left out. */
  experimentIds?: string[]
  filter?: FilterAst
}

interface MembershipDiff {
  removed: string[] | null
  rebuilt: string[] | null
  restatused: string[] | null
  completed_changed: boolean
}

export interface SignalUpdate {
  /** Runs whose stop signal changed (or that are new to the selection). */
  changed: string[]
  /** The band changed. */
  band: boolean
}

/** Up to this many new points per run, running aggregates come from a self-join (see stepRowsSql). */
const FEW_NEW_STEPS = 16

/** The signal of a selected run the rule has not judged (no value of the metric, or before any decision). */
export const NO_STOP: StopSignal = { wouldStopAt: null, candidate: false }

function ruleFor(spec: SignalSpec): Rule {
  switch (spec.rule) {
    case 'median': return medianRule(spec)
    case 'vizier': return vizierRule(spec)
    case 'asha': return ashaRule(spec)
  }
}

export class SignalSession {
  private readonly stops = new Map<string, StopSignal>()
  private bandText = ''
  private first = true
  /** The selection's filter can change with new points or with time alone. */
  private readonly followsPoints: boolean
  private running: Promise<unknown> = Promise.resolve()
  band: SignalBand = { step: [], value: [], count: [] }

  private constructor(
    private readonly index: RunIndex,
    private readonly db: SignalDb,
    private readonly selection: Selection,
    readonly spec: SignalSpec,
    private readonly rule: Rule,
  ) {
    this.followsPoints = selection.filter !== undefined && mentions(selection.filter, (c) => c.entity === 'metric' || (c.entity === 'attribute' && c.key === 'health'))
  }

  /** Builds the state from the index as it is (reading every point of the selection's series). */
  static async open(index: RunIndex, selection: Selection, spec: SignalSpec): Promise<SignalSession> {
    const rule = ruleFor(spec)
    const { key, direction, rule: _name, ...parameters } = spec
    const db = new SignalDb(await index.connect(), { key, sign: direction === 'minimize' ? 1 : -1, ...parameters, ...rule.parameters })
    const session = new SignalSession(index, db, selection, spec, rule)
    try {
      await db.run(WALK_TABLES_SQL)
      await session.update()
    } catch (err) {
      db.close()
      throw err
    }
    return session
  }

  /** Closes the connection once the update in progress (if any) is done. */
  close(): Promise<void> {
    const closed = this.running.then(() => this.db.close())
    this.running = closed
    return closed
  }

  stopOf(runId: string): StopSignal | undefined {
    return this.stops.get(runId)
  }

  /**
   * Follows the index: the selection, new points, the reference, the
   * verdicts; one at a time. Without `since`, everything is read again from
   * the index. With it, `runs` says whether run records changed (else the
   * selection is re-read only when its filter depends on metrics or health)
   * and `batches` are the index's metric batches since the last update: the
   * new points are taken from them instead of a scan of every point.
   */
  update(since?: { runs: boolean; batches: readonly MetricBatch[] }): Promise<SignalUpdate> {
    const next = this.running.then(() => this.advance(since))
    this.running = next.catch(() => undefined)
    return next
  }

  private async advance(since: { runs: boolean; batches: readonly MetricBatch[] } | undefined): Promise<SignalUpdate> {
    const db = this.db
    const none = { removed: null, rebuilt: null, restatused: null, completed_changed: false }
    const fed = since !== undefined && !this.first
    const diff = !fed || since.runs || this.followsPoints ? await this.membership() : none
    const removed = diff.removed ?? []
    const rebuilt = diff.rebuilt ?? []
    // A series is new when its first points arrive; fed batches say so (they start at position 0).
    if (!fed || diff !== none || since.batches.some((b) => b.key === this.spec.key && b.firstSeq === 0)) await db.run(NEW_SERIES_SQL)
    const fewPerRun = fed && (await this.feed(since.batches)) <= FEW_NEW_STEPS
    if (!fed) await db.run(FRESH_POINTS_SQL)
    await db.run(stepRowsSql(fewPerRun ? 'join' : 'window'))
    let [{ redo: toRedo, completed_touched: completedTouched }] = (await db.rows(STEP_ROWS_SUMMARY_SQL)) as [{ redo: string[] | null; completed_touched: boolean }]
    // Fed points hold only what is new: a run that entered the selection is read whole.
    const redo = [...new Set([...(toRedo ?? []), ...(fed ? rebuilt : [])])]
    if (redo.length > 0) {
      await this.forget(redo)
      await db.run(REFETCH_SQL, { runs: redo })
      await db.run(stepRowsSql('window'))
      ;[{ completed_touched: completedTouched }] = (await db.rows(STEP_ROWS_SUMMARY_SQL)) as [{ completed_touched: boolean }]
    }
    await db.run(COMMIT_STEP_ROWS_SQL)

    const refreshed = await this.rule.refresh(db, {
      completed: this.first || diff.completed_changed || completedTouched,
      dropped: this.first || removed.length + rebuilt.length + redo.length > 0,
    })
    this.first = false

    const listed = [...(diff.restatused ?? []), ...rebuilt, ...redo]
    const which = refreshed.everyRun ? 'all' : listed.length > 0 ? 'new and listed' : 'new'
    const [runIds = [], would = [], candidates = []] = (await db.columns(stopsSql(which), which === 'new and listed' ? { runs: listed } : {})) as [string[], (number | null)[], boolean[]]
    const changed: string[] = []
    for (const id of removed) this.stops.delete(id)
    for (let i = 0; i < runIds.length; i++) {
      const stop: StopSignal = { wouldStopAt: would[i]!, candidate: candidates[i]! }
      const before = this.stops.get(runIds[i]!)
      if (!before || before.wouldStopAt !== stop.wouldStopAt || before.candidate !== stop.candidate) changed.push(runIds[i]!)
      this.stops.set(runIds[i]!, stop)
    }
    if (!fed) await db.run(SHRINK_SQL)
    let band = false
    if (refreshed.band) {
      const next = await this.rule.band(db)
      const text = JSON.stringify(next)
      band = text !== this.bandText
      this.band = next
      this.bandText = text
    }
    return { changed, band }
  }

  /** The batches' points of the metric into `fresh`, columnar; returns the most points any run got. */
  private async feed(batches: readonly MetricBatch[]): Promise<number> {
    const cols: [string[], number[], number[], number[], number[]] = [[], [], [], [], []]
    const perRun = new Map<string, number>()
    let most = 0
    for (const b of batches) {
      if (b.key !== this.spec.key || b.firstSeq === undefined) continue
      const n = (perRun.get(b.runId) ?? 0) + b.value.length
      perRun.set(b.runId, n)
      most = Math.max(most, n)
      for (let i = 0; i < b.value.length; i++) {
        cols[0].push(b.runId); cols[1].push(b.step[i]!); cols[2].push(b.timestamp[i]!); cols[3].push(b.value[i]!); cols[4].push(b.firstSeq + i)
      }
    }
    if (cols[0].length > 0) await this.db.append('fresh', [VARCHAR, DOUBLE, DOUBLE, DOUBLE, INTEGER], cols)
    return most
  }

  /** Re-reads which runs are selected; clears the rows of runs gone or changed. */
  private async membership(): Promise<MembershipDiff> {
    const p = new ParamNamer('f', this.index)
    const where = [filterToSql(this.selection.filter, p).sql]
    const ids = this.selection.experimentIds
    if (ids) where.push(ids.length === 0 ? 'false' : `list_contains(${p.add(ids)}, r.experiment_id)`)
    await this.db.run(membershipSql(where.join(' AND ')), p.params)
    const [diff] = (await this.db.rows(MEMBERSHIP_DIFF_SQL)) as unknown as [MembershipDiff]
    await this.forget([...(diff.removed ?? []), ...(diff.rebuilt ?? [])])
    await this.db.run(ADVANCE_SELECTION_SQL)
    return diff
  }

  private async forget(runIds: string[]): Promise<void> {
    if (runIds.length === 0) return
    for (const t of PER_RUN_TABLES) await this.db.run(`DELETE FROM ${t} WHERE run_id IN (SELECT unnest($runs))`, { runs: runIds })
  }

  /** Every run's verdict, the band, and for ASHA each run's rungs. */
  async answer(): Promise<SignalsResponse> {
    const db = this.db
    const [runId = [], status = [], wouldStopAt = [], candidate = [], lastStep = [], best = []] = (await db.columns(
      `SELECT s.run_id, s.status, v.would_stop_at, coalesce(v.stop_now AND s.status = 'RUNNING', false), t.last_step, $sign * t.best
       FROM sel s LEFT JOIN tail t USING (run_id) LEFT JOIN verdicts v USING (run_id) ORDER BY s.run_id`,
    )) as [string[], RunStatus[], (number | null)[], boolean[], (number | null)[], (number | null)[]]
    const { key, direction, rule, ...parameters } = this.spec
    const out: SignalsResponse = {
      key, direction, rule, parameters,
      completed: status.filter((s) => s === 'FINISHED').length,
      runs: { runId, status, wouldStopAt, candidate, lastStep, best: best.map((b) => (b === null ? null : toWire(b))) },
      band: this.band,
    }
    if (rule === 'asha') {
      const [rRun = [], rung = [], step = [], value = [], inTop = [], stop = []] = (await db.columns(
        `SELECT run_id, rung, step, $sign * sv, in_top, stop FROM (${RUNG_DECISIONS_SQL}) ORDER BY rung, run_id`,
      )) as [string[], number[], number[], number[], boolean[], boolean[]]
      out.rungs = { runId: rRun, rung, step, value: value.map(toWire), inTop, stop }
    }
    return out
  }
}
