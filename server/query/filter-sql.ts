// Filter AST → a parameterized DuckDB condition over the index tables (runs
// aliased `r`). Filter text never reaches the SQL: every value is a parameter.
import { listValue } from '@duckdb/node-api'
import type { Comparison, FilterAst } from './filter-grammar.ts'
import { runHealthSql, type HealthPolicy } from '../signals/health.ts'

/** What a run filter needs of the index besides its tables (RunIndex has both). */
export interface FilterContext {
  /** How `attributes.health` is judged (the index's policy and clock). */
  readonly health: HealthPolicy
  /** The key_id that a key's rows of params, tags and latest_metrics carry. */
  knownKeyId(key: string): number
}

export interface SqlCondition {
  sql: string
  params: Record<string, unknown>
}

/** Run attributes as columns of `runs r`. */
export const ATTRIBUTE_COLUMNS: Record<string, string> = {
  run_id: 'r.run_id',
  run_name: 'r.name',
  status: 'r.status',
  user_id: 'r.user_id',
  artifact_uri: 'r.artifact_uri',
  lifecycle_stage: 'r.lifecycle_stage',
  start_time: 'r.start_time',
  end_time: 'r.end_time',
}
const EXPERIMENT_COLUMNS: Record<string, string> = {
  name: 'e.name',
  creation_time: 'e.creation_time',
  last_update_time: 'e.last_update_time',
}

/** The same grammar over experiments (aliased `e`): attributes and tags only. */
export function experimentFilterToSql(ast: FilterAst | undefined, namer = new ParamNamer()): SqlCondition {
  const compileExp = (a: FilterAst): string => {
    switch (a.type) {
      case 'and': return `(${a.items.map(compileExp).join(' AND ')})`
      case 'or': return `(${a.items.map(compileExp).join(' OR ')})`
      case 'not': return `(NOT ${compileExp(a.item)})`
      case 'cmp': {
        if (a.entity === 'attribute') {
          const column = EXPERIMENT_COLUMNS[a.key]!
          return a.op === 'IS NULL' || a.op === 'IS NOT NULL' ? `${column} ${a.op}` : test(column, a, namer)
        }
        const where = `t.experiment_id = e.experiment_id AND t.key = ${namer.add(a.key)}`
        if (a.op === 'IS NULL') return `NOT EXISTS (SELECT 1 FROM experiment_tags t WHERE ${where})`
        if (a.op === 'IS NOT NULL') return `EXISTS (SELECT 1 FROM experiment_tags t WHERE ${where})`
        return `EXISTS (SELECT 1 FROM experiment_tags t WHERE ${where} AND ${test('t.value', a, namer)})`
      }
    }
  }
  return { sql: ast ? compileExp(ast) : 'true', params: namer.params }
}


export class ParamNamer {
  readonly params: Record<string, unknown> = {}
  private n = 0

  /** `index`: needed by run filters and orders (not by experiment filters). */
  constructor(
    private readonly prefix = 'f',
    readonly index?: FilterContext,
  ) {}

  /** A parameter holding the key_id of a param, tag or metric key. */
  key(key: string): string {
    if (!this.index) throw new Error('a run filter needs the index (new ParamNamer(prefix, index))')
    return this.add(this.index.knownKeyId(key))
  }

  add(value: unknown): string {
    const name = `${this.prefix}${this.n++}`
    this.params[name] = Array.isArray(value) ? listValue(value as string[]) : value
    return `$${name}`
  }
}

export function filterToSql(ast: FilterAst | undefined, namer = new ParamNamer()): SqlCondition {
  const sql = ast ? compile(ast, namer) : 'true'
  return { sql, params: namer.params }
}

function compile(ast: FilterAst, p: ParamNamer): string {
  switch (ast.type) {
    case 'and': return `(${ast.items.map((i) => compile(i, p)).join(' AND ')})`
    case 'or': return `(${ast.items.map((i) => compile(i, p)).join(' OR ')})`
    case 'not': return `(NOT ${compile(ast.item, p)})`
    case 'cmp': return comparison(ast, p)
  }
}

// Entity conditions are semi-joins (`r.run_id IN (SELECT run_id …)`): DuckDB
// runs each as one scan of the key's rows instead of a correlated lookup per run.
function comparison(c: Comparison, p: ParamNamer): string {
  switch (c.entity) {
    case 'metric': {
      const ofKey = `SELECT run_id FROM latest_metrics WHERE key_id = ${p.key(c.key)}`
      if (c.op === 'IS NULL') return `r.run_id NOT IN (${ofKey})`
      if (c.op === 'IS NOT NULL') return `r.run_id IN (${ofKey})`
      const column = c.aggregate === 'min' ? 'min_value' : c.aggregate === 'max' ? 'max_value' : 'value'
      const value = p.add(c.value)
      // As in Python, NaN is unequal to everything and neither below nor above anything.
      const holds = c.op === '!=' ? `(${column} != ${value} OR isnan(${column}))` : `(NOT isnan(${column}) AND ${column} ${c.op} ${value})`
      return `r.run_id IN (${ofKey} AND ${holds})`
    }
    case 'param':
    case 'tag': {
      const ofKey = `SELECT run_id FROM ${c.entity === 'param' ? 'params' : 'tags'} WHERE key_id = ${p.key(c.key)}`
      if (c.op === 'IS NULL') return `r.run_id NOT IN (${ofKey})`
      if (c.op === 'IS NOT NULL') return `r.run_id IN (${ofKey})`
      const column = typeof c.value === 'number' ? 'TRY_CAST(value AS DOUBLE)' : 'value'
      return `r.run_id IN (${ofKey} AND ${test(column, c, p)})`
    }
    case 'attribute': {
      if (c.key === 'health') {
        if (!p.index) throw new Error('a filter on health needs the index (new ParamNamer(prefix, index))')
        return `r.run_id IN (SELECT run_id FROM (${runHealthSql(p.index.health, (v) => p.add(v))}) WHERE ${test('health', c, p)})`
      }
      const column = ATTRIBUTE_COLUMNS[c.key]!
      if (c.op === 'IS NULL' || c.op === 'IS NOT NULL') return `${column} ${c.op}`
      return test(column, c, p)
    }
    case 'dataset': {
      if (c.op === 'IS NULL') return `r.run_id NOT IN (SELECT run_id FROM run_inputs)`
      if (c.op === 'IS NOT NULL') return `r.run_id IN (SELECT run_id FROM run_inputs)`
      return `r.run_id IN (SELECT run_id FROM run_inputs WHERE ${test(c.key, c, p)})`
    }
  }
}

function test(column: string, c: Comparison, p: ParamNamer): string {
  if (c.op === 'IN') return `list_contains(${p.add(c.value)}, ${column})`
  if (c.op === 'NOT IN') return `NOT list_contains(${p.add(c.value)}, ${column})`
  return `${column} ${c.op} ${p.add(c.value)}`
}
