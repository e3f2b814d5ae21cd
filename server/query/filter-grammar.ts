// MLflow's search filter grammar, and runwatch's superset of it. Pure:
// text → AST, with errors that name the column and the token.
//
//   MLflow:    clause (AND clause)*
//   runwatch:  also OR, NOT, parentheses, IS [NOT] NULL, numeric comparison
//              of params, IN lists for params/tags, metrics.min.<key> / metrics.max.<key>,
//              attributes.health (= != IN NOT IN 'ok' | 'stalled' | 'diverged')
import { FilterSyntaxError, tokenize, type Token } from './filter-tokens.ts'
import { HEALTH_VALUES } from '../signals/health.ts'

export type Dialect = 'mlflow' | 'runwatch'
export type Entity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset'
export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL'

export interface Comparison {
  type: 'cmp'
  entity: Entity
  /** For attributes, the canonical name (run_name, start_time, …). */
  key: string
  /** Metrics: compare the latest value, or the minimum / maximum ever logged. */
  aggregate?: 'min' | 'max'
  op: Comparator
  value: number | string | string[] | null
  column: number
}

export type FilterAst =
  | Comparison
  | { type: 'and' | 'or'; items: FilterAst[] }
  | { type: 'not'; item: FilterAst }

const ENTITIES: Record<string, Entity> = {
  metric: 'metric', metrics: 'metric',
  param: 'param', params: 'param', parameter: 'param', parameters: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', run: 'attribute',
  dataset: 'dataset', datasets: 'dataset',
}

const STRING_ATTRIBUTES = new Set(['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage'])
const NUMERIC_ATTRIBUTES = new Set(['start_time', 'end_time'])
const ATTRIBUTE_ALIASES: Record<string, string> = { 'run name': 'run_name', created: 'start_time' }
const DATASET_KEYS = new Set(['name', 'digest', 'context'])
const NUMERIC_OPS = ['=', '!=', '<', '<=', '>', '>=']
const STRING_OPS = ['=', '!=', 'LIKE', 'ILIKE']

/** What a filter searches: runs, or experiments (name, creation_time, last_update_time, tags). */
export type FilterTarget = 'runs' | 'experiments'

const EXPERIMENT_STRING_ATTRIBUTES = new Set(['name'])
const EXPERIMENT_NUMERIC_ATTRIBUTES = new Set(['creation_time', 'last_update_time'])

/** An empty or blank filter means "everything" and parses to undefined. */
export function parseFilter(input: string, dialect: Dialect = 'mlflow', target: FilterTarget = 'runs'): FilterAst | undefined {
  if (input.trim() === '') return undefined
  return new Parser(tokenize(input), dialect, target).parse()
}

/** Whether any comparison in the filter passes `test`. */
export function mentions(ast: FilterAst, test: (c: Comparison) => boolean): boolean {
  if (ast.type === 'cmp') return test(ast)
  if (ast.type === 'not') return mentions(ast.item, test)
  return ast.items.some((item) => mentions(item, test))
}

/** A column or sort key such as `metrics.loss`, `params.lr`, `metrics.min.loss`, `status`. */
export interface Identifier {
  entity: Entity
  key: string
  aggregate?: 'min' | 'max'
}

export function parseIdentifier(text: string, dialect: Dialect = 'runwatch'): Identifier {
  const tokens = tokenize(text)
  const parser = new Parser(tokens, dialect, 'runs')
  const id = parser.identifierOnly()
  if (id.entity === 'dataset') throw new FilterSyntaxError(`'${text}' is not a run column`, 1)
  return id
}

class Parser {
  private i = 0

  private readonly stringAttributes: Set<string>
  private readonly numericAttributes: Set<string>

  constructor(
    private readonly tokens: Token[],
    private readonly dialect: Dialect,
    private readonly target: FilterTarget,
  ) {
    this.stringAttributes = target === 'runs' ? STRING_ATTRIBUTES : EXPERIMENT_STRING_ATTRIBUTES
    this.numericAttributes = target === 'runs' ? NUMERIC_ATTRIBUTES : EXPERIMENT_NUMERIC_ATTRIBUTES
  }

  identifierOnly(): Identifier {
    const id = this.identifier(this.next())
    const rest = this.peek()
    if (rest.kind !== 'end') this.fail(rest, `unexpected '${rest.text}' after the name`)
    return id
  }

  parse(): FilterAst {
    const ast = this.or()
    const t = this.peek()
    if (t.kind !== 'end') {
      if (this.dialect === 'mlflow' && this.isWord(t, 'OR')) this.fail(t, "MLflow filters join clauses with AND only; 'OR' is not supported")
      if (t.kind === 'rparen') this.fail(t, "unmatched ')'")
      this.fail(t, `expected AND${this.dialect === 'runwatch' ? ' or OR' : ''} before '${t.text}'`)
    }
    return ast
  }

  private or(): FilterAst {
    const items = [this.and()]
    while (this.dialect === 'runwatch' && this.isWord(this.peek(), 'OR')) {
      this.next()
      items.push(this.and())
    }
    return items.length === 1 ? items[0]! : { type: 'or', items }
  }

  private and(): FilterAst {
    const items = [this.unary()]
    while (this.isWord(this.peek(), 'AND')) {
      this.next()
      items.push(this.unary())
    }
    return items.length === 1 ? items[0]! : { type: 'and', items }
  }

  private unary(): FilterAst {
    const t = this.peek()
    if (this.isWord(t, 'NOT')) {
      if (this.dialect === 'mlflow') this.fail(t, "MLflow filters have no 'NOT'")
      this.next()
      return { type: 'not', item: this.unary() }
    }
    if (t.kind === 'lparen') {
      if (this.dialect === 'mlflow') this.fail(t, 'MLflow filters have no parentheses')
      this.next()
      const inner = this.or()
      const close = this.next()
      if (close.kind !== 'rparen') this.fail(close, `expected ')' but found ${describe(close)}`)
      return inner
    }
    return this.comparison()
  }

  private comparison(): Comparison {
    const ident = this.next()
    const target = this.identifier(ident)
    const opToken = this.next()
    const op = this.comparator(opToken)
    const { entity } = target
    const column = ident.column
    if (entity === 'attribute' && target.key === 'health') return this.health(opToken, op, column)

    if (op === 'IS NULL' || op === 'IS NOT NULL') {
      if (this.dialect === 'mlflow') this.fail(opToken, "MLflow filters have no 'IS NULL'")
      return { type: 'cmp', ...target, op, value: null, column }
    }
    if (op === 'IN' || op === 'NOT IN') {
      const inAllowed =
        (entity === 'attribute' && target.key === 'run_id') || entity === 'dataset' ||
        (this.dialect === 'runwatch' && (entity === 'param' || entity === 'tag' || (entity === 'attribute' && this.stringAttributes.has(target.key))))
      if (!inAllowed) this.fail(opToken, `'${op}' is not supported for ${label(target)}`)
      return { type: 'cmp', ...target, op, value: this.list(opToken), column }
    }
    const valueToken = this.next()
    if (entity === 'metric' || (entity === 'attribute' && this.numericAttributes.has(target.key))) {
      if (!NUMERIC_OPS.includes(op)) this.fail(opToken, `'${op}' cannot compare ${label(target)}; use one of ${NUMERIC_OPS.join(' ')}`)
      if (valueToken.kind !== 'number') this.fail(valueToken, `expected a number after '${opToken.text}' but found ${describe(valueToken)}`)
      const value = Number(valueToken.text)
      if (entity === 'attribute' && !Number.isInteger(value)) this.fail(valueToken, `${target.key} takes an integer (milliseconds since the epoch)`)
      return { type: 'cmp', ...target, op, value, column }
    }
    // params, tags, string attributes, datasets
    if (this.dialect === 'runwatch' && entity === 'param' && NUMERIC_OPS.includes(op)) {
      if (valueToken.kind === 'number') return { type: 'cmp', ...target, op, value: Number(valueToken.text), column }
      if (!STRING_OPS.includes(op)) this.fail(valueToken, `expected a number after '${opToken.text}' but found ${describe(valueToken)}`)
    }
    if (!STRING_OPS.includes(op)) {
      const hint = this.dialect === 'mlflow' && entity === 'param' ? ' (params are strings in MLflow)' : ''
      this.fail(opToken, `'${op}' cannot compare ${label(target)}${hint}; use one of ${STRING_OPS.join(' ')}`)
    }
    if (valueToken.kind !== 'string') this.fail(valueToken, `expected a quoted string after '${opToken.text}' but found ${describe(valueToken)}`)
    return { type: 'cmp', ...target, op, value: valueToken.text, column }
  }

  /** runwatch's judgement of a run (server/signals/health.ts): one of a few words, never NULL. */
  private health(opToken: Token, op: Comparator, column: number): Comparison {
    const check = (t: Token): string => {
      if (t.kind !== 'string' || !(HEALTH_VALUES as readonly string[]).includes(t.text)) {
        this.fail(t, `health is one of ${HEALTH_VALUES.map((v) => `'${v}'`).join(', ')}, not ${describe(t)}`)
      }
      return t.text
    }
    if (op === 'IN' || op === 'NOT IN') return { type: 'cmp', entity: 'attribute', key: 'health', op, value: this.list(opToken, check), column }
    if (op !== '=' && op !== '!=') this.fail(opToken, `'${op}' cannot compare attribute health; use = != IN or NOT IN`)
    return { type: 'cmp', entity: 'attribute', key: 'health', op, value: check(this.next()), column }
  }

  private identifier(t: Token): Identifier {
    if (t.kind === 'string' && t.quoted === '"') return this.attribute(t.text, t)
    if (t.kind !== 'ident' || this.isKeyword(t)) this.fail(t, `expected a name such as metrics.loss or params.lr but found ${describe(t)}`)
    if (t.quoted === '`' && !t.text.includes('.')) return this.attribute(t.text, t)
    const dot = t.text.indexOf('.')
    if (dot < 0) return this.attribute(t.text, t)
    const prefix = t.text.slice(0, dot)
    let key = t.text.slice(dot + 1)
    const entity = ENTITIES[prefix.toLowerCase()]
    if (!entity) this.fail(t, `unknown entity '${prefix}' in '${t.text}'; expected ${this.target === 'runs' ? 'metrics, params, tags, attributes or datasets' : 'tags or attributes'}`)
    if (this.target === 'experiments' && entity !== 'tag' && entity !== 'attribute') this.fail(t, `experiments cannot be filtered by ${prefix}`)
    if (key === '') this.fail(t, `expected a key after '${prefix}.'`)
    if (entity === 'attribute') return this.attribute(key, t)
    if (entity === 'dataset') {
      if (!DATASET_KEYS.has(key)) this.fail(t, `unknown dataset field '${key}'; expected name, digest or context`)
      return { entity, key }
    }
    if (entity === 'metric' && this.dialect === 'runwatch' && !t.quoted) {
      const agg = /^(min|max)\.(.+)$/.exec(key)
      if (agg) return { entity, key: agg[2]!, aggregate: agg[1] as 'min' | 'max' }
    }
    if (entity === 'metric' && t.quoted === undefined) key = key.trim()
    return { entity, key }
  }

  private attribute(name: string, t: Token): { entity: Entity; key: string } {
    const key = this.target === 'runs' ? (ATTRIBUTE_ALIASES[name.toLowerCase()] ?? name) : name
    // MLflow has no run health: its endpoints reject the name as MLflow would.
    const health = key === 'health' && this.target === 'runs' && this.dialect === 'runwatch'
    if (!health && !this.stringAttributes.has(key) && !this.numericAttributes.has(key)) {
      this.fail(
        t,
        this.target === 'runs'
          ? `unknown attribute '${name}'; expected run_id, run_name, status, user_id, artifact_uri, start_time${this.dialect === 'runwatch' ? ', end_time or health' : ' or end_time'} (or a prefix such as metrics.${name})`
          : `unknown attribute '${name}'; expected name, creation_time or last_update_time (or tags.${name})`,
      )
    }
    return { entity: 'attribute', key }
  }

  private comparator(t: Token): Comparator {
    if (t.kind === 'op') return t.text as Comparator
    if (this.isWord(t, 'LIKE')) return 'LIKE'
    if (this.isWord(t, 'ILIKE')) return 'ILIKE'
    if (this.isWord(t, 'IN')) return 'IN'
    if (this.isWord(t, 'NOT') && this.isWord(this.peek(), 'IN')) {
      this.next()
      return 'NOT IN'
    }
    if (this.isWord(t, 'IS')) {
      const not = this.isWord(this.peek(), 'NOT')
      if (not) this.next()
      const n = this.next()
      if (!this.isWord(n, 'NULL')) this.fail(n, `expected NULL after 'IS${not ? ' NOT' : ''}' but found ${describe(n)}`)
      return not ? 'IS NOT NULL' : 'IS NULL'
    }
    this.fail(t, `expected a comparison operator (= != < <= > >= LIKE ILIKE IN) but found ${describe(t)}`)
  }

  private list(after: Token, check?: (value: Token) => void): string[] {
    const open = this.next()
    if (open.kind !== 'lparen') this.fail(open, `expected '(' after '${after.text}' but found ${describe(open)}`)
    const values: string[] = []
    for (;;) {
      const v = this.next()
      if (v.kind !== 'string') this.fail(v, `expected a quoted string in the list but found ${describe(v)}`)
      check?.(v)
      values.push(v.text)
      const sep = this.next()
      if (sep.kind === 'rparen') return values
      if (sep.kind !== 'comma') this.fail(sep, `expected ',' or ')' in the list but found ${describe(sep)}`)
    }
  }

  private isKeyword(t: Token): boolean {
    return t.kind === 'ident' && !t.quoted && /^(and|or|not|like|ilike|in|is|null)$/i.test(t.text)
  }

  private isWord(t: Token, word: string): boolean {
    return t.kind === 'ident' && !t.quoted && t.text.toUpperCase() === word
  }

  private peek(): Token {
    return this.tokens[this.i]!
  }

  private next(): Token {
    const t = this.tokens[this.i]!
    if (t.kind !== 'end') this.i++
    return t
  }

  private fail(t: Token, message: string): never {
    throw new FilterSyntaxError(message, t.column)
  }
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the filter'
  if (t.kind === 'string') return `'${t.text}'`
  return `'${t.text}'`
}

function label(t: { entity: Entity; key: string }): string {
  if (t.entity === 'attribute') return `attribute ${t.key}`
  return `${t.entity} '${t.key}'`
}
