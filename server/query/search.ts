// Searches over the index: runs and experiments with MLflow's filter,
// order_by, view type and paging. The SQL does the work; JS only assembles.
import type { RunIndex } from '../index/run-index.ts'
import type { FilterAst } from './filter-grammar.ts'
import { experimentFilterToSql, filterToSql, ParamNamer } from './filter-sql.ts'
import { orderBySql, type OrderTerm } from './order-by.ts'

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL'

export interface RunSearch {
  experimentIds?: string[]
  /** Only among these runs (live subscriptions re-check the runs that changed). */
  runIds?: string[]
  filter?: FilterAst
  orderBy?: OrderTerm[]
  viewType?: ViewType
  offset?: number
  limit: number
  /** Count every match (a result count for the UI), not only whether more follow. */
  countTotal?: boolean
}

export interface SearchPage {
  ids: string[]
  /** Matches in all: exact with `countTotal`, else the ones up to this page. */
  total: number
  /** Another page follows. */
  more: boolean
}

function stageClause(alias: string, view: ViewType = 'ACTIVE_ONLY'): string {
  if (view === 'ALL') return 'true'
  return `${alias}.lifecycle_stage = '${view === 'ACTIVE_ONLY' ? 'active' : 'deleted'}'`
}

export async function searchRuns(index: RunIndex, q: RunSearch): Promise<SearchPage> {
  const p = new ParamNamer('f', index)
  const where = [stageClause('r', q.viewType)]
  if (q.experimentIds) where.push(`list_contains(${p.add(q.experimentIds)}, r.experiment_id)`)
  // A hash join: list_contains would compare each run with each of the ids.
  if (q.runIds) where.push(`r.run_id IN (SELECT unnest(${p.add(q.runIds)}))`)
  if (q.experimentIds?.length === 0 || q.runIds?.length === 0) return { ids: [], total: 0, more: false }
  where.push(filterToSql(q.filter, p).sql)
  // The count reads the filter alone, without the sort's and paging's parameters (DuckDB refuses unused ones).
  const filterParams = { ...p.params }
  const { joins, order } = orderBySql(q.orderBy ?? [], p)
  const offset = q.offset ?? 0
  // The total is counted by the page's own query (a window over every match, before the limit):
  // one evaluation of the filter instead of a second query beside it (4.7 → 3.0 ms a keystroke's search).
  // One row past the page tells whether another page follows.
  const [ids = [], totals = []] = await index.columns(
    `SELECT r.run_id${q.countTotal ? ', count(*) OVER ()::DOUBLE' : ''} FROM runs r ${joins} WHERE ${where.join(' AND ')} ORDER BY ${order}
     LIMIT ${p.add(q.limit + 1)}::BIGINT OFFSET ${p.add(offset)}::BIGINT`,
    p.params,
    2,
  )
  const more = ids.length > q.limit
  const page = (more ? ids.slice(0, q.limit) : ids) as string[]
  let total = offset + page.length
  if (q.countTotal && page.length > 0) total = totals[0] as number
  else if (q.countTotal && offset > 0) {
    // Past the last match: the window saw no row, so the count is read alone.
    const [[n]] = (await index.columns(`SELECT count(*)::DOUBLE FROM runs r WHERE ${where.join(' AND ')}`, filterParams, 1)) as [[number]]
    total = n
  }
  return { ids: page, total, more }
}

export interface ExperimentSearch {
  filter?: FilterAst
  orderBy?: { key: string; descending: boolean }[]
  viewType?: ViewType
  offset?: number
  limit: number
}

const EXPERIMENT_ORDER_COLUMNS: Record<string, string> = {
  name: 'e.name', creation_time: 'e.creation_time', last_update_time: 'e.last_update_time', experiment_id: 'e.experiment_id',
}
export const EXPERIMENT_ORDER_KEYS = Object.keys(EXPERIMENT_ORDER_COLUMNS)

export async function searchExperiments(index: RunIndex, q: ExperimentSearch): Promise<SearchPage> {
  const p = new ParamNamer()
  const where = `${stageClause('e', q.viewType)} AND ${experimentFilterToSql(q.filter, p).sql}`
  const order = (q.orderBy ?? []).map((o) => `${EXPERIMENT_ORDER_COLUMNS[o.key]} ${o.descending ? 'DESC' : 'ASC'} NULLS LAST`)
  if (order.length === 0) order.push('e.creation_time DESC NULLS LAST')
  order.push('e.experiment_id ASC')
  const [ids = [], totals = []] = await index.columns(
    `SELECT e.experiment_id, count(*) OVER ()::DOUBLE FROM experiments e WHERE ${where}
     ORDER BY ${order.join(', ')} LIMIT ${p.add(q.limit)}::BIGINT OFFSET ${p.add(q.offset ?? 0)}::BIGINT`,
    p.params,
    2,
  )
  const total = (totals[0] as number | undefined) ?? 0
  return { ids: ids as string[], total, more: (q.offset ?? 0) + ids.length < total }
}
