// MLflow's order_by: a list of `identifier [ASC|DESC]`. Missing values and NaN
// sort last in both directions; run_id breaks ties so pages never overlap.
import { parseIdentifier, type Comparison, type Dialect } from './filter-grammar.ts'
import { FilterSyntaxError } from './filter-tokens.ts'
import { ATTRIBUTE_COLUMNS, type ParamNamer } from './filter-sql.ts'

export interface OrderTerm {
  entity: Comparison['entity']
  key: string
  aggregate?: 'min' | 'max'
  descending: boolean
}

export class OrderBySyntaxError extends Error {}

export function parseOrderBy(clauses: string[], dialect: Dialect = 'mlflow'): OrderTerm[] {
  return clauses.map((clause) => {
    const m = /^(.*?)(?:\s+(ASC|DESC))?\s*$/i.exec(clause.trim())!
    const ident = m[1]!.trim()
    if (ident === '') throw new OrderBySyntaxError(`invalid order_by clause '${clause}'`)
    let target: ReturnType<typeof parseIdentifier>
    try {
      target = parseIdentifier(ident, 'runwatch')
    } catch (err) {
      const reason = err instanceof FilterSyntaxError ? err.message.replace(/ at column \d+$/, '') : String(err)
      throw new OrderBySyntaxError(`invalid order_by clause '${clause}': ${reason}`)
    }
    // Health is judged at a moment, not stored: a page order that changes by the second would repeat and skip runs.
    if (target.entity === 'attribute' && target.key === 'health') throw new OrderBySyntaxError(`invalid order_by clause '${clause}': runs cannot be ordered by health`)
    // In MLflow's grammar `metrics.min.x` is simply the metric named "min.x".
    const literal = dialect === 'mlflow' && target.aggregate
    return {
      entity: target.entity,
      key: literal ? `${target.aggregate}.${target.key}` : target.key,
      ...(target.aggregate && !literal ? { aggregate: target.aggregate } : {}),
      descending: (m[2] ?? 'ASC').toUpperCase() === 'DESC',
    }
  })
}

/** Joins that bring the sort values in, and the ORDER BY list. */
export function orderBySql(terms: OrderTerm[], p: ParamNamer): { joins: string; order: string } {
  const joins: string[] = []
  const parts = terms.map((t, i) => {
    const dir = t.descending ? 'DESC' : 'ASC'
    const alias = `o${i}`
    switch (t.entity) {
      case 'metric': {
        const column = t.aggregate === 'min' ? 'min_value' : t.aggregate === 'max' ? 'max_value' : 'value'
        joins.push(`LEFT JOIN latest_metrics ${alias} ON ${alias}.run_id = r.run_id AND ${alias}.key_id = ${p.key(t.key)}`)
        return `CASE WHEN isnan(${alias}.${column}) THEN NULL ELSE ${alias}.${column} END ${dir} NULLS LAST`
      }
      case 'param':
      case 'tag':
        joins.push(`LEFT JOIN ${t.entity === 'param' ? 'params' : 'tags'} ${alias} ON ${alias}.run_id = r.run_id AND ${alias}.key_id = ${p.key(t.key)}`)
        return `${alias}.value ${dir} NULLS LAST`
      default:
        return `${ATTRIBUTE_COLUMNS[t.key]} ${dir} NULLS LAST`
    }
  })
  if (terms.length === 0) parts.push('r.start_time DESC NULLS LAST')
  parts.push('r.run_id ASC')
  return { joins: joins.join(' '), order: parts.join(', ') }
}
