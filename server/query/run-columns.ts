// Chosen columns of chosen runs, columnar: what the run table shows for a
// page of a search, without shipping every param and tag of every run.
import { toWire, type WireNumber } from '../../protocol/index.ts'
import type { RunIndex } from '../index/run-index.ts'
import { parseIdentifier, type Identifier } from './filter-grammar.ts'
import { ATTRIBUTE_COLUMNS, ParamNamer } from './filter-sql.ts'
import { runHealthSql } from '../signals/health.ts'

export type ColumnValues = (string | number | WireNumber | null)[]

export function parseColumns(columns: string[]): { name: string; id: Identifier }[] {
  return columns.map((name) => ({ name, id: parseIdentifier(name, 'runwatch') }))
}

export async function runColumns(index: RunIndex, runIds: string[], columns: { name: string; id: Identifier }[]): Promise<Record<string, ColumnValues>> {
  const out: Record<string, ColumnValues> = {}
  if (columns.length === 0) return out
  if (runIds.length === 0) {
    for (const c of columns) out[c.name] = []
    return out
  }
  const p = new ParamNamer('f', index)
  const ids = p.add(runIds)
  // Health is computed once for the page's runs and joined: as a subquery per row it was most of a page's read.
  let healthJoin = ''
  const exprs = columns.map(({ id }) => {
    if (id.entity === 'attribute' && id.key === 'health') {
      healthJoin ||= `LEFT JOIN (${runHealthSql(index.health, (v) => p.add(v), `list_contains(${ids}, hr.run_id)`)}) h ON h.run_id = r.run_id`
      return 'h.health'
    }
    switch (id.entity) {
      case 'metric': {
        const column = id.aggregate === 'min' ? 'min_value' : id.aggregate === 'max' ? 'max_value' : 'value'
        return `(SELECT m.${column} FROM latest_metrics m WHERE m.run_id = r.run_id AND m.key_id = ${p.key(id.key)})`
      }
      case 'param':
      case 'tag':
        return `(SELECT x.value FROM ${id.entity === 'param' ? 'params' : 'tags'} x WHERE x.run_id = r.run_id AND x.key_id = ${p.key(id.key)})`
      default: {
        const column = ATTRIBUTE_COLUMNS[id.key]!
        return id.key.endsWith('_time') ? `${column}::DOUBLE` : column
      }
    }
  })
  const cols = await index.columns(
    `SELECT ${exprs.join(', ')} FROM runs r ${healthJoin} WHERE list_contains(${ids}, r.run_id) ORDER BY list_position(${ids}, r.run_id)`,
    p.params,
    columns.length,
  )
  columns.forEach((c, i) => {
    const values = cols[i] as (string | number | null)[]
    out[c.name] = c.id.entity === 'metric' ? values.map((v) => (typeof v === 'number' ? toWire(v) : v)) : values
  })
  return out
}
