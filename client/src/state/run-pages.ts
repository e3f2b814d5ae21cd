// The run table's rows, read page by page from `/api/runs/query`: only the
// pages in view are fetched, so 10,000 runs cost what 100 do. Framework-free;
// the table listens for changes.
import type { WireNumber } from '../../../protocol/index.ts'
import { nestUnderParents } from './nesting.ts'

export type CellValue = string | number | WireNumber | null

export interface RunRow {
  runId: string
  values: Record<string, CellValue>
}

export interface RunsQuery {
  /** Every experiment when left out. */
  experimentIds?: string[]
  filter: string
  orderBy: string[]
  columns: string[]
  /** With this column (the parent-run tag) read, children follow their parent within a page. */
  parentColumn?: string
}

export interface RunsPage {
  total: number
  offset: number
  runIds: string[]
  columns: Record<string, CellValue[]>
}

export type FetchPage = (query: RunsQuery, offset: number, limit: number) => Promise<RunsPage>

const sameColumns = (a: RunsQuery, b: RunsQuery) => a.parentColumn === b.parentColumn && a.columns.join('\u0000') === b.columns.join('\u0000')
/** The same runs in the same order (the columns read may differ). */
const sameRuns = (a: RunsQuery, b: RunsQuery) =>
  a.filter === b.filter && a.orderBy.join('\u0000') === b.orderBy.join('\u0000') && (a.experimentIds ?? []).join('\u0000') === (b.experimentIds ?? []).join('\u0000')

export const PAGE_SIZE = 100
export const UNREACHABLE = 'The server cannot be reached; the rows shown are from before it went away.'

/** Pages kept on either side of the view, so scrolling back shows rows at once. */
const KEPT_PAGES = 3
/**
 * The first page is kept wherever the table is scrolled: without a selection
 * the charts overlay its runs, and they must not empty when it scrolls away.
 */
const HEAD_PAGE = 0

export class RunPages {
  private pages = new Map<number, RunRow[]>()
  /**
   * While a new query's first answer is awaited, the last query's rows (and
   * total) stay on screen: typing a filter replaces the table's rows instead
   * of emptying the table and building it again on every keystroke.
   */
  private stale: Map<number, RunRow[]> | undefined
  /** The query whose rows are shown. */
  shownQuery: RunsQuery | undefined
  private loading = new Map<number, Promise<void>>()
  private query: RunsQuery | undefined
  /** Bumped when the query changes: answers for an older query are dropped. */
  private generation = 0
  private window: [number, number] = [0, 0]
  total: number | undefined
  error: string | undefined
  private readonly listeners = new Set<() => void>()
  /** Waiting for the current query's first answer. */
  private waiting: (() => void)[] = []

  constructor(private readonly fetchPage: FetchPage) {}

  listen(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /**
   * A new query: rows are read again from the first page in view. Other runs
   * (a new filter, sort or experiment) are read from the first row: the table
   * shows them from the top (RunTable), and where it was scrolled to in the
   * rows before means nothing in these (it was often past their end, which
   * cost a read of an empty page before the first rows).
   */
  setQuery(query: RunsQuery): void {
    if (this.query && !sameRuns(this.query, query)) this.window = [0, this.window[1] - this.window[0]]
    this.query = query
    this.generation++
    // Rows of the query before are shown until an answer comes (kept from the first of several
    // quick changes), unless they lack columns the new query reads: then nothing is shown.
    const shown = this.shownQuery
    if (shown && sameColumns(shown, query)) this.stale ??= this.pages
    else [this.stale, this.total] = [undefined, undefined]
    this.pages = new Map()
    this.loading = new Map()
    this.error = undefined
    if (!this.stale) this.emit()
    void this.ensure(...this.window)
  }

  /** Resolves once the current query has answered (rows or an error). */
  answered(): Promise<void> {
    if (this.query && this.shownQuery === this.query) return Promise.resolve()
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve()
  }

  /** The rows shown: the current query's, or the last query's until the current one answers. */
  private get shown(): Map<number, RunRow[]> {
    return this.stale ?? this.pages
  }

  row(index: number): RunRow | undefined {
    return this.shown.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE]
  }

  /** Rows currently held, in order, from `from` (for charts that take the top runs). */
  rows(from: number, count: number): RunRow[] {
    const out: RunRow[] = []
    for (let i = from; i < from + count; i++) {
      const r = this.row(i)
      if (!r) break
      out.push(r)
    }
    return out
  }

  /** Live changes to runs on screen, shown before the next page read; one change notice for all. */
  patch(changes: Map<string, Record<string, CellValue>>): void {
    let changed = false
    for (const rows of [...this.pages.values(), ...(this.stale?.values() ?? [])]) {
      rows.forEach((row, i) => {
        const values = changes.get(row.runId)
        if (!values) return
        // A new row object: the table redraws a row when its object changes.
        rows[i] = { runId: row.runId, values: { ...row.values, ...values } }
        changed = true
      })
    }
    if (changed) this.emit()
  }

  /** Every row held, in order. */
  heldRows(): RunRow[] {
    const shown = this.shown
    return [...shown.keys()].sort((a, b) => a - b).flatMap((p) => shown.get(p)!)
  }

  /** The rows from..to (exclusive) are in view: fetch their pages if missing, forget pages far away. */
  async ensure(from: number, to: number): Promise<void> {
    this.window = [from, Math.max(from, to)]
    if (!this.query) return
    const first = Math.floor(from / PAGE_SIZE)
    const last = Math.max(first, Math.floor((Math.max(from, to) - 1) / PAGE_SIZE))
    for (const p of [...this.pages.keys()]) if (p !== HEAD_PAGE && (p < first - KEPT_PAGES || p > last + KEPT_PAGES)) this.pages.delete(p)
    const wanted: Promise<void>[] = []
    for (let p = first; p <= last; p++) {
      if (this.total !== undefined && p * PAGE_SIZE >= this.total && p > 0) break
      if (!this.pages.has(p)) wanted.push(this.load(p))
    }
    await Promise.all(wanted)
  }

  /** Reads again after a failure (the server is back): the pages in view, as a refresh does. */
  async retry(): Promise<void> {
    if (this.error !== undefined) await this.refresh()
  }

  /** Reads the pages in view again (live changes), keeping rows on screen until the answer comes. */
  async refresh(): Promise<void> {
    if (!this.query) return
    const [from, to] = this.window
    const first = Math.floor(from / PAGE_SIZE)
    const last = Math.max(first, Math.floor((Math.max(from, to) - 1) / PAGE_SIZE))
    // Pages out of view are forgotten: they are read again when scrolled to. The head stays, read again too.
    for (const p of [...this.pages.keys()]) if (p !== HEAD_PAGE && (p < first || p > last)) this.pages.delete(p)
    const reads: Promise<void>[] = []
    if (first > HEAD_PAGE && this.pages.has(HEAD_PAGE)) reads.push(this.load(HEAD_PAGE, true))
    for (let p = first; p <= last; p++) reads.push(this.load(p, true))
    await Promise.all(reads)
  }

  private load(page: number, again = false): Promise<void> {
    const pending = this.loading.get(page)
    if (pending && !again) return pending
    const generation = this.generation
    const query = this.query!
    const read = this.fetchPage(query, page * PAGE_SIZE, PAGE_SIZE)
      .then((answer) => {
        if (generation !== this.generation) return
        this.stale = undefined
        this.shownQuery = query
        this.total = answer.total
        this.error = undefined
        const rows = answer.runIds.map((runId, i) => ({ runId, values: Object.fromEntries(Object.entries(answer.columns).map(([c, v]) => [c, v[i] ?? null])) }))
        this.pages.set(page, query.parentColumn ? nestUnderParents(rows, query.parentColumn) : rows)
        this.emit()
        this.wake()
      })
      .catch((err: unknown) => {
        if (generation !== this.generation) return
        // fetch() rejects with a TypeError when the server cannot be reached at all: the rows shown
        // stay (the view resumes once it is back, see retry); a refused query shows none of the one before.
        const unreachable = err instanceof TypeError
        if (this.stale && !unreachable) [this.stale, this.total] = [undefined, undefined]
        this.error = unreachable ? UNREACHABLE : (err as Error).message
        this.emit()
        this.wake()
      })
      .finally(() => {
        if (this.loading.get(page) === read) this.loading.delete(page)
      })
    this.loading.set(page, read)
    return read
  }

  private emit(): void {
    for (const fn of this.listeners) fn()
  }
}
