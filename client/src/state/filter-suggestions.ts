// Autocompletion for the filter bar: entity prefixes, the keys in use after
// `metrics.` / `params.` / `tags.`, attribute names, then the operators that
// fit the entity. Pure: text and caret in, suggestions out.
import type { RunKeys } from '../../../protocol/index.ts'

export interface Suggestions {
  /** Where the replaced word starts. */
  from: number
  items: string[]
}

const ENTITIES = ['metrics.', 'params.', 'tags.', 'attributes.']
const ATTRIBUTES = ['run_name', 'run_id', 'status', 'health', 'user_id', 'start_time', 'end_time', 'artifact_uri']
const NUMERIC_OPS = ['<', '<=', '>', '>=', '=', '!=', 'IS NULL', 'IS NOT NULL']
const STRING_OPS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN', 'IS NULL', 'IS NOT NULL']
const PLAIN = /^[A-Za-z_][A-Za-z0-9_.]*$/
const MAX_ITEMS = 12

const quoted = (key: string) => (PLAIN.test(key) ? key : `\`${key}\``)

export function suggestFilter(text: string, caret: number, keys: RunKeys): Suggestions {
  const before = text.slice(0, caret)
  // A key being typed after an entity prefix.
  const key = /(?:^|[\s(])(metrics|params|tags|attributes)\.(`?[^\s`]*)$/.exec(before)
  if (key) {
    const [, entity, partial] = key as unknown as [string, string, string]
    const from = caret - partial.length
    const pool = entity === 'metrics' ? keys.metrics : entity === 'params' ? keys.params : entity === 'tags' ? keys.tags : ATTRIBUTES
    const needle = partial.replace(/^`/, '').toLowerCase()
    const items = pool.filter((k) => k.toLowerCase().startsWith(needle)).concat(pool.filter((k) => !k.toLowerCase().startsWith(needle) && needle && k.toLowerCase().includes(needle)))
    return { from, items: items.slice(0, MAX_ITEMS).map(quoted) }
  }
  // An operator after a complete identifier and a space.
  const op = /(?:^|[\s(])(metrics|params|tags|attributes)\.(`[^`]+`|[^\s`]+)\s+([A-Za-z<>=!]*)$/.exec(before)
  if (op) {
    const [, entity, , partial] = op as unknown as [string, string, string, string]
    // Params compare as numbers too when both sides read as numbers (runwatch's extension).
    const ops = entity === 'metrics' ? NUMERIC_OPS : entity === 'params' ? [...STRING_OPS, '<', '<=', '>', '>='] : STRING_OPS
    const needle = partial.toUpperCase()
    return { from: caret - partial.length, items: ops.filter((o) => o.startsWith(needle) && o !== needle) }
  }
  // The start of a clause: an entity prefix.
  const word = /(?:^|\s|\()([a-z]+)$/i.exec(before)
  if (word && !/^(AND|OR|NOT)$/i.test(word[1]!)) {
    const partial = word[1]!.toLowerCase()
    return { from: caret - partial.length, items: ENTITIES.filter((e) => e.startsWith(partial)) }
  }
  return { from: caret, items: [] }
}

export function applySuggestion(text: string, caret: number, s: Suggestions, item: string): { text: string; caret: number } {
  // A space after a completed word, unless one follows already.
  const tail = item.endsWith('.') || /^\s/.test(text.slice(caret)) ? '' : ' '
  const next = text.slice(0, s.from) + item + tail + text.slice(caret)
  return { text: next, caret: s.from + item.length + tail.length }
}
