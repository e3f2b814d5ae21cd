// Run table columns, named as the search grammar names them, so a column id is
// also what `/api/runs/query` reads and what `orderBy` sorts by.
import { naturalOrder } from './format.ts'

export type ColumnKind = 'attribute' | 'param' | 'metric' | 'tag'

export interface ColumnSpec {
  id: string
  kind: ColumnKind
  /** The param/metric/tag key, or the attribute name. */
  key: string
  aggregate?: 'min' | 'max'
  label: string
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/

/** `params.lr`, or ``params.`learning rate` `` when the key needs quoting. */
export function columnId(kind: Exclude<ColumnKind, 'attribute'>, key: string, aggregate?: 'min' | 'max'): string {
  const prefix = kind === 'param' ? 'params' : kind === 'tag' ? 'tags' : aggregate ? `metrics.${aggregate}` : 'metrics'
  return `${prefix}.${PLAIN_KEY.test(key) ? key : `\`${key.replace(/`/g, '')}\``}`
}

export function parseColumnId(id: string): ColumnSpec | undefined {
  const m = /^(params|tags|metrics)\.(?:(min|max)\.)?(.+)$/.exec(id)
  if (!m) return undefined
  const kind = m[1] === 'params' ? 'param' : m[1] === 'tags' ? 'tag' : 'metric'
  if (m[2] && kind !== 'metric') return undefined
  const key = m[3]!.startsWith('`') && m[3]!.endsWith('`') ? m[3]!.slice(1, -1) : m[3]!
  const aggregate = m[2] as 'min' | 'max' | undefined
  return { id, kind, key, ...(aggregate ? { aggregate } : {}), label: aggregate ? `${key} (${aggregate})` : key }
}

/** Always read for a row: what the fixed columns and the nesting need. */
export const BASE_COLUMNS = ['run_name', 'status', 'health', 'start_time', 'end_time', 'user_id', 'tags.`mlflow.parentRunId`'] as const
export const PARENT_COLUMN = 'tags.`mlflow.parentRunId`'

/** The order_by clause a column sorts by on the server (column ids are search identifiers). */
export function orderByClause(column: string, desc: boolean): string {
  return `${column} ${desc ? 'DESC' : 'ASC'}`
}

/** Metrics where lower is better, for best-so-far markers and stopping aids. */
export function lowerIsBetter(metricKey: string): boolean {
  return /loss|err|mse|mae|rmse|perplexity|ppl|cost|regret|wer|cer/i.test(metricKey)
}

/** Metric keys shown first when none is chosen: the ones training scripts name so. */
export const PREFERRED_METRICS = ['loss', 'val_loss', 'accuracy', 'acc']

/** Keys with the preferred ones first (in their order), then the rest in number order. */
export function preferred(keys: string[], first: string[]): string[] {
  const rank = (k: string) => (first.includes(k) ? first.indexOf(k) : first.length)
  return [...keys].sort((a, b) => rank(a) - rank(b) || naturalOrder(a, b))
}
