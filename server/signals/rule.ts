// What a stopping rule is to the signal session: SQL over the walk's tables
// (walk.ts) that keeps `verdicts` and the rule's reference up to date.
import { DuckDBDataChunk, listValue, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBType } from '@duckdb/node-api'
import type { SignalBand } from '../../protocol/index.ts'
import { toWire } from '../../protocol/index.ts'

/** DuckDB's vector size: rows per appended chunk. */
const CHUNK_ROWS = 2048

/**
 * One connection and its temporary tables; every statement gets the session's
 * parameters it names. Statements are prepared once and kept: a live update
 * runs the same dozen small statements every time, and planning them would
 * cost more than running them.
 */
export class SignalDb {
  private readonly prepared = new Map<string, DuckDBPreparedStatement>()

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly base: Record<string, unknown>,
  ) {}

  private async statement(sql: string, extra: Record<string, unknown>): Promise<DuckDBPreparedStatement> {
    let p = this.prepared.get(sql)
    if (!p) {
      p = await this.conn.prepare(sql)
      this.prepared.set(sql, p)
    }
    p.clearBindings()
    const values = this.values(sql, extra)
    if (Object.keys(values).length > 0) p.bind(values as never)
    return p
  }

  private values(sql: string, extra: Record<string, unknown>): Record<string, unknown> {
    const all: Record<string, unknown> = { ...this.base, ...extra }
    const used: Record<string, unknown> = {}
    // DuckDB rejects parameters a statement does not use.
    for (const name of new Set([...sql.matchAll(/\$([a-zA-Z_]\w*)/g)].map((m) => m[1]!))) {
      if (!(name in all)) throw new Error(`signals SQL names $${name}, which has no value`)
      const v = all[name]
      used[name] = Array.isArray(v) ? listValue(v as string[]) : v
    }
    return used
  }

  /**
   * One statement or several in order. DDL (a text of several `;`-separated
   * statements, or one that creates a table) runs unprepared, and the kept
   * statements are dropped after it: one prepared against a table since
   * replaced does not reliably see the new one.
   */
  async run(sql: string | string[], extra: Record<string, unknown> = {}): Promise<void> {
    for (const text of Array.isArray(sql) ? sql : [sql]) {
      if (text.includes(';') || /^\s*CREATE\b/i.test(text)) {
        await this.conn.run(text)
        this.forgetPrepared()
      } else {
        await (await this.statement(text, extra)).run()
      }
    }
  }

  private forgetPrepared(): void {
    for (const p of this.prepared.values()) p.destroySync()
    this.prepared.clear()
  }

  async rows(sql: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
    return (await (await this.statement(sql, extra)).runAndReadAll()).getRowObjectsJS() as Record<string, unknown>[]
  }

  async columns(sql: string, extra: Record<string, unknown> = {}): Promise<unknown[][]> {
    return (await (await this.statement(sql, extra)).runAndReadAll()).getColumnsJS() as unknown[][]
  }

  /** Appends columns to a temporary table, a data chunk at a time. */
  async append(table: string, types: DuckDBType[], columns: unknown[][]): Promise<void> {
    const a = await this.conn.createAppender(table, 'main', 'temp')
    const rows = columns[0]!.length
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows - from)
      const chunk = DuckDBDataChunk.create(types, n)
      chunk.setColumns(columns.map((c) => c.slice(from, from + n)) as never)
      a.appendDataChunk(chunk)
    }
    a.closeSync()
  }

  close(): void {
    this.forgetPrepared()
    this.conn.closeSync()
  }
}

/** What else happened, beside new rows: each rule knows which of these it depends on. */
export interface RefreshCause {
  /** The set of completed runs or their rows changed (or this is the first update). */
  completed: boolean
  /** Rows of some runs were dropped (a run left the selection or is being rebuilt). */
  dropped: boolean
}

export interface Rule {
  /** SQL parameters of the rule's own, beside the request's. */
  parameters?: Record<string, unknown>
  /**
   * Brings `verdicts` (and the rule's reference) up to date with the new rows
   * in `step_rows`. Says whether the band may have changed, and whether any
   * run's verdict may have (else only those of runs with new rows).
   */
  refresh(db: SignalDb, changed: RefreshCause): Promise<{ band: boolean; everyRun: boolean }>
  /** The reference, in the metric's own units (signed back). */
  band(db: SignalDb): Promise<SignalBand>
}

/** A band query's columns (step, signed value, count) → the wire shape. */
export async function readBand(db: SignalDb, sql: string): Promise<SignalBand> {
  const [step = [], value = [], count = []] = (await db.columns(sql)) as [number[], number[], number[]]
  return { step, value: value.map(toWire), count }
}

/**
 * Verdicts from a decision query (run_id, step, turn, stop; `turn` orders a run's
 * decisions), with the run's first stop, its latest decision and where that
 * was. `full` replaces all of them; otherwise the decisions are on new steps
 * only, after the ones kept.
 */
export async function storeVerdicts(db: SignalDb, decisions: string, full: boolean): Promise<void> {
  const perRun = `SELECT run_id, min(step) FILTER (WHERE stop) AS would, arg_max(stop, turn) AS stop_now, max(turn) AS decided
    FROM (${decisions}) GROUP BY run_id`
  if (full) {
    await db.run(['DELETE FROM verdicts', `INSERT INTO verdicts ${perRun}`])
    return
  }
  await db.run(`INSERT OR REPLACE INTO verdicts
    SELECT d.run_id, coalesce(v.would_stop_at, d.would), d.stop_now, d.decided
    FROM (${perRun}) d LEFT JOIN verdicts v USING (run_id)`)
}
