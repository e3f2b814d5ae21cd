import { describe, expect, it } from 'vitest'
import { parseFilter } from '../server/query/filter-grammar.ts'
import { FilterSyntaxError } from '../server/query/filter-tokens.ts'
import { parseOrderBy } from '../server/query/order-by.ts'
import { decodePageToken, encodePageToken, PageTokenError } from '../server/query/page-token.ts'

const cmp = (entity: string, key: string, op: string, value: unknown, extra: object = {}) =>
  expect.objectContaining({ type: 'cmp', entity, key, op, value, ...extra })

describe('MLflow filter grammar', () => {
  it('reads entities, their aliases, and keys quoted with backticks or double quotes', () => {
    expect(parseFilter("metrics.acc > 0.9 and params.lr = '0.01' AND tags.`my tag` LIKE 'a%' and attributes.status = 'RUNNING'")).toEqual({
      type: 'and',
      items: [cmp('metric', 'acc', '>', 0.9), cmp('param', 'lr', '=', '0.01'), cmp('tag', 'my tag', 'LIKE', 'a%'), cmp('attribute', 'status', '=', 'RUNNING')],
    })
    expect(parseFilter('metric."val loss" <= -1e-3')).toEqual(cmp('metric', 'val loss', '<=', -0.001))
    expect(parseFilter("parameter.lr != \"x\"")).toEqual(cmp('param', 'lr', '!=', 'x'))
    expect(parseFilter("tags.mlflow.runName ILIKE '%Owl%'")).toEqual(cmp('tag', 'mlflow.runName', 'ILIKE', '%Owl%'))
    expect(parseFilter("run_name = 'a'")).toEqual(cmp('attribute', 'run_name', '=', 'a'))
    expect(parseFilter("`Run name` = 'a'")).toEqual(cmp('attribute', 'run_name', '=', 'a'))
    expect(parseFilter("attr.run_id IN ('a', 'b')")).toEqual(cmp('attribute', 'run_id', 'IN', ['a', 'b']))
    expect(parseFilter("run.run_id NOT IN ('a')")).toEqual(cmp('attribute', 'run_id', 'NOT IN', ['a']))
    expect(parseFilter('attributes.created >= 1732000000000')).toEqual(cmp('attribute', 'start_time', '>=', 1732000000000))
    expect(parseFilter("datasets.context IN ('training')")).toEqual(cmp('dataset', 'context', 'IN', ['training']))
    expect(parseFilter("tags.note = 'it''s'")).toEqual(cmp('tag', 'note', '=', "it's"))
    expect(parseFilter('  ')).toBeUndefined()
  })

  it.each([
    ["metrics.a > 1 OR params.b = 'x'", /'OR' is not supported at column 15/],
    ["(metrics.a > 1)", /no parentheses at column 1/],
    ['acc > 1', /unknown attribute 'acc'.* at column 1/],
    ['m.acc > 1', /unknown entity 'm' in 'm.acc'.* at column 1/],
    ['params.lr = 5', /'=' cannot compare|expected a quoted string after '=' but found '5' at column 13/],
    ["metrics.acc = 'x'", /expected a number after '=' but found 'x' at column 15/],
    ['a > 1; b < 2', /unexpected character ';'/],
    ['metrics.acc >', /expected a number after '>' but found the end of the filter at column 14/],
    ["metrics.acc LIKE 'x'", /'LIKE' cannot compare metric 'acc'/],
    ["params.lr < '1'", /'<' cannot compare param 'lr' \(params are strings in MLflow\)/],
    ["tags.t IN ('a')", /'IN' is not supported for tag 't'/],
    ["metrics.acc IS NULL", /no 'IS NULL'/],
    ["NOT metrics.acc > 1", /no 'NOT'/],
    ["params.lr = 'x", /unterminated string/],
    ['attributes.start_time > 1.5', /start_time takes an integer/],
    ["metrics.acc > 1 AND", /expected a name .* but found the end of the filter/],
  ])('rejects %j with the position', (filter, message) => {
    expect(() => parseFilter(filter)).toThrow(FilterSyntaxError)
    expect(() => parseFilter(filter)).toThrow(message)
  })

  it('names the column and the token, as users need to find the mistake', () => {
    expect(() => parseFilter("params.lr = '0.1' and metrics.acc < abc")).toThrow("expected a number after '<' but found 'abc' at column 37")
  })
})

describe("runwatch's superset", () => {
  it('adds OR, NOT, parentheses, IS NULL, numeric params, IN for params and min/max aggregates', () => {
    expect(parseFilter("(metrics.acc > 0.9 OR NOT params.opt = 'sgd') AND tags.x IS NOT NULL", 'runwatch')).toEqual({
      type: 'and',
      items: [
        { type: 'or', items: [cmp('metric', 'acc', '>', 0.9), { type: 'not', item: cmp('param', 'opt', '=', 'sgd') }] },
        cmp('tag', 'x', 'IS NOT NULL', null),
      ],
    })
    expect(parseFilter('params.lr < 0.01', 'runwatch')).toEqual(cmp('param', 'lr', '<', 0.01))
    expect(parseFilter("params.opt IN ('adam', 'sgd')", 'runwatch')).toEqual(cmp('param', 'opt', 'IN', ['adam', 'sgd']))
    expect(parseFilter('metrics.min.loss < 0.2', 'runwatch')).toEqual(cmp('metric', 'loss', '<', 0.2, { aggregate: 'min' }))
    expect(parseFilter('metrics.min.loss < 0.2', 'mlflow')).toEqual(cmp('metric', 'min.loss', '<', 0.2))
    expect(() => parseFilter('(metrics.a > 1', 'runwatch')).toThrow("expected ')' but found the end of the filter at column 15")
    expect(() => parseFilter('metrics.a > 1)', 'runwatch')).toThrow("unmatched ')' at column 14")
  })

  it('parses experiment filters: name, times and tags only', () => {
    expect(parseFilter("name LIKE 'demo%' AND tags.team = 'ml'", 'mlflow', 'experiments')).toEqual({
      type: 'and', items: [cmp('attribute', 'name', 'LIKE', 'demo%'), cmp('tag', 'team', '=', 'ml')],
    })
    expect(() => parseFilter('metrics.a > 1', 'mlflow', 'experiments')).toThrow(/experiments cannot be filtered by metrics/)
    expect(() => parseFilter("status = 'x'", 'mlflow', 'experiments')).toThrow(/unknown attribute 'status'/)
  })

  it('stays fast on a 1 MB filter', () => {
    const huge = Array.from({ length: 40_000 }, (_, i) => `metrics.m${i} > ${i}`).join(' AND ')
    const started = performance.now()
    expect(parseFilter(huge)).toMatchObject({ type: 'and' })
    expect(performance.now() - started).toBeLessThan(2000)
  })
})

describe('order_by and page tokens', () => {
  it('reads order_by clauses with directions', () => {
    expect(parseOrderBy(['metrics.`val loss` DESC', 'params.lr', 'start_time asc'])).toEqual([
      { entity: 'metric', key: 'val loss', descending: true },
      { entity: 'param', key: 'lr', descending: false },
      { entity: 'attribute', key: 'start_time', descending: false },
    ])
    expect(() => parseOrderBy(['metrics.acc SIDEWAYS'])).toThrow(/invalid order_by clause/)
    expect(() => parseOrderBy(['bogus DESC'])).toThrow(/unknown attribute 'bogus'/)
  })

  it('round-trips page tokens as MLflow spells them and refuses forged ones', () => {
    expect(encodePageToken(100)).toBe(Buffer.from('{"offset":100}').toString('base64'))
    expect(decodePageToken(encodePageToken(100))).toBe(100)
    expect(decodePageToken(undefined)).toBe(0)
    expect(() => decodePageToken('garbage')).toThrow(PageTokenError)
    expect(() => decodePageToken(Buffer.from('{"offset":-1}').toString('base64'))).toThrow(PageTokenError)
  })
})
