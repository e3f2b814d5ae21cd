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
}

export interface SearchPage {
  ids: string[]
  /** Matches in all, for result counts and the next page. */
  total: number
}

function stageClause(alias: string, view: ViewType = 'ACTIVE_ONLY'): string {
  if (view === 'ALL') return 'true'
  return `${alias}.lifecycle_stage = '${view === 'ACTIVE_ONLY' ? 'active' : 'deleted'}'`
}

export async function searchRuns(index: RunIndex, q: RunSearch): Promise<SearchPage> {
  const p = new ParamNamer()
  const where = [stageClause('r', q.viewType)]
  if (q.experimentIds) where.push(`list_contains(${p.add(q.experimentIds)}, r.experiment_id)`)
  if (q.runIds) where.push(`list_contains(${p.add(q.runIds)}, r.run_id)`)
  if (q.experimentIds?.length === 0 || q.runIds?.length === 0) return { ids: [], total: 0 }
  where.push(filterToSql(q.filter, p).sql)
  const order = orderBySql(q.orderBy ?? [], p)
  const [ids = [], totals = []] = await index.columns(
    `SELECT r.run_id, count(*) OVER ()::BIGINT::DOUBLE AS total FROM runs r
     WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${p.add(q.limit)}::BIGINT OFFSET ${p.add(q.offset ?? 0)}::BIGINT`,
    p.params,
    2,
  )
  let total = (totals[0] as number | undefined) ?? 0
  if (ids.length === 0 && (q.offset ?? 0) > 0) {
    const [[n]] = await index.columns(`SELECT count(*)::DOUBLE FROM runs r WHERE ${where.join(' AND ')}`, p.params, 1) as [[number]]
    total = n
  }
  return { ids: ids as string[], total }
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
  return { ids: ids as string[], total: (totals[0] as number | undefined) ?? 0 }
}
