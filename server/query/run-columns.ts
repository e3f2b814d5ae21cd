// Chosen columns of chosen runs, columnar: what the run table shows for a
// page of a search, without shipping every param and tag of every run.
import { toWire, type WireNumber } from '../../protocol/index.ts'
import type { RunIndex } from '../index/run-index.ts'
import { parseIdentifier, type Identifier } from './filter-grammar.ts'
import { ATTRIBUTE_COLUMNS, ParamNamer } from './filter-sql.ts'
import { runHealthSql } from '../signals/health.ts'

export type ColumnValues = (string | number | WireNumber | null)[]

type Column = { name: string; id: Identifier }

export function parseColumns(columns: string[]): Column[] {
  return columns.map((name) => ({ name, id: parseIdentifier(name, 'runwatch') }))
}

/** The keyed tables: a column of these is one key's value per run. */
const KEYED = {
  param: { table: 'params', values: ['value'] },
  tag: { table: 'tags', values: ['value'] },
  metric: { table: 'latest_metrics', values: ['value', 'min_value', 'max_value'] },
} as const
type KeyedEntity = keyof typeof KEYED
const isKeyed = (c: Column): c is Column & { id: Identifier & { entity: KeyedEntity } } => c.id.entity in KEYED

/**
 * The runs' rows come from one read of the runs table (attributes and
 * health), which also fixes their order; params, tags and metrics from one
 * read per table of the asked keys, run on the pool's connections at once and
 * put in place here. A scalar subquery per column instead cost DuckDB a join
 * per column: a page of 13 columns took 2-3 times longer, and more under load.
 */
export async function runColumns(index: RunIndex, runIds: string[], columns: Column[]): Promise<Record<string, ColumnValues>> {
  const out: Record<string, ColumnValues> = {}
  if (columns.length === 0) return out
  if (runIds.length === 0) {
    for (const c of columns) out[c.name] = []
    return out
  }
  const attributes = columns.filter((c) => !isKeyed(c))
  const keyed = columns.filter(isKeyed)
  const entities = [...new Set(keyed.map((c) => c.id.entity))]
  const [rows, ...reads] = await Promise.all([
    readAttributes(index, runIds, attributes),
    ...entities.map((entity) => readKeyed(index, runIds, entity, [...new Set(keyed.filter((c) => c.id.entity === entity).map((c) => c.id.key))])),
  ])
  const [order, ...values] = rows as [string[], ...unknown[][]]
  attributes.forEach((c, i) => (out[c.name] = values[i] as ColumnValues))

  const position = new Map(order.map((id, i) => [id, i]))
  entities.forEach((entity, e) => {
    const [ids, keys, ...cells] = reads[e]! as [string[], string[], ...(string | number | null)[][]]
    const mine = keyed.filter((c) => c.id.entity === entity)
    for (const c of mine) out[c.name] = order.map(() => null)
    // Several columns may read one key (a metric's value, min and max).
    const byKey = new Map<string, typeof mine>()
    for (const c of mine) byKey.set(c.id.key, [...(byKey.get(c.id.key) ?? []), c])
    for (let i = 0; i < ids.length; i++) {
      const at = position.get(ids[i]!)
      if (at === undefined) continue
      for (const c of byKey.get(keys[i]!) ?? []) {
        const v = cells[c.id.aggregate === 'min' ? 1 : c.id.aggregate === 'max' ? 2 : 0]![i] ?? null
        out[c.name]![at] = entity === 'metric' && typeof v === 'number' ? toWire(v) : v
      }
    }
  })
  return out
}

/** The runs (those that exist, in the order asked for): their ids, then one column per attribute. */
function readAttributes(index: RunIndex, runIds: string[], columns: Column[]): Promise<unknown[][]> {
  const p = new ParamNamer('f', index)
  const ids = p.add(runIds)
  // The page's runs by a hash join on their ids: list_contains compares each of 10,000 runs with each id.
  const onPage = (alias: string) => `${alias}.run_id IN (SELECT unnest(${ids}))`
  // Health is computed once for the page's runs and joined: as a subquery per row it was most of a page's read.
  let healthJoin = ''
  const exprs = columns.map(({ id }) => {
    if (id.entity === 'attribute' && id.key === 'health') {
      healthJoin ||= `LEFT JOIN (${runHealthSql(index.health, (v) => p.add(v), onPage('hr'), `SELECT unnest(${ids})`)}) h ON h.run_id = r.run_id`
      return 'h.health'
    }
    const column = ATTRIBUTE_COLUMNS[id.key]!
    return id.key.endsWith('_time') ? `${column}::DOUBLE` : column
  })
  return index.columns(
    `SELECT ${['r.run_id', ...exprs].join(', ')} FROM runs r ${healthJoin} WHERE ${onPage('r')} ORDER BY list_position(${ids}, r.run_id)`,
    p.params,
    columns.length + 1,
  )
}

/** One table's rows for these runs and keys: run id, key, then its value columns. */
function readKeyed(index: RunIndex, runIds: string[], entity: KeyedEntity, keys: string[]): Promise<unknown[][]> {
  const { table, values } = KEYED[entity]
  const p = new ParamNamer()
  return index.columns(
    `SELECT run_id, key, ${values.join(', ')} FROM ${table}
     WHERE key_id IN (SELECT unnest(${p.add(keys.map((k) => index.knownKeyId(k)))})) AND run_id IN (SELECT unnest(${p.add(runIds)}))`,
    p.params,
    2 + values.length,
  )
}
