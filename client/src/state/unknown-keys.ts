// The metric, param and tag keys a filter names that no run of the chosen
// experiments has: such a clause is valid and matches nothing, which reads
// like an empty result unless it is said (a typo in `metrics.val_los`).
import type { RunKeys } from '../../../protocol/index.ts'
import type { FilterAst } from '../../../server/query/filter-grammar.ts'

const PREFIX = { metric: 'metrics', param: 'params', tag: 'tags' } as const

export function unknownKeys(ast: FilterAst | undefined, keys: RunKeys): string[] {
  const known = { metric: new Set(keys.metrics), param: new Set(keys.params), tag: new Set(keys.tags) }
  const out = new Set<string>()
  const walk = (node: FilterAst) => {
    if (node.type === 'not') walk(node.item)
    else if (node.type !== 'cmp') node.items.forEach(walk)
    else if (node.entity === 'metric' || node.entity === 'param' || node.entity === 'tag') {
      // "Has no such tag" is what IS NULL asks: not a typo.
      if (!known[node.entity].has(node.key) && node.op !== 'IS NULL') out.add(`${PREFIX[node.entity]}.${node.key}`)
    }
  }
  if (ast) walk(ast)
  return [...out]
}
